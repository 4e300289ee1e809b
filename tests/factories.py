"""Factories for the unit and integration tests: one per model, small and explicit.

Names are numbered with four digits ("Nom0007") so that no name is a prefix of another
and a page can be searched for one person without matching someone else.

The default school year runs around today, because the pages and the API read the
structures "on today": a test never depends on the date it runs.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory, Password

from preau.accounts.models import Account
from preau.core.domain import uai_check_letter
from preau.core.models import (
    Establishment,
    EstablishmentKind,
    Guardianship,
    HolidayZone,
    Person,
    PublicHolidayCalendar,
    Relationship,
    ResponsibilityLevel,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.core.selectors import today
from preau.structure.models import (
    ClassPart,
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    Level,
    Subject,
    TeachingService,
)

PASSWORD = "Tilleul-Cartable-2026"


def valid_uai(department: str, number: int) -> str:
    """A UAI of `department` whose check letter is right: valid_uai("075", 680) is
    "0750680G"."""
    digits = f"{department}{number:04d}"
    return digits + uai_check_letter(digits)


def year_around(day: date) -> tuple[date, date]:
    """A school year holding `day` well inside it, whatever the month."""
    return day - timedelta(days=90), day + timedelta(days=210)


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = Establishment

    # Département 099 (abroad): never one a test names explicitly.
    uai = factory.Sequence(lambda n: valid_uai("099", n % 10_000))
    name = factory.Sequence(lambda n: f"Collège Numéro{n:04d}")
    kind = EstablishmentKind.COLLEGE
    academy = "paris"
    holiday_zone = HolidayZone.C
    public_holidays = PublicHolidayCalendar.METROPOLE


class SchoolYearFactory(DjangoModelFactory):
    """A school year written directly, without grading periods; tests that need the
    periods call `preau.core.services.school_year_create`."""

    class Meta:
        model = SchoolYear

    establishment = factory.SubFactory(EstablishmentFactory)
    start_date = factory.LazyFunction(lambda: year_around(today())[0])
    end_date = factory.LazyFunction(lambda: year_around(today())[1])
    label = factory.LazyAttribute(lambda o: f"{o.start_date.year}-{o.end_date.year}")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    last_name = factory.Sequence(lambda n: f"Nom{n:04d}")
    first_name = factory.Sequence(lambda n: f"Prénom{n:04d}")
    email = factory.Sequence(lambda n: f"personne{n:04d}@exemple.fr")


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    login = factory.Sequence(lambda n: f"compte{n:04d}")
    password = Password(PASSWORD)
    person = factory.SubFactory(PersonFactory)


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    person = factory.SubFactory(PersonFactory)
    establishment = factory.SubFactory(EstablishmentFactory)
    kind = RoleKind.TEACHER


class GuardianshipFactory(DjangoModelFactory):
    class Meta:
        model = Guardianship

    guardian = factory.SubFactory(PersonFactory)
    pupil = factory.SubFactory(PersonFactory)
    level = ResponsibilityLevel.LEGAL
    relationship = Relationship.MOTHER


class DivisionFactory(DjangoModelFactory):
    class Meta:
        model = Division

    school_year = factory.SubFactory(SchoolYearFactory)
    establishment = factory.SelfAttribute("school_year.establishment")
    name = factory.Sequence(lambda n: f"3e{n:04d}")
    level = Level.TROISIEME


class ClassPartFactory(DjangoModelFactory):
    class Meta:
        model = ClassPart

    division = factory.SubFactory(DivisionFactory)
    name = factory.Sequence(lambda n: f"Partie{n:04d}")


class GroupFactory(DjangoModelFactory):
    class Meta:
        model = Group
        skip_postgeneration_save = True

    school_year = factory.SubFactory(SchoolYearFactory)
    establishment = factory.SelfAttribute("school_year.establishment")
    name = factory.Sequence(lambda n: f"Groupe{n:04d}")

    @factory.post_generation
    def class_parts(self, create, extracted, **kwargs):
        if create and extracted:
            self.class_parts.set(extracted)

    @factory.post_generation
    def divisions(self, create, extracted, **kwargs):
        if create and extracted:
            self.divisions.set(extracted)


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    pupil = factory.SubFactory(PersonFactory)
    division = factory.SubFactory(DivisionFactory)
    start_date = factory.LazyAttribute(lambda o: o.division.school_year.start_date)
    end_date = None


class ClassPartMembershipFactory(DjangoModelFactory):
    class Meta:
        model = ClassPartMembership

    pupil = factory.SubFactory(PersonFactory)
    class_part = factory.SubFactory(ClassPartFactory)
    start_date = factory.LazyAttribute(lambda o: o.class_part.division.school_year.start_date)
    end_date = None


class GroupMembershipFactory(DjangoModelFactory):
    class Meta:
        model = GroupMembership

    pupil = factory.SubFactory(PersonFactory)
    group = factory.SubFactory(GroupFactory)
    start_date = factory.LazyAttribute(lambda o: o.group.school_year.start_date)
    end_date = None


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = Subject

    establishment = factory.SubFactory(EstablishmentFactory)
    code = factory.Sequence(lambda n: f"MAT{n:04d}")
    label = factory.Sequence(lambda n: f"Matière{n:04d}")


class TeachingServiceFactory(DjangoModelFactory):
    """A service for a division by default; pass `division=None, group=…` for a group."""

    class Meta:
        model = TeachingService
        skip_postgeneration_save = True

    division = factory.SubFactory(DivisionFactory)
    group = None
    school_year = factory.LazyAttribute(
        lambda o: o.division.school_year if o.division is not None else o.group.school_year
    )
    establishment = factory.SelfAttribute("school_year.establishment")
    subject = factory.SubFactory(
        SubjectFactory, establishment=factory.SelfAttribute("..establishment")
    )

    @factory.post_generation
    def teachers(self, create, extracted, **kwargs):
        if create and extracted:
            self.teachers.set(extracted)


# Builders for the people the tests talk about: each is a person with the rows that make
# them what they are, so that a test reads "given a pupil of 3A", not six factory calls.


def pupil_in(division: Division, *, account: bool = False, **person_fields) -> Person:
    """A pupil registered in the division's establishment and enrolled in it for the
    whole school year."""
    pupil = PersonFactory(**person_fields)
    RoleFactory(person=pupil, establishment=division.establishment, kind=RoleKind.PUPIL)
    EnrolmentFactory(pupil=pupil, division=division)
    if account:
        AccountFactory(person=pupil)
    return pupil


def staff_account(establishment: Establishment, *kinds: str, **person_fields) -> Account:
    """An account whose person holds `kinds` (teacher by default) in `establishment`."""
    account = AccountFactory(person=PersonFactory(**person_fields))
    for kind in kinds or (RoleKind.TEACHER,):
        RoleFactory(person=account.person, establishment=establishment, kind=kind)
    return account


def guardian_account(*children: Person, level: int = ResponsibilityLevel.LEGAL) -> Account:
    """An account whose person is a responsible adult of each of `children`."""
    account = AccountFactory()
    for child in children:
        GuardianshipFactory(guardian=account.person, pupil=child, level=level)
    return account


def group_service(group: Group, *teachers: Person, **fields) -> TeachingService:
    return TeachingServiceFactory(division=None, group=group, teachers=teachers, **fields)


def division_service(division: Division, *teachers: Person, **fields) -> TeachingService:
    return TeachingServiceFactory(division=division, teachers=teachers, **fields)


# Timetables ---------------------------------------------------------------------------


class RoomFactory(DjangoModelFactory):
    class Meta:
        model = "timetable.Room"

    establishment = factory.SubFactory(EstablishmentFactory)
    name = factory.Sequence(lambda n: f"Salle{n:04d}")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Europe/Paris"))


def _audience(unit: str) -> factory.PostGeneration:
    """A hook adding one audience row naming each object given (a division, a group…)."""

    def add(occurrence, create, extracted, **kwargs):
        if create and extracted:
            for value in extracted:
                occurrence.audience.create(**{unit: value})

    return factory.PostGeneration(add)


class OccurrenceFactory(DjangoModelFactory):
    """A session on `date` from `hour` for 55 minutes (Europe/Paris), added by hand (no
    source course). Its resources: `teachers=[…]`, `rooms=[…]`, and its audience
    `divisions=[…]`, `groups=[…]`, `class_parts=[…]`, `pupils=[…]`."""

    class Meta:
        model = "timetable.Occurrence"
        skip_postgeneration_save = True

    class Params:
        hour = 8
        minute = 0
        minutes = 55

    school_year = factory.SubFactory(SchoolYearFactory)
    establishment = factory.SelfAttribute("school_year.establishment")
    uid = factory.Sequence(lambda n: f"test:{n:06d}")
    date = factory.LazyFunction(today)
    start = factory.LazyAttribute(lambda o: _local(o.date, o.hour, o.minute))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=o.minutes))
    subject = factory.SubFactory(
        SubjectFactory, establishment=factory.SelfAttribute("..establishment")
    )

    @factory.post_generation
    def teachers(self, create, extracted, **kwargs):
        if create and extracted:
            self.teachers.set(extracted)

    @factory.post_generation
    def rooms(self, create, extracted, **kwargs):
        if create and extracted:
            self.rooms.set(extracted)

    divisions = _audience("division")
    groups = _audience("group")
    class_parts = _audience("class_part")
    pupils = _audience("pupil")


# Grades ------------------------------------------------------------------------------


def grading_period(school_year, *, number: int = 1, scheme: str = "trimesters", **fields):
    """A period covering the whole school year by default (so that every mark of a
    test falls in it), of the divisions' default scheme."""
    from preau.core.models import GradingPeriod

    return GradingPeriod.objects.create(
        school_year=school_year,
        scheme=scheme,
        number=number,
        label=fields.pop("label", f"Trimestre {number}"),
        start_date=fields.pop("start_date", school_year.start_date),
        end_date=fields.pop("end_date", school_year.end_date),
        **fields,
    )


class EvaluationFactory(DjangoModelFactory):
    """An evaluation of a service in a period, out of 20, coefficient 1, published the
    day it was set (a week ago)."""

    class Meta:
        model = "grades.Evaluation"

    service = factory.SubFactory(TeachingServiceFactory)
    establishment = factory.SelfAttribute("service.establishment")
    period = factory.LazyAttribute(lambda o: grading_period(o.service.school_year))
    title = factory.Sequence(lambda n: f"Devoir {n}")
    date = factory.LazyFunction(lambda: today() - timedelta(days=7))
    published_on = factory.SelfAttribute("date")


def mark(evaluation, pupil: Person, text: str):
    """A mark typed as a teacher would ("15,5", "ABS"), written without the services'
    checks (tests of the services call them)."""
    from decimal import Decimal

    from preau.grades import engine
    from preau.grades.models import Mark

    parsed = engine.parse_mark(text, engine.Fraction(evaluation.scale))
    return Mark.objects.create(
        evaluation=evaluation,
        pupil=pupil,
        value=None if parsed.code else Decimal(engine.decimal_text(parsed.value)),
        code=parsed.code,
    )
