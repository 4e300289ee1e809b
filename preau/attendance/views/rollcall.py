"""The roll call of an occurrence (teachers, on a phone or the class computer) and the
roll calls not taken (vie scolaire)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

# Placeholders until the pages arrive; the URL names are the navigation's.
patterns = [
    path(
        "appel/",
        upcoming,
        {
            "title": _("Appel"),
            "summary": _(
                "L'appel en quelques secondes, depuis l'emploi du temps, sur téléphone ou sur"
                " l'ordinateur de la salle, enregistré au fil de la saisie."
            ),
        },
        name="roll_call",
    ),
    path(
        "appels-non-faits/",
        upcoming,
        {
            "title": _("Appels non faits"),
            "summary": _(
                "Les séances sans appel 15 minutes après leur début, par enseignant, en direct."
            ),
        },
        name="missing",
    ),
]
