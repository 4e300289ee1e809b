"""The legal and statistical outputs of attendance (attendance.md): each pupil's
half-days for a month, the L131-8 list, the absenteeism rates (DEPP), and the dropout
early warning (GPDS).

For a whole establishment, in a fixed number of queries whatever the number of pupils
(`_collect`: eleven). The timetable gives each pupil's scheduled time: the held
occurrences (not cancelled, moved, replaced or withdrawn, not on a public holiday or a
closure) whose audience holds, on the occurrence's date, a unit the pupil belongs to
then (dated memberships of divisions, class parts and groups, as the timetable's
selectors read them). Times are turned into the establishment's wall-clock time, and
the pure engine (`engine.py`) counts.

Events under the school's responsibility are not absences (attendance.md): an
occurrence of the pupil covered by one of their school events (`excused`: a trip, the
infirmary, an exclusion with a referral to the vie scolaire, an exemption whose
attendance is not required, for its subject only) is excused, never missed, even when
an absence overlaps it (a pupil on a trip marked absent at the roll call). It stays
scheduled time, attended: the computed count is the share of the half-day's courses
missed, and the time spent under the school's responsibility was not missed. (Taking
it out of the scheduled time would make an absence from the rest of the half-day weigh
more because of a trip.) An exemption whose attendance is required excuses nothing: the
pupil must be in class.

Only the half-days that an absence touches can count, so the engine is given, for each
pupil with absences, the occurrences of the days their absences cover: the figures are
those of the whole month, the work grows with the absences, not with the timetable.

Counts: the L131-8 list and the rates read the raw count of unjustified half-days, as
the law and the DEPP define them; the computed count (`AttendancePolicy.count_mode`)
is given beside it for the pages that show it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from preau.attendance import engine
from preau.attendance.models import (
    UNJUSTIFIED_STATES,
    Absence,
    AbsenceChange,
    AbsenceKind,
    AttendancePolicy,
    EventKind,
    SchoolEvent,
)
from preau.attendance.services import policy_for
from preau.core import calendar
from preau.core.models import (
    Closure,
    Establishment,
    ExternalId,
    IdentifiedAs,
    IdentifierSource,
    SchoolYear,
)
from preau.structure.models import (
    LEVEL_ORDER,
    ClassPartMembership,
    Enrolment,
    Group,
    GroupMembership,
    Level,
)
from preau.timetable.engine import Interval, intersect
from preau.timetable.models import NOT_HELD, Occurrence, OccurrenceAudience
from preau.timetable.source import CLASS_PART, DIVISION, GROUP, PUPIL

# The DEPP indicator counts pupils with at least 4 unjustified half-days in the month,
# whatever threshold an establishment chose for its own referrals: rates stay
# comparable between establishments and académies.
DEPP_THRESHOLD = 4

Unit = tuple[str, int]


# -- Contract -----------------------------------------------------------------------


@dataclass(frozen=True)
class PupilMonth:
    pupil_id: int
    half_days: int
    unjustified_half_days: int
    computed: Fraction
    computed_unjustified: Fraction
    lateness: int
    level: str | None  # "family_alert" | "referral" | "heavy" | None (engine.level_of)


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    month: date | None  # None: the yearly figure
    enrolled: int
    above: int
    rate: Fraction | None


@dataclass(frozen=True)
class Watch:
    pupil_id: int
    score: int
    reasons: list[str] = field(default_factory=list)


# -- Gathering ----------------------------------------------------------------------


@dataclass
class _Pupil:
    id: int
    sort_key: tuple
    # (division id, dates) of each enrolment in the period
    enrolments: list[tuple[int, Interval]] = field(default_factory=list)
    units: list[tuple[Unit, Interval]] = field(default_factory=list)
    absences: list[engine.Missed] = field(default_factory=list)
    covers: list["Cover"] = field(default_factory=list)
    lateness: list[date] = field(default_factory=list)
    days: list[engine.HalfDay] = field(default_factory=list)


@dataclass
class _Period:
    policy: AttendancePolicy
    start: date
    end: date
    pupils: dict[int, _Pupil]
    divisions: dict[int, tuple[str, str]]  # id → (name, level)

    def thresholds(self) -> engine.Thresholds:
        return engine.Thresholds(
            family_alert=self.policy.family_alert_threshold,
            referral=self.policy.referral_threshold,
            heavy=self.policy.heavy_threshold,
        )


def _bounded(start, end, year_start, year_end, first: date, last: date) -> Interval | None:
    """A dated membership within its school year and the period (an open end lasts the
    school year, never beyond)."""
    return intersect(
        Interval(max(start, year_start), min(end or year_end, year_end)), Interval(first, last)
    )


def _overlapping(prefix: str, first: date, last: date) -> Q:
    return Q(**{f"{prefix}start_date__lte": last}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": first})
    )


def _local_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _memberships(
    establishment: Establishment, first: date, last: date, pupil_ids=None
) -> tuple[dict, dict]:
    """Enrolled pupils (or only `pupil_ids`) with their divisions and units, and the
    divisions' names and levels. Five queries."""
    narrow = Q() if pupil_ids is None else Q(pupil_id__in=list(pupil_ids))
    pupils: dict[int, _Pupil] = {}
    divisions: dict[int, tuple[str, str]] = {}
    division_spans: list[tuple[int, int, Interval]] = []
    for pupil, division, s, e, ys, ye, name, level, last_name, first_name in (
        Enrolment.objects.filter(
            narrow, _overlapping("", first, last), division__establishment=establishment
        )
        .values_list(
            "pupil_id",
            "division_id",
            "start_date",
            "end_date",
            "division__school_year__start_date",
            "division__school_year__end_date",
            "division__name",
            "division__level",
            "pupil__last_name",
            "pupil__first_name",
        )
        .order_by()
    ):
        span = _bounded(s, e, ys, ye, first, last)
        if span is None:
            continue
        record = pupils.get(pupil)
        if record is None:
            record = pupils[pupil] = _Pupil(pupil, (last_name.lower(), first_name.lower(), pupil))
        record.enrolments.append((division, span))
        record.units.append(((DIVISION, division), span))
        divisions[division] = (name, level)
        division_spans.append((pupil, division, span))
    part_spans: list[tuple[int, int, Interval]] = []
    for pupil, part, s, e, ys, ye in ClassPartMembership.objects.filter(
        narrow, _overlapping("", first, last), class_part__division__establishment=establishment
    ).values_list(
        "pupil_id",
        "class_part_id",
        "start_date",
        "end_date",
        "class_part__division__school_year__start_date",
        "class_part__division__school_year__end_date",
    ):
        span = _bounded(s, e, ys, ye, first, last)
        if span is not None and pupil in pupils:
            pupils[pupil].units.append(((CLASS_PART, part), span))
            part_spans.append((pupil, part, span))
    for pupil, group, s, e, ys, ye in GroupMembership.objects.filter(
        narrow, _overlapping("", first, last), group__establishment=establishment
    ).values_list(
        "pupil_id",
        "group_id",
        "start_date",
        "end_date",
        "group__school_year__start_date",
        "group__school_year__end_date",
    ):
        span = _bounded(s, e, ys, ye, first, last)
        if span is not None and pupil in pupils:
            pupils[pupil].units.append(((GROUP, group), span))
    # A group holds the pupils of its class parts and whole divisions, on their dates.
    groups_of_division = defaultdict(list)
    for group, division in Group.divisions.through.objects.filter(
        group__establishment=establishment
    ).values_list("group_id", "division_id"):
        groups_of_division[division].append(group)
    groups_of_part = defaultdict(list)
    for group, part in Group.class_parts.through.objects.filter(
        group__establishment=establishment
    ).values_list("group_id", "classpart_id"):
        groups_of_part[part].append(group)
    for pupil, division, span in division_spans:
        pupils[pupil].units += [((GROUP, g), span) for g in groups_of_division[division]]
    for pupil, part, span in part_spans:
        pupils[pupil].units += [((GROUP, g), span) for g in groups_of_part[part]]
    for record in pupils.values():
        record.units.append(((PUPIL, record.id), Interval(first, last)))
    return pupils, divisions


def _timetable(establishment: Establishment, first: date, last: date, zone: ZoneInfo):
    """The held occurrences of the period by unit and date, with their local times and
    subjects. Two queries."""
    held = Q(
        establishment=establishment,
        date__gte=first,
        date__lte=last,
        withdrawn_in__isnull=True,
    ) & ~Q(status__in=NOT_HELD)
    times = {
        pk: (day, start.astimezone(zone), end.astimezone(zone), subject)
        for pk, day, start, end, subject in Occurrence.objects.filter(held)
        .values_list("pk", "date", "start", "end", "subject_id")
        .order_by()
    }
    by_unit_day: dict[tuple[Unit, date], list[int]] = defaultdict(list)
    audience = OccurrenceAudience.objects.filter(
        occurrence__in=Occurrence.objects.filter(held).values("pk")
    ).values_list("occurrence_id", "division_id", "group_id", "class_part_id", "pupil_id")
    for occurrence, division, group, part, pupil in audience:
        day = times[occurrence][0]
        for kind, pk in ((DIVISION, division), (GROUP, group), (CLASS_PART, part), (PUPIL, pupil)):
            if pk is not None:
                by_unit_day[((kind, pk), day)].append(occurrence)
    return times, by_unit_day


def closed_days(establishment: Establishment, first: date, last: date) -> set[date]:
    """Public holidays and the establishment's closures: not scheduled time, even if an
    occurrence was left on them. One query."""
    closed = set(calendar.public_holidays(establishment.public_holidays, first, last))
    for start, end in Closure.objects.filter(
        establishment=establishment, start_date__lte=last, end_date__gte=first
    ).values_list("start_date", "end_date"):
        closed.update(calendar.days(max(start, first), min(end, last)))
    return closed


# -- School events: time under the school's responsibility ------------------------------


@dataclass(frozen=True)
class Cover:
    """A school event as it excuses the pupil's occurrences: those it overlaps in time
    or was recorded on (`occurrence_id`, from a roll call), of `subject_id` only when
    set (an exemption from one subject)."""

    start: datetime
    end: datetime
    occurrence_id: int | None = None
    subject_id: int | None = None


def cover_of(
    *,
    kind: str,
    start: datetime,
    end: datetime,
    occurrence_id: int | None,
    subject_id: int | None,
    attendance_required: bool,
) -> Cover | None:
    """What a standing school event excuses: None for an exemption whose attendance is
    required (the pupil stays in class: missing it is an absence). An exemption covers
    the courses of its subject within its dates (every course without a subject); the
    other kinds cover whatever they overlap (their subject field is not theirs)."""
    if kind == EventKind.EXEMPTION:
        if attendance_required:
            return None
        return Cover(start, end, occurrence_id, subject_id)
    return Cover(start, end, occurrence_id, None)


def excused(
    covers: Iterable[Cover],
    *,
    occurrence_id: int | None,
    subject_id: int | None,
    start: datetime,
    end: datetime,
) -> bool:
    """Whether one of the pupil's school events covers this occurrence of theirs."""
    return any(
        (cover.subject_id is None or cover.subject_id == subject_id)
        and (
            (occurrence_id is not None and cover.occurrence_id == occurrence_id)
            or (cover.start < end and cover.end > start)
        )
        for cover in covers
    )


def _covers(establishment: Establishment, start: datetime, end: datetime, as_of):
    """(pupil, Cover) of the school events over [start, end) that excuse something, as
    they stand now or stood at `as_of` (recorded by then, not voided by then). One
    query."""
    events = SchoolEvent.objects.filter(
        establishment=establishment, start__lt=end, end__gt=start
    ).exclude(kind=EventKind.EXEMPTION, attendance_required=True)
    if as_of is None:
        events = events.filter(voided_at__isnull=True)
    else:
        events = events.filter(created_at__lte=as_of).filter(
            Q(voided_at__isnull=True) | Q(voided_at__gt=as_of)
        )
    for pupil, kind, s, e, occurrence, subject, required in events.values_list(
        "pupil_id", "kind", "start", "end", "occurrence_id", "subject_id", "attendance_required"
    ).order_by():
        cover = cover_of(
            kind=kind,
            start=s,
            end=e,
            occurrence_id=occurrence,
            subject_id=subject,
            attendance_required=required,
        )
        if cover is not None:
            yield pupil, cover


def _records(establishment: Establishment, start: datetime, end: datetime, as_of):
    """(pupil, kind, start, end, state) of the absences and lateness over [start, end),
    not voided, as they stand now or as they stood at `as_of` (the last state recorded
    at or before it; those created later do not exist yet). One query."""
    if as_of is None:
        yield from (
            Absence.objects.filter(
                establishment=establishment, voided_at__isnull=True, start__lt=end, end__gt=start
            )
            .values_list("pupil_id", "kind", "start", "end", "state")
            .order_by()
        )
        return
    # Every state of the absences that stood in the period at some time before
    # `as_of`: a later correction may have moved one out, or into, the period.
    touched = AbsenceChange.objects.filter(
        absence__establishment=establishment, at__lte=as_of, start__lt=end, end__gt=start
    ).values("absence_id")
    latest: dict[int, tuple] = {}
    for absence, pupil, kind, s, e, state, voided in (
        AbsenceChange.objects.filter(absence_id__in=touched, at__lte=as_of)
        .order_by("at", "pk")
        .values_list("absence_id", "absence__pupil_id", "kind", "start", "end", "state", "voided")
    ):
        latest[absence] = (pupil, kind, s, e, state, voided)
    for pupil, kind, s, e, state, voided in latest.values():
        if not voided and s < end and e > start:
            yield pupil, kind, s, e, state


def _collect(
    establishment: Establishment,
    first: date,
    last: date,
    *,
    as_of: datetime | None,
    pupil_ids=None,
) -> _Period:
    """Everything the outputs need over [first, last], each enrolled pupil's (or only
    `pupil_ids`') half-days worked out, the occurrences their school events cover
    excused. Eleven queries (twelve when the policy is created)."""
    policy = policy_for(establishment)
    zone = ZoneInfo(establishment.timezone)
    pupils, divisions = _memberships(establishment, first, last, pupil_ids)
    times, by_unit_day = _timetable(establishment, first, last, zone)
    closed = closed_days(establishment, first, last)
    bounds = _local_bounds(first, last, zone)
    for pupil, kind, start, end, state in _records(establishment, *bounds, as_of):
        record = pupils.get(pupil)
        if record is None:
            continue
        start, end = start.astimezone(zone), end.astimezone(zone)
        if kind == AbsenceKind.LATENESS:
            if first <= start.date() <= last:
                record.lateness.append(start.date())
        else:
            record.absences.append(engine.Missed(start, end, state in UNJUSTIFIED_STATES))
    for pupil, cover in _covers(establishment, *bounds, as_of):
        record = pupils.get(pupil)
        if record is not None and record.absences:
            record.covers.append(cover)
    for record in pupils.values():
        if not record.absences:
            continue
        touched: set[date] = set()
        for absence in record.absences:
            touched.update(
                calendar.days(max(absence.start.date(), first), min(absence.end.date(), last))
            )
        occurrences: set[int] = set()
        for unit, span in record.units:
            for day in touched:
                if span.contains(day):
                    occurrences.update(by_unit_day.get((unit, day), ()))
        scheduled = []
        for pk in occurrences:
            _day, start, end, subject = times[pk]
            scheduled.append(
                engine.Scheduled(
                    start,
                    end,
                    excused=excused(
                        record.covers, occurrence_id=pk, subject_id=subject, start=start, end=end
                    ),
                )
            )
        record.days = engine.half_days(
            scheduled, record.absences, boundary=policy.half_day_boundary, closed=closed
        )
    return _Period(policy, first, last, pupils, divisions)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _figures(period: _Period, pupil: _Pupil, first: date, last: date) -> PupilMonth:
    totals = engine.summarise(
        (d for d in pupil.days if first <= d.day <= last),
        lateness=sum(1 for day in pupil.lateness if first <= day <= last),
    )
    return PupilMonth(
        pupil_id=pupil.id,
        half_days=totals.half_days,
        unjustified_half_days=totals.unjustified_half_days,
        computed=totals.computed,
        computed_unjustified=totals.computed_unjustified,
        lateness=totals.lateness,
        level=engine.level_of(totals.unjustified_half_days, period.thresholds()),
    )


def range_figures(
    establishment: Establishment, first: date, last: date, pupil_ids
) -> dict[int, PupilMonth]:
    """The half-days of absence (of which unjustified) and lateness of `pupil_ids` from
    `first` to `last` (a report card's period), counted as the monthly figures are.
    Pupils not enrolled then are absent from the result. Eleven queries."""
    period = _collect(establishment, first, last, as_of=None, pupil_ids=pupil_ids)
    return {pupil.id: _figures(period, pupil, first, last) for pupil in period.pupils.values()}


# -- The monthly figures and the L131-8 list ------------------------------------------


def month_detail(establishment, month: date, as_of) -> tuple[_Period, list[PupilMonth]]:
    """The month's figures with the computation behind them (each pupil's half-days):
    the letters and referrals list the very half-days the counts were made of."""
    first, last = month_bounds(month)
    period = _collect(establishment, first, last, as_of=as_of)
    pupils = sorted(period.pupils.values(), key=lambda p: p.sort_key)
    return period, [_figures(period, pupil, first, last) for pupil in pupils]


def month_figures(
    establishment: Establishment, month: date, *, as_of: datetime | None = None
) -> list[PupilMonth]:
    """Every pupil enrolled on at least one day of the month (any day of `month`
    names it), by name, with their half-days, lateness and level. `as_of`: the states
    of the absences as they stood then (reproducing a list made that day)."""
    return month_detail(establishment, month, as_of)[1]


def l131_8(
    establishment: Establishment, month: date, *, as_of: datetime | None = None
) -> list[PupilMonth]:
    """The monthly L131-8 list: the pupils with at least the establishment's referral
    threshold (default 4) of unjustified half-days, raw count."""
    period, figures = month_detail(establishment, month, as_of)
    return [f for f in figures if f.unjustified_half_days >= period.policy.referral_threshold]


def rate_of(figures: Iterable[PupilMonth], threshold: int = DEPP_THRESHOLD) -> Fraction | None:
    """The absenteeism rate of a month from its figures (every enrolled pupil)."""
    figures = list(figures)
    return engine.absenteeism_rate(
        {f.pupil_id: f.unjustified_half_days for f in figures},
        [f.pupil_id for f in figures],
        threshold,
    )


# -- Rates --------------------------------------------------------------------------

BY = ("establishment", "level", "division")


def months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def monthly_rates(
    establishment: Establishment,
    school_year: SchoolYear,
    *,
    by: str,
    until: date | None = None,
) -> list[Rate]:
    """The DEPP absenteeism rate per month with school days, and the yearly figure
    (`month=None`: the mean of the monthly rates), per establishment, level or division.

    A pupil counts in a month when enrolled on at least one day of it; a pupil who
    changed division that month counts once, in the division (and level) they were in
    last. Months that have not begun by `until` (default today) are left out. The
    yearly `enrolled` and `above` count distinct pupils over the months."""
    return rates_by(establishment, school_year, by=(by,), until=until)[by]


def rates_by(
    establishment: Establishment,
    school_year: SchoolYear,
    *,
    by: Iterable[str] = BY,
    until: date | None = None,
) -> dict[str, list[Rate]]:
    """`monthly_rates` for several groupings at once (a page showing the establishment,
    its levels and its divisions), for the cost of one: the year is gathered once."""
    by = tuple(by)
    if set(by) - set(BY):
        raise ValueError(f"by: one of {', '.join(BY)}")
    until = until or timezone.localdate()
    last = min(school_year.end_date, month_bounds(until)[1])
    if last < school_year.start_date:
        return {grouping: [] for grouping in by}
    period = _collect(establishment, school_year.start_date, last, as_of=None)
    rules = establishment.school_calendar_rules()
    taught = []
    for month in months(school_year.start_date, last):
        first, end = month_bounds(month)
        first, end = max(first, school_year.start_date), min(end, school_year.end_date)
        if calendar.school_days(rules, first, end):
            taught.append((month, first, end))
    # Per pupil and month: the division they were in last that month, and whether
    # they reached the threshold.
    presence: list[tuple[int, date, int, bool]] = []
    for pupil in period.pupils.values():
        for month, first, end in taught:
            in_month = [
                (span.end, span.start, division)
                for division, span in pupil.enrolments
                if intersect(span, Interval(first, end))
            ]
            if not in_month:
                continue
            unjustified = sum(1 for d in pupil.days if first <= d.day <= end and d.unjustified)
            presence.append((pupil.id, month, max(in_month)[2], unjustified >= DEPP_THRESHOLD))
    return {grouping: _rates(establishment, period, taught, presence, grouping) for grouping in by}


def _rates(establishment, period: _Period, months, presence, by: str) -> list[Rate]:
    def key_of(division: int) -> tuple[str, str, tuple]:
        name, level = period.divisions[division]
        if by == "division":
            return str(division), name, (name.lower(), division)
        if by == "level":
            return level, str(Level(level).label), (LEVEL_ORDER.get(level, 99), level)
        return establishment.uai, establishment.name, ()

    labels: dict[str, tuple[str, tuple]] = {}
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    year_enrolled: dict[str, set[int]] = defaultdict(set)
    year_above: dict[str, set[int]] = defaultdict(set)
    for pupil, month, division, above in presence:
        key, label, order = key_of(division)
        labels[key] = (label, order)
        counts[(key, month)][0] += 1
        counts[(key, month)][1] += above
        year_enrolled[key].add(pupil)
        if above:
            year_above[key].add(pupil)
    rates: list[Rate] = []
    for key in sorted(labels, key=lambda k: labels[k][1]):
        label = labels[key][0]
        monthly = []
        for month, _first, _end in months:
            enrolled, above = counts.get((key, month), (0, 0))
            rate = Fraction(above, enrolled) if enrolled else None
            monthly.append(rate)
            rates.append(Rate(key, label, month, enrolled, above, rate))
        rates.append(
            Rate(
                key,
                label,
                None,
                len(year_enrolled[key]),
                len(year_above[key]),
                engine.yearly_rate(monthly),
            )
        )
    return rates


# -- Dropout early warning (GPDS) -----------------------------------------------------

# Each indicator: a threshold over the last window and the points it gives. A pupil is
# on the list from WATCH_SCORE points, so that one sign alone (a flu, two exclusions)
# does not put them there but two do; the list says which indicators did.
WINDOW_DAYS = 30  # "per month": the 30 days up to the date of the list
PREVIOUS_WINDOWS = 3  # the trend compares with the three windows before
ABSENCE_HALF_DAYS = 4  # half-days of absence, whatever their state, in the window
ABSENCE_POINTS = 1
UNJUSTIFIED_HALF_DAYS = 4  # of which unjustified (the L131-8 threshold)
UNJUSTIFIED_POINTS = 2
HEAVY_ABSENCE_HALF_DAYS = 10
HEAVY_ABSENCE_POINTS = 1
LATENESS_COUNT = 5
LATENESS_POINTS = 1
TREND_MIN_INCREASE = 3  # half-days more than the mean of the previous windows…
TREND_RATIO = 2  # …and at least twice it
TREND_POINTS = 1
INFIRMARY_VISITS = 3
INFIRMARY_POINTS = 1
EXCLUSIONS = 2
EXCLUSION_POINTS = 2
AVERAGE_DROP = Decimal("2")  # points out of 20 between the last two grading periods
AVERAGE_DROP_POINTS = 2
WATCH_SCORE = 3

# The drop of the general average: a function given the establishment, the pupils' ids
# and the date, returning for the pupils whose general average fell between the last
# two grading periods the drop in points out of 20. The grades app sets it when ready
# (`grades.selectors.drops.average_drops`); attendance does not import grades.
AVERAGE_DROPS: Callable[[Establishment, list[int], date], dict[int, Decimal]] | None = None


def _events(establishment: Establishment, start: datetime, end: datetime) -> dict:
    """Infirmary visits and exclusions from a course per pupil and kind. One query."""
    found: dict[tuple[int, str], int] = defaultdict(int)
    for pupil, kind in (
        SchoolEvent.objects.filter(
            establishment=establishment,
            voided_at__isnull=True,
            kind__in=[EventKind.INFIRMARY, EventKind.EXCLUSION],
            start__lt=end,
            start__gte=start,
        )
        .values_list("pupil_id", "kind")
        .order_by()
    ):
        found[(pupil, kind)] += 1
    return found


def dropout_watch(establishment: Establishment, *, as_of: date) -> list[Watch]:
    """The pupils to watch on `as_of`, with a transparent score: half-days of absence
    (and of them unjustified ones) and lateness in the last 30 days, their rise against
    the three previous periods of 30 days, infirmary visits and exclusions from courses,
    and (when grades exist) the drop of the general average. Each reason says the
    figure and its threshold. Highest scores first, then by name. Absences in the
    states they stood in at the end of `as_of` when it is past (the list of that day)."""
    window = timedelta(days=WINDOW_DAYS)
    last_start = as_of - window + timedelta(days=1)
    first = last_start - PREVIOUS_WINDOWS * window
    zone = ZoneInfo(establishment.timezone)
    states_at = None
    if as_of < timezone.localdate():
        states_at = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=zone)
    period = _collect(establishment, first, as_of, as_of=states_at)
    events = _events(establishment, *_local_bounds(last_start, as_of, zone))
    current = [
        p
        for p in period.pupils.values()
        if any(span.end >= last_start for _division, span in p.enrolments)
    ]
    drops = AVERAGE_DROPS(establishment, [p.id for p in current], as_of) if AVERAGE_DROPS else {}
    windows = [
        (last_start - n * window, last_start - (n - 1) * window - timedelta(days=1))
        for n in range(1, PREVIOUS_WINDOWS + 1)
    ]
    found: list[tuple[tuple, Watch]] = []
    for pupil in current:
        score, reasons = 0, []
        absent = sum(1 for d in pupil.days if d.day >= last_start and d.absent)
        if absent >= ABSENCE_HALF_DAYS:
            score += ABSENCE_POINTS
            reasons.append(
                ngettext(
                    "%(count)d demi-journée d'absence sur les %(days)d derniers jours "
                    "(seuil : %(threshold)d).",
                    "%(count)d demi-journées d'absence sur les %(days)d derniers jours "
                    "(seuil : %(threshold)d).",
                    absent,
                )
                % {"count": absent, "days": WINDOW_DAYS, "threshold": ABSENCE_HALF_DAYS}
            )
        unjustified = sum(1 for d in pupil.days if d.day >= last_start and d.unjustified)
        if unjustified >= UNJUSTIFIED_HALF_DAYS:
            score += UNJUSTIFIED_POINTS
            reasons.append(
                _("Dont %(count)d demi-journées non justifiées (seuil : %(threshold)d).")
                % {"count": unjustified, "threshold": UNJUSTIFIED_HALF_DAYS}
            )
        if absent >= HEAVY_ABSENCE_HALF_DAYS:
            score += HEAVY_ABSENCE_POINTS
            reasons.append(
                _("Absentéisme lourd : %(threshold)d demi-journées ou plus en %(days)d jours.")
                % {"threshold": HEAVY_ABSENCE_HALF_DAYS, "days": WINDOW_DAYS}
            )
        late = sum(1 for day in pupil.lateness if day >= last_start)
        if late >= LATENESS_COUNT:
            score += LATENESS_POINTS
            reasons.append(
                _("%(count)d retards sur les %(days)d derniers jours (seuil : %(threshold)d).")
                % {"count": late, "days": WINDOW_DAYS, "threshold": LATENESS_COUNT}
            )
        # The trend compares with the windows in which the pupil was enrolled.
        before = [
            sum(1 for d in pupil.days if start <= d.day <= end and d.absent)
            for start, end in windows
            if any(intersect(span, Interval(start, end)) for _d, span in pupil.enrolments)
        ]
        if before:
            mean = Fraction(sum(before), len(before))
            if absent >= mean + TREND_MIN_INCREASE and absent >= TREND_RATIO * mean:
                score += TREND_POINTS
                reasons.append(
                    _(
                        "Absences en hausse : %(count)d demi-journées sur les %(days)d derniers"
                        " jours contre %(mean)s en moyenne sur les périodes précédentes."
                    )
                    % {
                        "count": absent,
                        "days": WINDOW_DAYS,
                        "mean": f"{float(mean):.1f}".replace(".", ","),
                    }
                )
        visits = events.get((pupil.id, EventKind.INFIRMARY), 0)
        if visits >= INFIRMARY_VISITS:
            score += INFIRMARY_POINTS
            reasons.append(
                _(
                    "%(count)d passages à l'infirmerie sur les %(days)d derniers jours "
                    "(seuil : %(threshold)d)."
                )
                % {"count": visits, "days": WINDOW_DAYS, "threshold": INFIRMARY_VISITS}
            )
        exclusions = events.get((pupil.id, EventKind.EXCLUSION), 0)
        if exclusions >= EXCLUSIONS:
            score += EXCLUSION_POINTS
            reasons.append(
                _(
                    "%(count)d exclusions de cours sur les %(days)d derniers jours "
                    "(seuil : %(threshold)d)."
                )
                % {"count": exclusions, "days": WINDOW_DAYS, "threshold": EXCLUSIONS}
            )
        drop = drops.get(pupil.id)
        if drop is not None and drop >= AVERAGE_DROP:
            score += AVERAGE_DROP_POINTS
            reasons.append(
                _("Moyenne générale en baisse de %(drop)s points (seuil : %(threshold)s).")
                % {"drop": str(drop).replace(".", ","), "threshold": AVERAGE_DROP}
            )
        if score >= WATCH_SCORE:
            found.append(((-score, pupil.sort_key), Watch(pupil.id, score, reasons)))
    return [watch for _key, watch in sorted(found, key=lambda item: item[0])]


# -- References -----------------------------------------------------------------------

REF_SOURCES = (IdentifierSource.EDT, IdentifierSource.INE, IdentifierSource.SIECLE)


def pupil_refs(establishment: Establishment, pupil_ids: Iterable[int]) -> dict[int, str]:
    """Each pupil's `REF` (interfaces.md): `edt:` else `ine:` else `siecle:`, the
    identifiers the establishment's sources gave them; `id:<pk>` for a pupil without
    any. One query."""
    pupil_ids = list(pupil_ids)
    best: dict[int, tuple[int, str]] = {}
    for person, source, value in (
        ExternalId.objects.filter(
            person_id__in=pupil_ids,
            source__in=REF_SOURCES,
            kind__in=[IdentifiedAs.PUPIL, IdentifiedAs.ANY],
        )
        .filter(Q(establishment=establishment) | Q(establishment__isnull=True))
        .values_list("person_id", "source", "value")
        .order_by()
    ):
        rank = REF_SOURCES.index(source)
        if person not in best or (rank, value) < best[person]:
            best[person] = (rank, value)
    return {
        pk: f"{REF_SOURCES[best[pk][0]]}:{best[pk][1]}" if pk in best else f"id:{pk}"
        for pk in pupil_ids
    }
