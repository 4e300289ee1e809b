"""Reads of the vie scolaire's desk, scoped by establishment: the absences and lateness
of a day grouped by division, the justifications waiting for a decision, one absence
with its history, pupils found by name, and a pupil's attendance file over a school
year with half-day totals per month (engine.py). Desk staff see every reason in full,
confidential ones included (access.md). Each read costs a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from preau.attendance import engine
from preau.attendance.models import (
    UNJUSTIFIED_STATES,
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceSource,
    AbsenceState,
    AttendancePolicy,
    Mark,
    SchoolEvent,
)
from preau.core import calendar
from preau.core.access import StaffScope
from preau.core.models import Closure, Establishment, Person, SchoolYear
from preau.structure.models import LEVEL_ORDER, Division
from preau.structure.selectors import current_divisions, visible_pupils
from preau.timetable.models import NOT_HELD
from preau.timetable.selectors import pupil_occurrences

VOIDED = "voided"
MAX_PUPILS = 20
MAX_PENDING = 20


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


# -- The teacher's entry beside the office's correction -------------------------------


def entry_label(absence: Absence) -> str:
    """What the teacher's roll call recorded, in words ("" without a roll call)."""
    entry = absence.roll_call_entry
    if entry is None:
        return ""
    if entry.mark == Mark.LATE:
        return _("Retard de %(minutes)s min") % {"minutes": entry.minutes_late}
    return str(Mark(entry.mark).label)


def entry_differs(absence: Absence) -> bool:
    """Whether the office's record no longer says what the teacher's roll call says:
    another kind, other minutes, another period, or withdrawn while the teacher still
    marks the pupil absent or late."""
    entry = absence.roll_call_entry
    if entry is None:
        return False
    if absence.voided_at is not None:
        return entry.mark in (Mark.ABSENT, Mark.LATE)
    if entry.mark == Mark.ABSENT:
        if absence.kind != AbsenceKind.ABSENCE:
            return True
        occurrence = absence.occurrence
        return occurrence is not None and (
            absence.start != occurrence.start or absence.end != occurrence.end
        )
    if entry.mark == Mark.LATE:
        return absence.kind != AbsenceKind.LATENESS or absence.minutes_late != entry.minutes_late
    return True


def period_text(absence: Absence | SchoolEvent, zone: ZoneInfo) -> str:
    """A period as the desk says it: "lun. 3 novembre, 08:00 – 09:00", "mar. 4
    novembre (journée)", "du lun. 3 nov. au mer. 5 nov.", a lateness at its hour.
    Midnight at either end means the day starts or ends there."""
    start, end = timezone.localtime(absence.start, zone), timezone.localtime(absence.end, zone)
    if absence.kind == AbsenceKind.LATENESS:
        return f"{formats.date_format(start, 'D j F')}, {start:%H:%M}"
    start_time = None if start.time() == time(0) else start.time()
    end_day, end_time = end.date(), end.time()
    if end_time == time(0):
        end_day, end_time = end_day - timedelta(days=1), None
    if end_day < start.date():
        end_day = start.date()
    first = formats.date_format(start, "D j F")
    if end_day == start.date():
        if start_time is None and end_time is None:
            return _("%(day)s (journée)") % {"day": first}
        if start_time is None:
            return _("%(day)s, jusqu'à %(end)s") % {"day": first, "end": f"{end_time:%H:%M}"}
        if end_time is None:
            return _("%(day)s, à partir de %(start)s") % {
                "day": first,
                "start": f"{start_time:%H:%M}",
            }
        return f"{first}, {start_time:%H:%M} – {end_time:%H:%M}"
    last = formats.date_format(end_day, "D j F")
    if start_time is not None:
        first = f"{first} {start_time:%H:%M}"
    if end_time is not None:
        last = f"{last} {end_time:%H:%M}"
    return _("du %(start)s au %(end)s") % {"start": first, "end": last}


# -- The day ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskFilters:
    state: str = ""  # an AbsenceState, VOIDED, or "" for every standing absence
    division_id: int | None = None
    kind: str = ""


@dataclass
class DeskRow:
    absence: Absence
    division: Division | None
    when: str
    reason: str
    confidential: bool
    teacher_entry: str
    differs: bool
    # The words of the kind, state and source, translated once per page rather than
    # once per row (a day may hold hundreds of rows).
    kind_label: str = ""
    state_label: str = ""
    source_label: str = ""


def _labels() -> dict[str, dict[str, str]]:
    return {
        "kind": {value: str(label) for value, label in AbsenceKind.choices},
        "state": {value: str(label) for value, label in AbsenceState.choices},
        "source": {value: str(label) for value, label in AbsenceSource.choices},
    }


@dataclass
class DivisionBlock:
    division: Division | None
    name: str
    rows: list[DeskRow]


@dataclass
class DeskCounts:
    absences: int = 0
    lateness: int = 0
    pupils: int = 0
    unjustified: int = 0
    pending: int = 0
    accepted: int = 0
    voided: int = 0


@dataclass
class DeskDay:
    day: date
    blocks: list[DivisionBlock]
    counts: DeskCounts
    divisions: list[Division]
    pending_elsewhere: list[DeskRow] = field(default_factory=list)
    pending_elsewhere_count: int = 0

    @property
    def shown(self) -> int:
        return sum(len(block.rows) for block in self.blocks)


def desk_row(
    absence: Absence, division: Division | None, zone: ZoneInfo, labels: dict | None = None
) -> DeskRow:
    reason = absence.reason
    labels = labels or _labels()
    return DeskRow(
        absence=absence,
        division=division,
        when=period_text(absence, zone),
        kind_label=labels["kind"].get(absence.kind, absence.kind),
        state_label=_("Annulée")
        if absence.voided_at is not None
        else labels["state"].get(absence.state, absence.state),
        source_label=labels["source"].get(absence.source, absence.source),
        reason=reason.label if reason is not None else "",
        confidential=bool(reason is not None and reason.health),
        teacher_entry=entry_label(absence),
        differs=entry_differs(absence),
    )


def _desk_absences() -> QuerySet[Absence]:
    return Absence.objects.select_related(
        "pupil",
        "reason",
        "roll_call_entry",
        "occurrence__subject",
        "created_by",
    )


def _division_key(division: Division | None) -> tuple:
    if division is None:
        return (1, 0, "")
    return (0, LEVEL_ORDER.get(division.level, 99), division.name)


def _matches(row: DeskRow, filters: DeskFilters) -> bool:
    absence = row.absence
    if filters.state == VOIDED:
        if absence.voided_at is None:
            return False
    elif absence.voided_at is not None or (filters.state and absence.state != filters.state):
        return False
    if filters.kind and absence.kind != filters.kind:
        return False
    if filters.division_id is not None:
        return row.division is not None and row.division.pk == filters.division_id
    return True


def desk_day(
    *, establishment: Establishment, day: date, filters: DeskFilters = DeskFilters()
) -> DeskDay:
    """The absences and lateness of `day` (any period overlapping it), grouped by the
    division each pupil is in that day, justifications to review first; the counts
    are those of the whole day, whatever the filters. Four queries."""
    zone = ZoneInfo(establishment.timezone)
    start, end = day_bounds(day, zone)
    absences = list(
        _desk_absences()
        .filter(establishment=establishment, start__lt=end, end__gt=start)
        .order_by("start", "pk")
    )
    placements = current_divisions(list({a.pupil_id for a in absences}), day)
    labels = _labels()
    rows = [
        desk_row(absence, placements.get(absence.pupil_id), zone, labels) for absence in absences
    ]

    counts = DeskCounts()
    standing = [row.absence for row in rows if row.absence.voided_at is None]
    counts.voided = len(rows) - len(standing)
    counts.absences = sum(1 for a in standing if a.kind == AbsenceKind.ABSENCE)
    counts.lateness = sum(1 for a in standing if a.kind == AbsenceKind.LATENESS)
    counts.pupils = len({a.pupil_id for a in standing})
    counts.unjustified = sum(1 for a in standing if a.state in UNJUSTIFIED_STATES)
    counts.pending = sum(1 for a in standing if a.state == AbsenceState.PENDING)
    counts.accepted = sum(1 for a in standing if a.state == AbsenceState.ACCEPTED)

    grouped: dict[int | None, list[DeskRow]] = defaultdict(list)
    for row in rows:
        if _matches(row, filters):
            grouped[row.division.pk if row.division else None].append(row)
    blocks = []
    for rows_ in grouped.values():
        division = rows_[0].division
        rows_.sort(
            key=lambda r: (
                r.absence.state != AbsenceState.PENDING,
                r.absence.pupil.last_name.upper(),
                r.absence.pupil.first_name,
                r.absence.start,
            )
        )
        blocks.append(
            DivisionBlock(
                division=division,
                name=division.name if division else _("Sans classe ce jour-là"),
                rows=rows_,
            )
        )
    blocks.sort(key=lambda block: _division_key(block.division))

    divisions = sorted(
        Division.objects.filter(
            establishment=establishment,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        ),
        key=_division_key,
    )
    # The justifications families sent about other days: the desk decides them first.
    elsewhere = (
        _desk_absences()
        .filter(establishment=establishment, state=AbsenceState.PENDING, voided_at__isnull=True)
        .exclude(start__lt=end, end__gt=start)
        .order_by("updated_at", "pk")
    )
    pending = list(elsewhere[:MAX_PENDING])
    pending_count = elsewhere.count()
    pending_placements = current_divisions(list({a.pupil_id for a in pending}), day)
    return DeskDay(
        day=day,
        blocks=blocks,
        counts=counts,
        divisions=divisions,
        pending_elsewhere=[
            desk_row(a, pending_placements.get(a.pupil_id), zone, labels) for a in pending
        ],
        pending_elsewhere_count=pending_count,
    )


# -- One absence --------------------------------------------------------------------------


def desk_absence(*, establishment_id: int, absence_id: int) -> Absence | None:
    """One absence of the establishment with its history (who, when, which state) and
    the teacher's entry; None when it is not the establishment's."""
    return (
        Absence.objects.filter(pk=absence_id, establishment_id=establishment_id)
        .select_related(
            "establishment",
            "pupil",
            "reason",
            "occurrence__subject",
            "roll_call_entry__entered_by",
            "created_by",
            "voided_by",
        )
        .prefetch_related(_history_prefetch())
        .first()
    )


def _history_prefetch() -> Prefetch:
    return Prefetch(
        "changes",
        queryset=AbsenceChange.objects.select_related("actor", "reason").order_by("at", "pk"),
    )


# -- Pupils ---------------------------------------------------------------------------------


def pupils_for_desk(scope: StaffScope, day: date) -> QuerySet[Person]:
    """The pupils the desk may enter absences for: those of the establishment."""
    return visible_pupils(scope, day)


def pupil_search(scope: StaffScope, query: str, day: date) -> tuple[list, bool]:
    """Pupils of the establishment whose names hold every word typed, with their
    division that day: ([(pupil, division)], more_than_shown). Two queries."""
    words = query.split()
    if not words:
        return [], False
    found = pupils_for_desk(scope, day)
    for word in words[:5]:
        found = found.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    found = list(found.order_by("last_name", "first_name")[: MAX_PUPILS + 1])
    placements = current_divisions([p.pk for p in found], day)
    return [(p, placements.get(p.pk)) for p in found[:MAX_PUPILS]], len(found) > MAX_PUPILS


def pupils_chosen(scope: StaffScope, ids: list[int], day: date) -> list:
    """The pupils already chosen in a form, with their division (two queries)."""
    if not ids:
        return []
    found = list(pupils_for_desk(scope, day).filter(pk__in=ids).order_by("last_name"))
    placements = current_divisions([p.pk for p in found], day)
    return [(p, placements.get(p.pk)) for p in found]


# -- A pupil's attendance file --------------------------------------------------------------


@dataclass
class MonthTotals:
    month: date
    half_days: int = 0
    unjustified: int = 0
    lateness: int = 0
    computed: Fraction = Fraction(0)
    computed_unjustified: Fraction = Fraction(0)
    absences: int = 0

    @property
    def computed_display(self) -> str:
        return f"{float(self.computed):.1f}".replace(".", ",")

    @property
    def computed_unjustified_display(self) -> str:
        return f"{float(self.computed_unjustified):.1f}".replace(".", ",")


@dataclass
class PupilFile:
    pupil: Person
    division: Division | None
    year: SchoolYear
    years: list[SchoolYear]
    absences: list[DeskRow]
    events: list[tuple[SchoolEvent, str]]
    months: list[MonthTotals]
    total: MonthTotals
    policy: AttendancePolicy


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def pupil_file(
    *,
    establishment: Establishment,
    pupil: Person,
    year: SchoolYear,
    years: list[SchoolYear],
    policy: AttendancePolicy,
    day: date,
) -> PupilFile:
    """Every absence and lateness of the pupil in the school year with its history,
    the school events, and the half-days per month computed by the engine from the
    pupil's held occurrences (raw count; the computed count alongside). A fixed number
    of queries whatever the pupil's year holds."""
    zone = ZoneInfo(establishment.timezone)
    absences = list(
        _desk_absences()
        .filter(establishment=establishment, pupil=pupil, school_year=year)
        .prefetch_related(_history_prefetch())
        .order_by("-start", "-pk")
    )
    events = list(
        SchoolEvent.objects.filter(establishment=establishment, pupil=pupil, school_year=year)
        .select_related("subject", "created_by")
        .order_by("-start", "-pk")
    )
    division = current_divisions([pupil.pk], min(max(day, year.start_date), year.end_date)).get(
        pupil.pk
    )

    occurrences = (
        pupil_occurrences(pupil.pk, year.start_date, year.end_date)
        .filter(establishment=establishment)
        .exclude(status__in=NOT_HELD)
        .prefetch_related(None)
        .values_list("start", "end")
    )
    scheduled = [
        engine.Scheduled(timezone.localtime(s, zone), timezone.localtime(e, zone))
        for s, e in occurrences
    ]
    closures = tuple(c.as_rule() for c in Closure.objects.filter(establishment=establishment))
    closed = set(
        calendar.days_off(
            establishment.calendar_rules(closures=closures), year.start_date, year.end_date
        )
    )
    standing = [a for a in absences if a.voided_at is None]
    labels = _labels()
    missed = [
        engine.Missed(
            timezone.localtime(a.start, zone),
            timezone.localtime(a.end, zone),
            a.state in UNJUSTIFIED_STATES,
        )
        for a in standing
        if a.kind == AbsenceKind.ABSENCE
    ]
    half_days = engine.half_days(
        scheduled, missed, boundary=policy.half_day_boundary, closed=closed
    )
    months = {m: MonthTotals(month=m) for m in _months(year.start_date, year.end_date)}
    for half in half_days:
        totals = months.get(half.day.replace(day=1))
        if totals is None:
            continue
        totals.half_days += int(half.absent)
        totals.unjustified += int(half.unjustified)
        totals.computed += half.fraction
        if half.unjustified:
            totals.computed_unjustified += half.fraction
    for absence in standing:
        totals = months.get(timezone.localtime(absence.start, zone).date().replace(day=1))
        if totals is None:
            continue
        if absence.kind == AbsenceKind.LATENESS:
            totals.lateness += 1
        else:
            totals.absences += 1
    total = MonthTotals(month=year.start_date)
    for totals in months.values():
        total.half_days += totals.half_days
        total.unjustified += totals.unjustified
        total.lateness += totals.lateness
        total.absences += totals.absences
        total.computed += totals.computed
        total.computed_unjustified += totals.computed_unjustified
    return PupilFile(
        pupil=pupil,
        division=division,
        year=year,
        years=years,
        absences=[desk_row(a, division, zone, labels) for a in absences],
        events=[(event, period_text(event, zone)) for event in events],
        months=list(months.values()),
        total=total,
        policy=policy,
    )
