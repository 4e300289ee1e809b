"""Half-days and the figures of the legal follow-up (attendance.md), as pure functions:
no ORM, no clock. Times are local wall-clock datetimes of the establishment (aware or
naive, but all alike): the half-day boundary is a time of the day.

- An occurrence belongs to the half-day in which it starts.
- A pupil is absent from an occurrence when one of their absences overlaps it.
- Raw count: a half-day counts 1 when the pupil was absent from at least one of its
  occurrences; half-days without scheduled occurrences never count.
- Computed count: the share of the half-day's scheduled minutes that were missed.
- A half-day is unjustified when at least one absence that makes it counts as
  unjustified.
- Lateness is counted apart and never makes a half-day.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from fractions import Fraction

MORNING, AFTERNOON = 0, 1


@dataclass(frozen=True)
class Scheduled:
    """An occurrence of the pupil's own timetable that is held (not cancelled)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Missed:
    """An absence over [start, end): one course, part of a day, several days."""

    start: datetime
    end: datetime
    unjustified: bool


@dataclass(frozen=True)
class HalfDay:
    day: date
    part: int  # MORNING or AFTERNOON
    scheduled_minutes: int
    missed_minutes: int
    absent: bool
    unjustified: bool

    @property
    def fraction(self) -> Fraction:
        """The computed count: the share of scheduled time missed, 0 to 1."""
        if not self.scheduled_minutes:
            return Fraction(0)
        return Fraction(self.missed_minutes, self.scheduled_minutes)


@dataclass(frozen=True)
class Totals:
    half_days: int = 0
    unjustified_half_days: int = 0
    computed: Fraction = Fraction(0)
    computed_unjustified: Fraction = Fraction(0)
    lateness: int = 0
    days: tuple[HalfDay, ...] = field(default=(), compare=False)


def half_day_of(moment: datetime, boundary: time) -> tuple[date, int]:
    """The half-day a moment belongs to: the morning before the boundary, the afternoon
    from it on."""
    return moment.date(), MORNING if moment.time() < boundary else AFTERNOON


def _overlap_minutes(a_start, a_end, b_start, b_end) -> float:
    start, end = max(a_start, b_start), min(a_end, b_end)
    return max(0.0, (end - start).total_seconds() / 60)


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def half_days(
    scheduled: Iterable[Scheduled],
    absences: Sequence[Missed],
    *,
    boundary: time = time(12, 0),
    closed: frozenset[date] | set[date] = frozenset(),
) -> list[HalfDay]:
    """Every half-day in which the pupil has scheduled time, with what was missed.
    `closed` (public holidays, closures) holds dates that are not scheduled time."""
    by_half: dict[tuple[date, int], list[Scheduled]] = {}
    for item in scheduled:
        if item.end <= item.start or item.start.date() in closed:
            continue
        by_half.setdefault(half_day_of(item.start, boundary), []).append(item)
    ordered = sorted(absences, key=lambda a: a.start)
    result = []
    for (day, part), items in sorted(by_half.items()):
        first = min(item.start for item in items)
        last = max(item.end for item in items)
        relevant = [a for a in ordered if a.start < last and a.end > first and a.end > a.start]
        scheduled_minutes = 0.0
        missed: list[tuple[datetime, datetime]] = []
        absent = unjustified = False
        for item in _union((i.start, i.end) for i in items):
            scheduled_minutes += (item[1] - item[0]).total_seconds() / 60
        for item in items:
            for absence in relevant:
                if absence.start < item.end and absence.end > item.start:
                    absent = True
                    unjustified = unjustified or absence.unjustified
                    missed.append((max(absence.start, item.start), min(absence.end, item.end)))
        missed_minutes = sum((end - start).total_seconds() / 60 for start, end in _union(missed))
        result.append(
            HalfDay(
                day=day,
                part=part,
                scheduled_minutes=round(scheduled_minutes),
                missed_minutes=round(missed_minutes),
                absent=absent,
                unjustified=unjustified,
            )
        )
    return result


def totals(
    scheduled: Iterable[Scheduled],
    absences: Sequence[Missed],
    *,
    lateness: int = 0,
    boundary: time = time(12, 0),
    closed: frozenset[date] | set[date] = frozenset(),
) -> Totals:
    """The raw and computed counts of a pupil over the scheduled time given."""
    days = half_days(scheduled, absences, boundary=boundary, closed=closed)
    return Totals(
        half_days=sum(1 for d in days if d.absent),
        unjustified_half_days=sum(1 for d in days if d.unjustified),
        computed=sum((d.fraction for d in days), Fraction(0)),
        computed_unjustified=sum((d.fraction for d in days if d.unjustified), Fraction(0)),
        lateness=lateness,
        days=tuple(days),
    )


# -- The legal and statistical outputs ------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    family_alert: int = 2
    referral: int = 4
    heavy: int = 10


def level_of(unjustified_half_days: int, thresholds: Thresholds) -> str | None:
    """Where a pupil stands for a month: "heavy", "referral", "family_alert" or None."""
    if unjustified_half_days >= thresholds.heavy:
        return "heavy"
    if unjustified_half_days >= thresholds.referral:
        return "referral"
    if unjustified_half_days >= thresholds.family_alert:
        return "family_alert"
    return None


def absenteeism_rate(unjustified_by_pupil: dict, enrolled: Iterable, threshold: int = 4):
    """DEPP indicator for a month: the pupils enrolled that month with at least
    `threshold` unjustified half-days, over the pupils enrolled. None without pupils."""
    enrolled = set(enrolled)
    if not enrolled:
        return None
    above = sum(1 for pupil in enrolled if unjustified_by_pupil.get(pupil, 0) >= threshold)
    return Fraction(above, len(enrolled))


def yearly_rate(monthly: Iterable[Fraction | None]) -> Fraction | None:
    """The yearly figure: the mean over the months with school days (None months, with
    no school day or no pupil, are left out)."""
    rates = [rate for rate in monthly if rate is not None]
    if not rates:
        return None
    return sum(rates, Fraction(0)) / len(rates)
