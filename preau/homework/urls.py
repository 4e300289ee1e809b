"""Routes of the final navigation; the pages arrive with the cahier de textes release."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

app_name = "homework"

urlpatterns = [
    path(
        "",
        upcoming,
        {
            "title": _("Travail à faire"),
            "summary": _(
                "Le travail à faire pour les jours qui viennent, avec le temps estimé et les "
                "pièces jointes."
            ),
        },
        name="todo",
    ),
    path(
        "seances/",
        upcoming,
        {
            "title": _("Contenu des séances"),
            "summary": _("Le contenu de chaque séance, saisi par l'enseignant."),
        },
        name="content",
    ),
    path(
        "charge/",
        upcoming,
        {
            "title": _("Charge de travail"),
            "summary": _("La charge de travail d'une classe jour par jour."),
        },
        name="workload",
    ),
    path(
        "visa/",
        upcoming,
        {
            "title": _("Visa"),
            "summary": _("Le visa du cahier de textes par la direction."),
        },
        name="review",
    ),
]
