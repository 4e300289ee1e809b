"""The grades pages, one module of views per area (views/); the routes still marked
`upcoming` are replaced as each area lands."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.grades.views import councils, entry, family, results, settings
from preau.portal.views import upcoming

app_name = "grades"

urlpatterns = [
    *entry.patterns,
    *family.patterns,
    *results.patterns,
    *councils.patterns,
    *settings.patterns,
    path(
        "",
        upcoming,
        {
            "title": _("Dernières notes"),
            "summary": _("Les notes publiées avec les moyennes de la classe."),
        },
        name="latest",
    ),
    path(
        "saisie/",
        upcoming,
        {
            "title": _("Saisie des notes"),
            "summary": _(
                "La saisie au clavier des notes avec coefficients, codes (ABS, DISP, NN…) et "
                "collage depuis un tableur, enregistrée au fil de la frappe."
            ),
        },
        name="entry",
    ),
    path(
        "moyennes/",
        upcoming,
        {
            "title": _("Moyennes"),
            "summary": _("Les moyennes par matière et générale, avec le détail de chaque calcul."),
        },
        name="averages",
    ),
    path(
        "resultats/",
        upcoming,
        {
            "title": _("Résultats"),
            "summary": _("L'analyse des résultats par devoir, matière, classe et période."),
        },
        name="results",
    ),
    path(
        "conseils-de-classe/",
        upcoming,
        {
            "title": _("Conseils de classe"),
            "summary": _("La préparation et la tenue des conseils de classe."),
        },
        name="councils",
    ),
    path(
        "bulletins/",
        upcoming,
        {
            "title": _("Bulletins"),
            "summary": _(
                "Les bulletins périodiques en PDF, transmis aux deux responsables légaux."
            ),
        },
        name="report_cards",
    ),
]
