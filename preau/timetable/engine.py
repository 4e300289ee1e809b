"""Pure rules of timetable.md: week masks, the weeks of a course, who is expected at
an occurrence, overlaps. No database, no Django: tested with tables of cases and
property tests.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from preau.timetable.source import CLASS_PART, DIVISION, GROUP, PUPIL, SourceCourse

# -- Week masks ----------------------------------------------------------------------


def weeks_of_mask(mask: int) -> list[int]:
    """The week numbers a `Semaines` mask selects: bit i (value 2**i) is week i, weeks
    count from 1 and bit 0 is unused (timetable.md §1).

    >>> weeks_of_mask(35132630760702)[:8]
    [1, 2, 3, 4, 5, 6, 7, 10]
    """
    if mask < 0:
        raise ValueError(f"a week mask is never negative ({mask})")
    return [bit for bit in range(1, mask.bit_length()) if mask >> bit & 1]


def mask_of_weeks(weeks: Iterable[int]) -> int:
    mask = 0
    for week in weeks:
        if week < 1:
            raise ValueError(f"weeks are numbered from 1 ({week})")
        mask |= 1 << week
    return mask


def week_monday(first_monday: date, week: int) -> date:
    """The Monday of school week `week`, week 1 starting on `first_monday`."""
    return first_monday + timedelta(weeks=week - 1)


def mondays_of_mask(mask: int, first_monday: date) -> frozenset[date]:
    return frozenset(week_monday(first_monday, week) for week in weeks_of_mask(mask))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def mondays_of_iso_mask(mask: int, first_iso_monday: date, last_day: date) -> frozenset[date]:
    """UnDeuxTemps masks are over ISO weeks with bit 0 = ISO week 1 (timetable.md,
    formats.md §4.2): the school year runs over two calendar years, so each bit names
    the week of that number between `first_iso_monday` and `last_day`."""
    found = set()
    monday = monday_of(first_iso_monday)
    while monday <= last_day:
        week = monday.isocalendar().week
        if mask >> (week - 1) & 1:
            found.add(monday)
        monday += timedelta(weeks=1)
    return frozenset(found)


# -- Audience -----------------------------------------------------------------------

Unit = tuple[str, str]  # (kind, source key)


def effective_audience(
    present: Iterable[Unit], group_divisions: Mapping[str, frozenset[str]]
) -> frozenset[Unit]:
    """Who is expected at an occurrence (timetable.md §6), as units: present groups,
    class parts and pupils, and the present divisions that contribute to none of the
    present groups. A division listed with groups drawing on it only names the origin
    of the groups' pupils: it adds nothing beyond them.

    `group_divisions` gives, for each group, the divisions it draws pupils from (its
    whole divisions and the divisions of its class parts)."""
    present = set(present)
    groups = {key for kind, key in present if kind == GROUP}
    drawn_on = set()
    for group in groups:
        drawn_on |= group_divisions.get(group, frozenset())
    return frozenset(
        (kind, key)
        for kind, key in present
        if kind in (GROUP, CLASS_PART, PUPIL) or (kind == DIVISION and key not in drawn_on)
    )


# -- Occurrences of a course ----------------------------------------------------------


@dataclass(frozen=True)
class PlannedOccurrence:
    day: date
    cancelled: bool
    present: frozenset[Unit]  # every resource present that week, of every kind


@dataclass(frozen=True)
class CoursePlan:
    occurrences: tuple[PlannedOccurrence, ...]
    outside_year: int  # weeks where the course exists but the date is outside the year


def plan_course(
    course: SourceCourse, *, first_day: date | None, last_day: date | None
) -> CoursePlan:
    """The dated occurrences of a course: one per week in which at least one of its
    resources is present (§4), holding only the resources present that week (§3);
    weeks in `cancelled_weeks` give a cancelled occurrence (§5); dates outside
    [first_day, last_day] are not created but counted."""
    mondays = set()
    for resource in course.resources:
        mondays |= resource.weeks
    planned, outside = [], 0
    for monday in sorted(mondays):
        day = monday + timedelta(days=course.weekday - 1)
        if day in course.excluded_dates:
            continue
        if (first_day and day < first_day) or (last_day and day > last_day):
            outside += 1
            continue
        present = frozenset(
            (resource.kind, resource.key)
            for resource in course.resources
            if monday in resource.weeks
        )
        planned.append(
            PlannedOccurrence(day=day, cancelled=monday in course.cancelled_weeks, present=present)
        )
    return CoursePlan(occurrences=tuple(planned), outside_year=outside)


# -- Dated memberships ----------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of inclusive date intervals, sorted, touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and interval.start <= merged[-1].end + timedelta(days=1):
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return merged


def intersect(a: Interval, b: Interval) -> Interval | None:
    start, end = max(a.start, b.start), min(a.end, b.end)
    return Interval(start, end) if start <= end else None


# -- Overlaps -------------------------------------------------------------------------


# A booking: (holder, start, end, occurrence) — something (a teacher, a room, a pupil)
# booked from start to end by an occurrence. Plain tuples: an import checks hundreds
# of thousands of them.
Booking = tuple[str, datetime, datetime, str]


def overlaps(bookings: Iterable[Booking]) -> list[tuple[Booking, Booking]]:
    """Pairs of bookings of the same holder that overlap in time (touching is fine:
    a course ending at 9:00 and one starting at 9:00 do not overlap)."""
    found = []
    running: list[Booking] = []
    holder = None
    for booking in sorted(bookings):
        if booking[0] != holder:
            holder, running = booking[0], []
        running = [other for other in running if other[2] > booking[1]]
        found.extend((other, booking) for other in running)
        running.append(booking)
    return found


def overlapping(items: Iterable[tuple[datetime, datetime, object]]) -> list[tuple[object, object]]:
    """Pairs of items (start, end, item) whose times overlap, each pair once, the one
    starting first first (touching is fine). Checking which holders two overlapping
    occurrences share costs far less than sorting a booking per pupil."""
    found = []
    running: list[tuple[datetime, datetime, object]] = []
    for entry in sorted(items, key=lambda entry: (entry[0], entry[1])):
        running = [other for other in running if other[1] > entry[0]]
        found.extend((other[2], entry[2]) for other in running)
        running.append(entry)
    return found
