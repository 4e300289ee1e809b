"""The navigation of every role, decided in one place (access.md: at most two levels,
at most eight top-level entries, the same words for the same things everywhere).

Sections come in a fixed order and each role adds the links it needs to them, so that
a person holding several roles in one establishment gets one menu, not two.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from preau.core.models import STAFF_ROLES, RoleKind

# Audiences: who a link is for. Staff roles are RoleKind values; the others:
FAMILY = "family"
# A person in charge of a pupil or a contact (SIECLE levels 2 and 3) and of nobody as a
# legal guardian: by default timetable, homework and absences, no grades (access.md).
FAMILY_CONTACT = "family_contact"
PUPIL = "pupil"
HEAD_TEACHER = "head_teacher"
REGION = "region_admin"

VIE_SCOLAIRE = frozenset({RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT})
DIRECTION = frozenset({RoleKind.DIRECTION})
ADMINISTRATION = frozenset({RoleKind.DIRECTION, RoleKind.SECRETARIAT})
WHOLE_SCHOOL_ATTENDANCE = VIE_SCOLAIRE | DIRECTION
LEARNERS = frozenset({FAMILY, PUPIL})
FAMILIES = frozenset({FAMILY, FAMILY_CONTACT})
TEACHER = frozenset({RoleKind.TEACHER})
ALL = frozenset({FAMILY, FAMILY_CONTACT, PUPIL, REGION, HEAD_TEACHER}) | STAFF_ROLES


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    audiences: frozenset[str]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    label: str
    links: tuple[Link, ...]
    # A different label when the section is only a teacher's view of it.
    teacher_label: str | None = None


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("home", _("Accueil"), (Link(_("Accueil"), "portal:home", ALL),)),
    SectionSpec(
        "timetable",
        _("Emploi du temps"),
        (
            Link(
                _("Emploi du temps"),
                "timetable:home",
                LEARNERS | FAMILIES | TEACHER | VIE_SCOLAIRE | ADMINISTRATION,
            ),
        ),
    ),
    SectionSpec(
        "homework",
        _("Cahier de textes"),
        (
            Link(_("Travail à faire"), "homework:todo", LEARNERS | FAMILIES),
            Link(_("Contenu des séances"), "homework:content", LEARNERS | FAMILIES | TEACHER),
            Link(_("Charge de travail"), "homework:workload", TEACHER | DIRECTION),
            Link(_("Visa"), "homework:review", DIRECTION),
        ),
    ),
    SectionSpec(
        "grades",
        _("Notes"),
        (
            Link(_("Dernières notes"), "grades:latest", LEARNERS),
            Link(_("Saisie des notes"), "grades:entry", TEACHER | DIRECTION),
            Link(_("Moyennes"), "grades:averages", LEARNERS),
            Link(_("Résultats"), "grades:results", TEACHER | DIRECTION),
            Link(_("Conseils de classe"), "grades:councils", frozenset({HEAD_TEACHER}) | DIRECTION),
            Link(
                _("Bulletins"),
                "grades:report_cards",
                LEARNERS | TEACHER | ADMINISTRATION | VIE_SCOLAIRE,
            ),
            Link(_("Réglages"), "grades:settings", DIRECTION),
        ),
    ),
    SectionSpec(
        "attendance",
        _("Vie scolaire"),
        (
            Link(_("Absences et retards"), "attendance:mine", LEARNERS | FAMILIES),
            Link(_("Justifier une absence"), "attendance:justify", frozenset({FAMILY})),
            Link(_("Appel"), "attendance:roll_call", TEACHER),
            Link(_("Absences du jour"), "attendance:desk", WHOLE_SCHOOL_ATTENDANCE),
            Link(_("Appels non faits"), "attendance:missing", WHOLE_SCHOOL_ATTENDANCE),
            Link(_("Suivi de l'absentéisme"), "attendance:legal", WHOLE_SCHOOL_ATTENDANCE),
            Link(
                _("Prévention du décrochage"),
                "attendance:dropout",
                WHOLE_SCHOOL_ATTENDANCE | frozenset({HEAD_TEACHER}),
            ),
            Link(_("Statistiques"), "attendance:stats", WHOLE_SCHOOL_ATTENDANCE),
        ),
    ),
    SectionSpec(
        "structure",
        _("Établissement"),
        (
            Link(_("Mes services"), "structure:my_services", TEACHER),
            Link(
                _("Classes"),
                "structure:divisions",
                VIE_SCOLAIRE | ADMINISTRATION | frozenset({HEAD_TEACHER}),
            ),
            Link(_("Élèves"), "structure:pupils", TEACHER | VIE_SCOLAIRE | ADMINISTRATION),
            Link(_("Personnels"), "structure:staff", ADMINISTRATION | VIE_SCOLAIRE),
            Link(_("Établissements"), "core:establishments", frozenset({REGION})),
        ),
        teacher_label=_("Mes classes"),
    ),
    SectionSpec(
        "messaging",
        _("Messagerie"),
        (
            Link(_("Messages reçus"), "messaging:inbox", ALL - {REGION}),
            Link(_("Messages envoyés"), "messaging:sent", ALL - {REGION}),
            Link(_("Écrire"), "messaging:compose", ALL - {REGION}),
        ),
    ),
    SectionSpec(
        "administration",
        _("Administration"),
        (
            Link(_("Calendrier"), "core:calendar", ADMINISTRATION),
            Link(_("Qui voit quoi"), "portal:access", ADMINISTRATION),
            Link(_("Imports"), "timetable:imports", ADMINISTRATION),
        ),
    ),
)

MAX_SECTIONS = 8


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    links: tuple[Link, ...]

    @property
    def url_name(self) -> str:
        return self.links[0].url_name


def audiences_for(*, kind: str, roles: frozenset[str], head_teacher: bool) -> frozenset[str]:
    if kind == "family":
        return frozenset({FAMILY if "guardian" in roles else FAMILY_CONTACT})
    if kind == "pupil":
        return frozenset({PUPIL})
    if kind == "region":
        return frozenset({REGION})
    return frozenset(roles) | ({HEAD_TEACHER} if head_teacher else set())


def menu_for(audiences: frozenset[str]) -> tuple[Section, ...]:
    """The sections, each with the links the audiences may follow, in the fixed order;
    sections with no link are left out."""
    menu = []
    for spec in SECTIONS:
        links = tuple(link for link in spec.links if link.audiences & audiences)
        if not links:
            continue
        label = spec.label
        if spec.teacher_label and audiences <= {RoleKind.TEACHER, HEAD_TEACHER}:
            label = spec.teacher_label
        menu.append(Section(key=spec.key, label=label, links=links))
    return tuple(menu)


def section_of(menu: tuple[Section, ...], view_name: str | None) -> Section | None:
    """The section a page belongs to: the one holding a link to it, else the one whose
    links share its namespace."""
    if not view_name:
        return None
    for section in menu:
        if any(link.url_name == view_name for link in section.links):
            return section
    namespace = view_name.split(":", 1)[0]
    for section in menu:
        if any(link.url_name.split(":", 1)[0] == namespace for link in section.links):
            return section
    return None
