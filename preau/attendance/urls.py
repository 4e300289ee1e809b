"""Routes of the final navigation; the pages arrive with the vie scolaire release."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from preau.portal.views import upcoming

app_name = "attendance"

urlpatterns = [
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
