"""The legal and statistical outputs through the database: the worked cases of
attendance.md with real occurrences and absences, what is scheduled time (cancelled,
moved, withdrawn occurrences, public holidays, closures, the establishment's clock),
dated memberships, the list as of a date, the rates' denominators, the dropout watch,
and the number of queries, which does not grow with the pupils."""

from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from preau.attendance import reports, services
from preau.attendance.models import (
    AbsenceChange,
    AbsenceKind,
    AbsenceState,
    EventKind,
    Mark,
    SchoolEvent,
)
from preau.core.models import Closure, ExternalId, IdentifiedAs, RoleKind
from preau.structure.models import Level
from preau.timetable.models import OccurrenceStatus, TimetableVersion
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    EnrolmentFactory,
    GroupFactory,
    GroupMembershipFactory,
    OccurrenceFactory,
    PersonFactory,
    RoleFactory,
    SchoolYearFactory,
    SubjectFactory,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MARCH = date(2026, 3, 1)
MONDAY = date(2026, 3, 9)  # a school day of zone C, no public holiday that week
# The worked cases' day: four courses in the morning, three in the afternoon.
FULL_DAY = (
    (8, 0, 60),
    (9, 0, 60),
    (10, 0, 60),
    (11, 0, 60),
    (13, 30, 60),
    (14, 30, 60),
    (15, 30, 60),
)
MORNING = FULL_DAY[:4]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


class School:
    """A collège of the 2025-2026 school year with a division 4A of `size` pupils, each
    known to EDT as `edt:E001`, `edt:E002`…, and a CPE."""

    def __init__(self, size: int = 1):
        self.year = SchoolYearFactory(
            start_date=date(2025, 9, 1), end_date=date(2026, 7, 3), label="2025-2026"
        )
        self.establishment = self.year.establishment
        self.policy = services.policy_for(self.establishment)
        self.division = DivisionFactory(school_year=self.year, name="4A", level=Level.QUATRIEME)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.pupils = [self.pupil(self.division) for _ in range(size)]

    def pupil(self, division=None, *, enrolled=True, **enrolment):
        number = ExternalId.objects.filter(establishment=self.establishment).count() + 1
        if division is None or not enrolled:
            person = PersonFactory()
            RoleFactory(person=person, establishment=self.establishment, kind=RoleKind.PUPIL)
            if division is not None:
                EnrolmentFactory(pupil=person, division=division, **enrolment)
        else:
            person = pupil_in(division)
        ExternalId.objects.create(
            person=person,
            source="edt",
            value=f"E{number:03d}",
            kind=IdentifiedAs.PUPIL,
            establishment=self.establishment,
        )
        return person

    def ref(self, pupil) -> str:
        return f"edt:{ExternalId.objects.get(person=pupil, source='edt').value}"

    def courses(self, day: date, slots=FULL_DAY, **audience):
        """One occurrence per (hour, minute, minutes) slot on `day`."""
        audience = audience or {"divisions": [self.division]}
        return [
            OccurrenceFactory(
                school_year=self.year, date=day, hour=h, minute=m, minutes=length, **audience
            )
            for h, m, length in slots
        ]

    def absent(
        self,
        pupil,
        start: datetime,
        end: datetime,
        state=AbsenceState.UNJUSTIFIED,
        *,
        kind=AbsenceKind.ABSENCE,
        at: datetime | None = None,
    ):
        return services.absence_create(
            actor=self.cpe,
            establishment=self.establishment,
            pupil=pupil,
            start=start,
            end=end,
            kind=kind,
            minutes_late=int((end - start).total_seconds() // 60)
            if kind == AbsenceKind.LATENESS
            else None,
            state=state,
            notify=False,
            at=at or local(end.date(), 18),
        )

    def figures(self, month=MARCH, **options) -> dict[int, reports.PupilMonth]:
        return {f.pupil_id: f for f in reports.month_figures(self.establishment, month, **options)}

    def counts(self, pupil, month=MARCH, **options) -> tuple[int, int, int]:
        f = self.figures(month, **options)[pupil.pk]
        return f.half_days, f.unjustified_half_days, f.lateness


# -- The worked cases of attendance.md ------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "absences", "expected"),
    [
        pytest.param(FULL_DAY, [((8, 0), (9, 0), "unjustified")], (1, 1, 0), id="8-9 unjustified"),
        pytest.param(
            FULL_DAY,
            [((10, 0), (11, 0), "accepted"), ((14, 30), (15, 30), "unjustified")],
            (2, 1, 0),
            id="10-11 accepted, 14:30-15:30 unjustified",
        ),
        pytest.param(FULL_DAY, [((8, 0), (8, 10), "lateness")], (0, 0, 1), id="late 10 min"),
        pytest.param(MORNING, [((0, 0), (23, 59), "unjustified")], (1, 1, 0), id="morning only"),
        pytest.param(FULL_DAY, [((8, 0), (9, 0), "pending")], (1, 1, 0), id="8-9 pending"),
    ],
)
def test_worked_cases_of_attendance_md(slots, absences, expected):
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY, slots)
    for (h1, m1), (h2, m2), state in absences:
        kind = AbsenceKind.LATENESS if state == "lateness" else AbsenceKind.ABSENCE
        school.absent(
            pupil,
            local(MONDAY, h1, m1),
            local(MONDAY, h2, m2),
            AbsenceState.UNJUSTIFIED if state == "lateness" else state,
            kind=kind,
        )
    assert school.counts(pupil) == expected


def test_every_enrolled_pupil_is_listed_by_name_with_a_level():
    school = School(size=0)
    zoe = school.pupil(school.division)
    zoe.last_name = "Zola"
    zoe.save()
    anna = school.pupil(school.division)
    anna.last_name = "Arnaud"
    anna.save()
    for week in range(2):
        school.courses(MONDAY + timedelta(days=7 * week))
        school.absent(
            zoe,
            local(MONDAY + timedelta(days=7 * week), 8),
            local(MONDAY + timedelta(days=7 * week), 17),
        )
    figures = reports.month_figures(school.establishment, MARCH)
    assert [f.pupil_id for f in figures] == [anna.pk, zoe.pk]
    assert (figures[1].unjustified_half_days, figures[1].level) == (4, "referral")
    assert (figures[0].half_days, figures[0].level) == (0, None)
    assert figures[1].computed == 4
    assert [f.pupil_id for f in reports.l131_8(school.establishment, MARCH)] == [zoe.pk]


def test_the_levels_follow_the_establishments_thresholds():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 17))
    assert school.figures()[pupil.pk].level == "family_alert"
    school.policy.family_alert_threshold = 1
    school.policy.referral_threshold = 2
    school.policy.save()
    assert school.figures()[pupil.pk].level == "referral"
    assert [f.pupil_id for f in reports.l131_8(school.establishment, MARCH)] == [pupil.pk]


def test_the_computed_count_is_given_beside_the_raw_count():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))
    school.absent(pupil, local(MONDAY, 13, 30), local(MONDAY, 14, 30), AbsenceState.ACCEPTED)
    figures = school.figures()[pupil.pk]
    assert figures.computed == Fraction(1, 4) + Fraction(1, 3)
    assert figures.computed_unjustified == Fraction(1, 4)


# -- What is scheduled time -------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [OccurrenceStatus.CANCELLED, OccurrenceStatus.MOVED, OccurrenceStatus.REPLACED]
)
def test_an_occurrence_not_held_is_not_scheduled_time(status):
    school = School()
    pupil = school.pupils[0]
    first, *_others = school.courses(MONDAY)
    first.status = status
    first.save()
    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))
    assert school.counts(pupil) == (0, 0, 0)


def test_held_occurrences_with_a_change_are_scheduled_time():
    school = School()
    pupil = school.pupils[0]
    first, *_others = school.courses(MONDAY)
    first.status = OccurrenceStatus.ROOM_CHANGED
    first.save()
    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))
    assert school.counts(pupil) == (1, 1, 0)


def test_a_withdrawn_occurrence_is_not_scheduled_time():
    school = School()
    pupil = school.pupils[0]
    first, *_others = school.courses(MONDAY)
    first.withdrawn_in = TimetableVersion.objects.create(
        establishment=school.establishment, school_year=school.year, number=2, is_current=True
    )
    first.save()
    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))
    assert school.counts(pupil) == (0, 0, 0)


def test_public_holidays_and_closures_are_not_scheduled_time():
    school = School()
    pupil = school.pupils[0]
    ascension, friday_after = date(2026, 5, 14), date(2026, 5, 15)
    school.courses(ascension)  # left in the timetable by mistake
    school.courses(friday_after)
    Closure.objects.create(
        establishment=school.establishment,
        start_date=friday_after,
        end_date=friday_after,
        label="Pont de l'Ascension",
    )
    school.courses(date(2026, 5, 18))
    school.absent(pupil, local(ascension, 8), local(date(2026, 5, 18), 12))
    assert school.counts(pupil, date(2026, 5, 1)) == (1, 1, 0)


def test_half_days_are_read_on_the_establishments_clock():
    # 12:30 in Paris is 11:30 UTC: read in UTC, both courses would be morning ones.
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY, ((11, 0, 60), (12, 30, 60)))
    school.absent(pupil, local(MONDAY, 11), local(MONDAY, 13, 30))
    assert school.counts(pupil) == (2, 2, 0)


def test_an_occurrence_from_1130_to_1230_belongs_to_the_morning():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY, ((11, 30, 60), (14, 0, 60)))
    school.absent(pupil, local(MONDAY, 12, 0), local(MONDAY, 12, 30))
    assert school.counts(pupil) == (1, 1, 0)


def test_the_boundary_is_the_policys():
    school = School()
    school.policy.half_day_boundary = time(12, 30)
    school.policy.save()
    pupil = school.pupils[0]
    school.courses(MONDAY, ((11, 0, 60), (12, 15, 60)))
    school.absent(pupil, local(MONDAY, 11), local(MONDAY, 13, 15))
    assert school.counts(pupil) == (1, 1, 0)


def test_an_absence_over_several_days_counts_each_scheduled_half_day():
    school = School()
    pupil = school.pupils[0]
    for offset in range(5):
        day = MONDAY + timedelta(days=offset)
        school.courses(day, MORNING if day.weekday() == 2 else FULL_DAY)
    # Monday 10:00 to Thursday 12:00: Monday ×2, Tuesday ×2, Wednesday morning,
    # Thursday morning.
    school.absent(pupil, local(MONDAY, 10), local(MONDAY + timedelta(days=3), 12))
    assert school.counts(pupil) == (6, 6, 0)


def test_an_absence_over_two_months_counts_in_each_its_own_half_days():
    school = School()
    pupil = school.pupils[0]
    end_of_march, start_of_april = date(2026, 3, 31), date(2026, 4, 1)
    school.courses(end_of_march)
    school.courses(start_of_april, MORNING)
    school.absent(pupil, local(end_of_march, 8), local(start_of_april, 18))
    assert school.counts(pupil) == (2, 2, 0)
    assert school.counts(pupil, start_of_april) == (1, 1, 0)


def test_a_voided_absence_counts_nothing():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    absence = school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))
    services.absence_void(actor=school.cpe, absence=absence, expected_version=absence.version)
    assert school.counts(pupil) == (0, 0, 0)


def test_another_establishments_absences_and_courses_do_not_count():
    school, other = School(), School()
    pupil = school.pupils[0]
    other.courses(MONDAY)
    RoleFactory(person=pupil, establishment=other.establishment, kind=RoleKind.PUPIL)
    EnrolmentFactory(pupil=pupil, division=other.division)
    school.courses(MONDAY, MORNING)
    other.absent(pupil, local(MONDAY, 13), local(MONDAY, 17))
    assert school.counts(pupil) == (0, 0, 0)
    assert other.counts(pupil) == (1, 1, 0)


# -- Whose timetable --------------------------------------------------------------------


def test_a_pupil_is_expected_through_every_kind_of_audience_unit():
    school = School()
    pupil = school.pupils[0]
    part = ClassPartFactory(division=school.division, name="G1")
    ClassPartMembershipFactory(pupil=pupil, class_part=part)
    latin = GroupFactory(school_year=school.year, name="Latin", class_parts=[part])
    whole = GroupFactory(school_year=school.year, name="Chorale", divisions=[school.division])
    direct = GroupFactory(school_year=school.year, name="Atelier")
    GroupMembershipFactory(pupil=pupil, group=direct)
    audiences = [
        {"class_parts": [part]},
        {"groups": [latin]},
        {"groups": [whole]},
        {"groups": [direct]},
        {"pupils": [pupil]},
    ]
    for offset, audience in enumerate(audiences):
        day = MONDAY + timedelta(days=offset)
        school.courses(day, ((8, 0, 60),), **audience)
        school.absent(pupil, local(day, 8), local(day, 9))
    # Another class part's course on a day of absence is not the pupil's.
    other_part = ClassPartFactory(division=school.division, name="G2")
    school.courses(MONDAY, ((14, 0, 60),), class_parts=[other_part])
    school.absent(pupil, local(MONDAY, 14), local(MONDAY, 15))
    assert school.counts(pupil) == (5, 5, 0)


def test_a_change_of_division_mid_month_follows_the_dated_enrolments():
    school = School(size=0)
    b4 = DivisionFactory(school_year=school.year, name="4B", level=Level.QUATRIEME)
    change = date(2026, 3, 16)
    mover = school.pupil(school.division, enrolled=False, end_date=change - timedelta(days=1))
    EnrolmentFactory(pupil=mover, division=b4, start_date=change)
    stays_a, stays_b = school.pupil(school.division), school.pupil(b4)
    # 4A: one half-day before the change, two after; 4B: two before, one after.
    school.courses(date(2026, 3, 9), ((8, 0, 60),))
    school.courses(date(2026, 3, 23), ((8, 0, 60), (14, 0, 60)))
    school.courses(date(2026, 3, 10), ((8, 0, 60), (14, 0, 60)), divisions=[b4])
    school.courses(date(2026, 3, 24), ((8, 0, 60),), divisions=[b4])
    for pupil in (mover, stays_a, stays_b):
        school.absent(pupil, local(date(2026, 3, 2), 0), local(date(2026, 3, 31), 23))
    figures = school.figures()
    assert figures[mover.pk].half_days == 2  # 4A on the 9th, 4B on the 24th
    assert figures[stays_a.pk].half_days == 3
    assert figures[stays_b.pk].half_days == 3


def test_a_class_part_joined_mid_month_counts_from_that_day():
    school = School()
    pupil = school.pupils[0]
    part = ClassPartFactory(division=school.division, name="G1")
    ClassPartMembershipFactory(pupil=pupil, class_part=part, start_date=date(2026, 3, 16))
    school.courses(date(2026, 3, 9), ((8, 0, 60),), class_parts=[part])
    school.courses(date(2026, 3, 23), ((8, 0, 60),), class_parts=[part])
    school.absent(pupil, local(date(2026, 3, 2), 0), local(date(2026, 3, 31), 23))
    assert school.counts(pupil) == (1, 1, 0)


def test_absences_after_a_pupil_left_count_nothing():
    school = School(size=0)
    left = school.pupil(school.division, enrolled=False, end_date=date(2026, 3, 13))
    school.courses(date(2026, 3, 9), ((8, 0, 60),))
    school.courses(date(2026, 3, 16), ((8, 0, 60),))
    school.absent(left, local(date(2026, 3, 9), 0), local(date(2026, 3, 20), 0))
    assert school.counts(left) == (1, 1, 0)


# -- As of a date -----------------------------------------------------------------------


def test_the_list_as_of_a_date_shows_the_states_of_that_date():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    school.courses(MONDAY + timedelta(days=1))
    made_on = local(date(2026, 3, 10), 18)
    absences = [
        school.absent(pupil, local(MONDAY, 8), local(MONDAY, 17), at=made_on),
        school.absent(
            pupil, local(MONDAY, 8) + timedelta(1), local(MONDAY, 17) + timedelta(1), at=made_on
        ),
    ]
    reason = services.reasons_ensure(school.establishment)[0]
    # After the list of April 1st was made, the office accepts one justification…
    services.absence_decide(
        actor=school.cpe,
        absence=absences[0],
        expected_version=absences[0].version,
        accept=True,
        reason=reason,
    )
    # …voids the other…
    services.absence_void(
        actor=school.cpe, absence=absences[1], expected_version=absences[1].version
    )
    # …and records a late one, on April 10th, about March.
    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9), at=local(date(2026, 4, 10), 9))

    as_of = local(date(2026, 4, 1), 23, 59)
    then = reports.l131_8(school.establishment, MARCH, as_of=as_of)
    assert [(f.pupil_id, f.unjustified_half_days) for f in then] == [(pupil.pk, 4)]
    assert school.counts(pupil) == (2, 1, 0)
    assert reports.l131_8(school.establishment, MARCH) == []
    # The day before anything was recorded, there was nothing.
    assert school.counts(pupil, as_of=local(date(2026, 3, 9), 12)) == (0, 0, 0)


def test_a_period_corrected_later_counts_where_it_stood_as_of_the_date():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    school.courses(date(2026, 4, 1))
    absence = school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9), at=local(MONDAY, 18))
    services.absence_update(
        actor=school.cpe,
        absence=absence,
        expected_version=absence.version,
        start=local(date(2026, 4, 1), 8),
        end=local(date(2026, 4, 1), 9),
    )
    assert school.counts(pupil, as_of=local(date(2026, 3, 31), 12)) == (1, 1, 0)
    assert school.counts(pupil) == (0, 0, 0)
    assert school.counts(pupil, date(2026, 4, 1)) == (1, 1, 0)
    assert school.counts(pupil, date(2026, 4, 1), as_of=local(date(2026, 3, 31), 12)) == (0, 0, 0)


# -- Rates ----------------------------------------------------------------------------


def test_the_rate_counts_pupils_enrolled_on_at_least_one_day_of_the_month():
    school = School(size=0)
    division = school.division
    stays = school.pupil(division)
    school.pupil(division, enrolled=False, end_date=date(2026, 3, 1))  # left on the 1st
    school.pupil(division, enrolled=False, start_date=date(2026, 3, 31))  # came on the 31st
    school.pupil(division, enrolled=False, end_date=date(2026, 2, 28))  # left before
    school.pupil(division, enrolled=False, start_date=date(2026, 4, 1))  # came after
    school.pupil()  # a pupil role without any division
    for week in range(2):
        day = MONDAY + timedelta(days=7 * week)
        school.courses(day)
        school.absent(stays, local(day, 8), local(day, 17))
    assert len(school.figures()) == 3
    rates = reports.monthly_rates(school.establishment, school.year, by="establishment")
    march = next(r for r in rates if r.month == MARCH)
    assert (march.enrolled, march.above, march.rate) == (3, 1, Fraction(1, 3))
    assert march.key == school.establishment.uai
    assert reports.rate_of(reports.month_figures(school.establishment, MARCH)) == Fraction(1, 3)


def test_rates_per_level_and_division_and_the_yearly_mean():
    school = School(size=2)
    b3 = DivisionFactory(school_year=school.year, name="3B", level=Level.TROISIEME)
    third = school.pupil(b3)
    heavy = school.pupils[0]
    for week in range(2):
        day = MONDAY + timedelta(days=7 * week)
        school.courses(day)
        school.absent(heavy, local(day, 8), local(day, 17))
    by_division = reports.monthly_rates(school.establishment, school.year, by="division")
    march = {r.label: r for r in by_division if r.month == MARCH}
    assert (march["4A"].enrolled, march["4A"].above, march["4A"].rate) == (2, 1, Fraction(1, 2))
    assert (march["3B"].enrolled, march["3B"].above, march["3B"].rate) == (1, 0, Fraction(0))
    assert march["4A"].key == str(school.division.pk)
    by_level = reports.monthly_rates(school.establishment, school.year, by="level")
    assert {r.key for r in by_level} == {Level.QUATRIEME, Level.TROISIEME}
    # Every month from September to July has school days: eleven months, one above.
    months = [r for r in by_division if r.label == "4A" and r.month is not None]
    assert months[0].month == date(2025, 9, 1)
    assert len(months) == 11
    (year,) = [r for r in by_division if r.label == "4A" and r.month is None]
    assert year.rate == Fraction(1, 2) / 11
    assert (year.enrolled, year.above) == (2, 1)
    assert next(r for r in by_level if r.key == Level.TROISIEME and r.month is None).enrolled == 1
    assert third.pk not in {f.pupil_id for f in reports.l131_8(school.establishment, MARCH)}


def test_rates_by_gives_every_grouping_for_the_cost_of_one(django_assert_max_num_queries):
    school = School(size=2)
    DivisionFactory(school_year=school.year, name="3B", level=Level.TROISIEME)
    school.courses(MONDAY)
    school.absent(school.pupils[0], local(MONDAY, 8), local(MONDAY, 17))
    with django_assert_max_num_queries(12):
        together = reports.rates_by(school.establishment, school.year)
    for by in reports.BY:
        assert together[by] == reports.monthly_rates(school.establishment, school.year, by=by)


def test_a_month_without_school_days_has_no_rate():
    school = School()
    Closure.objects.create(
        establishment=school.establishment,
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 31),
        label="Travaux",
    )
    rates = reports.monthly_rates(school.establishment, school.year, by="establishment")
    assert MARCH not in {r.month for r in rates}
    assert len([r for r in rates if r.month is not None]) == 10


def test_a_pupil_changing_division_counts_once_in_the_last_one():
    school = School(size=0)
    b4 = DivisionFactory(school_year=school.year, name="4B", level=Level.QUATRIEME)
    mover = school.pupil(school.division, enrolled=False, end_date=date(2026, 3, 15))
    EnrolmentFactory(pupil=mover, division=b4, start_date=date(2026, 3, 16))
    rates = reports.monthly_rates(school.establishment, school.year, by="division")
    march = {r.label: r.enrolled for r in rates if r.month == MARCH}
    assert march == {"4A": 0, "4B": 1}
    february = {r.label: r.enrolled for r in rates if r.month == date(2026, 2, 1)}
    assert february == {"4A": 1, "4B": 0}


def test_months_not_begun_are_left_out():
    school = School()
    rates = reports.monthly_rates(
        school.establishment, school.year, by="establishment", until=date(2025, 11, 5)
    )
    assert [r.month for r in rates] == [
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2025, 11, 1),
        None,
    ]


# -- School events: time under the school's responsibility is not missed ----------------


def event(school, pupil, kind, start, end, **fields):
    return services.school_event_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=pupil,
        kind=kind,
        start=start,
        end=end,
        **fields,
    )


def course(school, day: date, hour: int, minutes: int, subject, minute: int = 0):
    return OccurrenceFactory(
        school_year=school.year,
        date=day,
        hour=hour,
        minute=minute,
        minutes=minutes,
        subject=subject,
        divisions=[school.division],
    )


def pe_only_in_the_afternoon(school):
    """Four morning courses, and PE from 14:00 to 16:00 the only afternoon course."""
    school.courses(MONDAY, MORNING)
    pe = SubjectFactory(establishment=school.establishment, label="EPS")
    course(school, MONDAY, 14, 120, pe)
    return pe


def exemption(school, pupil, subject, *, required: bool, first=MARCH, last=date(2026, 6, 30)):
    return event(
        school,
        pupil,
        EventKind.EXEMPTION,
        local(first, 0),
        local(last + timedelta(days=1), 0),
        subject=subject,
        attendance_required=required,
    )


def test_an_exemption_without_attendance_leaves_its_course_unmissed():
    """The reviewer's case: exempted from PE, PE the only afternoon course, absent all
    day: the afternoon is not a half-day of absence."""
    # Given a pupil exempted from PE for the term, their attendance not required
    school = School()
    pupil = school.pupils[0]
    pe = pe_only_in_the_afternoon(school)
    exemption(school, pupil, pe, required=False)

    # When they are absent all day, unjustified
    school.absent(pupil, local(MONDAY, 0), local(MONDAY, 23, 59))

    # Then only the morning counts
    assert school.counts(pupil) == (1, 1, 0)
    assert school.figures()[pupil.pk].computed == 1


def test_an_exemption_with_attendance_required_excuses_nothing():
    school = School()
    pupil = school.pupils[0]
    pe = pe_only_in_the_afternoon(school)
    exemption(school, pupil, pe, required=True)

    school.absent(pupil, local(MONDAY, 0), local(MONDAY, 23, 59))

    assert school.counts(pupil) == (2, 2, 0)


def test_an_exemption_excuses_its_subject_only_within_its_dates():
    # Given PE then maths in the afternoon, and two pupils: one exempted from PE this
    # month, the other exempted last month only
    school = School(size=2)
    exempted, formerly = school.pupils
    pe = pe_only_in_the_afternoon(school)
    maths = SubjectFactory(establishment=school.establishment, label="Mathématiques")
    course(school, MONDAY, 16, 60, maths)
    exemption(school, exempted, pe, required=False)
    exemption(school, formerly, pe, required=False, first=date(2026, 2, 1), last=date(2026, 2, 28))

    # When both are absent all day
    for pupil in (exempted, formerly):
        school.absent(pupil, local(MONDAY, 0), local(MONDAY, 23, 59))

    # Then maths still makes the afternoon for the one exempted, who missed a third of it
    figures = school.figures()
    assert school.counts(exempted) == school.counts(formerly) == (2, 2, 0)
    assert figures[exempted.pk].computed == 1 + Fraction(1, 3)
    assert figures[exempted.pk].computed_unjustified == 1 + Fraction(1, 3)
    assert figures[formerly.pk].computed == 2


def test_a_pupil_on_a_trip_marked_absent_at_the_roll_call_gets_no_half_day():
    # Given two pupils, one on a school trip all Monday
    school = School(size=2)
    on_trip, stayed = school.pupils
    courses = school.courses(MONDAY)
    event(school, on_trip, EventKind.TRIP, local(MONDAY, 7, 30), local(MONDAY, 18))

    # When the first teacher marks them both absent
    services.roll_call_record(
        actor=school.cpe,
        occurrence=courses[0],
        entries={pupil.pk: services.Entry(Mark.ABSENT) for pupil in school.pupils},
        audience={pupil.pk: pupil for pupil in school.pupils},
    )

    # Then the pupil on the trip has no half-day, the other has one
    assert school.counts(on_trip) == (0, 0, 0)
    assert school.counts(stayed) == (1, 1, 0)


def test_the_time_under_an_event_stays_scheduled_time_in_the_computed_count():
    """The decision (reports.py): a trip over the first two morning courses, then absent
    for the last two: half the morning missed, not the whole of it."""
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY, MORNING)
    event(school, pupil, EventKind.TRIP, local(MONDAY, 8), local(MONDAY, 10))

    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 12))

    figures = school.figures()[pupil.pk]
    assert (figures.half_days, figures.computed, figures.computed_unjustified) == (
        1,
        Fraction(1, 2),
        Fraction(1, 2),
    )


@pytest.mark.parametrize(
    "kind", [EventKind.INFIRMARY, EventKind.EXCLUSION, EventKind.TRIP, EventKind.OTHER]
)
def test_every_kind_of_event_excuses_the_courses_it_overlaps(kind):
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    event(school, pupil, kind, local(MONDAY, 10, 15), local(MONDAY, 10, 30))

    school.absent(pupil, local(MONDAY, 10), local(MONDAY, 11))

    assert school.counts(pupil) == (0, 0, 0)


def test_a_voided_event_excuses_nothing():
    school = School()
    pupil = school.pupils[0]
    school.courses(MONDAY)
    trip = event(school, pupil, EventKind.TRIP, local(MONDAY, 8), local(MONDAY, 18))
    services.school_event_void(actor=school.cpe, event=trip)

    school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))

    assert school.counts(pupil) == (1, 1, 0)


def test_the_list_as_of_a_date_reads_the_events_standing_that_day():
    # Given a trip recorded on time and voided later, and another recorded later
    school = School(size=2)
    voided_later, recorded_later = school.pupils
    school.courses(MONDAY)
    trip = event(school, voided_later, EventKind.TRIP, local(MONDAY, 8), local(MONDAY, 18))
    SchoolEvent.objects.filter(pk=trip.pk).update(created_at=local(MONDAY, 7))
    services.school_event_void(actor=school.cpe, event=trip)
    event(school, recorded_later, EventKind.TRIP, local(MONDAY, 8), local(MONDAY, 18))
    for pupil in school.pupils:
        school.absent(pupil, local(MONDAY, 8), local(MONDAY, 9))

    # When the list is read as it stood on 1 April, and as it stands now
    then = local(date(2026, 4, 1), 0)
    assert trip.voided_at > then

    # Then each reads the events standing at its date
    assert school.counts(voided_later, as_of=then) == (0, 0, 0)
    assert school.counts(recorded_later, as_of=then) == (1, 1, 0)
    assert school.counts(voided_later) == (1, 1, 0)
    assert school.counts(recorded_later) == (0, 0, 0)


# -- Dropout watch ------------------------------------------------------------------------


def _events(school, pupil, kind, count, day=MONDAY):
    for offset in range(count):
        services.school_event_create(
            actor=school.cpe,
            establishment=school.establishment,
            pupil=pupil,
            kind=kind,
            start=local(day + timedelta(days=offset), 10),
            end=local(day + timedelta(days=offset), 11),
        )


def _late(school, pupil, count, day=MONDAY):
    for offset in range(count):
        moment = local(day + timedelta(days=offset), 8)
        school.absent(pupil, moment, moment + timedelta(minutes=5), kind=AbsenceKind.LATENESS)


def test_the_dropout_watch_lists_pupils_with_the_reasons():
    school = School(size=4)
    watched, ill, excluded, quiet = school.pupils
    for offset in range(3):
        school.courses(MONDAY + timedelta(days=offset))
    # Two days of accepted absence, more than before, and three infirmary visits.
    for pupil in (watched, ill):
        for offset in range(2):
            day = MONDAY + timedelta(days=offset)
            school.absent(pupil, local(day, 8), local(day, 17), AbsenceState.ACCEPTED)
    _events(school, watched, EventKind.INFIRMARY, 3)
    # Two exclusions from courses and five times late.
    _events(school, excluded, EventKind.EXCLUSION, 2)
    _late(school, excluded, 5)
    # One course missed, two exclusions: a sign each, not enough.
    school.absent(quiet, local(MONDAY, 8), local(MONDAY, 9))
    _events(school, quiet, EventKind.INFIRMARY, 2)

    watch = reports.dropout_watch(school.establishment, as_of=date(2026, 3, 27))

    assert [(w.pupil_id, w.score) for w in watch] == [(watched.pk, 3), (excluded.pk, 3)]
    assert watch[0].reasons == [
        "4 demi-journées d'absence sur les 30 derniers jours (seuil : 4).",
        "Absences en hausse : 4 demi-journées sur les 30 derniers jours contre 0,0 en "
        "moyenne sur les périodes précédentes.",
        "3 passages à l'infirmerie sur les 30 derniers jours (seuil : 3).",
    ]
    assert watch[1].reasons == [
        "5 retards sur les 30 derniers jours (seuil : 5).",
        "2 exclusions de cours sur les 30 derniers jours (seuil : 2).",
    ]


def test_the_dropout_watch_compares_with_the_previous_months():
    school = School(size=1)
    pupil = school.pupils[0]
    # Absent four unjustified half-days a month for four months: no rise.
    for month_start in (date(2025, 12, 1), date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 9)):
        for offset in range(2):
            day = month_start + timedelta(days=offset)
            school.courses(day)
            school.absent(pupil, local(day, 8), local(day, 17))
    (watch,) = reports.dropout_watch(school.establishment, as_of=date(2026, 3, 20))
    assert watch.score == reports.ABSENCE_POINTS + reports.UNJUSTIFIED_POINTS
    assert watch.reasons == [
        "4 demi-journées d'absence sur les 30 derniers jours (seuil : 4).",
        "Dont 4 demi-journées non justifiées (seuil : 4).",
    ]


def test_the_dropout_watch_as_of_a_past_date_reads_the_states_of_that_date():
    school = School(size=1)
    pupil = school.pupils[0]
    for offset in range(2):
        day = MONDAY + timedelta(days=offset)
        school.courses(day)
        absence = school.absent(pupil, local(day, 8), local(day, 17))
        services.absence_decide(
            actor=school.cpe,
            absence=absence,
            expected_version=absence.version,
            accept=True,
            reason=services.reasons_ensure(school.establishment)[0],
        )
    (then,) = reports.dropout_watch(school.establishment, as_of=date(2026, 3, 20))
    assert then.score == reports.ABSENCE_POINTS + reports.UNJUSTIFIED_POINTS + 1
    # Had the office accepted them on March 15th, they would not have been unjustified.
    AbsenceChange.objects.filter(action="accepted").update(at=local(date(2026, 3, 15), 9))
    assert reports.dropout_watch(school.establishment, as_of=date(2026, 3, 20)) == []


def test_the_dropout_watch_reads_the_drop_of_the_general_average(monkeypatch):
    school = School(size=2)
    falling, dropped_only = school.pupils
    monkeypatch.setattr(
        reports,
        "AVERAGE_DROPS",
        lambda establishment, pupil_ids, as_of: {
            falling.pk: reports.AVERAGE_DROP + 1,
            dropped_only.pk: reports.AVERAGE_DROP,
        },
    )
    _late(school, falling, 5, day=date(2026, 3, 2))
    (watch,) = reports.dropout_watch(school.establishment, as_of=date(2026, 3, 20))
    assert (watch.pupil_id, watch.score) == (falling.pk, 3)
    assert watch.reasons[-1] == "Moyenne générale en baisse de 3 points (seuil : 2)."


def test_pupil_refs_prefer_edt_then_ine_then_siecle():
    school = School(size=0)
    with_edt = school.pupil(school.division)
    ExternalId.objects.create(person=with_edt, source="ine", value="123456789AB")
    with_ine = pupil_in(school.division)
    ExternalId.objects.create(person=with_ine, source="ine", value="987654321ZZ")
    ExternalId.objects.create(
        person=with_ine, source="siecle", value="42", establishment=school.establishment
    )
    with_siecle = pupil_in(school.division)
    ExternalId.objects.create(
        person=with_siecle, source="siecle", value="43", establishment=school.establishment
    )
    other = School()
    ExternalId.objects.create(
        person=with_siecle, source="edt", value="X1", establishment=other.establishment
    )
    nothing = pupil_in(school.division)
    refs = reports.pupil_refs(
        school.establishment, [with_edt.pk, with_ine.pk, with_siecle.pk, nothing.pk]
    )
    assert refs == {
        with_edt.pk: school.ref(with_edt),
        with_ine.pk: "ine:987654321ZZ",
        with_siecle.pk: "siecle:43",
        nothing.pk: f"id:{nothing.pk}",
    }


# -- Queries ----------------------------------------------------------------------------


def _busy_school(size: int) -> School:
    """`size` pupils in two divisions, with class parts and groups, a week of courses,
    absences and a school event for every pupil."""
    school = School(size=0)
    b4 = DivisionFactory(school_year=school.year, name="4B", level=Level.QUATRIEME)
    part = ClassPartFactory(division=b4, name="G1")
    group = GroupFactory(school_year=school.year, name="Latin", class_parts=[part])
    for division in (school.division, b4):
        for offset in range(2):
            school.courses(MONDAY + timedelta(days=offset), MORNING, divisions=[division])
    school.courses(MONDAY, ((14, 0, 60),), groups=[group])
    for number in range(size):
        pupil = school.pupil(b4 if number % 2 else school.division)
        if number % 2:
            ClassPartMembershipFactory(pupil=pupil, class_part=part)
        school.absent(pupil, local(MONDAY, 8), local(MONDAY, 17))
        school.absent(pupil, local(MONDAY, 8), local(MONDAY, 8, 5), kind=AbsenceKind.LATENESS)
        # An infirmary visit over the first course: the rest of the morning is missed.
        event(school, pupil, EventKind.INFIRMARY, local(MONDAY, 8), local(MONDAY, 9))
    return school


@pytest.mark.parametrize("size", [2, 12])
def test_month_figures_cost_eleven_queries_whatever_the_number_of_pupils(
    size, django_assert_num_queries
):
    school = _busy_school(size)
    with django_assert_num_queries(11):
        figures = reports.month_figures(school.establishment, MARCH)
    assert len(figures) == size
    assert all(f.lateness == 1 for f in figures)
    # The pupils of 4B are also in the Latin group's Monday afternoon course.
    assert sorted(f.half_days for f in figures) == sorted(2 if n % 2 else 1 for n in range(size))


@pytest.mark.parametrize("size", [2, 12])
def test_month_figures_as_of_a_date_cost_eleven_queries_too(size, django_assert_num_queries):
    school = _busy_school(size)
    with django_assert_num_queries(11):
        reports.month_figures(school.establishment, MARCH, as_of=local(date(2026, 4, 1), 0))
