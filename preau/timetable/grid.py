"""How a week or a day of sessions is laid out on a page: the period asked for, the days
and hours shown, and side-by-side lanes for sessions at the same time (a division's
half-groups, a replaced session beside its replacement). Pure: no ORM, no request.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from preau.timetable.engine import monday_of

# Hours a day shows at least, so that weeks line up from one page to the next.
DAY_START_HOUR = 8
DAY_END_HOUR = 17
SATURDAY, SUNDAY = 5, 6


@dataclass(frozen=True)
class Period:
    """The days a page covers: a week from Monday to Sunday, or one day."""

    start: date
    end: date  # inclusive
    single_day: bool = False

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def week_of(day: date) -> Period:
    monday = monday_of(day)
    return Period(start=monday, end=monday + timedelta(days=6))


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD date from a query string, or None for anything else."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def period_for(
    *, week: str | None, day: str | None, today: date, saturday_classes: bool = False
) -> Period:
    """`?jour=` asks for one day, `?semaine=` for the week holding any of its days;
    neither (or an unreadable date) is the current week, or the coming one once its
    school days are over (on Saturday without classes and on Sunday families prepare
    the next week)."""
    single = parse_day(day)
    if single is not None:
        return Period(start=single, end=single, single_day=True)
    asked = parse_day(week)
    if asked is not None:
        return week_of(asked)
    if today.weekday() >= SATURDAY and not is_school_day(today, saturday_classes):
        return week_of(today + timedelta(days=7 - today.weekday()))
    return week_of(today)


def is_school_day(day: date, saturday_classes: bool) -> bool:
    return day.weekday() < SATURDAY or (saturday_classes and day.weekday() == SATURDAY)


def next_school_day(day: date, saturday_classes: bool, step: int = 1) -> date:
    """The next (step 1) or previous (step -1) day with classes, weekends skipped."""
    day += timedelta(days=step)
    while not is_school_day(day, saturday_classes):
        day += timedelta(days=step)
    return day


def shown_days(period: Period, busy: set[date], saturday_classes: bool) -> list[date]:
    """Monday to Friday, plus Saturday where the establishment has classes, plus any
    weekend day that holds a session (an outing, a Saturday exam)."""
    if period.single_day:
        return [period.start]
    return [day for day in period.days if is_school_day(day, saturday_classes) or day in busy]


def hour_range(spans: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """The whole hours a grid runs over for sessions given as (start, end) minutes after
    midnight: at least DAY_START_HOUR to DAY_END_HOUR, widened to hold every session."""
    first, last = DAY_START_HOUR * 60, DAY_END_HOUR * 60
    for start, end in spans:
        first, last = min(first, start), max(last, end)
    return first // 60, -(-last // 60)


@dataclass(frozen=True)
class Placed:
    """A session on one day's column: `top` and `length` in minutes from the grid's
    first hour, `lane` among `lanes` side by side."""

    item: Any
    top: int
    length: int
    lane: int
    lanes: int


def place(items: Iterable[tuple[int, int, Any]], first_hour: int) -> list[Placed]:
    """Lanes for one day's sessions, given as (start, end, item) in minutes after
    midnight: sessions that overlap, directly or through a chain of others, share the
    width of the column; each takes the first lane free at its start, the longest of
    those starting together first."""
    ordered = sorted(items, key=lambda entry: (entry[0], -entry[1]))
    placed: list[Placed] = []
    cluster: list[tuple[int, int, Any, int]] = []
    lane_ends: list[int] = []
    cluster_end = None

    def close() -> None:
        for start, end, item, lane in cluster:
            placed.append(
                Placed(
                    item=item,
                    top=start - first_hour * 60,
                    length=max(end - start, 1),
                    lane=lane,
                    lanes=len(lane_ends),
                )
            )

    for start, end, item in ordered:
        if cluster_end is not None and start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lane_ends[lane] = end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(end)
        cluster.append((start, end, item, lane))
        cluster_end = end if cluster_end is None else max(cluster_end, end)
    close()
    return placed
