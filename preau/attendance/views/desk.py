"""The vie scolaire's desk: the day's absences and lateness, entry over a period,
processing, school events, a pupil's attendance file."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

# Placeholders until the pages arrive; the URL names are the navigation's.
patterns = [
    path(
        "aujourdhui/",
        upcoming,
        {
            "title": _("Absences du jour"),
            "summary": _(
                "Le bureau de la vie scolaire : absences et retards du jour, saisie sur une "
                "période, motifs et justifications."
            ),
        },
        name="desk",
    ),
]
