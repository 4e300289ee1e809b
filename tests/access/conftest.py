"""The world the access matrix is played in (docs/access.md), built once per module.

Two establishments. In A (a collège whose guardians see marks 3 days after the pupil):

- P, a minor pupil of division D, with an account. Her parents are separated, each a
  legal guardian with their own account (G1, G2); her grandmother is a level-2 person
  in charge (C2, who is also the legal guardian of Q), a neighbour a level-3 contact
  (C3);
- M, an adult pupil of division DM, who objected (`adult_objection_set`) to his
  guardian GM seeing his grades and report cards;
- Q, a pupil of division DQ, and his guardian GQ;
- T teaches D (the only teacher of its service) and DM; T2 teaches DQ only; H is the
  head teacher of D (and teaches nothing); a CPE, an assistant d'éducation (AED), the
  direction (DIR) and the secretariat (SEC).

In B (a lycée, no parent delay): P2, in division DB, another child of G1; TB teaches DB;
DIRB is B's direction. Besides: a regional administrator (REGION) and an account
attached to no person (NOBODY).

Each pupil X has, in their division's service: a mark published ten days ago
(`old`), one published yesterday (`recent`: the pupil sees it, A's guardians not yet)
and one whose evaluation is published in five days (`future`: only the staff who
enter marks see it); a session this week in the subject `subject`; an accepted
absence for a health reason (`health`, confidential) and one for an ordinary reason
(`plain`); a homework given in that session, due in three days (`homework`); an issued
report card of the period. Every marker is a string found nowhere else, so that a page
showing one pupil's data cannot be mistaken for another's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from preau.accounts.models import Account
from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
)
from preau.core.models import EstablishmentKind, ResponsibilityLevel, RoleKind
from preau.core.selectors import today
from preau.core.services import adult_objection_set
from preau.grades.models import GradesPolicy, ReportCard
from preau.homework.services import homework_create
from preau.structure.models import Level
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    EstablishmentFactory,
    EvaluationFactory,
    GuardianshipFactory,
    OccurrenceFactory,
    PersonFactory,
    RoleFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    grading_period,
    mark,
    pupil_in,
    staff_account,
)

PARIS = ZoneInfo("Europe/Paris")
# A's guardians see a mark this many days after its publication (access.md).
PARENT_DELAY = 3


@dataclass
class Pupil:
    """A pupil of the world and the strings that betray their data on a page."""

    key: str
    person: object
    establishment: object
    division: object
    service: object
    period: object
    card: ReportCard
    session: object
    health_absence: Absence
    subject: str
    homework: str
    health: str
    plain: str
    # Marks as a page writes them ("17,25"); the API writes them with a point.
    old: str
    recent: str
    future: str

    @property
    def pk(self) -> int:
        return self.person.pk


def _years_ago(years: int, days: int = 0):
    day = today()
    try:
        return day.replace(year=day.year - years) - timedelta(days=days)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28) - timedelta(days=days)


class World:
    def __init__(self):
        # Persons numbered apart from accounts: a page taking one id for the other fails.
        PersonFactory.create_batch(5)
        self.monday = today() - timedelta(days=today().weekday())
        self.accounts: dict[str, Account] = {}
        self.pupils: dict[str, Pupil] = {}

        self.a = EstablishmentFactory(name="Collège Alpha")
        self.b = EstablishmentFactory(name="Lycée Bêta", kind=EstablishmentKind.LYCEE)
        GradesPolicy.objects.create(establishment=self.a, parent_delay_days=PARENT_DELAY)
        year_a = SchoolYearFactory(establishment=self.a)
        year_b = SchoolYearFactory(establishment=self.b)
        period_a, period_b = grading_period(year_a), grading_period(year_b)

        d = DivisionFactory(school_year=year_a, name="4e Aubépine", level=Level.QUATRIEME)
        dq = DivisionFactory(school_year=year_a, name="4e Bouleau", level=Level.QUATRIEME)
        dm = DivisionFactory(school_year=year_a, name="3e Cèdre", level=Level.TROISIEME)
        db = DivisionFactory(school_year=year_b, name="2de Dahlia", level=Level.SECONDE)

        staff = {
            "T": (self.a, RoleKind.TEACHER),
            "T2": (self.a, RoleKind.TEACHER),
            "H": (self.a, RoleKind.TEACHER),
            "CPE": (self.a, RoleKind.CPE),
            "AED": (self.a, RoleKind.EDUCATION_ASSISTANT),
            "DIR": (self.a, RoleKind.DIRECTION),
            "SEC": (self.a, RoleKind.SECRETARIAT),
            "DIRB": (self.b, RoleKind.DIRECTION),
            "TB": (self.b, RoleKind.TEACHER),
        }
        for name, (establishment, kind) in staff.items():
            self.accounts[name] = staff_account(establishment, kind)
        d.head_teachers.add(self.person("H"))
        region = AccountFactory()
        RoleFactory(person=region.person, establishment=None, kind=RoleKind.REGION_ADMIN)
        self.accounts["REGION"] = region
        self.accounts["NOBODY"] = AccountFactory(person=None)

        p = pupil_in(d, account=True, birth_date=_years_ago(13))
        m = pupil_in(dm, account=True, birth_date=_years_ago(19))
        q = pupil_in(dq, birth_date=_years_ago(13, 40))
        p2 = pupil_in(db, birth_date=_years_ago(16))
        self.accounts["P"], self.accounts["M"] = p.account, m.account

        family = {
            "G1": [(p, ResponsibilityLevel.LEGAL), (p2, ResponsibilityLevel.LEGAL)],
            "G2": [(p, ResponsibilityLevel.LEGAL)],
            # A grandmother in charge of P, and legal guardian of Q: her rights follow
            # each child's link, not the most generous of them.
            "C2": [(p, ResponsibilityLevel.IN_CHARGE), (q, ResponsibilityLevel.LEGAL)],
            "C3": [(p, ResponsibilityLevel.CONTACT)],
            "GM": [(m, ResponsibilityLevel.LEGAL)],
            "GQ": [(q, ResponsibilityLevel.LEGAL)],
        }
        for name, links in family.items():
            account = AccountFactory()
            for child, level in links:
                GuardianshipFactory(guardian=account.person, pupil=child, level=level)
            self.accounts[name] = account
        # The service the demo uses: every guardian of M stops seeing his grades.
        adult_objection_set(actor=None, pupil=m, objects=True)

        teachers = {"P": ["T"], "M": ["T"], "Q": ["T2"], "P2": ["TB"]}
        cases = [
            # key, person, division, period, subject, homework,
            #   health reason, plain reason, old, recent, future marks
            ("P", p, d, period_a, "Astronomie", "Observer la Lune",
             "Consultation médicale", "Grève des bus", "17,25", "11,75", "5,25"),
            ("M", m, dm, period_a, "Calligraphie", "Recopier l'alphabet",
             "Hospitalisation", "Permis de conduire", "16,75", "12,25", "6,75"),
            ("Q", q, dq, period_a, "Botanique", "Faire un herbier",
             "Convalescence", "Obsèques familiales", "15,25", "13,75", "7,25"),
            ("P2", p2, db, period_b, "Dendrologie", "Planter un chêne",
             "Soins dentaires", "Journée défense", "14,75", "8,75", "4,25"),
        ]  # fmt: skip
        for key, person, division, period, subject, homework, *texts in cases:
            self.pupils[key] = self._pupil(
                key, person, division, period, subject, homework, texts, teachers[key]
            )

    def person(self, name: str):
        return self.accounts[name].person

    def _pupil(self, key, person, division, period, subject, homework, texts, teachers):
        establishment = division.establishment
        health, plain, *marks = texts
        service = division_service(
            division,
            *[self.person(name) for name in teachers],
            subject=SubjectFactory(establishment=establishment, label=subject),
        )
        old, recent, future = marks
        for text, published in ((old, -10), (recent, -1), (future, 5)):
            evaluation = EvaluationFactory(
                service=service,
                period=period,
                date=today() - timedelta(days=12),
                published_on=today() + timedelta(days=published),
            )
            mark(evaluation, person, text.replace(",", "."))
        session = OccurrenceFactory(
            school_year=division.school_year,
            date=self.monday,
            hour=9,
            subject=service.subject,
            teachers=service.teachers.all(),
            divisions=[division],
        )
        # Given in the session through the service, due in three days.
        homework_create(
            actor=self.accounts[teachers[0]],
            occurrence_id=session.pk,
            instructions=f"<p>{homework}</p>",
            due_date=today() + timedelta(days=3),
        )
        start = datetime(self.monday.year, self.monday.month, self.monday.day, 8, tzinfo=PARIS)
        absences = []
        for index, (label, is_health) in enumerate(((health, True), (plain, False))):
            reason = AbsenceReason.objects.create(
                establishment=establishment, code=f"{key}{index}", label=label, health=is_health
            )
            moment = start - timedelta(days=7 * (index + 1))
            absence = Absence.objects.create(
                establishment=establishment,
                school_year=division.school_year,
                pupil=person,
                kind=AbsenceKind.ABSENCE,
                start=moment,
                end=moment + timedelta(hours=2),
                state=AbsenceState.ACCEPTED,
                reason=reason,
                source=AbsenceSource.DESK,
                created_at=timezone.now(),
                updated_at=timezone.now(),
            )
            absences.append(absence)
        card = ReportCard(
            establishment=establishment, period=period, division=division, pupil=person
        )
        card.document.save(f"bulletin-{key}.pdf", ContentFile(b"%PDF-1.4 " + key.encode()))
        return Pupil(
            key=key,
            person=person,
            establishment=establishment,
            division=division,
            service=service,
            period=period,
            card=card,
            session=session,
            health_absence=absences[0],
            subject=subject,
            homework=homework,
            health=health,
            plain=plain,
            old=old,
            recent=recent,
            future=future,
        )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the module and rolled back at its end; each test runs
    in its own savepoint (the `db` fixture), so a test changing a setting changes it
    for itself only."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield World()
        transaction.set_rollback(True)
