"""Routes of the final navigation; the pages arrive with the emplois du temps release."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

app_name = "timetable"

urlpatterns = [
    path(
        "",
        upcoming,
        {
            "title": _("Emploi du temps"),
            "summary": _(
                "Les emplois du temps à la semaine et à la journée, exactement tels qu'ils "
                "ont été construits dans le logiciel d'emploi du temps, avec les changements "
                "(absences, salles, déplacements) visibles aussitôt."
            ),
        },
        name="home",
    ),
    path(
        "imports/",
        upcoming,
        {
            "title": _("Imports"),
            "summary": _(
                "Les imports d'emplois du temps EDT, FET, STS-Web et UnDeuxTemps, avec un "
                "aperçu des changements avant de les appliquer et le rapport d'import."
            ),
        },
        name="imports",
    ),
]
