"""The card of a pupil's days on the home pages: one per child on the family's (whatever
their establishment), the pupil's own on theirs.

A card shows today and the next school day of the child's establishment (its calendar:
weekends, school holidays, public holidays, closures), each with the child's sessions as
the timetable week page shows them (cancelled, moved, replaced, room change, exceptional
session: `timetable.labels.status_of`) and the homework due that day; the latest marks
the reader may see; the absences waiting for a justification; and links to the child's
pages, each carrying `?enfant=` so that one click opens them on that child.

Nothing here decides who sees what: the rules are those of the domains, called with
the reader's link to the pupil (OWN, LEGAL or CONTACT, the same words everywhere):
`grades.access.family_grades_access` (publication date, parents' delay, an adult
pupil's objection, contacts only when the establishment allows it),
`attendance.selectors.family.family_access` (contacts per
`AttendancePolicy.contacts_see_absences`, who justifies) and
`homework.access.families_see_homework` (contacts per establishment).

Everything is read for all the cards at once: the number of queries is the same with one
child or five, in one establishment or three, whatever the size of the data.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from preau.attendance.models import Absence, AbsenceKind, AbsenceState, AttendancePolicy
from preau.attendance.selectors import family as attendance
from preau.core import calendar
from preau.core.models import Establishment, Guardianship, Person, SchoolYear
from preau.grades.access import CONTACT, LEGAL, OWN, GradesAccess, family_grades_access
from preau.grades.models import GradesPolicy, Mark
from preau.grades.selectors.family import CODE_LABELS, mark_text
from preau.homework.access import families_see_homework
from preau.homework.selectors import DueItem, homework_due
from preau.portal.spaces import Child
from preau.structure.models import Division, Enrolment
from preau.timetable.engine import merge_intervals
from preau.timetable.labels import short_name, status_of
from preau.timetable.models import Occurrence
from preau.timetable.selectors import (
    AUDIENCE_COLUMN,
    Units,
    audience_label,
    occurrences_for_units,
    units_of_each_pupil,
    with_successors,
)

# How many of the latest marks and of the absences to justify a card lists; the page
# behind the card's link has them all.
LATEST_MARKS = 3
LATEST_ABSENCES = 3


# -- Whose card, read by whom ------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """The pupil of a card and the reader's link to them: OWN (the pupil), LEGAL (a legal
    guardian, level 1) or CONTACT (levels 2 and 3)."""

    pupil_id: int
    first_name: str
    last_name: str
    establishment_id: int
    establishment_name: str
    link: str
    # The pupil is 18 or more (read only on their own card: an adult justifies).
    adult: bool = False

    @property
    def own(self) -> bool:
        return self.link == OWN

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def key(self) -> str:
        """Unique on the page (a pupil enrolled in two establishments has two cards)."""
        return f"{self.pupil_id}-{self.establishment_id}"

    @property
    def query(self) -> str:
        """What a link adds to open a page on this child (nothing on one's own)."""
        return "" if self.own else "?" + urlencode({"enfant": self.pupil_id})


def child_readers(children: tuple[Child, ...]) -> list[Reader]:
    return [
        Reader(
            pupil_id=child.id,
            first_name=child.first_name,
            last_name=child.last_name,
            establishment_id=child.establishment_id,
            establishment_name=child.establishment_name,
            link=LEGAL if child.level == 1 else CONTACT,
        )
        for child in children
    ]


def own_reader(person: Person, establishment_id: int, establishment_name: str, day: date):
    return Reader(
        pupil_id=person.pk,
        first_name=person.first_name,
        last_name=person.last_name,
        establishment_id=establishment_id,
        establishment_name=establishment_name,
        link=OWN,
        adult=person.is_adult_on(day),
    )


# -- What a card holds -------------------------------------------------------------------


@dataclass(frozen=True)
class SessionLine:
    """A session as a card lists it; the status always in words (`status_of`)."""

    id: int
    start: str
    end: str
    subject: str
    teachers: str
    rooms: str
    audience: str
    modifier: str
    label: str
    detail: str
    held: bool


@dataclass
class DayBlock:
    day: date
    title: str
    # Why there are no classes that day ("" on a school day).
    off: str
    sessions: list[SessionLine]
    homework: list[DueItem]
    url: str


@dataclass(frozen=True)
class MarkLine:
    subject: str
    title: str
    mark: str
    # The meaning of a code ("absent"), "" for a number.
    code_label: str
    date: date
    # The day this reader could first see the mark (publication + parents' delay).
    visible_on: date


@dataclass
class MarksBlock:
    may_see: bool
    why_not: str = ""
    delay_days: int = 0
    rows: list[MarkLine] = field(default_factory=list)


@dataclass(frozen=True)
class AbsenceLine:
    id: int
    when: str
    kind: str
    state: str
    tone: str
    # Where the reader justifies it (None when they do not justify).
    url: str | None


@dataclass
class AbsencesBlock:
    may_see: bool
    may_justify: bool = False
    # Why the reader does not justify ("" when they do).
    why_not: str = ""
    waiting: list[AbsenceLine] = field(default_factory=list)
    waiting_total: int = 0
    pending_total: int = 0


@dataclass(frozen=True)
class Links:
    timetable: str
    homework: str
    grades: str | None
    absences: str | None
    justify: str | None


@dataclass
class DayCard:
    reader: Reader
    division: Division | None
    head_teachers: tuple[Person, ...]
    days: list[DayBlock]
    homework_visible: bool
    marks: MarksBlock
    absences: AbsencesBlock
    links: Links
    # Unread messages of the reader's inbox tagged with this pupil.
    unread: int = 0


# -- Days ---------------------------------------------------------------------------------


def next_school_day(rules: calendar.CalendarRules, day: date) -> date:
    """The first day after `day` on which the establishment teaches (after the summer,
    the rentrée)."""
    start = day + timedelta(days=1)
    for horizon in (14, 120, 400):
        found = calendar.school_days(rules, start, day + timedelta(days=horizon))
        if found:
            return found[0]
    return start


def day_title(day: date, today: date) -> str:
    if day == today:
        return _("Aujourd'hui")
    if day == today + timedelta(days=1):
        return _("Demain")
    return formats.date_format(day, "l j F").capitalize()


def off_reason(rules: calendar.CalendarRules, day: date) -> str:
    if calendar.is_school_day(rules, day):
        return ""
    return calendar.days_off(rules, day, day).get(day) or _("week-end")


def session_line(
    occurrence: Occurrence, zone: ZoneInfo, *, teacher_id: int | None = None
) -> SessionLine:
    """`teacher_id`: a teacher's own list, which names the audience rather than them."""
    modifier, label, detail = status_of(occurrence, zone)
    start = timezone.localtime(occurrence.start, zone)
    end = timezone.localtime(occurrence.end, zone)
    return SessionLine(
        id=occurrence.pk,
        start=formats.time_format(start, "H:i"),
        end=formats.time_format(end, "H:i"),
        subject=occurrence.title,
        teachers="" if teacher_id else ", ".join(short_name(t) for t in occurrence.teachers.all()),
        rooms=", ".join(room.name for room in occurrence.rooms.all()),
        audience=audience_label(occurrence) if teacher_id else "",
        modifier=modifier,
        label=label,
        detail=detail,
        held=occurrence.is_held,
    )


def _concerns(occurrence: Occurrence, units: Units) -> bool:
    """Whether the occurrence's audience holds one of the pupil's units on its date."""
    for unit in occurrence.audience.all():
        for kind, column in AUDIENCE_COLUMN.items():
            value = getattr(unit, column)
            if value is not None and any(
                span.start <= occurrence.date <= span.end for span in units.get((kind, value), ())
            ):
                return True
    return False


def _sessions(readers: list[Reader], days: dict[str, list[date]]) -> dict[str, list[Occurrence]]:
    """Each card's occurrences on its days, in its establishment, exactly as the
    timetable's selectors give a pupil's (withdrawn ones left out): ten queries for all
    the cards."""
    wanted = sorted({d for shown in days.values() for d in shown})
    if not readers or not wanted:
        return {}
    pupil_ids = list(dict.fromkeys(r.pupil_id for r in readers))
    each = units_of_each_pupil(pupil_ids, wanted[0], wanted[-1])
    merged: dict = defaultdict(list)
    for units in each.values():
        for unit, spans in units.items():
            merged[unit] += spans
    merged = {unit: merge_intervals(spans) for unit, spans in merged.items()}
    occurrences = list(
        with_successors(occurrences_for_units(merged, wanted[0], wanted[-1])).filter(
            date__in=wanted
        )
    )
    found: dict[str, list[Occurrence]] = {}
    for reader in readers:
        units = each.get(reader.pupil_id, {})
        shown = set(days[reader.key])
        found[reader.key] = [
            o
            for o in occurrences
            if o.establishment_id == reader.establishment_id
            and o.date in shown
            and _concerns(o, units)
        ]
    return found


# -- Marks --------------------------------------------------------------------------------


def _school_year(establishment: str, day: date) -> Subquery:
    """The school year running on `day`, or in the summer the one that just ended
    (`attendance.selectors.family.school_year_of`), of the establishment the outer
    query names by the path `establishment`."""
    return Subquery(
        SchoolYear.objects.filter(establishment=OuterRef(establishment), start_date__lte=day)
        .order_by("-start_date")
        .values("pk")[:1]
    )


def _latest_marks(
    readers: list[Reader], accesses: dict[str, GradesAccess], day: date
) -> dict[str, list[MarkLine]]:
    """The latest marks of this school year each reader may see (published by the
    reader's cutoff), the newest evaluations first as on the "Dernières notes" page,
    `LATEST_MARKS` per card: one query."""
    condition = Q(pk__in=[])
    for reader in readers:
        access = accesses[reader.key]
        if access.may_see:
            condition |= Q(
                pupil_id=reader.pupil_id,
                evaluation__establishment_id=reader.establishment_id,
                evaluation__published_on__lte=access.cutoff(day),
            )
    if not any(accesses[r.key].may_see for r in readers):
        return {}
    marks = (
        Mark.objects.filter(condition)
        .filter(evaluation__period__school_year=_school_year("evaluation__establishment", day))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("pupil_id"), F("evaluation__establishment_id")],
                order_by=[F("evaluation__date").desc(), F("evaluation_id").desc()],
            )
        )
        .filter(rank__lte=LATEST_MARKS)
        .select_related("evaluation__service__subject", "evaluation__sub_subject")
        .order_by("-evaluation__date", "-evaluation_id")
    )
    found: dict[str, list[MarkLine]] = defaultdict(list)
    delays = {key: access.delay_days for key, access in accesses.items()}
    for mark in marks:
        evaluation = mark.evaluation
        key = f"{mark.pupil_id}-{evaluation.establishment_id}"
        subject = evaluation.service.subject.label
        if evaluation.sub_subject_id:
            subject = f"{subject} — {evaluation.sub_subject.label}"
        found[key].append(
            MarkLine(
                subject=subject,
                title=evaluation.title,
                mark=mark_text(mark.as_engine(), Fraction(evaluation.scale)),
                code_label=str(CODE_LABELS.get(mark.code, "")) if mark.code else "",
                date=evaluation.date,
                visible_on=evaluation.published_on + timedelta(days=delays.get(key, 0)),
            )
        )
    return found


# -- Absences -----------------------------------------------------------------------------

SHOWN_STATES = (*attendance.WAITING_STATES, AbsenceState.PENDING)


def _absences(
    readers: list[Reader],
    accesses: dict[str, attendance.FamilyAccess],
    zones: dict[int, ZoneInfo],
    day: date,
) -> dict[str, AbsencesBlock]:
    """For each reader who sees them, the absences and lateness of this school year
    waiting for a justification (the latest `LATEST_ABSENCES`, and how many), and how
    many justifications the vie scolaire is examining: one query."""
    visible = [r for r in readers if accesses[r.key].may_see]
    blocks = {
        r.key: AbsencesBlock(
            may_see=accesses[r.key].may_see,
            may_justify=accesses[r.key].may_justify,
            why_not=accesses[r.key].why_not,
        )
        for r in readers
    }
    if not visible:
        return blocks
    by_key = {reader.key: reader for reader in visible}
    condition = Q(pk__in=[])
    for reader in visible:
        condition |= Q(pupil_id=reader.pupil_id, establishment_id=reader.establishment_id)
    partition = [F("pupil_id"), F("establishment_id"), F("state")]
    rows = (
        Absence.objects.filter(condition)
        .filter(
            voided_at__isnull=True,
            state__in=SHOWN_STATES,
            school_year=_school_year("establishment", day),
        )
        .annotate(
            rank=Window(
                RowNumber(), partition_by=partition, order_by=[F("start").desc(), F("pk").desc()]
            ),
            total=Window(Count("pk"), partition_by=partition),
        )
        .filter(rank__lte=LATEST_ABSENCES)
        .only("id", "pupil_id", "establishment_id", "kind", "start", "end", "minutes_late", "state")
        .order_by("-start", "-pk")
    )
    states = dict(AbsenceState.choices)
    counted: set[tuple[str, str]] = set()
    for absence in rows:
        key = f"{absence.pupil_id}-{absence.establishment_id}"
        block = blocks[key]
        reader = by_key[key]
        if (key, absence.state) not in counted:
            counted.add((key, absence.state))
            if absence.state == AbsenceState.PENDING:
                block.pending_total += absence.total
            else:
                block.waiting_total += absence.total
        if absence.state == AbsenceState.PENDING:
            continue
        if absence.kind == AbsenceKind.LATENESS:
            kind = _("Retard de %(minutes)s min") % {"minutes": absence.minutes_late or 0}
        else:
            kind = _("Absence")
        block.waiting.append(
            AbsenceLine(
                id=absence.pk,
                when=attendance.when_of(absence, zones[absence.establishment_id]),
                kind=kind,
                state=str(states[absence.state]),
                tone=attendance.TONES[absence.state],
                url=reverse("attendance:justify_absence", args=[absence.pk]) + reader.query
                if block.may_justify
                else None,
            )
        )
    for block in blocks.values():
        block.waiting = block.waiting[:LATEST_ABSENCES]
    return blocks


# -- The cards ----------------------------------------------------------------------------


def _establishments(ids: set[int]) -> dict[int, Establishment]:
    """The establishments with their calendars and their grades and attendance settings
    (two queries)."""
    return {
        establishment.pk: establishment
        for establishment in Establishment.objects.filter(pk__in=ids)
        .select_related("grades_policy", "attendance_policy")
        .prefetch_related("closures")
    }


def _grades_policy(establishment: Establishment) -> GradesPolicy:
    """As `grades.access.policy_of`, from the establishment already read."""
    try:
        return establishment.grades_policy
    except GradesPolicy.DoesNotExist:
        return GradesPolicy(establishment=establishment)


def _attendance_policy(establishment: Establishment) -> AttendancePolicy:
    """As `attendance.selectors.family.policy_of`, from the establishment already read."""
    try:
        return establishment.attendance_policy
    except AttendancePolicy.DoesNotExist:
        return AttendancePolicy(establishment=establishment)


def _divisions(readers: list[Reader], day: date) -> dict[str, Division]:
    """Each card's division on `day` in its establishment, with its head teachers (two
    queries)."""
    enrolments = (
        Enrolment.objects.on(day)
        .filter(pupil_id__in={r.pupil_id for r in readers})
        .select_related("division")
        .prefetch_related("division__head_teachers")
        .order_by("start_date", "pk")
    )
    return {
        f"{enrolment.pupil_id}-{enrolment.division.establishment_id}": enrolment.division
        for enrolment in enrolments
    }


def _objections(guardian_id: int | None, readers: list[Reader]) -> set[int]:
    """The pupils, of age, who objected to this guardian seeing their marks (one query)."""
    if guardian_id is None or all(r.own for r in readers):
        return set()
    return set(
        Guardianship.objects.filter(
            guardian_id=guardian_id,
            pupil_id__in={r.pupil_id for r in readers},
            adult_objection_at__isnull=False,
        ).values_list("pupil_id", flat=True)
    )


def day_cards(
    readers: list[Reader],
    *,
    guardian_id: int | None,
    day: date,
    unread: dict[int, int] | None = None,
) -> list[DayCard]:
    """The cards of `readers` on `day`, in their order; `unread`, the reader's unread
    messages per pupil concerned (`messaging.selectors.unread_summary`). A fixed number
    of queries whatever the number of cards and the data: establishments 2, divisions 2,
    the objections 1 (a guardian's), sessions 10, marks 1, absences 1, homework 9."""
    unread = unread or {}
    if not readers:
        return []
    establishments = _establishments({r.establishment_id for r in readers})
    zones = {pk: ZoneInfo(e.timezone) for pk, e in establishments.items()}
    rules = {pk: e.school_calendar_rules() for pk, e in establishments.items()}
    divisions = _divisions(readers, day)
    objections = _objections(guardian_id, readers)

    days = {r.key: [day, next_school_day(rules[r.establishment_id], day)] for r in readers}
    sessions = _sessions(readers, days)

    grades = {
        r.key: family_grades_access(
            link=r.link,
            objection=r.pupil_id in objections,
            policy=_grades_policy(establishments[r.establishment_id]),
        )
        for r in readers
    }
    marks = _latest_marks(readers, grades, day)

    presence = {
        r.key: attendance.family_access(
            link=r.link,
            adult=r.adult,
            policy=_attendance_policy(establishments[r.establishment_id]),
        )
        for r in readers
    }
    absences = _absences(readers, presence, zones, day)

    contacts_see = families_see_homework(list(establishments))
    homework_visible = {
        r.key: r.link != CONTACT or contacts_see.get(r.establishment_id, True) for r in readers
    }
    last_day = max(d for shown in days.values() for d in shown)
    due = homework_due([r.pupil_id for r in readers if homework_visible[r.key]], day, last_day)

    cards = []
    for reader in readers:
        zone = zones[reader.establishment_id]
        by_day: dict[date, list[SessionLine]] = defaultdict(list)
        for occurrence in sessions.get(reader.key, []):
            by_day[occurrence.date].append(session_line(occurrence, zone))
        division = divisions.get(reader.key)
        access = grades[reader.key]
        presence_ = presence[reader.key]
        timetable_url = reverse("timetable:home")
        blocks = [
            DayBlock(
                day=shown,
                title=day_title(shown, day),
                off=off_reason(rules[reader.establishment_id], shown),
                sessions=by_day.get(shown, []),
                homework=[
                    item
                    for item in due.get(reader.pupil_id, [])
                    if item.due_date == shown and item.establishment_id == reader.establishment_id
                ],
                url=f"{timetable_url}?{urlencode(_day_query(reader, shown))}",
            )
            for shown in days[reader.key]
        ]
        cards.append(
            DayCard(
                reader=reader,
                division=division,
                head_teachers=tuple(division.head_teachers.all()) if division else (),
                days=blocks,
                homework_visible=homework_visible[reader.key],
                marks=MarksBlock(
                    may_see=access.may_see,
                    why_not=access.why_not,
                    delay_days=access.delay_days,
                    rows=marks.get(reader.key, []),
                ),
                absences=absences[reader.key],
                links=Links(
                    timetable=timetable_url + reader.query,
                    homework=reverse("homework:todo") + reader.query,
                    grades=reverse("grades:latest") + reader.query if access.may_see else None,
                    absences=reverse("attendance:mine") + reader.query
                    if presence_.may_see
                    else None,
                    justify=reverse("attendance:justify") + reader.query
                    if presence_.may_justify
                    else None,
                ),
                unread=unread.get(reader.pupil_id, 0),
            )
        )
    return cards


def _day_query(reader: Reader, shown: date) -> dict:
    query = {} if reader.own else {"enfant": reader.pupil_id}
    query["jour"] = shown.isoformat()
    return query
