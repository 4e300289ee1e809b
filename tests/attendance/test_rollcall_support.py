"""The school the roll call tests talk about (no test here: the other test_rollcall
modules import it).

A collège on a fixed day at 10:20 (the `clock`): 4B is split in two class parts, G1
also forms the Latin group; Mme Schmitt teaches 4B maths now (10:00–10:55) and Latin
to G1 at 11:00; M. Klein teaches 4A at 08:00. Emma and Berger are in 4B (Emma in G1,
Berger in G2), Chloé left 4B last week for 4A, Dumas is in 4A.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from preau.core.models import RoleKind
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    EnrolmentFactory,
    GroupFactory,
    OccurrenceFactory,
    PersonFactory,
    RoleFactory,
    RoomFactory,
    SubjectFactory,
    guardian_account,
    pupil_in,
    staff_account,
)

PARIS = ZoneInfo("Europe/Paris")


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


class Clock:
    """Time standing still at 10:20 today (Paris); `set(hour, minute)` moves it."""

    def __init__(self):
        self.day = timezone.localdate()
        self.moment = at(self.day, 10, 20)

    def set(self, hour: int, minute: int = 0) -> None:
        self.moment = at(self.day, hour, minute)


def stop_clock(monkeypatch) -> Clock:
    """For a `clock` fixture: every `timezone.now()` (pages, services, the session)
    reads the clock."""
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.moment)
    return clock


class School:
    def __init__(self, day):
        # Persons numbered apart from accounts: a page taking one id for the other fails.
        PersonFactory.create_batch(3)
        self.day = day
        self.b4 = DivisionFactory(name="4B")
        self.year = self.b4.school_year
        self.establishment = self.b4.establishment
        self.a4 = DivisionFactory(name="4A", school_year=self.year)
        self.g1 = ClassPartFactory(division=self.b4, name="G1")
        self.g2 = ClassPartFactory(division=self.b4, name="G2")
        self.latin = GroupFactory(school_year=self.year, name="Latin 4e", class_parts=[self.g1])
        self.room = RoomFactory(establishment=self.establishment, name="R101")

        self.teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Schmitt")
        self.other_teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Klein")
        self.cpe = staff_account(self.establishment, RoleKind.CPE, last_name="Vidal")
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)
        self.aed = staff_account(self.establishment, RoleKind.EDUCATION_ASSISTANT)
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)

        self.emma = pupil_in(self.b4, account=True, first_name="Emma", last_name="Roche")
        ClassPartMembershipFactory(pupil=self.emma, class_part=self.g1)
        self.berger = pupil_in(self.b4, first_name="Paul", last_name="Berger")
        ClassPartMembershipFactory(pupil=self.berger, class_part=self.g2)
        self.dumas = pupil_in(self.a4, first_name="Léa", last_name="Dumas")
        # Chloé left 4B last week for 4A.
        self.chloe = PersonFactory(first_name="Chloé", last_name="Aubert")
        RoleFactory(person=self.chloe, establishment=self.establishment, kind=RoleKind.PUPIL)
        EnrolmentFactory(
            pupil=self.chloe,
            division=self.b4,
            start_date=self.year.start_date,
            end_date=day - timedelta(days=7),
        )
        EnrolmentFactory(pupil=self.chloe, division=self.a4, start_date=day - timedelta(days=6))
        self.parent = guardian_account(self.emma)

        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.latin_subject = SubjectFactory(establishment=self.establishment, label="Latin")
        self.maths_4b = self.session(10, 0, self.maths, [self.teacher.person], divisions=[self.b4])
        self.latin_g1 = self.session(
            11, 0, self.latin_subject, [self.teacher.person], groups=[self.latin]
        )
        self.maths_4a = self.session(
            8, 0, self.maths, [self.other_teacher.person], divisions=[self.a4]
        )

    def session(self, hour, minute, subject, teachers, *, day=None, **audience):
        return OccurrenceFactory(
            school_year=self.year,
            date=day or self.day,
            hour=hour,
            minute=minute,
            subject=subject,
            teachers=teachers,
            rooms=[self.room],
            **audience,
        )


def take_url(occurrence) -> str:
    return reverse("attendance:roll_call_take", args=[occurrence.pk])


def entry_url(occurrence) -> str:
    return reverse("attendance:roll_call_entry", args=[occurrence.pk])
