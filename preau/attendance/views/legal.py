"""The legal follow-up: the monthly L131-8 list, letters and referrals, absenteeism
rates, the dropout early warning."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

# Placeholders until the pages arrive; the URL names are the navigation's.
patterns = [
    path(
        "absenteisme/",
        upcoming,
        {
            "title": _("Suivi de l'absentéisme"),
            "summary": _(
                "La liste mensuelle de l'article L131-8 (4 demi-journées non justifiées), les"
                " courriers aux familles et les signalements à la DASEN."
            ),
        },
        name="legal",
    ),
    path(
        "decrochage/",
        upcoming,
        {
            "title": _("Prévention du décrochage"),
            "summary": _(
                "La liste de repérage du décrochage (GPDS), avec les raisons pour lesquelles "
                "chaque élève y figure."
            ),
        },
        name="dropout",
    ),
    path(
        "statistiques/",
        upcoming,
        {
            "title": _("Statistiques"),
            "summary": _("Les taux d'absentéisme par classe, niveau et mois."),
        },
        name="stats",
    ),
]
