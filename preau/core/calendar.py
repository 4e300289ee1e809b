"""Which days an establishment teaches: school holidays of its zone, public holidays of
its calendar (including the two extra days of Alsace-Moselle), and its own closures.

Pure functions over dates. Official dates come from the `holidays` library, which
carries the national calendars (arrêtés fixing the school holidays per zone, the
public-holiday laws, and the local law of Moselle, Bas-Rhin and Haut-Rhin).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Public-holiday calendars: the national one, and those with extra days.
PUBLIC_CALENDAR_SUBDIVISIONS = {
    "metropole": None,
    "alsace_moselle": "57",  # Vendredi saint and 26 December (Saint-Étienne)
    "guadeloupe": "971",
    "martinique": "972",
    "guyane": "973",
    "reunion": "974",
    "mayotte": "976",
}
SCHOOL_ZONES_WITH_NATIONAL_DATES = {"A", "B", "C"}


@dataclass(frozen=True)
class Closure:
    start: date
    end: date  # inclusive
    label: str


@dataclass(frozen=True)
class CalendarRules:
    holiday_zone: str  # "A", "B", "C" or "other" (closures entered by the establishment)
    public_calendar: str  # a key of PUBLIC_CALENDAR_SUBDIVISIONS
    saturday_classes: bool = False
    closures: tuple[Closure, ...] = field(default_factory=tuple)


@lru_cache(maxsize=64)
def _public_holidays(public_calendar: str, year: int) -> dict[date, str]:
    subdivision = PUBLIC_CALENDAR_SUBDIVISIONS[public_calendar]
    return dict(
        holidays.France(subdiv=subdivision, years=year, categories=("public",), language="fr")
    )


@lru_cache(maxsize=64)
def _school_holidays(zone: str, year: int) -> dict[date, str]:
    if zone not in SCHOOL_ZONES_WITH_NATIONAL_DATES:
        return {}
    return dict(
        holidays.France(subdiv=f"Zone {zone}", years=year, categories=("school",), language="fr")
    )


def public_holidays(public_calendar: str, start: date, end: date) -> dict[date, str]:
    """Public holidays between `start` and `end` inclusive, with their French names."""
    return _pick(_public_holidays, public_calendar, start, end)


def school_holidays(zone: str, start: date, end: date) -> dict[date, str]:
    """Days of school holidays of `zone` between `start` and `end` inclusive."""
    return _pick(_school_holidays, zone, start, end)


def _pick(source, key: str, start: date, end: date) -> dict[date, str]:
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in source(key, year).items():
            if start <= day <= end:
                found[day] = name
    return found


# The holidays library derives school holidays by rule and checks them against the
# arrêtés fixing the calendar; the last one it cites (arrêté du 21 juillet 2026) covers
# 2027-2028. Beyond, its dates are an extrapolation: establishments must confirm them.
NATIONAL_CALENDAR_PUBLISHED_UNTIL = date(2028, 8, 31)


def school_holidays_known(zone: str, start: date, end: date) -> bool:
    """Whether official dates give the school holidays of the period: the arrêtés are
    published a few years ahead, so a far-off year has no official dates yet."""
    return (
        zone in SCHOOL_ZONES_WITH_NATIONAL_DATES
        and end <= NATIONAL_CALENDAR_PUBLISHED_UNTIL
        and bool(school_holidays(zone, start, end))
    )


def days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def days_off(rules: CalendarRules, start: date, end: date) -> dict[date, str]:
    """Every weekday between `start` and `end` on which the establishment does not teach,
    with the reason. Weekends are not listed."""
    reasons: dict[date, str] = {}
    for source in (
        school_holidays(rules.holiday_zone, start, end),
        public_holidays(rules.public_calendar, start, end),
    ):
        for day, name in source.items():
            reasons[day] = _join(reasons.get(day), name)
    for closure in rules.closures:
        for day in days(max(start, closure.start), min(end, closure.end)):
            reasons[day] = _join(reasons.get(day), closure.label)
    return {day: reasons[day] for day in sorted(reasons) if _is_teaching_weekday(rules, day)}


def school_days(rules: CalendarRules, start: date, end: date) -> list[date]:
    """The days between `start` and `end` inclusive on which the establishment teaches."""
    off = days_off(rules, start, end)
    return [day for day in days(start, end) if _is_teaching_weekday(rules, day) and day not in off]


def is_school_day(rules: CalendarRules, day: date) -> bool:
    return bool(school_days(rules, day, day))


@dataclass(frozen=True)
class Break:
    """Consecutive days without classes for the same main reason (weekends in between
    do not interrupt a break); `also` lists the other reasons met inside, such as a
    public holiday during school holidays."""

    first: date
    last: date
    reason: str
    also: tuple[str, ...] = ()


def breaks(off: dict[date, str]) -> list[Break]:
    """Group the result of `days_off` into breaks: "du 19 au 30 octobre : Toussaint"."""
    found: list[Break] = []
    for day in sorted(off):
        main, *others = off[day].split("; ")
        previous = found[-1] if found else None
        joined = (
            previous is not None
            and previous.reason == main
            and all(
                gap.weekday() >= 5
                for gap in days(previous.last + timedelta(days=1), day - timedelta(days=1))
            )
        )
        if joined:
            also = previous.also + tuple(o for o in others if o not in previous.also)
            found[-1] = Break(previous.first, day, main, also)
        else:
            found.append(Break(day, day, main, tuple(others)))
    return found


def _is_teaching_weekday(rules: CalendarRules, day: date) -> bool:
    return day.weekday() < 5 or (rules.saturday_classes and day.weekday() == 5)


def _join(existing: str | None, name: str) -> str:
    if not existing:
        return name
    parts = existing.split("; ")
    return existing if name in parts else f"{existing}; {name}"
