"""Grading periods most establishments use (preau.core.services.default_period_bounds):
trimesters ending with the Christmas and spring holidays, semesters split at the end of
January, and the whole year."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.core.calendar import CalendarRules
from preau.core.models import PeriodScheme
from preau.core.services import default_period_bounds

START, END = date(2026, 9, 1), date(2027, 7, 2)


def bounds_for(zone: str, start: date = START, end: date = END):
    rules = CalendarRules(holiday_zone=zone, public_calendar="metropole")
    return default_period_bounds(rules=rules, start=start, end=end)


@pytest.mark.parametrize(
    ("zone", "first_trimester_end", "second_trimester_end"),
    [
        # Christmas starts on Saturday 19 December 2026 everywhere; spring differs.
        ("A", date(2026, 12, 18), date(2027, 4, 9)),
        ("B", date(2026, 12, 18), date(2027, 4, 16)),
        ("C", date(2026, 12, 18), date(2027, 4, 2)),
        # No national dates: the usual bounds.
        ("other", date(2026, 12, 19), date(2027, 4, 10)),
    ],
)
def test_trimesters_end_on_the_eve_of_christmas_and_spring_holidays(
    zone, first_trimester_end, second_trimester_end
):
    trimesters = bounds_for(zone)[PeriodScheme.TRIMESTERS]
    assert trimesters == [
        ("1er trimestre", START, first_trimester_end),
        ("2e trimestre", first_trimester_end + timedelta(days=1), second_trimester_end),
        ("3e trimestre", second_trimester_end + timedelta(days=1), END),
    ]


@pytest.mark.parametrize("zone", ["A", "B", "C", "other"])
def test_semesters_split_at_the_end_of_january_and_the_year_is_one_period(zone):
    periods = bounds_for(zone)
    assert periods[PeriodScheme.SEMESTERS] == [
        ("1er semestre", START, date(2027, 1, 31)),
        ("2d semestre", date(2027, 2, 1), END),
    ]
    assert periods[PeriodScheme.YEAR] == [("Année", START, END)]


@given(
    zone=st.sampled_from(["A", "B", "C", "other"]),
    start_year=st.integers(min_value=2018, max_value=2030),
    start_day=st.integers(min_value=1, max_value=5),
    end_day=st.integers(min_value=1, max_value=7),
)
def test_each_scheme_covers_the_year_without_gap_or_overlap(zone, start_year, start_day, end_day):
    start, end = date(start_year, 9, start_day), date(start_year + 1, 7, end_day)
    for scheme, periods in bounds_for(zone, start, end).items():
        assert periods[0][1] == start, scheme
        assert periods[-1][2] == end, scheme
        for (_, _, previous_end), (_, next_start, _) in pairwise(periods):
            assert next_start == previous_end + timedelta(days=1), scheme
        # A grading period lasts at least two days (its dates are ordered strictly).
        assert all(period_end > period_start for _, period_start, period_end in periods)


@given(
    zone=st.sampled_from(["A", "B", "C", "other"]),
    start=st.dates(min_value=date(2019, 1, 1), max_value=date(2029, 12, 31)),
    length=st.integers(min_value=1, max_value=400),
)
def test_a_year_of_any_length_gets_ordered_periods_covering_it(zone, start, length):
    """A timetable imported for a few weeks (FET --from/--to) creates a short school
    year: its periods are cut to it instead of ending before they start."""
    end = start + timedelta(days=length)
    for scheme, periods in bounds_for(zone, start, end).items():
        assert periods[0][1] == start, scheme
        assert periods[-1][2] == end, scheme
        for (_, _, previous_end), (_, next_start, _) in pairwise(periods):
            assert next_start == previous_end + timedelta(days=1), scheme
        assert all(period_end > period_start for _, period_start, period_end in periods)
