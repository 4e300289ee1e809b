"""Which days an establishment teaches (preau.core.calendar): national school holidays
of its zone, public holidays of its calendar, its own closures, Saturday classes."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.core import calendar
from preau.core.calendar import CalendarRules, Closure

METROPOLE_B = CalendarRules(holiday_zone="B", public_calendar="metropole")
ALSACE_B = CalendarRules(holiday_zone="B", public_calendar="alsace_moselle")


def weekdays(start: date, end: date) -> list[date]:
    return [day for day in calendar.days(start, end) if day.weekday() < 5]


# -- Public holidays: Alsace-Moselle keeps two more days than the rest of France ----------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2027, 3, 26), "Vendredi saint"),
        (date(2026, 12, 26), "Saint-Étienne"),
        (date(2026, 4, 3), "Vendredi saint"),
    ],
)
def test_alsace_moselle_has_vendredi_saint_and_saint_etienne_that_metropole_has_not(day, name):
    assert calendar.public_holidays("alsace_moselle", day, day) == {day: name}
    assert calendar.public_holidays("metropole", day, day) == {}


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 11, 11), "Armistice"),
        (date(2026, 12, 25), "Noël"),
        (date(2027, 3, 29), "Lundi de Pâques"),
        (date(2027, 5, 6), "Ascension"),
        (date(2027, 5, 17), "Lundi de Pentecôte"),
    ],
)
@pytest.mark.parametrize("public_calendar", ["metropole", "alsace_moselle"])
def test_national_public_holidays_are_shared_by_both_calendars(public_calendar, day, name):
    assert calendar.public_holidays(public_calendar, day, day) == {day: name}


def test_alsace_moselle_differs_from_metropole_by_exactly_its_two_days_over_a_year():
    start, end = date(2026, 9, 1), date(2027, 8, 31)
    metropole = calendar.public_holidays("metropole", start, end)
    alsace = calendar.public_holidays("alsace_moselle", start, end)
    assert set(alsace) - set(metropole) == {date(2026, 12, 26), date(2027, 3, 26)}
    assert set(metropole) <= set(alsace)


def test_vendredi_saint_is_a_day_off_in_moselle_and_a_school_day_in_metropole():
    good_friday = date(2027, 3, 26)
    assert calendar.days_off(ALSACE_B, good_friday, good_friday) == {good_friday: "Vendredi saint"}
    assert calendar.is_school_day(METROPOLE_B, good_friday)
    assert not calendar.is_school_day(ALSACE_B, good_friday)


def test_saint_etienne_on_a_saturday_matters_only_where_saturdays_are_taught():
    saint_etienne = date(2026, 12, 26)  # a Saturday, inside the Christmas holidays
    assert calendar.days_off(ALSACE_B, saint_etienne, saint_etienne) == {}
    with_saturdays = CalendarRules("B", "alsace_moselle", saturday_classes=True)
    assert calendar.days_off(with_saturdays, saint_etienne, saint_etienne) == {
        saint_etienne: "Vacances de Noël; Saint-Étienne"
    }
    metropole_saturdays = CalendarRules("B", "metropole", saturday_classes=True)
    assert calendar.days_off(metropole_saturdays, saint_etienne, saint_etienne) == {
        saint_etienne: "Vacances de Noël"
    }


# -- School holidays of zone B, 2026-2027 --------------------------------------------------


@pytest.mark.parametrize(
    ("last_school_day", "first_day_off", "last_day_off", "back_to_school", "name"),
    [
        (
            date(2026, 10, 16),
            date(2026, 10, 19),
            date(2026, 10, 30),
            date(2026, 11, 2),
            "Vacances de la Toussaint",
        ),
        (
            date(2026, 12, 18),
            date(2026, 12, 21),
            date(2027, 1, 1),
            date(2027, 1, 4),
            "Vacances de Noël",
        ),
        (
            date(2027, 2, 19),
            date(2027, 2, 22),
            date(2027, 3, 5),
            date(2027, 3, 8),
            "Vacances d'hiver",
        ),
        (
            date(2027, 4, 16),
            date(2027, 4, 19),
            date(2027, 4, 30),
            date(2027, 5, 3),
            "Vacances de printemps",
        ),
    ],
)
def test_zone_b_holidays_2026_2027_take_exactly_their_weekdays_off(
    last_school_day, first_day_off, last_day_off, back_to_school, name
):
    off = calendar.days_off(METROPOLE_B, last_school_day, back_to_school)
    holiday_weekdays = weekdays(first_day_off, last_day_off)
    assert set(off) == set(holiday_weekdays)
    assert all(name in off[day] for day in holiday_weekdays)
    assert calendar.is_school_day(METROPOLE_B, last_school_day)
    assert calendar.is_school_day(METROPOLE_B, back_to_school)


def test_christmas_day_is_both_a_school_holiday_and_a_public_holiday():
    christmas = date(2026, 12, 25)
    assert calendar.days_off(METROPOLE_B, christmas, christmas) == {
        christmas: "Vacances de Noël; Noël"
    }


@pytest.mark.parametrize(
    ("zone", "off"),
    [("A", False), ("B", True), ("C", False)],
)
def test_the_zones_have_their_own_winter_holidays(zone, off):
    monday = date(2027, 3, 1)
    rules = CalendarRules(holiday_zone=zone, public_calendar="metropole")
    assert calendar.is_school_day(rules, monday) is not off


def test_without_a_national_zone_only_public_holidays_and_closures_apply():
    rules = CalendarRules(holiday_zone="other", public_calendar="reunion")
    start, end = date(2026, 10, 19), date(2026, 10, 30)  # Toussaint in metropolitan zones
    assert calendar.days_off(rules, start, end) == {}
    assert calendar.school_days(rules, start, end) == weekdays(start, end)
    assert calendar.school_holidays("other", start, end) == {}


@pytest.mark.parametrize(
    ("zone", "start", "end", "known"),
    [
        ("B", date(2026, 9, 1), date(2027, 7, 2), True),
        ("A", date(2026, 9, 1), date(2027, 7, 2), True),
        ("other", date(2026, 9, 1), date(2027, 7, 2), False),
        ("B", date(2015, 9, 1), date(2016, 7, 1), False),
        # 2027-2028 is the last year fixed by an arrêté the library checked its rule on.
        ("C", date(2027, 9, 1), date(2028, 7, 1), True),
        ("C", date(2029, 9, 3), date(2030, 7, 5), False),
    ],
)
def test_national_school_holidays_are_known_only_for_the_years_fixed_by_an_arrete(
    zone, start, end, known
):
    assert calendar.school_holidays_known(zone, start, end) is known


# -- Closures and Saturdays ---------------------------------------------------------------


def test_a_closure_takes_its_weekdays_off_with_its_label():
    exams = Closure(date(2027, 6, 11), date(2027, 6, 14), "Brevet")  # Friday to Monday
    rules = CalendarRules("B", "metropole", closures=(exams,))
    assert calendar.days_off(rules, date(2027, 6, 7), date(2027, 6, 18)) == {
        date(2027, 6, 11): "Brevet",
        date(2027, 6, 14): "Brevet",
    }


def test_a_closure_is_clipped_to_the_range_asked():
    bridge = Closure(date(2026, 11, 9), date(2026, 11, 13), "Pont")
    rules = CalendarRules("B", "metropole", closures=(bridge,))
    off = calendar.days_off(rules, date(2026, 11, 12), date(2026, 11, 20))
    assert off == {date(2026, 11, 12): "Pont", date(2026, 11, 13): "Pont"}


def test_reasons_of_one_day_are_joined_once_each():
    armistice = date(2026, 11, 11)
    rules = CalendarRules(
        "other",
        "metropole",
        closures=(
            Closure(armistice, armistice, "Armistice"),
            Closure(date(2026, 11, 10), armistice, "Pont de l'Armistice"),
        ),
    )
    assert calendar.days_off(rules, armistice, armistice) == {
        armistice: "Armistice; Pont de l'Armistice"
    }


@pytest.mark.parametrize(
    ("saturday_classes", "saturday_taught"),
    [(False, False), (True, True)],
)
def test_saturdays_are_taught_only_where_the_establishment_says_so(
    saturday_classes, saturday_taught
):
    rules = CalendarRules("B", "metropole", saturday_classes=saturday_classes)
    saturday, sunday = date(2026, 11, 28), date(2026, 11, 29)
    assert calendar.is_school_day(rules, saturday) is saturday_taught
    assert not calendar.is_school_day(rules, sunday)
    week = calendar.school_days(rules, date(2026, 11, 23), sunday)
    assert len(week) == (6 if saturday_classes else 5)


def test_weekends_are_never_listed_as_days_off():
    rules = CalendarRules("B", "metropole")
    off = calendar.days_off(rules, date(2026, 10, 17), date(2026, 11, 1))
    assert all(day.weekday() < 5 for day in off)


# -- Properties over any range, any rules ---------------------------------------------------

ANY_DAY = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))
closures = st.builds(
    lambda start, length, label: Closure(start, start + timedelta(days=length), label),
    ANY_DAY,
    st.integers(min_value=0, max_value=20),
    st.sampled_from(["Pont", "Brevet", "Inventaire", "Noël"]),
)
rules_strategy = st.builds(
    CalendarRules,
    holiday_zone=st.sampled_from(["A", "B", "C", "other"]),
    public_calendar=st.sampled_from(sorted(calendar.PUBLIC_CALENDAR_SUBDIVISIONS)),
    saturday_classes=st.booleans(),
    closures=st.lists(closures, max_size=3).map(tuple),
)


@st.composite
def ranges(draw):
    start = draw(ANY_DAY)
    return start, start + timedelta(days=draw(st.integers(min_value=0, max_value=400)))


def teaching_weekdays(rules: CalendarRules, start: date, end: date) -> set[date]:
    allowed = {0, 1, 2, 3, 4, 5} if rules.saturday_classes else {0, 1, 2, 3, 4}
    return {day for day in calendar.days(start, end) if day.weekday() in allowed}


@given(rules=rules_strategy, bounds=ranges())
def test_school_days_and_days_off_partition_the_teaching_weekdays(rules, bounds):
    start, end = bounds
    taught = calendar.school_days(rules, start, end)
    off = calendar.days_off(rules, start, end)
    assert set(taught) | set(off) == teaching_weekdays(rules, start, end)
    assert not set(taught) & set(off)
    assert taught == sorted(taught)
    assert list(off) == sorted(off)


@given(rules=rules_strategy, bounds=ranges(), data=st.data())
def test_splitting_a_range_in_two_gives_the_same_days(rules, bounds, data):
    start, end = bounds
    split = data.draw(st.dates(min_value=start, max_value=end))
    after = split + timedelta(days=1)
    assert calendar.school_days(rules, start, end) == (
        calendar.school_days(rules, start, split) + calendar.school_days(rules, after, end)
    )
    assert calendar.days_off(rules, start, end) == {
        **calendar.days_off(rules, start, split),
        **calendar.days_off(rules, after, end),
    }


@given(rules=rules_strategy, bounds=ranges())
def test_every_public_holiday_and_closure_on_a_teaching_weekday_is_a_day_off(rules, bounds):
    start, end = bounds
    off = calendar.days_off(rules, start, end)
    taught_weekdays = teaching_weekdays(rules, start, end)
    for day, name in calendar.public_holidays(rules.public_calendar, start, end).items():
        if day in taught_weekdays:
            # Two holidays on one day come from the library as "A; B".
            assert set(name.split("; ")) <= set(off[day].split("; "))
    for closure in rules.closures:
        for day in calendar.days(max(start, closure.start), min(end, closure.end)):
            if day in taught_weekdays:
                assert closure.label in off[day].split("; ")


@given(rules=rules_strategy, day=ANY_DAY)
def test_is_school_day_agrees_with_school_days(rules, day):
    assert calendar.is_school_day(rules, day) is (
        day in calendar.school_days(rules, day - timedelta(days=3), day + timedelta(days=3))
    )


# -- Breaks: days off grouped for display --------------------------------------------------


def test_a_holiday_spanning_weekends_is_one_break_with_the_public_holidays_inside():
    off = calendar.days_off(METROPOLE_B, date(2026, 12, 14), date(2027, 1, 8))
    assert calendar.breaks(off) == [
        calendar.Break(
            date(2026, 12, 21), date(2027, 1, 1), "Vacances de Noël", ("Noël", "Jour de l'an")
        ),
    ]


def test_different_reasons_or_a_school_day_between_make_separate_breaks():
    exams = Closure(date(2027, 6, 14), date(2027, 6, 15), "Brevet")
    oral = Closure(date(2027, 6, 17), date(2027, 6, 17), "Brevet")
    rules = CalendarRules("B", "metropole", closures=(exams, oral))
    off = calendar.days_off(rules, date(2027, 6, 7), date(2027, 6, 18))
    assert calendar.breaks(off) == [
        calendar.Break(date(2027, 6, 14), date(2027, 6, 15), "Brevet"),
        calendar.Break(date(2027, 6, 17), date(2027, 6, 17), "Brevet"),
    ]


@given(rules=rules_strategy, bounds=ranges())
def test_breaks_cover_exactly_the_days_off(rules, bounds):
    off = calendar.days_off(rules, *bounds)
    found = calendar.breaks(off)
    covered = {
        day for piece in found for day in calendar.days(piece.first, piece.last) if day in off
    }
    assert covered == set(off)
    assert all(off[piece.first].split("; ")[0] == piece.reason for piece in found)
    assert all(a.last < b.first for a, b in pairwise(found))
