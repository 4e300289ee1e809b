from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from preau.api.api import api

urlpatterns = [
    path("", include("preau.portal.urls")),
    path("", include("preau.accounts.urls")),
    path("", include("preau.core.urls")),
    path("etablissement/", include("preau.structure.urls")),
    path("emploi-du-temps/", include("preau.timetable.urls")),
    path("vie-scolaire/", include("preau.attendance.urls")),
    path("notes/", include("preau.grades.urls")),
    path("cahier-de-textes/", include("preau.homework.urls")),
    path("messagerie/", include("preau.messaging.urls")),
    path("api/v1/", api.urls),
    # The technical admin signs in through the product's login page, so that throttling,
    # session lifetimes and the audit trail apply to it too.
    path(
        "administration/technique/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
    ),
    path("administration/technique/", admin.site.urls),
]
