"""Half-days and the figures of the legal follow-up (attendance.md), as pure functions:
no ORM, no clock. Times are local wall-clock datetimes of the establishment (aware or
naive, but all alike): the half-day boundary is a time of the day, read on them as
they are, so a caller converts database times (UTC) to the establishment's zone first.

- An occurrence belongs to the half-day in which it starts (11:30–12:30 is a morning
  course with a 12:00 boundary).
- A pupil is absent from an occurrence when one of their absences overlaps it, unless
  the occurrence is excused: spent under the school's responsibility (a school trip, the
  infirmary, an exemption), it is never missed, whatever absence overlaps it. It stays
  scheduled time, attended: excusing an occurrence can only lower a count, never raise
  one (taking it out of the scheduled time would raise the computed share of the rest).
- Raw count: a half-day counts 1 when the pupil was absent from at least one of its
  occurrences; half-days without scheduled occurrences never count.
- Computed count: the share of the half-day's scheduled time that was missed.
- A half-day is unjustified when at least one absence that makes it counts as
  unjustified. Its unjustified computed share is the time missed under such absences:
  an accepted absence added to a half-day never raises an unjustified figure.
- Lateness is counted apart and never makes a half-day.

Durations are kept as exact `timedelta`s (microseconds), never rounded minutes: a
computed count is a `Fraction`, and splitting or merging absences cannot change it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction

MORNING, AFTERNOON = 0, 1
_ZERO = timedelta(0)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Scheduled:
    """An occurrence of the pupil's own timetable that is held (not cancelled).
    `excused`: the pupil spent it under the school's responsibility (attendance.md: not
    an absence), so no absence misses it."""

    start: datetime
    end: datetime
    excused: bool = False


@dataclass(frozen=True)
class Missed:
    """An absence over [start, end): one course, part of a day, several days."""

    start: datetime
    end: datetime
    unjustified: bool


@dataclass(frozen=True)
class HalfDay:
    """A half-day in which the pupil had scheduled time, and what they missed of it."""

    day: date
    part: int  # MORNING or AFTERNOON
    scheduled: timedelta  # the union of its occurrences
    missed: timedelta  # the part of it covered by absences
    missed_unjustified: timedelta  # the part covered by absences counting as unjustified
    absent: bool
    unjustified: bool

    @property
    def fraction(self) -> Fraction:
        """The computed count: the share of scheduled time missed, 0 to 1."""
        return _share(self.missed, self.scheduled)

    @property
    def unjustified_fraction(self) -> Fraction:
        return _share(self.missed_unjustified, self.scheduled)

    @property
    def scheduled_minutes(self) -> int:
        return round(self.scheduled / timedelta(minutes=1))

    @property
    def missed_minutes(self) -> int:
        return round(self.missed / timedelta(minutes=1))


@dataclass(frozen=True)
class Totals:
    half_days: int = 0
    unjustified_half_days: int = 0
    computed: Fraction = Fraction(0)
    computed_unjustified: Fraction = Fraction(0)
    lateness: int = 0
    days: tuple[HalfDay, ...] = field(default=(), compare=False)


def _share(part: timedelta, whole: timedelta) -> Fraction:
    if whole <= _ZERO:
        return Fraction(0)
    return Fraction(part // _TICK, whole // _TICK)


def half_day_of(moment: datetime, boundary: time) -> tuple[date, int]:
    """The half-day a moment belongs to: the morning before the boundary, the afternoon
    from it on."""
    return moment.date(), MORNING if moment.time() < boundary else AFTERNOON


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching intervals joined: [8, 9) and [9, 10) make [8, 10)."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _length(intervals: Iterable[tuple[datetime, datetime]]) -> timedelta:
    return sum((end - start for start, end in _union(intervals)), _ZERO)


def half_days(
    scheduled: Iterable[Scheduled],
    absences: Sequence[Missed],
    *,
    boundary: time = time(12, 0),
    closed: frozenset[date] | set[date] = frozenset(),
) -> list[HalfDay]:
    """Every half-day in which the pupil has scheduled time, with what was missed, in
    order. `closed` (public holidays, closures) holds dates that are not scheduled time.
    A half-day holds the time of its occurrences only: an absence over the lunch break
    or a free period misses nothing, nor does one over an excused occurrence (which
    stays scheduled time: the computed share is over every occurrence of the half-day).
    An occurrence that is not excused is missed where an absence overlaps it, even if an
    excused occurrence runs at the same time: the excuse is the occurrence's, not the
    hour's."""
    by_half: dict[tuple[date, int], list[Scheduled]] = {}
    for item in scheduled:
        if item.end <= item.start or item.start.date() in closed:
            continue
        by_half.setdefault(half_day_of(item.start, boundary), []).append(item)
    spans = sorted((a.start, a.end, a.unjustified) for a in absences if a.end > a.start)
    result = []
    for (day, part), items in sorted(by_half.items()):
        # Overlapping an occurrence is overlapping the union of them (positive lengths).
        union = _union((item.start, item.end) for item in items)
        expected = _union((item.start, item.end) for item in items if not item.excused)
        missed: list[tuple[datetime, datetime]] = []
        missed_unjustified: list[tuple[datetime, datetime]] = []
        if expected:
            first, last = expected[0][0], expected[-1][1]
            for a_start, a_end, unjustified in spans:
                if a_start >= last:
                    break
                if a_end <= first:
                    continue
                for start, end in expected:
                    if a_start < end and a_end > start:
                        piece = (max(a_start, start), min(a_end, end))
                        missed.append(piece)
                        if unjustified:
                            missed_unjustified.append(piece)
        result.append(
            HalfDay(
                day=day,
                part=part,
                scheduled=_length(union),
                missed=_length(missed),
                missed_unjustified=_length(missed_unjustified),
                absent=bool(missed),
                unjustified=bool(missed_unjustified),
            )
        )
    return result


def summarise(days: Iterable[HalfDay], *, lateness: int = 0) -> Totals:
    """The raw and computed counts of half-days already worked out (a month of them)."""
    days = tuple(days)
    return Totals(
        half_days=sum(1 for d in days if d.absent),
        unjustified_half_days=sum(1 for d in days if d.unjustified),
        computed=sum((d.fraction for d in days), Fraction(0)),
        computed_unjustified=sum((d.unjustified_fraction for d in days), Fraction(0)),
        lateness=lateness,
        days=days,
    )


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
    return summarise(days, lateness=lateness)


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


def absenteeism_rate(
    unjustified_by_pupil: dict, enrolled: Iterable, threshold: int = 4
) -> Fraction | None:
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
