"""Routes of the final navigation; the pages arrive with the messagerie release."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

app_name = "messaging"

urlpatterns = [
    path(
        "",
        upcoming,
        {
            "title": _("Messages reçus"),
            "summary": _(
                "La messagerie sans limite de longueur ni de nombre de destinataires, dans le"
                " respect des règles de communication de l'établissement."
            ),
        },
        name="inbox",
    ),
    path(
        "envoyes/",
        upcoming,
        {
            "title": _("Messages envoyés"),
            "summary": _("Les messages envoyés, avec les accusés de lecture."),
        },
        name="sent",
    ),
    path(
        "ecrire/",
        upcoming,
        {
            "title": _("Écrire"),
            "summary": _(
                "L'écriture d'un message à des personnes ou à des groupes (parents d'une "
                "classe, équipe pédagogique…)."
            ),
        },
        name="compose",
    ),
]
