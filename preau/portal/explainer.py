"""Qui voit quoi (access.md, "Access explainer"): for a person and a pupil of the
establishment, what the person sees of the pupil — timetable, homework, grades,
absences, report cards, the pupil file — why, and what to do when something is missing.

The verdicts are not decided here. They come from the predicates the pages and the API
ask, called with the person instead of a request:

- the person's links to the pupil: `portal.access.pupil_links` over the person's
  spaces (`portal.spaces.spaces_of`): the pupil themself, a guardian or contact (SIECLE
  level), a staff member who may see the pupil (`structure.selectors.visible_pupils`);
- grades and report cards of the family: `grades.access.grades_access`
  (`family_grades_access`: level, adult pupil's objection, settings, parent delay); of
  the staff: the divisions of the results page
  (`grades.selectors.results.analysed_divisions`) and of the report cards page
  (`grades.selectors.report_cards.report_card_divisions`);
- absences and their health reasons: `attendance.access.absences_access`
  (`attendance.family_access` for the family, `attendance.visibility` for the staff);
- homework: `homework.access.families_see_homework` and `family_sees` for the family;
  the staff read the cahier de textes of the pupils they may see;
- the pupil file: `visible_pupils`, like the page.

This module only gathers the facts that explain them (the account, the SIECLE link,
the settings, the services taught) and puts them in words, with the fix. It costs a
fixed number of queries whatever the data: at most about fifteen.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from preau.accounts.models import Account, normalise_login
from preau.attendance.access import absences_access
from preau.core.access import ADMINISTRATION_ROLES, StaffScope
from preau.core.models import (
    Establishment,
    Guardianship,
    Person,
    ResponsibilityLevel,
    Role,
    RoleKind,
)
from preau.grades.access import grades_access, reads_report_cards
from preau.grades.selectors.report_cards import report_card_divisions
from preau.grades.selectors.results import analysed_divisions, may_analyse
from preau.homework.access import families_see_homework, family_sees
from preau.portal.access import CONTACT, LEGAL, OWN, STAFF_LINK, PupilLink, pupil_links
from preau.portal.spaces import PUPIL, REGION, STAFF, PersonSpaces, spaces_of
from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    TeachingService,
)
from preau.structure.selectors import current_divisions, visible_pupils

TIMETABLE = "timetable"
HOMEWORK = "homework"
GRADES = "grades"
ABSENCES = "absences"
REPORT_CARDS = "report_cards"
PUPIL_FILE = "pupil_file"
KINDS = (TIMETABLE, HOMEWORK, GRADES, ABSENCES, REPORT_CARDS, PUPIL_FILE)

# Who may follow the link of a fix (the explainer is the direction's and the
# secretariat's; a settings page may be the direction's only).
DIRECTION = frozenset({RoleKind.DIRECTION})
ATTENDANCE_SETTINGS = frozenset({RoleKind.DIRECTION, RoleKind.CPE})

# The most people or pupils a search lists.
MAX_FOUND = 20


def kind_label(kind: str) -> str:
    return {
        TIMETABLE: _("Emploi du temps"),
        HOMEWORK: _("Cahier de textes"),
        GRADES: _("Notes"),
        ABSENCES: _("Absences et retards"),
        REPORT_CARDS: _("Bulletins"),
        PUPIL_FILE: _("Fiche élève"),
    }[kind]


@dataclass(frozen=True)
class Fix:
    """What to do so that the person sees, with the page where it is done."""

    text: str
    url: str = ""
    link: str = ""
    # The roles that may open `url` (empty: whoever uses the explainer).
    roles: frozenset[str] = frozenset()


@dataclass
class Row:
    kind: str
    # What the rules give the person once signed in…
    granted: bool
    # …and whether they see it now (the account must be activated too).
    visible: bool
    reasons: list[str]
    fix: Fix | None = None
    # Absences: whether the person reads health reasons (None elsewhere, or when the
    # absences are not visible to them at all).
    health: bool | None = None

    @property
    def label(self) -> str:
        return kind_label(self.kind)


@dataclass
class Explanation:
    person: Person
    pupil: Person
    establishment: Establishment
    day: date
    # The chain of facts every row rests on, in words.
    facts: list[str]
    account_ok: bool
    account_fix: Fix | None
    rows: list[Row]

    def row(self, kind: str) -> Row:
        return next(row for row in self.rows if row.kind == kind)


# -- Facts --------------------------------------------------------------------------------


def _url(name: str, **kwargs) -> str:
    """The URL of a page that may not exist yet (another release): "" when it does not."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def _day(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y")


def _account_facts(person: Person, pupil: Person, account: Account | None, *, family: bool):
    """(ready, fact, fix): whether the person can sign in now, in words. `family`: a
    pupil of the establishment or responsible for one, whom an activation letter is
    printed for (staff sign in the first time through the académie's directory)."""
    pupil_file = reverse("structure:pupil", args=[pupil.pk])
    if account is None:
        return (
            False,
            _("Aucun compte : %(name)s ne peut pas se connecter.") % {"name": person.display_name},
            Fix(
                _(
                    "Les comptes des familles et des élèves sont créés par l'import SIECLE, "
                    "ceux des personnels par l'annuaire : vérifiez que la personne figure "
                    "dans le dernier import."
                ),
                pupil_file,
                _("Fiche de l'élève"),
            ),
        )
    if not account.is_active:
        return (
            False,
            _("Compte « %(login)s » désactivé : la connexion est refusée.")
            % {"login": account.login},
            Fix(_("Un administrateur technique peut réactiver le compte.")),
        )
    if account.activated_at is None:
        never = _(
            "Compte « %(login)s » jamais activé : la personne ne s'est encore jamais "
            "connectée, elle ne voit donc rien pour l'instant."
        ) % {"login": account.login}
        if not family:
            return (
                False,
                never,
                Fix(
                    _(
                        "Un personnel active son compte à sa première connexion, avec "
                        "l'identifiant de l'annuaire académique : rappelez-lui son identifiant."
                    )
                ),
            )
        letter = _url("accounts:activation_letter", person_id=person.pk)
        return (
            False,
            never,
            Fix(
                _(
                    "Remettez-lui sa lettre d'activation (identifiant et code) : la personne verra "
                    "ce que les règles lui donnent dès sa première connexion."
                ),
                letter or pupil_file,
                _("Lettre d'activation") if letter else _("Fiche de l'élève"),
            ),
        )
    return (
        True,
        _("Compte « %(login)s » activé le %(day)s.")
        % {"login": account.login, "day": _day(account.activated_at)},
        None,
    )


def _link_fact(link: Guardianship) -> str:
    fact = _(
        "Lien importé de SIECLE : %(relationship)s, niveau %(level)d (%(level_label)s), "
        "autorité parentale : %(authority)s."
    ) % {
        "relationship": link.get_relationship_display(),
        "level": link.level,
        "level_label": link.get_level_display().lower(),
        "authority": _("oui") if link.parental_authority else _("non"),
    }
    if not link.parental_authority and link.level == ResponsibilityLevel.LEGAL:
        fact += " " + _("Préau décide selon le niveau de responsabilité, pas l'autorité parentale.")
    return fact


def _taught_services(person_id: int, pupil_id: int, establishment_id: int, day: date):
    """The person's services the pupil follows on `day`: their division's, or a group's
    they belong to (whole division, class part or directly). One query. For the words
    only: whether the person sees the pupil is `visible_pupils`'s answer."""
    divisions = Enrolment.objects.on(day).filter(pupil_id=pupil_id).values("division")
    parts = ClassPartMembership.objects.on(day).filter(pupil_id=pupil_id).values("class_part")
    direct = GroupMembership.objects.on(day).filter(pupil_id=pupil_id).values("group")
    groups = Group.objects.filter(
        Q(divisions__in=divisions) | Q(class_parts__in=parts) | Q(pk__in=direct)
    ).values("pk")
    return list(
        TeachingService.objects.filter(
            Q(division__in=divisions) | Q(group__in=groups),
            establishment_id=establishment_id,
            teachers=person_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        )
        .select_related("subject", "division", "group")
        .order_by("subject__label", "pk")
    )


def _roles_words(roles) -> str:
    return ", ".join(str(RoleKind(role).label) for role in sorted(roles))


# -- One path at a time: what a link gives ------------------------------------------------


@dataclass
class _Verdict:
    granted: bool
    reasons: list[str]
    fix: Fix | None = None
    health: bool | None = None


@dataclass
class _Context:
    person: Person
    pupil: Person
    establishment: Establishment
    day: date
    link: Guardianship | None
    division: Division | None
    pupil_file: str
    adult: bool
    facts: list[str] = field(default_factory=list)


def _siecle_note() -> str:
    return _(
        "Si la personne est en fait représentant légal de l'élève, faites corriger son "
        "niveau dans SIECLE : il sera repris au prochain import."
    )


def _family_verdicts(context: _Context, link: PupilLink) -> dict[str, _Verdict]:
    """What the pupil (OWN) or a guardian or contact sees, from the predicates of the
    family pages and the API."""
    pupil = context.pupil
    own = link.kind == OWN
    level = context.link.level if context.link else ResponsibilityLevel.LEGAL
    verdicts: dict[str, _Verdict] = {}

    # Timetable: the API and the family pages give it to every link.
    verdicts[TIMETABLE] = _Verdict(
        True,
        [
            _("L'élève voit son propre emploi du temps.")
            if own
            else _("Tous les responsables de l'élève (niveaux 1 à 3) voient son emploi du temps.")
        ],
    )

    # Homework.
    contacts_see = families_see_homework([link.establishment_id])[link.establishment_id]
    sees = family_sees(link=link.kind, contacts_see_homework=contacts_see)
    if own:
        reasons = [_("L'élève voit son cahier de textes.")]
    elif link.kind == LEGAL:
        reasons = [_("Les représentants légaux voient toujours le cahier de textes.")]
    elif sees:
        reasons = [
            _(
                "Niveau %(level)d : l'établissement montre le cahier de textes aux personnes "
                "en charge et aux contacts (réglage activé)."
            )
            % {"level": level}
        ]
    else:
        reasons = [
            _(
                "Niveau %(level)d : l'établissement ne montre pas le cahier de textes aux "
                "personnes en charge et aux contacts (réglage désactivé)."
            )
            % {"level": level}
        ]
    homework_fix = None
    if not sees:
        settings = _url("homework:settings")
        homework_fix = Fix(
            _(
                "La direction peut montrer le cahier de textes aux personnes en charge et "
                "aux contacts dans les réglages du cahier de textes."
            )
            + " "
            + _siecle_note(),
            settings,
            _("Réglages du cahier de textes") if settings else "",
            DIRECTION,
        )
    verdicts[HOMEWORK] = _Verdict(sees, reasons, homework_fix)

    # Grades and report cards: one access for both (grades.access).
    access, _settings = grades_access(link, context.person.pk, pupil.pk)
    grades_reasons: list[str] = []
    cards_reasons: list[str] = []
    fix = None
    if own:
        grades_reasons.append(
            _("L'élève voit ses notes dès la date de publication de chaque évaluation.")
        )
        cards_reasons.append(_("L'élève voit ses bulletins publiés."))
    elif not access.may_see and context.link and context.link.adult_objection_at:
        words = _(
            "%(pupil)s, majeur, s'est opposé le %(day)s à ce que ses notes et bulletins "
            "soient communiqués à cette personne."
        ) % {"pupil": pupil.display_name, "day": _day(context.link.adult_objection_at)}
        grades_reasons.append(words)
        cards_reasons.append(words)
        fix = Fix(
            _(
                "C'est un droit de l'élève majeur : il n'y a rien à corriger. Seul l'élève "
                "peut lever son opposition."
            )
        )
    elif not access.may_see:
        words = _(
            "Niveau %(level)d (personne en charge ou contact) : l'établissement ne montre "
            "les notes et les bulletins qu'aux représentants légaux et à l'élève (réglage "
            "« les contacts voient les notes » désactivé, comme par défaut)."
        ) % {"level": level}
        grades_reasons.append(words)
        cards_reasons.append(words)
        fix = Fix(
            _(
                "Si l'établissement le souhaite, la direction peut montrer les notes aux "
                "personnes en charge et aux contacts (Notes → Réglages)."
            )
            + " "
            + _siecle_note(),
            reverse("grades:settings"),
            _("Réglages des notes"),
            DIRECTION,
        )
    else:
        if link.kind == LEGAL:
            words = _(
                "Représentant légal (niveau 1) : voit les notes et les bulletins, comme "
                "l'autre représentant légal, séparés ou non, chacun avec son compte."
            )
        else:
            words = _(
                "Niveau %(level)d : l'établissement montre les notes et les bulletins aux "
                "personnes en charge et aux contacts (réglage activé)."
            ) % {"level": level}
        grades_reasons.append(words)
        cards_reasons.append(words)
        if context.adult:
            words = _(
                "%(pupil)s est majeur et ne s'est pas opposé à ce que cette personne voie "
                "ses notes et bulletins."
            ) % {"pupil": pupil.first_name}
            grades_reasons.append(words)
            cards_reasons.append(words)
        if access.delay_days:
            grades_reasons.append(
                _(
                    "Délai de l'établissement : chaque note lui est visible %(days)d jour(s) "
                    "après sa publication (l'élève la voit dès la publication)."
                )
                % {"days": access.delay_days}
            )
        else:
            grades_reasons.append(_("Sans délai : chaque note est visible dès sa publication."))
    verdicts[GRADES] = _Verdict(access.may_see, grades_reasons, fix)
    verdicts[REPORT_CARDS] = _Verdict(access.may_see, cards_reasons, fix)

    # Absences.
    may_see, confidential = absences_access(link, pupil.pk, context.day)
    if own:
        reasons = [_("L'élève voit ses absences et retards.")]
    elif link.kind == LEGAL:
        reasons = [_("Représentant légal : voit les absences et retards et les justifie.")]
        if context.link and context.link.adult_objection_at:
            reasons.append(
                _(
                    "L'opposition de l'élève majeur ne couvre pas les absences : elles "
                    "restent visibles."
                )
            )
    elif may_see:
        reasons = [
            _(
                "Niveau %(level)d : l'établissement montre les absences aux personnes en "
                "charge et aux contacts (réglage activé, comme par défaut) ; ils ne les "
                "justifient pas."
            )
            % {"level": level}
        ]
    else:
        reasons = [
            _(
                "Niveau %(level)d : l'établissement réserve les absences aux représentants "
                "légaux (réglage « les contacts voient les absences » désactivé)."
            )
            % {"level": level}
        ]
    absences_fix = None
    if not may_see:
        absences_fix = Fix(
            _(
                "La direction ou le CPE peut montrer les absences aux personnes en charge et "
                "aux contacts (Vie scolaire → Réglages)."
            )
            + " "
            + _siecle_note(),
            reverse("attendance:desk_policy"),
            _("Réglages de la vie scolaire"),
            ATTENDANCE_SETTINGS,
        )
    elif confidential:
        reasons.append(_("Motifs de santé : visibles (l'élève et ses représentants légaux)."))
    else:
        reasons.append(
            _(
                "Motifs de santé : non visibles, réservés à l'élève, à ses représentants "
                "légaux, à la vie scolaire et à la direction."
            )
        )
    verdicts[ABSENCES] = _Verdict(
        may_see, reasons, absences_fix, health=confidential if may_see else None
    )

    verdicts[PUPIL_FILE] = _Verdict(
        False,
        [_("La fiche élève est une page des personnels de l'établissement, pas des familles.")],
    )
    return verdicts


def _staff_verdicts(context: _Context, scope: StaffScope, link: PupilLink | None):
    """What a staff member of the establishment sees of the pupil (`link` None: they
    may not see the pupil at all), from the predicates of the staff pages and the API."""
    division = context.division
    person_id = context.person.pk
    roles_words = _roles_words(scope.roles)
    why: list[str] = []
    if scope.sees_whole_establishment:
        why.append(
            _("%(roles)s : voit tous les élèves de l'établissement.") % {"roles": roles_words}
        )
    taught: list[TeachingService] = []
    heads = False
    if scope.teaches:
        taught = _taught_services(person_id, context.pupil.pk, scope.establishment_id, context.day)
        heads = division is not None and division.head_teachers.filter(pk=person_id).exists()
        if taught:
            why.append(
                _("Enseigne à l'élève : %(services)s.")
                % {
                    "services": ", ".join(
                        f"{service.subject.label} ({service.audience_name})" for service in taught
                    )
                }
            )
        if heads:
            why.append(
                _("Professeur principal de sa classe, %(division)s.") % {"division": division.name}
            )
        if link is not None and not taught and not heads and not scope.sees_whole_establishment:
            why.append(_("Fait partie des élèves que cette personne enseigne."))

    if link is None:
        where = (
            _("ni à sa classe (%(division)s)") % {"division": division.name}
            if division
            else _("ni à sa classe")
        )
        reasons = [
            _(
                "%(roles)s dans l'établissement, mais n'enseigne pas à cet élève : %(where)s ni "
                "à l'un de ses groupes, et n'est pas professeur principal de sa classe."
            )
            % {"roles": roles_words, "where": where}
        ]
        fix = Fix(
            _(
                "Si c'est une erreur : les services des enseignants et les professeurs "
                "principaux viennent de l'import de l'emploi du temps."
            ),
            reverse("timetable:imports"),
            _("Imports"),
            ADMINISTRATION_ROLES,
        )
        return {kind: _Verdict(False, list(reasons), fix) for kind in KINDS}

    verdicts = {
        TIMETABLE: _Verdict(True, list(why)),
        HOMEWORK: _Verdict(
            True, [*why, _("Un personnel qui voit l'élève voit aussi son travail à faire.")]
        ),
        PUPIL_FILE: _Verdict(True, list(why)),
    }

    may_see, health = absences_access(link, context.pupil.pk, context.day)
    absences = [*why]
    absences.append(
        _("Motifs de santé : visibles (vie scolaire et direction).")
        if health
        else _(
            "Motifs de santé : non visibles ; cette personne lit « Absence justifiée » (ils "
            "sont réservés à la vie scolaire, à la direction et à la famille)."
        )
    )
    verdicts[ABSENCES] = _Verdict(may_see, absences, health=health if may_see else None)

    no_division = _("L'élève n'est inscrit dans aucune classe aujourd'hui.")
    if division is None:
        grades_ok = False
        grades = [no_division]
    elif not may_analyse(scope):
        grades_ok = False
        grades = [
            _(
                "%(roles)s : ne lit pas les notes ; seuls la direction et les enseignants de "
                "la classe les lisent (les bulletins restent lisibles)."
            )
            % {"roles": roles_words}
        ]
    else:
        grades_ok = any(d.pk == division.pk for d in analysed_divisions(scope, context.day))
        if grades_ok and RoleKind.DIRECTION in scope.roles:
            grades = [_("La direction lit toutes les notes de l'établissement.")]
        elif grades_ok:
            grades = [
                *why,
                _("Lit les résultats de la classe %(division)s.") % {"division": division.name},
            ]
        else:
            grades = [
                *why,
                _(
                    "N'enseigne pas à la classe %(division)s elle-même : les notes de "
                    "l'élève ne se lisent que dans la saisie de ses propres services."
                )
                % {"division": division.name},
            ]
    verdicts[GRADES] = _Verdict(grades_ok, grades)

    if division is None:
        cards_ok, cards = False, [no_division]
    else:
        cards_ok = any(d.pk == division.pk for d in report_card_divisions(scope, context.day))
        if cards_ok and reads_report_cards(scope):
            cards = [
                _(
                    "%(roles)s : la direction, la vie scolaire et le secrétariat lisent tous "
                    "les bulletins."
                )
                % {"roles": roles_words}
            ]
        elif cards_ok:
            cards = [
                _("Professeur principal de %(division)s : lit les bulletins de la classe.")
                % {"division": division.name}
            ]
        else:
            cards = [
                *why,
                _(
                    "Un enseignant ne lit que les bulletins des classes dont il est "
                    "professeur principal."
                ),
            ]
    verdicts[REPORT_CARDS] = _Verdict(cards_ok, cards)
    return verdicts


def _nobody_verdicts(context: _Context, spaces: PersonSpaces) -> dict[str, _Verdict]:
    """A person with neither a link to the pupil nor a role in the establishment."""
    elsewhere = [s for s in spaces.spaces if s.kind == STAFF]
    if elsewhere:
        reasons = [
            _(
                "Personnel d'un autre établissement uniquement : un personnel ne voit rien "
                "des élèves d'un établissement où il n'a pas de rôle."
            )
        ]
        return {kind: _Verdict(False, list(reasons)) for kind in KINDS}
    if any(s.kind == REGION for s in spaces.spaces):
        reasons = [
            _(
                "Administrateur académique ou régional : des statistiques, aucune donnée "
                "individuelle d'élève."
            )
        ]
        return {kind: _Verdict(False, list(reasons)) for kind in KINDS}
    reasons = [
        _(
            "Aucun lien avec l'élève : la personne n'est ni responsable de %(pupil)s dans "
            "SIECLE, ni personnel de l'établissement."
        )
        % {"pupil": context.pupil.display_name}
    ]
    fix = Fix(
        _(
            "Si la personne est responsable de l'élève, le lien doit venir de SIECLE : "
            "faites-le enregistrer dans SIECLE, il sera repris au prochain import. La fiche "
            "de l'élève montre ses responsables connus."
        ),
        context.pupil_file,
        _("Fiche de l'élève"),
    )
    return {kind: _Verdict(False, list(reasons), fix) for kind in KINDS}


# -- The explanation ----------------------------------------------------------------------


def explain(
    person: Person, pupil: Person, day: date, *, establishment: Establishment | None = None
) -> Explanation:
    """What `person` sees of `pupil` on `day` in `establishment` (by default the one the
    pupil is registered in), and why. Fixed number of queries (at most about fifteen)."""
    if establishment is None:
        role = (
            Role.objects.current(day)
            .filter(person=pupil, kind=RoleKind.PUPIL)
            .select_related("establishment")
            .first()
        )
        establishment = role.establishment
    account = Account.objects.filter(person=person).first()
    spaces = spaces_of(person, day)
    link = Guardianship.objects.filter(guardian=person, pupil=pupil).first()
    division = current_divisions([pupil.pk], day).get(pupil.pk)
    context = _Context(
        person=person,
        pupil=pupil,
        establishment=establishment,
        day=day,
        link=link,
        division=division,
        pupil_file=reverse("structure:pupil", args=[pupil.pk]),
        adult=pupil.is_adult_on(day),
    )

    family_here = any(c.establishment_id == establishment.pk for c in spaces.children) or any(
        s.kind == PUPIL and s.establishment_id == establishment.pk for s in spaces.spaces
    )
    # A staff member's account is never activated by a letter (`accounts.selectors.
    # holds_staff_role`), even when they are also a parent here.
    staff_anywhere = any(s.kind in (STAFF, REGION) for s in spaces.spaces) or (
        account is not None and (account.is_staff or account.is_superuser)
    )
    account_ok, account_fact, account_fix = _account_facts(
        person, pupil, account, family=family_here and not staff_anywhere
    )
    here_at_all = family_here or any(
        s.kind == STAFF and s.establishment_id == establishment.pk for s in spaces.spaces
    )
    # A person with no tie to this establishment, found by their exact login: nothing of
    # their account or of their other establishments is shown here.
    facts = [account_fact] if here_at_all else []
    facts.append(
        _("Élève : %(pupil)s, %(where)s%(adult)s.")
        % {
            "pupil": pupil.display_name,
            "where": _("classe %(division)s") % {"division": division.name}
            if division
            else _("sans classe aujourd'hui"),
            "adult": _(", majeur") if context.adult else "",
        }
    )
    if link is not None:
        facts.append(_link_fact(link))
        if link.adult_objection_at:
            facts.append(
                _("Opposition de l'élève majeur aux notes et bulletins depuis le %(day)s.")
                % {"day": _day(link.adult_objection_at)}
            )
    here = next(
        (s for s in spaces.spaces if s.kind == STAFF and s.establishment_id == establishment.pk),
        None,
    )
    elsewhere = [s for s in spaces.spaces if s.kind == STAFF and s is not here]
    if here is not None:
        facts.append(
            _("Rôles dans l'établissement : %(roles)s.") % {"roles": _roles_words(here.roles)}
        )
    if elsewhere and here_at_all:
        facts.append(
            _("Personnel dans %(count)d autre(s) établissement(s), qui ne donnent rien ici.")
            % {"count": len(elsewhere)}
        )

    # The person's links, as the API finds them, over their spaces in this
    # establishment only: a staff role elsewhere gives nothing here (`visible_pupils`
    # is scoped by establishment), and leaving it out keeps the count of queries fixed.
    local = PersonSpaces(
        spaces=tuple(s for s in spaces.spaces if s.kind != STAFF or s is here),
        children=spaces.children,
    )
    links = list(pupil_links(person.pk, pupil.pk, day, local))
    family = next((item for item in links if item.kind in (OWN, LEGAL, CONTACT)), None)
    staff = next((item for item in links if item.kind == STAFF_LINK), None)

    paths: list[tuple[str, dict[str, _Verdict]]] = []
    if family is not None:
        label = _("En tant qu'élève") if family.kind == OWN else _("En tant que responsable")
        paths.append((label, _family_verdicts(context, family)))
    if here is not None:
        scope = here.staff_scope(person.pk)
        paths.append((_("En tant que personnel"), _staff_verdicts(context, scope, staff)))
    if not paths:
        paths.append(("", _nobody_verdicts(context, spaces)))

    rows = []
    for kind in KINDS:
        verdicts = [(label, found[kind]) for label, found in paths]
        granted = any(verdict.granted for _label, verdict in verdicts)
        reasons = []
        for label, verdict in verdicts:
            if len(verdicts) > 1:
                reasons.extend(f"{label} : {reason}" for reason in verdict.reasons)
            else:
                reasons.extend(verdict.reasons)
        if not granted:
            fix = next((v.fix for _label, v in verdicts if v.fix is not None), None)
        elif not account_ok:
            fix = account_fix
        else:
            fix = None
        healths = [v.health for _label, v in verdicts if v.health is not None]
        rows.append(
            Row(
                kind=kind,
                granted=granted,
                visible=granted and account_ok,
                reasons=reasons,
                fix=fix,
                health=any(healths) if healths else None,
            )
        )
    return Explanation(
        person=person,
        pupil=pupil,
        establishment=establishment,
        day=day,
        facts=facts,
        account_ok=account_ok,
        account_fix=account_fix,
        rows=rows,
    )


# -- Finding the person and the pupil -----------------------------------------------------


def linked_people(establishment_id: int, day: date) -> QuerySet[Person]:
    """The people linked to the establishment on `day`: a role there (pupils and staff)
    or a guardianship of one of its pupils (guardians and contacts)."""
    pupils_here = (
        Role.objects.current(day)
        .filter(establishment_id=establishment_id, kind=RoleKind.PUPIL)
        .values("person")
    )
    return Person.objects.annotate(
        here_pupil=Exists(
            Role.objects.current(day).filter(
                person=OuterRef("pk"), establishment_id=establishment_id, kind=RoleKind.PUPIL
            )
        ),
        here_staff=Exists(
            Role.objects.current(day)
            .filter(person=OuterRef("pk"), establishment_id=establishment_id)
            .exclude(kind=RoleKind.PUPIL)
        ),
        here_guardian=Exists(
            Guardianship.objects.filter(guardian=OuterRef("pk"), pupil__in=pupils_here)
        ),
    ).filter(Q(here_pupil=True) | Q(here_staff=True) | Q(here_guardian=True))


def find_people(establishment_id: int, query: str, day: date) -> list[Person]:
    """People linked to the establishment whose name or login holds every word of
    `query` (MAX_FOUND + 1 at most, so that the page can say there are more); one
    query."""
    words = query.split()
    if not words:
        return []
    found = linked_people(establishment_id, day)
    for word in words:
        found = found.filter(
            Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(account__login__icontains=word)
        )
    return list(
        found.select_related("account").order_by("last_name", "first_name", "pk")[: MAX_FOUND + 1]
    )


def person_by_login(login: str) -> Person | None:
    """Anybody's person by the exact login of their account: the explainer answers for
    a person of another establishment, or of none, only when given their identifier."""
    account = (
        Account.objects.filter(login=normalise_login(login), person__isnull=False)
        .select_related("person")
        .first()
    )
    return account.person if account else None


def find_pupils(scope: StaffScope, query: str, day: date) -> list[Person]:
    """Pupils the staff member may see whose name holds every word of `query`."""
    words = query.split()
    if not words:
        return []
    found = visible_pupils(scope, day)
    for word in words:
        found = found.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    return list(found.order_by("last_name", "first_name", "pk")[: MAX_FOUND + 1])
