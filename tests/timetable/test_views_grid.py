"""How the timetable pages lay sessions out (preau/timetable/grid.py): the period asked
for, the days and hours shown, and lanes for sessions at the same time."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.timetable import grid
from preau.timetable.views import week_ranges

WEDNESDAY = date(2026, 3, 11)
MONDAY = date(2026, 3, 9)


@pytest.mark.parametrize(
    ("week", "day", "expected"),
    [
        (None, None, grid.Period(MONDAY, date(2026, 3, 15))),
        ("2026-03-13", None, grid.Period(MONDAY, date(2026, 3, 15))),
        ("2026-03-16", None, grid.Period(date(2026, 3, 16), date(2026, 3, 22))),
        ("nimporte", None, grid.Period(MONDAY, date(2026, 3, 15))),
        (None, "2026-03-12", grid.Period(date(2026, 3, 12), date(2026, 3, 12), True)),
        ("2026-01-05", "2026-03-12", grid.Period(date(2026, 3, 12), date(2026, 3, 12), True)),
        (None, "12/03/2026", grid.Period(MONDAY, date(2026, 3, 15))),
    ],
)
def test_the_period_asked_for(week, day, expected):
    assert grid.period_for(week=week, day=day, today=WEDNESDAY) == expected


NEXT_WEEK = grid.Period(date(2026, 3, 16), date(2026, 3, 22))


@pytest.mark.parametrize(
    ("today", "saturday", "expected"),
    [
        (date(2026, 3, 13), False, grid.Period(MONDAY, date(2026, 3, 15))),  # Friday
        (date(2026, 3, 14), False, NEXT_WEEK),  # Saturday, no classes: the coming week
        (date(2026, 3, 14), True, grid.Period(MONDAY, date(2026, 3, 15))),  # classes today
        (date(2026, 3, 15), True, NEXT_WEEK),  # Sunday
    ],
)
def test_on_the_weekend_the_coming_week_is_shown(today, saturday, expected):
    assert grid.period_for(week=None, day=None, today=today, saturday_classes=saturday) == expected
    # A week asked for is the week asked for.
    assert grid.period_for(week="2026-03-11", day=None, today=today) == grid.Period(
        MONDAY, date(2026, 3, 15)
    )


@pytest.mark.parametrize(
    ("day", "saturday", "step", "expected"),
    [
        (date(2026, 3, 13), False, 1, date(2026, 3, 16)),  # Friday → Monday
        (date(2026, 3, 13), True, 1, date(2026, 3, 14)),  # Friday → Saturday
        (date(2026, 3, 16), False, -1, date(2026, 3, 13)),  # Monday → Friday
        (date(2026, 3, 16), True, -1, date(2026, 3, 14)),
        (WEDNESDAY, False, 1, date(2026, 3, 12)),
    ],
)
def test_the_next_and_previous_school_days(day, saturday, step, expected):
    assert grid.next_school_day(day, saturday, step) == expected


@pytest.mark.parametrize(
    ("busy", "saturday", "expected"),
    [
        (set(), False, [0, 1, 2, 3, 4]),
        (set(), True, [0, 1, 2, 3, 4, 5]),
        ({date(2026, 3, 15)}, False, [0, 1, 2, 3, 4, 6]),
    ],
)
def test_the_days_a_week_shows(busy, saturday, expected):
    period = grid.week_of(WEDNESDAY)
    assert [d.weekday() for d in grid.shown_days(period, busy, saturday)] == expected


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], (8, 17)),
        ([(8 * 60, 9 * 60)], (8, 17)),
        ([(7 * 60 + 30, 8 * 60 + 25)], (7, 17)),
        ([(16 * 60, 18 * 60 + 5)], (8, 19)),
    ],
)
def test_the_hours_a_grid_covers(spans, expected):
    assert grid.hour_range(spans) == expected


def lanes(items):
    return {p.item: (p.lane, p.lanes) for p in grid.place(items, 8)}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([(480, 535, "a"), (540, 595, "b")], {"a": (0, 1), "b": (0, 1)}),
        ([(480, 535, "a"), (480, 535, "b")], {"a": (0, 2), "b": (1, 2)}),
        # a overlaps b, b overlaps c, a and c do not: c reuses a's lane in one cluster.
        (
            [(480, 540, "a"), (510, 600, "b"), (540, 600, "c")],
            {"a": (0, 2), "b": (1, 2), "c": (0, 2)},
        ),
        (
            [(480, 600, "a"), (480, 530, "b"), (480, 530, "c"), (660, 700, "d")],
            {"a": (0, 3), "b": (1, 3), "c": (2, 3), "d": (0, 1)},
        ),
    ],
)
def test_sessions_at_the_same_time_share_the_column(items, expected):
    assert lanes(items) == expected


def test_a_session_is_placed_from_the_first_hour():
    (placed,) = grid.place([(9 * 60 + 30, 10 * 60 + 25, "x")], 8)
    assert (placed.top, placed.length) == (90, 55)


@given(
    st.lists(
        st.tuples(st.integers(0, 1400), st.integers(1, 240)).map(lambda t: (t[0], t[0] + t[1])),
        max_size=12,
    )
)
def test_no_two_overlapping_sessions_share_a_lane(spans):
    items = [(start, end, n) for n, (start, end) in enumerate(spans)]
    placed = {p.item: p for p in grid.place(items, 0)}
    assert len(placed) == len(items)
    for a_start, a_end, a in items:
        for b_start, b_end, b in items:
            if a < b and a_start < b_end and b_start < a_end:
                assert placed[a].lane != placed[b].lane
                assert placed[a].lanes == placed[b].lanes
    assert all(0 <= p.lane < p.lanes for p in placed.values())


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [([], ""), ([3], "3"), ([1, 2, 3, 7, 9, 10], "1–3, 7, 9–10"), ([2, 4, 6], "2, 4, 6")],
)
def test_weeks_are_written_as_ranges(weeks, expected):
    assert week_ranges(weeks) == expected
