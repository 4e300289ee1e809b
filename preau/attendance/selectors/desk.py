"""Reads of the vie scolaire's desk, scoped by establishment: the absences and lateness
of a day grouped by division, the justifications waiting for a decision, one absence
with its history, pupils found by name, and a pupil's attendance file over a school
year with half-day totals per month (the reports' own computation). Health reasons
are confidential (access.md): the rows label them through `visibility.reason_label`,
in full for the vie scolaire and the direction only (`sees_confidential`), never for
the secretariat. Each read costs a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from preau.attendance import engine, reports
from preau.attendance.models import (
    UNJUSTIFIED_STATES,
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceSource,
    AbsenceState,
    AttendancePolicy,
    EventKind,
    Mark,
    SchoolEvent,
)
from preau.attendance.visibility import is_confidential, reason_label
from preau.core.access import StaffScope
from preau.core.models import Establishment, Person, SchoolYear
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
    # A health reason this reader may not see: its label, the family's explanation and
    # the document (a medical certificate) are held back from them.
    withheld: bool = False
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
class EventRow:
    """A school event of the day as the desk lists it: an exclusion from a course must
    reach the vie scolaire the same day."""

    event: SchoolEvent
    division: Division | None
    when: str
    kind_label: str
    # The course: the occurrence's subject, or for an exemption the subject exempted from.
    course: str
    # The course's teachers ("" without a course).
    teachers: str
    note: str
    # An infirmary visit's note may speak of the pupil's health: held back from the
    # secretariat, as health reasons are.
    withheld: bool = False

    @property
    def exclusion(self) -> bool:
        return self.event.kind == EventKind.EXCLUSION


# Exclusions first: the pupil was sent out of a course, to the vie scolaire.
EVENT_ORDER = {
    EventKind.EXCLUSION: 0,
    EventKind.INFIRMARY: 1,
    EventKind.TRIP: 2,
    EventKind.EXEMPTION: 3,
    EventKind.OTHER: 4,
}


def _day_events(establishment: Establishment, start: datetime, end: datetime):
    """The standing school events overlapping the day, with their course and its
    teachers: two queries (one when none has a course)."""
    teachers = Prefetch(
        "occurrence__teachers", queryset=Person.objects.order_by("last_name", "first_name")
    )
    return list(
        SchoolEvent.objects.filter(
            establishment=establishment, voided_at__isnull=True, start__lt=end, end__gt=start
        )
        .select_related("pupil", "occurrence__subject", "subject")
        .prefetch_related(teachers)
    )


def event_row(
    event: SchoolEvent,
    division: Division | None,
    zone: ZoneInfo,
    kinds: dict[str, str],
    *,
    sees_confidential: bool,
) -> EventRow:
    occurrence = event.occurrence
    if occurrence is not None:
        course = occurrence.subject.label if occurrence.subject_id else occurrence.label
        teachers = ", ".join(t.display_name for t in occurrence.teachers.all())
    else:
        course = event.subject.label if event.subject_id else ""
        teachers = ""
    withheld = event.kind == EventKind.INFIRMARY and bool(event.note) and not sees_confidential
    return EventRow(
        event=event,
        division=division,
        when=period_text(event, zone),
        kind_label=kinds.get(event.kind, event.kind),
        course=course,
        teachers=teachers,
        note="" if withheld else event.note,
        withheld=withheld,
    )


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
    exclusions: int = 0


@dataclass
class DeskDay:
    day: date
    blocks: list[DivisionBlock]
    counts: DeskCounts
    divisions: list[Division]
    pending_elsewhere: list[DeskRow] = field(default_factory=list)
    pending_elsewhere_count: int = 0
    # The day's school events, exclusions first (the division filter applies to them).
    events: list[EventRow] = field(default_factory=list)

    @property
    def shown(self) -> int:
        return sum(len(block.rows) for block in self.blocks)


def desk_row(
    absence: Absence,
    division: Division | None,
    zone: ZoneInfo,
    labels: dict | None = None,
    *,
    sees_confidential: bool,
) -> DeskRow:
    """One absence as the desk lists it; its reason as this reader may see it."""
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
        reason=reason_label(absence, sees_confidential=sees_confidential),
        confidential=is_confidential(absence),
        withheld=is_confidential(absence) and not sees_confidential,
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
    *,
    establishment: Establishment,
    day: date,
    filters: DeskFilters = DeskFilters(),
    sees_confidential: bool,
) -> DeskDay:
    """The absences and lateness of `day` (any period overlapping it), grouped by the
    division each pupil is in that day, justifications to review first; the counts
    are those of the whole day, whatever the filters. Then the day's school events
    (exclusions from a course, infirmary visits, trips, exemptions in force),
    exclusions first. Eight queries (seven on a day without an event in a course)."""
    zone = ZoneInfo(establishment.timezone)
    start, end = day_bounds(day, zone)
    absences = list(
        _desk_absences()
        .filter(establishment=establishment, start__lt=end, end__gt=start)
        .order_by("start", "pk")
    )
    events = _day_events(establishment, start, end)
    # One query places the pupils of both lists.
    placements = current_divisions(
        list({a.pupil_id for a in absences} | {e.pupil_id for e in events}), day
    )
    labels = _labels()
    rows = [
        desk_row(
            absence,
            placements.get(absence.pupil_id),
            zone,
            labels,
            sees_confidential=sees_confidential,
        )
        for absence in absences
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
    counts.exclusions = sum(1 for e in events if e.kind == EventKind.EXCLUSION)

    kinds = {value: str(label) for value, label in EventKind.choices}
    event_rows = [
        event_row(
            event,
            placements.get(event.pupil_id),
            zone,
            kinds,
            sees_confidential=sees_confidential,
        )
        for event in events
    ]
    if filters.division_id is not None:
        event_rows = [
            row
            for row in event_rows
            if row.division is not None and row.division.pk == filters.division_id
        ]
    event_rows.sort(
        key=lambda r: (
            EVENT_ORDER.get(r.event.kind, 99),
            r.event.start,
            r.event.pupil.last_name.upper(),
            r.event.pupil.first_name,
            r.event.pk,
        )
    )

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
            desk_row(
                a,
                pending_placements.get(a.pupil_id),
                zone,
                labels,
                sees_confidential=sees_confidential,
            )
            for a in pending
        ],
        pending_elsewhere_count=pending_count,
        events=event_rows,
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


def pupil_file(
    *,
    establishment: Establishment,
    pupil: Person,
    year: SchoolYear,
    years: list[SchoolYear],
    policy: AttendancePolicy,
    day: date,
    sees_confidential: bool,
) -> PupilFile:
    """Every absence and lateness of the pupil in the school year with its history,
    the school events, and the half-days per month worked out as the reports do
    (`reports.month_figures` gives the same figures for the same month): the pupil's
    held occurrences, public holidays and closures left out, those their standing
    school events cover excused (`reports.excused`), each month summed by the engine
    (raw count; the computed count alongside). A fixed number of queries whatever the
    pupil's year holds."""
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
        .values_list("pk", "start", "end", "subject_id")
    )
    covers = [
        cover
        for cover in (
            reports.cover_of(
                kind=event.kind,
                start=event.start,
                end=event.end,
                occurrence_id=event.occurrence_id,
                subject_id=event.subject_id,
                attendance_required=event.attendance_required,
            )
            for event in events
            if event.voided_at is None
        )
        if cover is not None
    ]
    scheduled = []
    for pk, s, e, subject in occurrences:
        start, end = timezone.localtime(s, zone), timezone.localtime(e, zone)
        scheduled.append(
            engine.Scheduled(
                start,
                end,
                excused=reports.excused(
                    covers, occurrence_id=pk, subject_id=subject, start=start, end=end
                ),
            )
        )
    closed = reports.closed_days(establishment, year.start_date, year.end_date)
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
    by_month: dict[date, list[engine.HalfDay]] = defaultdict(list)
    for half in half_days:
        by_month[half.day.replace(day=1)].append(half)
    lateness: dict[date, int] = defaultdict(int)
    absence_count: dict[date, int] = defaultdict(int)
    for absence in standing:
        month = timezone.localtime(absence.start, zone).date().replace(day=1)
        if absence.kind == AbsenceKind.LATENESS:
            lateness[month] += 1
        else:
            absence_count[month] += 1
    months = []
    for month in reports.months(year.start_date, year.end_date):
        # The reports' own sum (reports._figures): the unjustified computed share is
        # the time missed under unjustified absences, not the whole half-day's share.
        summed = engine.summarise(by_month[month], lateness=lateness[month])
        months.append(
            MonthTotals(
                month=month,
                half_days=summed.half_days,
                unjustified=summed.unjustified_half_days,
                lateness=summed.lateness,
                computed=summed.computed,
                computed_unjustified=summed.computed_unjustified,
                absences=absence_count[month],
            )
        )
    total = MonthTotals(month=year.start_date)
    for totals in months:
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
        absences=[
            desk_row(a, division, zone, labels, sees_confidential=sees_confidential)
            for a in absences
        ],
        events=[(event, period_text(event, zone)) for event in events],
        months=months,
        total=total,
        policy=policy,
    )
