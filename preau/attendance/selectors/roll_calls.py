"""Reads of roll calls: a teacher's day with the state of each roll call, the pupils an
occurrence expects on its date with what is already known of them, and the roll calls
not taken. Each runs a fixed number of queries, whatever the number of pupils or
occurrences.

Who is expected follows the timetable's rule (timetable.md §6, `timetable.selectors`):
the pupils who, on the occurrence's date, belong to one of its audience units — a
division, a class part, a group (through its class parts, its whole divisions or
directly) or the pupil named. Memberships are dated, so a pupil who left the division
before the date is not expected, and one who joined it after is not either.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AttendancePolicy,
    EventKind,
    Mark,
    RollCall,
    RollCallEntry,
    SchoolEvent,
)
from preau.core.models import Person
from preau.structure.models import ClassPartMembership, Enrolment, Group, GroupMembership
from preau.structure.selectors import current_divisions
from preau.timetable.models import (
    NOT_HELD,
    Occurrence,
    OccurrenceAudience,
    OccurrenceStatus,
)
from preau.timetable.selectors import teacher_occurrences

# Marks that are not "present", in the order the page counts them.
COUNTED_MARKS = (Mark.ABSENT, Mark.LATE, Mark.EXCLUDED, Mark.INFIRMARY)


# -- The state of a roll call --------------------------------------------------------


@dataclass(frozen=True)
class RollCallState:
    """A roll call taken, with how many pupils each mark holds."""

    taken_at: datetime
    updated_at: datetime
    counts: dict[str, int]

    @property
    def absent(self) -> int:
        return self.counts.get(Mark.ABSENT, 0)

    @property
    def late(self) -> int:
        return self.counts.get(Mark.LATE, 0)

    @property
    def excluded(self) -> int:
        return self.counts.get(Mark.EXCLUDED, 0)

    @property
    def infirmary(self) -> int:
        return self.counts.get(Mark.INFIRMARY, 0)


def roll_call_states(occurrence_ids: list[int]) -> dict[int, RollCallState]:
    """The roll calls of these occurrences with their counts per mark (one query)."""
    annotations = {mark: Count("entries", filter=Q(entries__mark=mark)) for mark in COUNTED_MARKS}
    states = {}
    for row in (
        RollCall.objects.filter(occurrence_id__in=occurrence_ids)
        .annotate(**annotations)
        .values("occurrence_id", "taken_at", "updated_at", *COUNTED_MARKS)
    ):
        states[row["occurrence_id"]] = RollCallState(
            taken_at=row["taken_at"],
            updated_at=row["updated_at"],
            counts={mark: row[mark] for mark in COUNTED_MARKS},
        )
    return states


def may_be_recorded(occurrence: Occurrence, day: date) -> bool:
    """Whether a roll call may be recorded for the occurrence on `day` (today): it takes
    place, is still in the timetable, and is not in the future (a roll call is taken on
    the day; a forgotten one is completed afterwards)."""
    return occurrence.is_held and occurrence.withdrawn_in_id is None and occurrence.date <= day


# -- A roll call in words ------------------------------------------------------------
# Shared by the roll call pages and the teacher's home page (`portal.selectors.staff`).


def clock_text(value: datetime, zone: ZoneInfo) -> str:
    """ "10:05", in the establishment's time zone."""
    return formats.time_format(timezone.localtime(value, zone), "H:i")


def counts_text(state: RollCallState | None) -> str:
    """ "2 absents, 1 retard" (or "aucun absent")."""
    if state is None:
        return ""
    parts = []
    if state.absent:
        parts.append(ngettext("%(n)d absent", "%(n)d absents", state.absent) % {"n": state.absent})
    if state.late:
        parts.append(ngettext("%(n)d retard", "%(n)d retards", state.late) % {"n": state.late})
    if state.excluded:
        parts.append(
            ngettext("%(n)d exclu", "%(n)d exclus", state.excluded) % {"n": state.excluded}
        )
    if state.infirmary:
        parts.append(
            ngettext("%(n)d à l'infirmerie", "%(n)d à l'infirmerie", state.infirmary)
            % {"n": state.infirmary}
        )
    return ", ".join(parts) if parts else _("aucun absent")


def summary_text(state: RollCallState | None, zone: ZoneInfo) -> str:
    if state is None:
        return _("Appel pas encore fait.")
    return _("Appel fait à %(time)s : %(counts)s.") % {
        "time": clock_text(state.taken_at, zone),
        "counts": counts_text(state),
    }


def not_recordable_reason(occurrence: Occurrence, day: date) -> str:
    """Why `may_be_recorded` says no, in words ("" when it says yes)."""
    if occurrence.withdrawn_in_id is not None:
        return _("Cette séance n'est plus dans l'emploi du temps : pas d'appel.")
    if not occurrence.is_held:
        return _("Cette séance n'a pas lieu : pas d'appel.")
    if occurrence.date > day:
        return _("L'appel se fait le jour de la séance.")
    return ""


# -- A teacher's day -----------------------------------------------------------------


@dataclass
class DayItem:
    occurrence: Occurrence
    state: RollCallState | None
    current: bool
    recordable: bool


def teacher_day(*, person_id: int, establishment_id: int, day: date, now: datetime, today: date):
    """The occurrences the teacher teaches on `day` in the establishment, each with its
    roll call state; the one in progress first, then in time order. Five queries."""
    occurrences = list(teacher_occurrences(person_id, day, day, establishment_id))
    states = roll_call_states([o.pk for o in occurrences])
    items = [
        DayItem(
            occurrence=occurrence,
            state=states.get(occurrence.pk),
            current=occurrence.is_held and occurrence.start <= now < occurrence.end,
            recordable=may_be_recorded(occurrence, today),
        )
        for occurrence in occurrences
    ]
    items.sort(key=lambda item: (not item.current, item.occurrence.start, item.occurrence.pk))
    return items


def current_occurrence(
    *, person_id: int, establishment_id: int, now: datetime, today: date, ahead: int = 15
) -> Occurrence | None:
    """The occurrence the teacher is teaching now, else the next one starting within
    `ahead` minutes (a roll call taken as pupils come in). One query."""
    return (
        Occurrence.objects.filter(
            teachers=person_id,
            establishment_id=establishment_id,
            date=today,
            withdrawn_in__isnull=True,
            start__lte=now + timedelta(minutes=ahead),
            end__gt=now,
        )
        .exclude(status__in=NOT_HELD)
        .order_by("start", "pk")
        .only("pk")
        .first()
    )


# -- One occurrence's roll call ------------------------------------------------------


def roll_call_occurrence(occurrence_id: int) -> Occurrence | None:
    """The occurrence with what its roll call page shows: establishment, subject,
    teachers, rooms and audience. Four queries. Who may open it is the caller's check
    (the person's roles in its establishment)."""
    return (
        Occurrence.objects.filter(pk=occurrence_id)
        .select_related("establishment", "subject")
        .prefetch_related(
            "teachers",
            "rooms",
            Prefetch(
                "audience",
                queryset=OccurrenceAudience.objects.select_related(
                    "division", "group", "class_part", "class_part__division", "pupil"
                ),
            ),
        )
        .first()
    )


def _audience_condition(occurrence: Occurrence) -> Q | None:
    """Who the occurrence's audience holds on its date, as a condition on Person (the
    audience must be prefetched). None when the audience is empty."""
    day = occurrence.date
    divisions, parts, groups, pupils = [], [], [], []
    for unit in occurrence.audience.all():
        if unit.division_id:
            divisions.append(unit.division_id)
        elif unit.class_part_id:
            parts.append(unit.class_part_id)
        elif unit.group_id:
            groups.append(unit.group_id)
        elif unit.pupil_id:
            pupils.append(unit.pupil_id)
    conditions = []
    if pupils:
        conditions.append(Q(pk__in=pupils))
    if divisions or groups:
        # A group's whole divisions count with their pupils of the day.
        of_groups = Group.divisions.through.objects.filter(group_id__in=groups).values(
            "division_id"
        )
        enrolled = Enrolment.objects.on(day).filter(
            Q(division_id__in=divisions) | Q(division_id__in=of_groups), pupil=OuterRef("pk")
        )
        conditions.append(Q(Exists(enrolled)))
    if parts or groups:
        of_groups = Group.class_parts.through.objects.filter(group_id__in=groups).values(
            "classpart_id"
        )
        in_part = ClassPartMembership.objects.on(day).filter(
            Q(class_part_id__in=parts) | Q(class_part_id__in=of_groups), pupil=OuterRef("pk")
        )
        conditions.append(Q(Exists(in_part)))
    if groups:
        in_group = GroupMembership.objects.on(day).filter(group_id__in=groups, pupil=OuterRef("pk"))
        conditions.append(Q(Exists(in_group)))
    if not conditions:
        return None
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


def expected_pupils(occurrence: Occurrence, *, only: list[int] | None = None) -> QuerySet[Person]:
    """The pupils the occurrence expects on its date, sorted by name (one query; the
    audience must be prefetched). `only` narrows it to some pupils (one tap of the
    roll call checks just that pupil)."""
    condition = _audience_condition(occurrence)
    if condition is None:
        return Person.objects.none()
    pupils = Person.objects.filter(condition)
    if only is not None:
        pupils = pupils.filter(pk__in=only)
    return pupils.only("id", "first_name", "last_name").order_by("last_name", "first_name", "pk")


@dataclass
class Known:
    """What the vie scolaire already knows of a pupil for the occurrence's time."""

    absence: Absence | None = None
    events: list[SchoolEvent] = field(default_factory=list)

    @property
    def away(self) -> bool:
        """Whether the pupil is known to be elsewhere: absent, or under the school's
        responsibility outside the course (an exemption may keep the pupil in it)."""
        return self.absence is not None or any(
            not (event.kind == EventKind.EXEMPTION and event.attendance_required)
            for event in self.events
        )


def known_for(occurrence: Occurrence, pupil_ids: list[int]) -> dict[int, Known]:
    """For each pupil, an absence the office recorded over the whole occurrence (as
    `services._covering_absence` sees it: the roll call confirms it rather than adding
    one), and the school events (trip, exemption, infirmary…) overlapping it, this roll
    call's own products aside. Two queries."""
    known: dict[int, Known] = defaultdict(Known)
    if not pupil_ids:
        return known
    own = Q(roll_call_entry__roll_call__occurrence=occurrence)
    absences = (
        Absence.objects.filter(
            pupil_id__in=pupil_ids,
            establishment_id=occurrence.establishment_id,
            kind=AbsenceKind.ABSENCE,
            voided_at__isnull=True,
            start__lte=occurrence.start,
            end__gte=occurrence.end,
        )
        .exclude(own)
        .select_related("reason")
        .order_by("start", "pk")
    )
    for absence in absences:
        known[absence.pupil_id].absence = known[absence.pupil_id].absence or absence
    events = (
        SchoolEvent.objects.filter(
            pupil_id__in=pupil_ids,
            establishment_id=occurrence.establishment_id,
            voided_at__isnull=True,
            start__lt=occurrence.end,
            end__gt=occurrence.start,
        )
        .exclude(own)
        .order_by("start", "pk")
    )
    for event in events:
        # An exemption from one subject concerns only that subject's occurrences.
        if (
            event.kind == EventKind.EXEMPTION
            and event.subject_id
            and event.subject_id != occurrence.subject_id
        ):
            continue
        known[event.pupil_id].events.append(event)
    return known


@dataclass
class PupilRow:
    pupil: Person
    division: str
    entry: RollCallEntry | None
    known: Known

    @property
    def mark(self) -> str:
        """The mark shown: the entry's, else present (no entry means present)."""
        return self.entry.mark if self.entry is not None else Mark.PRESENT

    @property
    def minutes_late(self) -> int | None:
        return self.entry.minutes_late if self.entry is not None else None


@dataclass
class RollCallPage:
    occurrence: Occurrence
    roll_call: RollCall | None
    rows: list[PupilRow]
    state: RollCallState | None

    @property
    def pupils(self) -> dict[int, Person]:
        return {row.pupil.pk: row.pupil for row in self.rows}


def roll_call_page(occurrence: Occurrence) -> RollCallPage:
    """The occurrence's expected pupils with their entries and what is known of them.
    Five queries (pupils, their divisions, the roll call and its entries, absences,
    events), whatever the number of pupils."""
    pupils = list(expected_pupils(occurrence))
    ids = [pupil.pk for pupil in pupils]
    divisions = current_divisions(ids, occurrence.date) if ids else {}
    roll_call = (
        RollCall.objects.filter(occurrence=occurrence)
        .prefetch_related("entries")
        .only("id", "occurrence_id", "taken_at", "updated_at", "taken_by_id")
        .first()
    )
    entries = {e.pupil_id: e for e in roll_call.entries.all()} if roll_call else {}
    known = known_for(occurrence, ids)
    rows = [
        PupilRow(
            pupil=pupil,
            division=divisions[pupil.pk].name if pupil.pk in divisions else "",
            entry=entries.get(pupil.pk),
            known=known.get(pupil.pk) or Known(),
        )
        for pupil in pupils
    ]
    state = None
    if roll_call is not None:
        counts: dict[str, int] = defaultdict(int)
        for entry in entries.values():
            counts[entry.mark] += 1
        state = RollCallState(
            taken_at=roll_call.taken_at, updated_at=roll_call.updated_at, counts=dict(counts)
        )
    return RollCallPage(occurrence=occurrence, roll_call=roll_call, rows=rows, state=state)


# -- Roll calls not taken ------------------------------------------------------------


@dataclass
class TeacherMissing:
    teacher: Person | None
    occurrences: list[Occurrence]


def roll_call_grace_minutes(establishment_id: int) -> int:
    """The establishment's delay before a roll call counts as not taken (read without
    creating the settings row: a page view writes nothing). One query."""
    policy = AttendancePolicy.objects.filter(establishment_id=establishment_id).first()
    if policy is None:
        return AttendancePolicy._meta.get_field("roll_call_grace_minutes").default
    return policy.roll_call_grace_minutes


def missing_roll_calls(
    *, establishment_id: int, day: date, now: datetime, grace_minutes: int
) -> list[TeacherMissing]:
    """The occurrences of `day` that started more than `grace_minutes` ago and take
    place, with pupils expected and no roll call, per teacher (a co-taught occurrence
    under each of its teachers), teachers sorted by name. Four queries.

    An occurrence whose teacher is absent takes place (pupils may be kept at school) but
    nobody owes its roll call: it is left out."""
    cutoff = now - timedelta(minutes=grace_minutes)
    occurrences = (
        Occurrence.objects.filter(
            establishment_id=establishment_id,
            date=day,
            withdrawn_in__isnull=True,
            start__lt=cutoff,
        )
        .exclude(status__in=[*NOT_HELD, OccurrenceStatus.TEACHER_ABSENT])
        .filter(Exists(OccurrenceAudience.objects.filter(occurrence=OuterRef("pk"))))
        .exclude(Exists(RollCall.objects.filter(occurrence=OuterRef("pk"))))
        .select_related("subject")
        .prefetch_related(
            "teachers",
            "rooms",
            Prefetch(
                "audience",
                queryset=OccurrenceAudience.objects.select_related(
                    "division", "group", "class_part", "class_part__division", "pupil"
                ),
            ),
        )
        .order_by("start", "pk")
    )
    by_teacher: dict[int | None, TeacherMissing] = {}
    for occurrence in occurrences:
        teachers = list(occurrence.teachers.all()) or [None]
        for teacher in teachers:
            key = teacher.pk if teacher is not None else None
            if key not in by_teacher:
                by_teacher[key] = TeacherMissing(teacher=teacher, occurrences=[])
            by_teacher[key].occurrences.append(occurrence)
    return sorted(
        by_teacher.values(),
        key=lambda group: (
            group.teacher is None,
            (group.teacher.last_name.lower(), group.teacher.first_name.lower())
            if group.teacher
            else ("", ""),
        ),
    )
