"""Families and pupils: absences and lateness with their state, online justification."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

# Placeholders until the pages arrive; the URL names are the navigation's.
patterns = [
    path(
        "absences/",
        upcoming,
        {
            "title": _("Absences et retards"),
            "summary": _(
                "Les absences et retards de l'élève, leur motif et leur état de justification."
            ),
        },
        name="mine",
    ),
    path(
        "justifier/",
        upcoming,
        {
            "title": _("Justifier une absence"),
            "summary": _(
                "La justification en ligne des absences par les responsables légaux, avec un "
                "motif et un justificatif."
            ),
        },
        name="justify",
    ),
]
