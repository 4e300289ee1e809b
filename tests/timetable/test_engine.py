"""The pure rules of timetable.md (preau/timetable/engine.py): tables of cases taken
from the spec and the EDT sample, and properties checked with hypothesis."""

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.timetable.engine import (
    Interval,
    effective_audience,
    intersect,
    mask_of_weeks,
    merge_intervals,
    mondays_of_iso_mask,
    mondays_of_mask,
    overlapping,
    overlaps,
    plan_course,
    week_monday,
    weeks_of_mask,
)
from preau.timetable.source import (
    CLASS_PART,
    DIVISION,
    GROUP,
    OTHER,
    PUPIL,
    ROOM,
    TEACHER,
    SourceCourse,
    SourceResource,
)

MONDAY1 = date(2013, 9, 2)

# -- §1 Week masks -------------------------------------------------------------------------


def _weeks(*ranges: tuple[int, int]) -> list[int]:
    return [week for first, last in ranges for week in range(first, last + 1)]


@pytest.mark.parametrize(
    ("mask", "weeks"),
    [
        (35132630760702, _weeks((1, 7), (10, 16), (19, 25), (28, 33), (36, 44))),
        (5773783553108, [2, 4, 6, 10, 12, 14, 16, 20, 22, 28, 30, 38, 40, 42]),
        (11135250639018, [1, 3, 5, 7, 11, 13, 15, 19, 21, 23, 29, 31, 37, 41, 43]),
        (2, [1]),
        (0, []),
        (1, []),  # bit 0 is unused
        (3, [1]),
        (2**63, [63]),
        (2**64 - 1, list(range(1, 64))),
        (sum(2**w for w in range(2, 64, 2)), list(range(2, 64, 2))),
    ],
)
def test_weeks_of_mask(mask, weeks):
    assert weeks_of_mask(mask) == weeks


def test_the_sample_masks_are_weeks_a_and_b():
    """The two alternating masks of the sample share no week and leave the holidays."""
    a, b = set(weeks_of_mask(5773783553108)), set(weeks_of_mask(11135250639018))
    assert not a & b
    assert all(week % 2 == 0 for week in a)
    assert all(week % 2 == 1 for week in b)
    assert a | b <= set(weeks_of_mask(35132630760702)) | {43}


def test_a_negative_mask_or_week_zero_is_refused():
    with pytest.raises(ValueError, match=r"négatif|negative"):
        weeks_of_mask(-2)
    with pytest.raises(ValueError, match="from 1"):
        mask_of_weeks([0, 3])


@pytest.mark.parametrize(
    ("week", "monday"),
    [
        (1, date(2013, 9, 2)),
        (2, date(2013, 9, 9)),
        (9, date(2013, 10, 28)),
        (44, date(2014, 6, 30)),
    ],
)
def test_week_monday(week, monday):
    assert week_monday(MONDAY1, week) == monday


def test_mondays_of_mask():
    assert mondays_of_mask(35132630760702, MONDAY1) >= {date(2013, 9, 2), date(2014, 6, 30)}
    assert mondays_of_mask(2 + 4, MONDAY1) == {date(2013, 9, 2), date(2013, 9, 9)}
    assert mondays_of_mask(0, MONDAY1) == frozenset()


def test_undeuxtemps_masks_count_iso_weeks_from_bit_zero():
    """UDT: bit 0 is ISO week 1, over the two calendar years of the school year."""
    first, last = date(2013, 9, 2), date(2014, 7, 4)
    assert mondays_of_iso_mask(1 << 35, first, last) == {date(2013, 9, 2)}  # ISO week 36
    assert mondays_of_iso_mask(1, first, last) == {date(2013, 12, 30)}  # ISO week 1 of 2014
    assert mondays_of_iso_mask(1 << 26, first, last) == {date(2014, 6, 30)}  # week 27


@given(st.sets(st.integers(min_value=1, max_value=63)))
def test_mask_round_trip_from_weeks(weeks):
    assert weeks_of_mask(mask_of_weeks(weeks)) == sorted(weeks)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_mask_round_trip_from_masks(mask):
    weeks = weeks_of_mask(mask)
    assert all(week >= 1 for week in weeks)
    assert weeks == sorted(set(weeks))
    assert mask_of_weeks(weeks) == mask & ~1
    assert len(mondays_of_mask(mask, MONDAY1)) == len(weeks)
    assert all(monday.weekday() == 0 for monday in mondays_of_mask(mask, MONDAY1))


# -- §2–§5 Occurrences of a course ---------------------------------------------------------


def resource(kind: str, key: str, *weeks: int) -> SourceResource:
    return SourceResource(
        kind=kind, key=key, weeks=frozenset(week_monday(MONDAY1, w) for w in weeks)
    )


def course(*resources: SourceResource, weekday: int = 1, **extra) -> SourceCourse:
    return SourceCourse(
        key="c",
        weekday=weekday,
        start=time(8),
        end=time(9),
        subject_key="1",
        resources=tuple(resources),
        **extra,
    )


def days(plan) -> list[date]:
    return [occurrence.day for occurrence in plan.occurrences]


def test_an_occurrence_per_week_on_the_course_day():
    plan = plan_course(
        course(resource(TEACHER, "1", 1, 2, 5), resource(DIVISION, "3A", 1, 2, 5), weekday=4),
        first_day=None,
        last_day=None,
    )
    assert days(plan) == [date(2013, 9, 5), date(2013, 9, 12), date(2013, 10, 3)]
    assert plan.outside_year == 0


def test_resources_are_per_week():
    plan = plan_course(
        course(
            resource(TEACHER, "A", 1, 3),
            resource(TEACHER, "B", 2, 4),
            resource(GROUP, "even", 2, 4),
            resource(GROUP, "odd", 1, 3),
            resource(ROOM, "B12", 1, 2, 3, 4),
        ),
        first_day=None,
        last_day=None,
    )
    assert [sorted(o.present) for o in plan.occurrences] == [
        [(GROUP, "odd"), (ROOM, "B12"), (TEACHER, "A")],
        [(GROUP, "even"), (ROOM, "B12"), (TEACHER, "B")],
        [(GROUP, "odd"), (ROOM, "B12"), (TEACHER, "A")],
        [(GROUP, "even"), (ROOM, "B12"), (TEACHER, "B")],
    ]


def test_a_course_exists_when_any_resource_is_present():
    """A room alone, or any other element with weeks (`Materiel`), makes it exist."""
    plan = plan_course(
        course(resource(TEACHER, "1", 1), resource(ROOM, "B12", 2), resource(OTHER, "materiel", 3)),
        first_day=None,
        last_day=None,
    )
    assert days(plan) == [date(2013, 9, 2), date(2013, 9, 9), date(2013, 9, 16)]
    assert [o.present for o in plan.occurrences][2] == {(OTHER, "materiel")}
    assert plan_course(course(), first_day=None, last_day=None).occurrences == ()


def test_dates_outside_the_school_year_are_counted_not_created():
    plan = plan_course(
        course(resource(DIVISION, "3A", 1, 2, 3, 4, 5), weekday=3),
        first_day=date(2013, 9, 5),  # after Wednesday of week 1
        last_day=date(2013, 9, 25),  # Wednesday of week 4, the last day
    )
    assert days(plan) == [date(2013, 9, 11), date(2013, 9, 18), date(2013, 9, 25)]
    assert plan.outside_year == 2


def test_cancelled_weeks_give_cancelled_occurrences():
    plan = plan_course(
        course(
            resource(DIVISION, "3A", 1, 2, 3),
            cancelled_weeks=frozenset({week_monday(MONDAY1, 2), week_monday(MONDAY1, 9)}),
        ),
        first_day=None,
        last_day=None,
    )
    assert [o.cancelled for o in plan.occurrences] == [False, True, False]


def test_excluded_dates_are_skipped():
    plan = plan_course(
        course(resource(DIVISION, "3A", 1, 2), excluded_dates=frozenset({date(2013, 9, 9)})),
        first_day=None,
        last_day=None,
    )
    assert days(plan) == [date(2013, 9, 2)]
    assert plan.outside_year == 0


KINDS = (TEACHER, DIVISION, GROUP, CLASS_PART, ROOM, PUPIL, OTHER)
resources_strategy = st.lists(
    st.builds(
        lambda kind, key, weeks: resource(kind, key, *weeks),
        st.sampled_from(KINDS),
        st.sampled_from(["a", "b", "c"]),
        st.sets(st.integers(min_value=1, max_value=44), max_size=10),
    ),
    max_size=6,
)
bounds_strategy = st.tuples(
    st.none() | st.dates(date(2013, 8, 20), date(2013, 12, 1)),
    st.none() | st.dates(date(2014, 1, 1), date(2014, 7, 20)),
)


@given(resources_strategy, st.integers(min_value=1, max_value=7), bounds_strategy)
def test_plan_course_properties(resources, weekday, bounds):
    first, last = bounds
    source = course(*resources, weekday=weekday)
    plan = plan_course(source, first_day=first, last_day=last)
    union = set().union(*(r.weeks for r in resources))
    in_year = {
        monday + timedelta(days=weekday - 1)
        for monday in union
        if (first is None or monday + timedelta(days=weekday - 1) >= first)
        and (last is None or monday + timedelta(days=weekday - 1) <= last)
    }
    # An occurrence exists iff some resource is present that week (within the year).
    assert days(plan) == sorted(in_year)
    assert plan.outside_year == len(union) - len(in_year)
    all_units = {(r.kind, r.key) for r in resources}
    for occurrence in plan.occurrences:
        monday = occurrence.day - timedelta(days=weekday - 1)
        assert occurrence.day.isoweekday() == weekday
        # present = exactly the resources of that week, a non-empty part of all of them
        assert occurrence.present == {(r.kind, r.key) for r in resources if monday in r.weeks}
        assert occurrence.present
        assert occurrence.present <= all_units
        assert not occurrence.cancelled


@given(resources_strategy, st.data())
def test_splitting_a_resources_weeks_never_adds_occurrences(resources, data):
    """A resource split into several (an alternation) keeps the weeks of the union."""
    if not resources:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(resources) - 1))
    split = resources[index]
    part = data.draw(st.sets(st.sampled_from(sorted(split.weeks)))) if split.weeks else set()
    other_key = data.draw(st.sampled_from(["a", "b", "z"]))
    pieces = [
        SourceResource(kind=split.kind, key=split.key, weeks=frozenset(part)),
        SourceResource(kind=split.kind, key=other_key, weeks=split.weeks - frozenset(part)),
    ]
    before = plan_course(course(*resources), first_day=None, last_day=None)
    after = plan_course(
        course(*resources[:index], *pieces, *resources[index + 1 :]), first_day=None, last_day=None
    )
    assert days(after) == days(before)


# -- §6 Audience ---------------------------------------------------------------------------

GROUPS = {
    "3A latin": frozenset({"3A"}),
    "3ABC grec": frozenset({"3A", "3B", "3C"}),
    "3D atelier": frozenset({"3D"}),
}


@pytest.mark.parametrize(
    ("present", "audience"),
    [
        # A division listed with a group drawing on it adds nothing beyond the group.
        ({(DIVISION, "3A"), (GROUP, "3A latin")}, {(GROUP, "3A latin")}),
        # A division no listed group draws on counts in full.
        ({(DIVISION, "3B"), (GROUP, "3A latin")}, {(DIVISION, "3B"), (GROUP, "3A latin")}),
        (
            {(DIVISION, "3A"), (DIVISION, "3D"), (GROUP, "3ABC grec")},
            {(DIVISION, "3D"), (GROUP, "3ABC grec")},
        ),
        ({(DIVISION, "3A")}, {(DIVISION, "3A")}),
        # Only groups hide a division: a class part listed with it does not.
        ({(DIVISION, "3A"), (CLASS_PART, "3A-1")}, {(DIVISION, "3A"), (CLASS_PART, "3A-1")}),
        ({(PUPIL, "7"), (GROUP, "3D atelier")}, {(PUPIL, "7"), (GROUP, "3D atelier")}),
        # Teachers, rooms and other resources are nobody's audience.
        ({(TEACHER, "1"), (ROOM, "B12"), (OTHER, "x")}, set()),
        # A group the mapping does not know hides nothing.
        ({(DIVISION, "3A"), (GROUP, "unknown")}, {(DIVISION, "3A"), (GROUP, "unknown")}),
    ],
)
def test_effective_audience(present, audience):
    assert effective_audience(present, GROUPS) == audience


units_strategy = st.sets(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(["3A", "3B", "3C", "3D", "3A latin", "3ABC grec", "3D atelier", "7"]),
    ),
    max_size=8,
)


@given(units_strategy)
def test_effective_audience_properties(present):
    audience = effective_audience(present, GROUPS)
    assert audience <= present
    groups = {key for kind, key in present if kind == GROUP}
    drawn_on = set().union(*(GROUPS.get(group, frozenset()) for group in groups))
    for kind, key in present:
        if kind in (GROUP, CLASS_PART, PUPIL):
            assert (kind, key) in audience
        elif kind == DIVISION:
            assert ((kind, key) in audience) == (key not in drawn_on)
        else:
            assert (kind, key) not in audience


# -- Dated memberships ---------------------------------------------------------------------

intervals_strategy = st.lists(
    st.builds(
        lambda start, length: Interval(start, start + timedelta(days=length)),
        st.dates(date(2013, 9, 1), date(2013, 12, 31)),
        st.integers(min_value=0, max_value=40),
    ),
    max_size=8,
)


def covered(intervals) -> set[date]:
    return {
        interval.start + timedelta(days=n)
        for interval in intervals
        for n in range((interval.end - interval.start).days + 1)
    }


def test_merge_intervals_cases():
    d = date
    assert merge_intervals([]) == []
    assert merge_intervals(
        [Interval(d(2013, 9, 10), d(2013, 9, 20)), Interval(d(2013, 9, 1), d(2013, 9, 9))]
    ) == [Interval(d(2013, 9, 1), d(2013, 9, 20))]  # touching: joined
    assert merge_intervals(
        [Interval(d(2013, 9, 1), d(2013, 9, 8)), Interval(d(2013, 9, 10), d(2013, 9, 20))]
    ) == [Interval(d(2013, 9, 1), d(2013, 9, 8)), Interval(d(2013, 9, 10), d(2013, 9, 20))]
    assert intersect(
        Interval(d(2013, 9, 1), d(2013, 9, 8)), Interval(d(2013, 9, 8), d(2013, 9, 30))
    ) == Interval(d(2013, 9, 8), d(2013, 9, 8))
    assert (
        intersect(Interval(d(2013, 9, 1), d(2013, 9, 7)), Interval(d(2013, 9, 8), d(2013, 9, 30)))
        is None
    )


@given(intervals_strategy)
def test_merge_intervals_is_idempotent_and_covering(intervals):
    merged = merge_intervals(intervals)
    assert merge_intervals(merged) == merged
    assert merge_intervals(list(reversed(intervals))) == merged
    assert covered(merged) == covered(intervals)
    for first, second in itertools.pairwise(merged):
        # sorted, disjoint, and not touching (touching intervals are one)
        assert first.end + timedelta(days=1) < second.start
    assert all(interval.start <= interval.end for interval in merged)


@given(intervals_strategy, intervals_strategy)
def test_intersect_is_the_common_days(a, b):
    for x, y in itertools.product(a, b):
        common = intersect(x, y)
        assert (covered([common]) if common else set()) == covered([x]) & covered([y])
        assert intersect(y, x) == common


# -- Overlaps ------------------------------------------------------------------------------

bookings_strategy = st.lists(
    st.builds(
        lambda holder, start, length, uid: (
            holder,
            datetime(2013, 9, 2, 8) + timedelta(minutes=30 * start),
            datetime(2013, 9, 2, 8) + timedelta(minutes=30 * (start + length)),
            uid,
        ),
        st.sampled_from(["teacher:1", "teacher:2", "room:3"]),
        st.integers(min_value=0, max_value=20),
        st.integers(min_value=1, max_value=6),
        st.text(alphabet="abcdef", min_size=1, max_size=3),
    ),
    max_size=12,
    unique_by=lambda booking: booking[3],
)


def _overlap(a, b) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def test_overlaps_cases():
    nine, ten, eleven = (datetime(2013, 9, 2, hour) for hour in (9, 10, 11))
    a = ("teacher:1", nine, ten, "a")
    b = ("teacher:1", ten, eleven, "b")  # touching a: fine
    c = ("teacher:1", nine, eleven, "c")
    d = ("teacher:2", nine, eleven, "d")
    assert overlaps([a, b]) == []
    assert sorted(overlaps([b, c, a, d])) == sorted([(a, c), (c, b)])


@given(bookings_strategy)
def test_overlaps_finds_exactly_the_overlapping_pairs_of_a_holder(bookings):
    found = overlaps(bookings)
    expected = {
        frozenset((x[3], y[3]))
        for x, y in itertools.combinations(bookings, 2)
        if x[0] == y[0] and _overlap(x, y)
    }
    assert {frozenset((x[3], y[3])) for x, y in found} == expected
    assert len(found) == len(expected)  # each pair once
    for x, y in found:
        assert x[0] == y[0]
        assert _overlap(x, y)
        assert _overlap(y, x)  # symmetric
        assert x[1] <= y[1]
    assert {frozenset((x[3], y[3])) for x, y in overlaps(list(reversed(bookings)))} == expected


@given(bookings_strategy)
def test_overlapping_occurrences_then_shared_holders_count_as_overlaps(bookings):
    """The import checks pair occurrences overlapping in time, then count the holders
    they share: the same count as one booking per holder."""
    occurrences = {}
    for holder, start, end, uid in bookings:
        occurrences.setdefault((start, end, uid[:1]), set()).add(holder)
    pairs = overlapping(
        (start, end, key) for (start, end, _), key in zip(occurrences, occurrences, strict=True)
    )
    expected = {
        frozenset((x, y))
        for x, y in itertools.combinations(occurrences, 2)
        if x[0] < y[1] and y[0] < x[1]
    }
    assert {frozenset(pair) for pair in pairs} == expected
    assert len(pairs) == len(expected)
    shared = sum(len(occurrences[x] & occurrences[y]) for x, y in pairs)
    flat = [
        (holder, start, end, f"{start}{end}{tag}")
        for (start, end, tag), holders in occurrences.items()
        for holder in holders
    ]
    assert shared == len(overlaps(flat))
