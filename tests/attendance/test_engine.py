"""The half-day engine against attendance.md: its worked cases, the boundary, the
computed count, closed dates, the thresholds and rates, and the general rules as
properties (splitting, merging, reordering absences, adding an accepted one, excusing
an occurrence)."""

from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.attendance.engine import (
    AFTERNOON,
    MORNING,
    Missed,
    Scheduled,
    Thresholds,
    absenteeism_rate,
    half_day_of,
    half_days,
    level_of,
    totals,
    yearly_rate,
)
from preau.attendance.models import UNJUSTIFIED_STATES

DAY = date(2026, 3, 9)  # a Monday


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute))


def courses(*ranges: tuple[str, str], day: date = DAY) -> list[Scheduled]:
    """Occurrences written as ("8:00", "9:00") pairs."""

    def moment(text: str) -> datetime:
        hour, minute = text.split(":")
        return at(int(hour), int(minute), day)

    return [Scheduled(moment(start), moment(end)) for start, end in ranges]


# attendance.md: four morning courses, three in the afternoon.
FULL_DAY = courses(
    ("8:00", "9:00"),
    ("9:00", "10:00"),
    ("10:00", "11:00"),
    ("11:00", "12:00"),
    ("13:30", "14:30"),
    ("14:30", "15:30"),
    ("15:30", "16:30"),
)
MORNING_ONLY = FULL_DAY[:4]


def absence(start: datetime, end: datetime, state: str = "unjustified") -> Missed:
    return Missed(start, end, unjustified=state in UNJUSTIFIED_STATES)


# -- The worked cases of attendance.md (boundary 12:00, raw count) ---------------------


@pytest.mark.parametrize(
    ("day", "absences", "lateness", "expected"),
    [
        pytest.param(
            FULL_DAY,
            [absence(at(8), at(9))],
            0,
            (1, 1, 0),
            id="absent 8-9 only, unjustified: 1 / 1",
        ),
        pytest.param(
            FULL_DAY,
            [absence(at(10), at(11), "accepted"), absence(at(14, 30), at(15, 30))],
            0,
            (2, 1, 0),
            id="10-11 accepted, 14:30-15:30 unjustified: 2 / 1",
        ),
        pytest.param(FULL_DAY, [], 1, (0, 0, 1), id="late 10 min at 8:00: 0 / 0, lateness 1"),
        pytest.param(
            MORNING_ONLY,
            [absence(at(0), at(23, 59))],
            0,
            (1, 1, 0),
            id="morning only, absent all day: 1 / 1",
        ),
        pytest.param(
            FULL_DAY,
            [absence(at(8), at(9), "pending")],
            0,
            (1, 1, 0),
            id="absent 8-9 pending: 1 / 1",
        ),
        pytest.param(
            FULL_DAY,
            [absence(at(8), at(9), "rejected")],
            0,
            (1, 1, 0),
            id="absent 8-9 rejected: 1 / 1",
        ),
        pytest.param(
            FULL_DAY,
            [absence(at(8), at(9), "accepted")],
            0,
            (1, 0, 0),
            id="absent 8-9 accepted: 1 / 0",
        ),
    ],
)
def test_worked_cases_of_attendance_md(day, absences, lateness, expected):
    result = totals(day, absences, lateness=lateness)
    assert (result.half_days, result.unjustified_half_days, result.lateness) == expected


def test_a_half_day_with_an_accepted_and_an_unjustified_absence_is_unjustified():
    result = totals(
        FULL_DAY, [absence(at(8), at(9), "accepted"), absence(at(10), at(11), "unjustified")]
    )
    assert (result.half_days, result.unjustified_half_days) == (1, 1)


# -- The boundary -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "boundary", "part"),
    [
        (time(11, 30), time(12), MORNING),
        (time(11, 59), time(12), MORNING),
        (time(12, 0), time(12), AFTERNOON),
        (time(12, 30), time(12, 30), AFTERNOON),
        (time(12, 15), time(12, 30), MORNING),
        (time(7, 0), time(12), MORNING),
    ],
)
def test_an_occurrence_belongs_to_the_half_day_in_which_it_starts(start, boundary, part):
    assert half_day_of(datetime.combine(DAY, start), boundary) == (DAY, part)


def test_an_occurrence_from_1130_to_1230_is_a_morning_course():
    lunch_course = courses(("11:30", "12:30"), ("14:00", "15:00"))
    # Given an absence during its afternoon half only…
    result = half_days(lunch_course, [absence(at(12, 10), at(12, 30))])
    # …it is the morning that counts, and the afternoon course stays untouched.
    assert [(d.part, d.absent) for d in result] == [(MORNING, True), (AFTERNOON, False)]


def test_the_boundary_is_the_establishments():
    day = courses(("11:30", "12:30"), ("12:30", "13:30"))
    result = half_days(day, [absence(at(12, 30), at(13, 30))], boundary=time(12, 30))
    assert [(d.part, d.absent) for d in result] == [(MORNING, False), (AFTERNOON, True)]


# -- The computed count -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("absences", "computed", "computed_unjustified"),
    [
        ([absence(at(8), at(9))], Fraction(1, 4), Fraction(1, 4)),
        ([absence(at(8), at(12))], Fraction(1), Fraction(1)),
        ([absence(at(8), at(8, 30), "accepted")], Fraction(1, 8), Fraction(0)),
        # Morning 1/4 unjustified; afternoon 1/3 accepted and 1/3 unjustified.
        (
            [
                absence(at(8), at(9)),
                absence(at(13, 30), at(14, 30), "accepted"),
                absence(at(14, 30), at(15, 30)),
            ],
            Fraction(1, 4) + Fraction(2, 3),
            Fraction(1, 4) + Fraction(1, 3),
        ),
        # The lunch break is not scheduled time: 11:00-14:30 misses 1/4 and 1/3.
        ([absence(at(11), at(14, 30))], Fraction(1, 4) + Fraction(1, 3), None),
        # Overlapping absences are not counted twice.
        ([absence(at(8), at(10)), absence(at(9), at(11))], Fraction(3, 4), None),
    ],
)
def test_the_computed_count_is_the_share_of_scheduled_time_missed(
    absences, computed, computed_unjustified
):
    result = totals(FULL_DAY, absences)
    assert result.computed == computed
    if computed_unjustified is not None:
        assert result.computed_unjustified == computed_unjustified


def test_overlapping_courses_count_their_time_once():
    # Two groups of the pupil at once (a timetable error the import report flags).
    day = courses(("8:00", "10:00"), ("9:00", "10:00"))
    (morning,) = half_days(day, [absence(at(9), at(10))])
    assert morning.scheduled == timedelta(hours=2)
    assert morning.fraction == Fraction(1, 2)


def test_the_computed_count_is_exact_to_the_second():
    day = [Scheduled(at(8), at(8) + timedelta(seconds=3))]
    (morning,) = half_days(day, [absence(at(8), at(8) + timedelta(seconds=1))])
    assert morning.fraction == Fraction(1, 3)


# -- Scheduled time -------------------------------------------------------------------


def test_a_closed_date_is_not_scheduled_time():
    monday, tuesday = DAY, DAY + timedelta(days=1)
    week = courses(("8:00", "9:00"), day=monday) + courses(("8:00", "9:00"), day=tuesday)
    result = totals(week, [absence(at(0, 0, monday), at(23, 0, tuesday))], closed={monday})
    assert result.half_days == 1
    assert [d.day for d in result.days] == [tuesday]


def test_an_occurrence_not_passed_in_is_not_scheduled_time():
    # The caller leaves out cancelled occurrences: only what is given is scheduled.
    held = courses(("8:00", "9:00"))
    assert totals(held, [absence(at(9), at(12))]).half_days == 0


def test_an_absence_outside_any_course_counts_nothing():
    assert totals(FULL_DAY, [absence(at(12), at(13, 30))]).half_days == 0
    assert totals(FULL_DAY, [absence(at(17), at(18))]).half_days == 0


def test_an_absence_touching_a_course_without_overlap_counts_nothing():
    assert totals(FULL_DAY, [absence(at(7), at(8))]).half_days == 0


def test_an_empty_or_reversed_absence_counts_nothing():
    assert totals(FULL_DAY, [absence(at(9), at(9)), absence(at(10), at(9))]).half_days == 0


def test_an_absence_over_several_days_counts_each_scheduled_half_day():
    monday = DAY
    week = [
        *courses(("8:00", "12:00"), ("13:30", "16:30"), day=monday),
        *courses(("8:00", "12:00"), day=monday + timedelta(days=2)),  # Wednesday morning
        *courses(("8:00", "12:00"), ("13:30", "16:30"), day=monday + timedelta(days=3)),
    ]
    # From Monday 10:00 to Thursday 12:00: Monday ×2, Wednesday morning, Thursday morning.
    result = totals(week, [absence(at(10, 0, monday), at(12, 0, monday + timedelta(days=3)))])
    assert (result.half_days, result.unjustified_half_days) == (4, 4)
    # Tuesday has no course: none of its half-days exists, let alone counts.
    assert monday + timedelta(days=1) not in {d.day for d in result.days}


def test_lateness_never_makes_a_half_day():
    result = totals(FULL_DAY, [], lateness=5)
    assert (result.half_days, result.unjustified_half_days, result.lateness) == (0, 0, 5)
    assert result.computed == 0


# -- Thresholds and rates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("unjustified", "level"),
    [
        (0, None),
        (1, None),
        (2, "family_alert"),
        (3, "family_alert"),
        (4, "referral"),
        (9, "referral"),
        (10, "heavy"),
        (25, "heavy"),
    ],
)
def test_level_of_with_the_default_thresholds(unjustified, level):
    assert level_of(unjustified, Thresholds()) == level


def test_level_of_reads_the_establishments_thresholds():
    strict = Thresholds(family_alert=1, referral=2, heavy=3)
    assert [level_of(n, strict) for n in range(5)] == [
        None,
        "family_alert",
        "referral",
        "heavy",
        "heavy",
    ]


def test_absenteeism_rate_counts_pupils_at_or_above_the_threshold_over_the_enrolled():
    unjustified = {1: 4, 2: 3, 3: 12, 99: 20}  # 99 is not enrolled this month
    assert absenteeism_rate(unjustified, [1, 2, 3, 4]) == Fraction(2, 4)
    assert absenteeism_rate(unjustified, [1, 2, 3, 4], threshold=3) == Fraction(3, 4)


def test_absenteeism_rate_without_pupils_is_none():
    assert absenteeism_rate({1: 10}, []) is None


def test_yearly_rate_is_the_mean_over_the_months_with_school_days():
    assert yearly_rate([Fraction(1, 10), None, Fraction(3, 10), Fraction(0)]) == Fraction(4, 30)
    assert yearly_rate([None, None]) is None
    assert yearly_rate([]) is None


# -- Excused occurrences (under the school's responsibility) ---------------------------


def excused(items: list[Scheduled], *indexes: int) -> list[Scheduled]:
    """The occurrences with those at `indexes` excused."""
    return [
        Scheduled(item.start, item.end, excused=index in indexes)
        for index, item in enumerate(items)
    ]


def test_an_excused_afternoon_is_not_missed_by_an_absence_all_day():
    # Given the three afternoon courses excused (an exemption, a trip)
    day = excused(FULL_DAY, 4, 5, 6)

    # When the pupil is absent, unjustified, all day
    result = totals(day, [absence(at(0), at(23, 59))])

    # Then only the morning counts
    assert (result.half_days, result.unjustified_half_days) == (1, 1)
    assert [(d.part, d.absent) for d in result.days] == [(MORNING, True), (AFTERNOON, False)]


def test_an_excused_occurrence_stays_scheduled_time_attended():
    # Given a trip over the first two morning courses
    day = excused(MORNING_ONLY, 0, 1)

    # When the pupil is absent the whole morning
    (half,) = half_days(day, [absence(at(8), at(12))])

    # Then the morning counts, and half of its scheduled time was missed (not all of it)
    assert half.absent
    assert half.unjustified
    assert half.scheduled == timedelta(hours=4)
    assert half.fraction == half.unjustified_fraction == Fraction(1, 2)


def test_an_absence_only_over_excused_occurrences_counts_nothing():
    day = excused(FULL_DAY, 0)

    result = totals(day, [absence(at(8), at(9))])

    assert counts(result) == (0, 0, 0, 0)


def test_a_course_overlapping_an_excused_one_is_still_missed():
    # Given an excused course 14:00-16:00 and another course 15:00-16:00 at the same time
    day = [
        Scheduled(at(14), at(16), excused=True),
        Scheduled(at(15), at(16)),
    ]

    # When the pupil is absent 14:00-16:00
    (half,) = half_days(day, [absence(at(14), at(16))])

    # Then the other course is missed: one hour out of the two scheduled
    assert half.absent
    assert half.fraction == Fraction(1, 2)


# -- Properties -----------------------------------------------------------------------

BASE = datetime(2026, 3, 9)


@st.composite
def timetables(draw) -> list[Scheduled]:
    """A few days of courses between 7:00 and 19:00, in 5-minute steps."""
    items = []
    for day in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(0, 6))):
            start = draw(st.integers(7 * 12, 18 * 12))
            length = draw(st.integers(1, 36))
            first = BASE + timedelta(days=day, minutes=5 * start)
            items.append(Scheduled(first, first + timedelta(minutes=5 * length)))
    return items


@st.composite
def absence_lists(draw, min_size=0) -> list[Missed]:
    found = []
    for _ in range(draw(st.integers(min_size, 5))):
        start = draw(st.integers(0, 3 * 24 * 12))
        length = draw(st.integers(1, 24 * 12))
        first = BASE + timedelta(minutes=5 * start)
        found.append(Missed(first, first + timedelta(minutes=5 * length), draw(st.booleans())))
    return found


def counts(result):
    return (
        result.half_days,
        result.unjustified_half_days,
        result.computed,
        result.computed_unjustified,
    )


@given(timetables(), absence_lists(min_size=1), st.data())
def test_splitting_an_absence_in_two_changes_no_count(day, absences, data):
    target = data.draw(st.integers(0, len(absences) - 1))
    whole = absences[target]
    steps = int((whole.end - whole.start) / timedelta(minutes=5))
    cut = whole.start + timedelta(minutes=5 * data.draw(st.integers(0, steps)))
    split = [
        *absences[:target],
        Missed(whole.start, cut, whole.unjustified),
        Missed(cut, whole.end, whole.unjustified),
        *absences[target + 1 :],
    ]
    assert counts(totals(day, split)) == counts(totals(day, absences))


@given(timetables(), absence_lists(), st.randoms(use_true_random=False))
def test_the_order_of_absences_changes_nothing(day, absences, random):
    shuffled = list(absences)
    random.shuffle(shuffled)
    assert counts(totals(day, shuffled)) == counts(totals(day, absences))


@given(timetables(), absence_lists())
def test_merging_overlapping_absences_of_one_state_changes_nothing(day, absences):
    merged = []
    for unjustified in (True, False):
        spans = sorted((a.start, a.end) for a in absences if a.unjustified == unjustified)
        joined: list[list[datetime]] = []
        for start, end in spans:
            if joined and start <= joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], end)
            else:
                joined.append([start, end])
        merged += [Missed(start, end, unjustified) for start, end in joined]
    assert counts(totals(day, merged)) == counts(totals(day, absences))


@given(timetables(), absence_lists(), absence_lists(min_size=1))
def test_an_accepted_absence_never_raises_an_unjustified_count(day, absences, extra):
    accepted = [Missed(a.start, a.end, unjustified=False) for a in extra]
    before = totals(day, absences)
    after = totals(day, absences + accepted)
    assert after.unjustified_half_days == before.unjustified_half_days
    assert after.computed_unjustified == before.computed_unjustified
    assert after.half_days >= before.half_days


@given(timetables(), absence_lists())
def test_unjustified_never_exceeds_total_and_computed_never_exceeds_raw(day, absences):
    result = totals(day, absences)
    assert 0 <= result.unjustified_half_days <= result.half_days
    assert 0 <= result.computed <= result.half_days
    assert 0 <= result.computed_unjustified <= result.computed
    assert result.computed_unjustified <= result.unjustified_half_days
    for half in result.days:
        assert 0 <= half.fraction <= 1
        assert half.absent == (half.fraction > 0)


@given(timetables(), absence_lists())
def test_a_half_day_without_scheduled_time_never_counts(day, absences):
    result = half_days(day, absences)
    with_courses = {half_day_of(item.start, time(12)) for item in day if item.end > item.start}
    assert {(d.day, d.part) for d in result} <= with_courses
    assert all(d.scheduled > timedelta(0) for d in result)


@given(timetables(), absence_lists(), st.sets(st.integers(0, 2)))
def test_closing_a_date_only_removes_its_half_days(day, absences, closed_offsets):
    closed = {(BASE + timedelta(days=n)).date() for n in closed_offsets}
    open_days = [d for d in half_days(day, absences) if d.day not in closed]
    assert half_days(day, absences, closed=closed) == open_days


@given(timetables(), absence_lists(), st.data())
def test_excusing_an_occurrence_never_raises_a_count(day, absences, data):
    chosen = data.draw(st.sets(st.integers(0, max(len(day) - 1, 0))))
    excusing = [
        Scheduled(item.start, item.end, excused=index in chosen) for index, item in enumerate(day)
    ]
    before, after = totals(day, absences), totals(excusing, absences)
    assert after.half_days <= before.half_days
    assert after.unjustified_half_days <= before.unjustified_half_days
    assert after.computed <= before.computed
    assert after.computed_unjustified <= before.computed_unjustified
    # The same half-days with the same scheduled time: only what was missed may shrink.
    assert [(d.day, d.part, d.scheduled) for d in after.days] == [
        (d.day, d.part, d.scheduled) for d in before.days
    ]
    for old, new in zip(before.days, after.days, strict=True):
        assert new.missed <= old.missed
        assert new.missed_unjustified <= old.missed_unjustified


@given(timetables(), absence_lists())
def test_excusing_every_occurrence_leaves_nothing_missed(day, absences):
    everything = [Scheduled(item.start, item.end, excused=True) for item in day]
    assert counts(totals(everything, absences)) == (0, 0, 0, 0)
