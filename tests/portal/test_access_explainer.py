"""Qui voit quoi (`portal.explainer.explain`): the verdict for each situation access.md
names, and for each the cross-check that the verdict is what the real pages and API
answer that very person (200 or 404).

The world: a collège A (guardians see a mark three days after its publication) and a
lycée B.

- P, 13, in 4B: her mother G1 and her father G2 (separated, each with their own account),
  her grandmother C2 (level 2, "personne en charge");
- M, 19, in 3A, who objected to his father GM seeing his grades and report cards;
- Q, 13, in 4B: his mother GQ, whose account was never activated;
- T teaches 4B and 3A; T2 teaches 4C only; H is head teacher of 4B (and teaches
  nothing); the CPE, the direction (DIR) and the secretariat (SEC) of A; DIRB, the
  direction of B; OUT, somebody with an account and no link to anything.

Each of P and M has a mark published ten days ago and one yesterday, an accepted
absence for a health reason, and an issued report card.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from preau.accounts.models import Account
from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
    AttendancePolicy,
)
from preau.core.models import EstablishmentKind, Relationship, ResponsibilityLevel, RoleKind
from preau.core.selectors import today
from preau.core.services import adult_objection_set
from preau.grades.models import GradesPolicy, ReportCard
from preau.homework.models import HomeworkPolicy
from preau.portal import explainer
from preau.structure.models import Level
from tests.conftest import log_in
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    EstablishmentFactory,
    EvaluationFactory,
    GuardianshipFactory,
    PersonFactory,
    SchoolYearFactory,
    division_service,
    grading_period,
    mark,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
PARENT_DELAY = 3
KINDS = explainer.KINDS


def years_ago(years: int) -> date:
    day = today()
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class Pupil:
    person: object
    division: object
    card: ReportCard


class World:
    def __init__(self):
        self.a = EstablishmentFactory(name="Collège Alpha")
        self.b = EstablishmentFactory(name="Lycée Bêta", kind=EstablishmentKind.LYCEE)
        GradesPolicy.objects.create(establishment=self.a, parent_delay_days=PARENT_DELAY)
        year_a = SchoolYearFactory(establishment=self.a)
        year_b = SchoolYearFactory(establishment=self.b)
        self.period = grading_period(year_a)
        self.d = DivisionFactory(school_year=year_a, name="4B", level=Level.QUATRIEME)
        self.d2 = DivisionFactory(school_year=year_a, name="4C", level=Level.QUATRIEME)
        self.dm = DivisionFactory(school_year=year_a, name="3A", level=Level.TROISIEME)
        self.db = DivisionFactory(school_year=year_b, name="2de1", level=Level.SECONDE)

        self.accounts: dict[str, Account] = {}
        for name, establishment, kind in (
            ("T", self.a, RoleKind.TEACHER),
            ("T2", self.a, RoleKind.TEACHER),
            ("H", self.a, RoleKind.TEACHER),
            ("CPE", self.a, RoleKind.CPE),
            ("DIR", self.a, RoleKind.DIRECTION),
            ("SEC", self.a, RoleKind.SECRETARIAT),
            ("DIRB", self.b, RoleKind.DIRECTION),
        ):
            self.accounts[name] = staff_account(establishment, kind)
        self.d.head_teachers.add(self.person("H"))
        division_service(self.d2, self.person("T2"))

        p = pupil_in(self.d, account=True, first_name="Paula", birth_date=years_ago(13))
        m = pupil_in(self.dm, account=True, first_name="Mathis", birth_date=years_ago(19))
        q = pupil_in(self.d, first_name="Quentin", birth_date=years_ago(13))
        self.accounts["P"], self.accounts["M"] = p.account, m.account
        for name, child, level, relationship in (
            ("G1", p, ResponsibilityLevel.LEGAL, Relationship.MOTHER),
            ("G2", p, ResponsibilityLevel.LEGAL, Relationship.FATHER),
            ("C2", p, ResponsibilityLevel.IN_CHARGE, Relationship.ASCENDANT),
            ("GM", m, ResponsibilityLevel.LEGAL, Relationship.FATHER),
            ("GQ", q, ResponsibilityLevel.LEGAL, Relationship.MOTHER),
        ):
            account = AccountFactory()
            GuardianshipFactory(
                guardian=account.person, pupil=child, level=level, relationship=relationship
            )
            self.accounts[name] = account
        self.accounts["OUT"] = AccountFactory()
        adult_objection_set(actor=None, pupil=m, objects=True)
        # Every account has been used, but GQ's.
        Account.objects.exclude(pk=self.accounts["GQ"].pk).update(activated_at=timezone.now())

        self.pupils = {
            "P": self._pupil(p, self.d, ("17.25", "11.75")),
            "M": self._pupil(m, self.dm, ("16.75", "12.25")),
            "Q": self._pupil(q, self.d, ("15.25", "13.75")),
        }

    def person(self, name: str):
        return self.accounts[name].person

    def _pupil(self, person, division, marks) -> Pupil:
        teacher = self.person("T")
        service = division_service(division, teacher)
        for text, published in zip(marks, (-10, -1), strict=True):
            evaluation = EvaluationFactory(
                service=service,
                period=self.period,
                date=today() - timedelta(days=12),
                published_on=today() + timedelta(days=published),
            )
            mark(evaluation, person, text)
        illness, _created = AbsenceReason.objects.get_or_create(
            establishment=self.a, code="MAL", defaults={"label": "Maladie", "health": True}
        )
        start = datetime.combine(today() - timedelta(days=7), datetime.min.time(), PARIS)
        Absence.objects.create(
            establishment=self.a,
            school_year=division.school_year,
            pupil=person,
            kind=AbsenceKind.ABSENCE,
            start=start + timedelta(hours=8),
            end=start + timedelta(hours=10),
            state=AbsenceState.ACCEPTED,
            reason=illness,
            source=AbsenceSource.DESK,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        card = ReportCard(establishment=self.a, period=self.period, division=division, pupil=person)
        card.document.save(f"bulletin-{person.pk}.pdf", ContentFile(b"%PDF-1.4 test"))
        return Pupil(person, division, card)


@pytest.fixture
def world():
    return World()


def contacts_see_grades_not_absences_nor_homework(world: World) -> None:
    GradesPolicy.objects.filter(establishment=world.a).update(contacts_see_grades=True)
    AttendancePolicy.objects.update_or_create(
        establishment=world.a, defaults={"contacts_see_absences": False}
    )
    HomeworkPolicy.objects.update_or_create(
        establishment=world.a, defaults={"contacts_see_homework": False}
    )


# Y/N per kind, in the order of explainer.KINDS: timetable, homework, grades, absences,
# report cards, pupil file. `health`: whether the absences show health reasons (None:
# the absences are not visible at all).
@dataclass(frozen=True)
class Situation:
    person: str
    pupil: str
    granted: str
    health: bool | None
    activated: bool = True
    setup: object = None
    family: bool = False


SITUATIONS = {
    "legal guardian, activated": Situation("G1", "P", "YYYYYN", True, family=True),
    "legal guardian, not activated": Situation(
        "GQ", "Q", "YYYYYN", True, activated=False, family=True
    ),
    "separated second parent": Situation("G2", "P", "YYYYYN", True, family=True),
    "level-2 contact, default settings": Situation("C2", "P", "YYNYNN", False, family=True),
    "level-2 contact, grades on, absences and homework off": Situation(
        "C2",
        "P",
        "YNYNYN",
        None,
        setup=contacts_see_grades_not_absences_nor_homework,
        family=True,
    ),
    "adult pupil's objection": Situation("GM", "M", "YYNYNN", True, family=True),
    "the pupil themself": Situation("P", "P", "YYYYYN", True, family=True),
    "teacher of the pupil": Situation("T", "P", "YYYYNY", False),
    "head teacher of the pupil's division": Situation("H", "P", "YYYYYY", False),
    "teacher of another division": Situation("T2", "P", "NNNNNN", None),
    "vie scolaire": Situation("CPE", "P", "YYNYYY", True),
    "secretariat": Situation("SEC", "P", "YYNYYY", False),
    "direction": Situation("DIR", "P", "YYYYYY", True),
    "staff of another establishment only": Situation("DIRB", "P", "NNNNNN", None),
    "unrelated person": Situation("OUT", "P", "NNNNNN", None),
}


def explain_for(world: World, situation: Situation):
    return explainer.explain(
        world.person(situation.person),
        world.pupils[situation.pupil].person,
        today(),
        establishment=world.a,
    )


def verdicts(explanation, attribute: str) -> str:
    return "".join("Y" if getattr(explanation.row(kind), attribute) else "N" for kind in KINDS)


@pytest.mark.parametrize("name", SITUATIONS)
def test_the_explainer_gives_the_verdict_of_each_situation(world, name):
    situation = SITUATIONS[name]
    if situation.setup:
        situation.setup(world)
    explanation = explain_for(world, situation)
    assert verdicts(explanation, "granted") == situation.granted
    expected_visible = situation.granted if situation.activated else "N" * len(KINDS)
    assert verdicts(explanation, "visible") == expected_visible
    assert explanation.account_ok is situation.activated
    assert explanation.row(explainer.ABSENCES).health is situation.health
    for row in explanation.rows:
        assert row.reasons, f"{row.kind} has no reason"


def status(client, url: str) -> int:
    return client.get(url).status_code


def pages_answer(client, world: World, situation: Situation) -> dict[str, int]:
    """What the real pages and API answer the signed-in person, kind by kind."""
    pupil = world.pupils[situation.pupil]
    pk = pupil.person.pk
    api = f"/api/v1/pupils/{pk}"
    if situation.family:
        # The family reads grades through the pages' rule, which the API shares.
        grades = status(client, f"{api}/grades")
    else:
        # Staff read grades on the results page of the division (the API answers
        # only the pupil and their family).
        grades = status(client, f"{reverse('grades:results')}?classe={pupil.division.pk}")
    card = reverse("grades:report_card_document", args=[pupil.card.pk])
    return {
        explainer.TIMETABLE: status(client, f"{api}/timetable"),
        explainer.HOMEWORK: status(client, f"{api}/homework"),
        explainer.GRADES: grades,
        explainer.ABSENCES: status(client, f"{api}/absences"),
        explainer.REPORT_CARDS: status(client, f"{card}?enfant={pk}"),
        explainer.PUPIL_FILE: status(client, reverse("structure:pupil", args=[pk])),
    }


@pytest.mark.parametrize("name", SITUATIONS)
def test_each_verdict_is_what_the_pages_and_the_api_answer(client, world, name):
    situation = SITUATIONS[name]
    if situation.setup:
        situation.setup(world)
    explanation = explain_for(world, situation)
    account = world.accounts[situation.person]
    log_in(client, account)
    # Signing in is what activates an account: from then on the person sees what the
    # rules give them, neither more nor less.
    account.refresh_from_db()
    assert account.activated_at is not None
    answers = pages_answer(client, world, situation)
    for kind, answer in answers.items():
        expected = 200 if explanation.row(kind).granted else 404
        assert answer == expected, f"{kind}: the page answers {answer}"
    if explanation.row(explainer.ABSENCES).granted:
        pk = world.pupils[situation.pupil].person.pk
        reasons = {a["reason"] for a in client.get(f"/api/v1/pupils/{pk}/absences").json()}
        shown = "Maladie" if situation.health else "Absence justifiée"
        assert reasons == {shown}


def test_the_parent_delay_is_explained_and_is_the_apis(client, world):
    explanation = explain_for(world, SITUATIONS["legal guardian, activated"])
    reasons = " ".join(explanation.row(explainer.GRADES).reasons)
    assert f"{PARENT_DELAY} jour(s) après sa publication" in reasons
    own = explain_for(world, SITUATIONS["the pupil themself"])
    assert "dès la date de publication" in " ".join(own.row(explainer.GRADES).reasons)

    pk = world.pupils["P"].person.pk

    def marks(account) -> set[str]:
        client.logout()
        log_in(client, account)
        body = client.get(f"/api/v1/pupils/{pk}/grades").json()
        return {e["mark"] for s in body["subjects"] for e in s["evaluations"]} - {None}

    # Published ten days ago and yesterday: the mother, three days behind, sees the
    # first one only; Paula sees both.
    assert marks(world.accounts["G1"]) == {"17.25"}
    assert marks(world.accounts["P"]) == {"17.25", "11.75"}


def test_the_chain_of_facts_names_the_account_the_link_and_the_roles(world):
    mother = explain_for(world, SITUATIONS["legal guardian, activated"])
    assert any("activé le" in fact for fact in mother.facts)
    assert any("Mère, niveau 1 (représentant légal)" in fact for fact in mother.facts)
    grandmother = explain_for(world, SITUATIONS["level-2 contact, default settings"])
    assert any("niveau 2" in fact and "Ascendant" in fact for fact in grandmother.facts)
    inactive = explain_for(world, SITUATIONS["legal guardian, not activated"])
    assert any("jamais activé" in fact for fact in inactive.facts)
    objection = explain_for(world, SITUATIONS["adult pupil's objection"])
    assert any("Opposition de l'élève majeur" in fact for fact in objection.facts)
    teacher = explain_for(world, SITUATIONS["teacher of the pupil"])
    assert any("Enseignant" in fact for fact in teacher.facts)
    assert any("(4B)" in reason for reason in teacher.row(explainer.TIMETABLE).reasons)
    head = explain_for(world, SITUATIONS["head teacher of the pupil's division"])
    assert any(
        "Professeur principal" in reason for reason in head.row(explainer.PUPIL_FILE).reasons
    )


def activation_letter_or_file(world: World, pupil: str, person: str) -> str:
    try:
        return reverse("accounts:activation_letter", kwargs={"person_id": world.person(person).pk})
    except NoReverseMatch:
        return reverse("structure:pupil", args=[world.pupils[pupil].person.pk])


@pytest.mark.parametrize(
    ("name", "kind", "where"),
    [
        ("legal guardian, not activated", explainer.GRADES, "activation"),
        ("level-2 contact, default settings", explainer.GRADES, "grades:settings"),
        (
            "level-2 contact, grades on, absences and homework off",
            explainer.ABSENCES,
            "attendance:desk_policy",
        ),
        (
            "level-2 contact, grades on, absences and homework off",
            explainer.HOMEWORK,
            "homework:settings",
        ),
        ("teacher of another division", explainer.TIMETABLE, "timetable:imports"),
        ("unrelated person", explainer.TIMETABLE, "pupil file"),
    ],
)
def test_what_is_missing_comes_with_its_fix_and_the_page_to_make_it(world, name, kind, where):
    situation = SITUATIONS[name]
    if situation.setup:
        situation.setup(world)
    row = explain_for(world, situation).row(kind)
    assert not row.visible
    assert row.fix is not None
    assert row.fix.text
    if where == "activation":
        expected = activation_letter_or_file(world, situation.pupil, situation.person)
    elif where == "pupil file":
        expected = reverse("structure:pupil", args=[world.pupils[situation.pupil].person.pk])
    else:
        expected = reverse(where)
    assert row.fix.url == expected


def test_an_objection_is_the_pupils_right_with_nothing_to_fix(world):
    row = explain_for(world, SITUATIONS["adult pupil's objection"]).row(explainer.GRADES)
    assert not row.visible
    assert row.fix is not None
    assert row.fix.url == ""
    assert "droit de l'élève majeur" in row.fix.text
    assert any("s'est opposé" in reason for reason in row.reasons)
    absences = explain_for(world, SITUATIONS["adult pupil's objection"]).row(explainer.ABSENCES)
    assert any("ne couvre pas les absences" in reason for reason in absences.reasons)


def test_staff_of_another_establishment_get_no_fix(world):
    explanation = explain_for(world, SITUATIONS["staff of another establishment only"])
    assert all(row.fix is None for row in explanation.rows)
    assert "autre établissement" in explanation.row(explainer.GRADES).reasons[0]


def test_nothing_of_a_person_of_another_establishment_is_told(world):
    """Found by the exact login, a person with no tie here: neither their account nor
    their other establishments are shown, only that they have no link."""
    explanation = explain_for(world, SITUATIONS["staff of another establishment only"])
    told = " ".join(explanation.facts)
    assert "Compte" not in told
    assert "activé" not in told
    assert "autre(s) établissement(s)" not in told


def test_a_contact_who_is_also_a_teacher_of_the_pupil_sees_through_either(world):
    """Both links count, each reason saying which one it comes from: as a level-3
    contact she would not see the grades, as the teacher of 4B she does."""
    teacher = world.person("T")
    GuardianshipFactory(
        guardian=teacher, pupil=world.pupils["P"].person, level=ResponsibilityLevel.CONTACT
    )
    explanation = explainer.explain(
        teacher, world.pupils["P"].person, today(), establishment=world.a
    )
    assert explanation.row(explainer.PUPIL_FILE).visible
    reasons = explanation.row(explainer.GRADES).reasons
    assert any(reason.startswith("En tant que responsable") for reason in reasons)
    assert any(reason.startswith("En tant que personnel") for reason in reasons)
    # As a contact she does not see grades; as a teacher of 4B she does.
    assert explanation.row(explainer.GRADES).visible


# -- Queries --------------------------------------------------------------------------------

# Account, spaces (roles, children; the head-teacher divisions for a teacher), the
# SIECLE link, the pupil's division; then per path:
# - family: grades settings, objection (the pupil: their birth date instead), absences
#   settings, homework settings;
# - staff: the pupil among those they may see; a teacher: the services they teach the
#   pupil and whether they head the division; the divisions of the results page (not
#   for the secretariat: 3 for a teacher), of the report cards (2).
EXPLAIN_QUERIES = {
    "legal guardian, activated": 9,
    "the pupil themself": 9,
    "teacher of the pupil": 14,
    "secretariat": 8,
    "unrelated person": 5,
}


def more_of_everything(world: World) -> None:
    """Pupils, families, services and absences by the dozen: nothing the explainer
    reads may depend on them."""
    for division in (world.d, world.d2, world.dm):
        for _n in range(6):
            pupil = pupil_in(division)
            for level in (ResponsibilityLevel.LEGAL, ResponsibilityLevel.CONTACT):
                GuardianshipFactory(guardian=PersonFactory(), pupil=pupil, level=level)
        division_service(division, world.person("T"))
        division.head_teachers.add(PersonFactory())
    GuardianshipFactory(
        guardian=world.person("G1"), pupil=pupil_in(world.d2), level=ResponsibilityLevel.LEGAL
    )


@pytest.mark.parametrize("name", EXPLAIN_QUERIES)
def test_the_explainer_costs_a_fixed_number_of_queries(world, django_assert_num_queries, name):
    situation = SITUATIONS[name]
    with django_assert_num_queries(EXPLAIN_QUERIES[name]):
        explain_for(world, situation)
    more_of_everything(world)
    with django_assert_num_queries(EXPLAIN_QUERIES[name]):
        explain_for(world, situation)


def test_a_teacher_never_signed_in_is_reminded_of_the_directory_not_a_letter(world):
    Account.objects.filter(pk=world.accounts["T"].pk).update(activated_at=None)
    explanation = explain_for(world, SITUATIONS["teacher of the pupil"])
    assert verdicts(explanation, "granted") == "YYYYNY"
    assert verdicts(explanation, "visible") == "NNNNNN"
    assert explanation.account_fix is not None
    assert explanation.account_fix.url == ""
    assert "annuaire" in explanation.account_fix.text


def test_a_guardian_without_an_account_sees_nothing_and_the_file_is_the_fix(world):
    grandfather = PersonFactory()
    pupil = world.pupils["P"].person
    GuardianshipFactory(guardian=grandfather, pupil=pupil, level=ResponsibilityLevel.CONTACT)
    explanation = explainer.explain(grandfather, pupil, today(), establishment=world.a)
    assert verdicts(explanation, "granted") == "YYNYNN"
    assert verdicts(explanation, "visible") == "NNNNNN"
    assert explanation.facts[0].startswith("Aucun compte")
    assert explanation.account_fix.url == reverse("structure:pupil", args=[pupil.pk])


def test_a_parent_who_is_staff_elsewhere_is_not_sent_to_an_activation_letter(world):
    """Given GQ, Quentin's mother, never signed in, is also the direction of the lycée,
    when the explainer tells why she sees nothing, then its fix is not the activation
    letter (a staff account is never activated by a printed code)."""
    from tests.factories import RoleFactory

    RoleFactory(person=world.person("GQ"), establishment=world.b, kind=RoleKind.DIRECTION)

    found = explainer.explain(world.person("GQ"), world.pupils["Q"].person, today())

    assert not found.account_ok
    assert found.account_fix is not None
    assert "lettre" not in found.account_fix.text.lower()
    assert found.account_fix.url == ""
