from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.core import views
from preau.portal.views import upcoming

app_name = "core"

urlpatterns = [
    path("administration/calendrier/", views.calendar_view, name="calendar"),
    path("administration/etablissements/", views.establishments_view, name="establishments"),
    path(
        "administration/acces/",
        upcoming,
        {
            "title": _("Qui voit quoi"),
            "summary": _(
                "Pour une personne et un élève : ce que la personne peut voir (emploi du"
                " temps, notes, absences, bulletins), pourquoi, et ce qu'il faut corriger."
            ),
        },
        name="access",
    ),
]
