"""What the staff home pages show besides the establishment's figures: a teacher's day
(the sessions with their roll calls and cahier de textes), grade books and head-teacher
divisions; the vie scolaire's and the direction's day (absences, roll calls not taken,
alerts). Each a fixed number of queries whatever the size of the establishment.

The rules and computations are the domains': the roll call states and the roll calls
not taken (`attendance.selectors.roll_calls`), the desk's rows
(`attendance.selectors.desk.desk_row`: health reasons for those who may read them), the
L131-8 list and the dropout watch (`attendance.reports`).
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from preau.attendance import reports
from preau.attendance.models import UNJUSTIFIED_STATES, Absence, AbsenceKind, AbsenceState
from preau.attendance.selectors.desk import DeskRow, day_bounds, desk_row
from preau.attendance.selectors.family import policy_of
from preau.attendance.selectors.roll_calls import (
    may_be_recorded,
    missing_roll_calls,
    not_recordable_reason,
    roll_call_grace_minutes,
    roll_call_states,
    summary_text,
)
from preau.core.models import Establishment, Person
from preau.portal.selectors.cards import SessionLine, session_line
from preau.structure.models import Division, TeachingService
from preau.structure.selectors import current_divisions, teacher_services
from preau.timetable.selectors import audience_label, teacher_occurrences, with_successors

# -- A teacher's day ------------------------------------------------------------------------

TAKEN, TO_TAKE, NOT_NEEDED = "taken", "to_take", "not_needed"


@dataclass(frozen=True)
class TeacherSession:
    line: SessionLine
    # Taught right now.
    current: bool
    roll_call: str  # TAKEN, TO_TAKE or NOT_NEEDED
    roll_call_text: str
    roll_call_url: str | None
    # The session's cahier de textes: its content and the homework given.
    homework_url: str


@dataclass(frozen=True)
class GradeBook:
    service: TeachingService
    # The other teachers of a co-taught service.
    others: tuple[Person, ...]
    url: str


@dataclass
class TeacherHome:
    sessions: list[TeacherSession]
    books: list[GradeBook]
    head_of: list[Division]


def teacher_sessions(
    person_id: int, establishment_id: int, zone: ZoneInfo, day: date, now: datetime
) -> list[TeacherSession]:
    """The teacher's sessions of `day` in the establishment, in time order, each with
    its roll call's state: six queries (sessions 4, the sessions they moved to 1, roll
    calls 1)."""
    occurrences = list(with_successors(teacher_occurrences(person_id, day, day, establishment_id)))
    states = roll_call_states([o.pk for o in occurrences])
    sessions = []
    for occurrence in occurrences:
        state = states.get(occurrence.pk)
        url = reverse("attendance:roll_call_take", args=[occurrence.pk])
        if state is not None:
            roll_call, text = TAKEN, summary_text(state, zone)
        elif may_be_recorded(occurrence, day):
            roll_call, text = TO_TAKE, _("Appel à faire.")
        else:
            roll_call, text, url = NOT_NEEDED, not_recordable_reason(occurrence, day), None
        sessions.append(
            TeacherSession(
                line=session_line(occurrence, zone, teacher_id=person_id),
                current=occurrence.is_held and occurrence.start <= now < occurrence.end,
                roll_call=roll_call,
                roll_call_text=text,
                roll_call_url=url,
                homework_url=reverse("homework:session", args=[occurrence.pk]),
            )
        )
    return sessions


def teacher_home(
    person_id: int, establishment: Establishment, day: date, now: datetime
) -> TeacherHome:
    """Nine queries: the day's sessions 6, the services and their teachers 2, the
    divisions the person is head teacher of 1."""
    zone = ZoneInfo(establishment.timezone)
    head_of = list(
        Division.objects.filter(
            establishment_id=establishment.pk,
            head_teachers=person_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        ).order_by("name")
    )
    services = teacher_services(person_id=person_id, establishment_id=establishment.pk, day=day)
    return TeacherHome(
        sessions=teacher_sessions(person_id, establishment.pk, zone, day, now),
        books=[
            GradeBook(
                service=service,
                others=tuple(t for t in service.teachers.all() if t.pk != person_id),
                url=reverse("grades:entry_service", args=[service.pk]),
            )
            for service in services
        ],
        head_of=head_of,
    )


# -- The vie scolaire's and the direction's day -----------------------------------------

LATEST_ABSENCES = 5
MISSING_SHOWN = 5
# The alerts are whole-establishment computations (about a second for a lycée of 1,200
# pupils): computed at most once per establishment and per ALERTS_MINUTES.
ALERTS_MINUTES = 10


@dataclass(frozen=True)
class DayCounts:
    absences: int
    lateness: int
    pupils: int
    unjustified: int
    # Justifications sent by families, whatever the day, waiting for a decision.
    pending: int


@dataclass(frozen=True)
class MissingLine:
    start: str
    subject: str
    audience: str
    teachers: str
    url: str


@dataclass(frozen=True)
class Alerts:
    month: date
    # Pupils at or above the L131-8 referral threshold this month (raw count).
    l131_8: int
    threshold: int
    # Pupils on the dropout watch today.
    dropout: int
    computed_at: datetime
    legal_url: str
    dropout_url: str


@dataclass
class DeskHome:
    counts: DayCounts
    latest: list[DeskRow]
    missing: list[MissingLine]
    missing_total: int
    grace: int
    alerts: Alerts | None


def day_counts(establishment: Establishment, day: date, zone: ZoneInfo) -> DayCounts:
    """The day's standing absences and lateness, and every justification waiting for
    the desk (one query)."""
    start, end = day_bounds(day, zone)
    that_day = Q(start__lt=end, end__gt=start)
    counts = Absence.objects.filter(establishment=establishment, voided_at__isnull=True).aggregate(
        absences=Count("pk", filter=that_day & Q(kind=AbsenceKind.ABSENCE)),
        lateness=Count("pk", filter=that_day & Q(kind=AbsenceKind.LATENESS)),
        pupils=Count("pupil", distinct=True, filter=that_day),
        unjustified=Count("pk", filter=that_day & Q(state__in=UNJUSTIFIED_STATES)),
        pending=Count("pk", filter=Q(state=AbsenceState.PENDING)),
    )
    return DayCounts(**counts)


def latest_absences(
    establishment: Establishment, day: date, zone: ZoneInfo, *, sees_confidential: bool
) -> list[DeskRow]:
    """The day's last recorded absences and lateness, as the desk lists them (two
    queries: the absences, the pupils' divisions)."""
    start, end = day_bounds(day, zone)
    absences = list(
        Absence.objects.filter(
            establishment=establishment, voided_at__isnull=True, start__lt=end, end__gt=start
        )
        .select_related("pupil", "reason", "roll_call_entry", "occurrence__subject", "created_by")
        .order_by("-created_at", "-pk")[:LATEST_ABSENCES]
    )
    divisions = current_divisions([a.pupil_id for a in absences], day)
    return [
        desk_row(a, divisions.get(a.pupil_id), zone, sees_confidential=sees_confidential)
        for a in absences
    ]


def alerts(establishment: Establishment, day: date) -> Alerts:
    """The L131-8 count of this month and the dropout watch count of today, as the
    legal pages compute them; cached ALERTS_MINUTES per establishment and day (cold:
    about twenty queries; warm: none)."""
    key = f"portal:home-alerts:{establishment.pk}:{day.isoformat()}"
    found = cache.get(key)
    if found is None:
        month = day.replace(day=1)
        found = {
            "l131_8": len(reports.l131_8(establishment, month)),
            "threshold": policy_of(establishment.pk).referral_threshold,
            "dropout": len(reports.dropout_watch(establishment, as_of=day)),
            "computed_at": timezone.now(),
        }
        cache.set(key, found, ALERTS_MINUTES * 60)
    month = day.replace(day=1)
    return Alerts(
        month=month,
        l131_8=found["l131_8"],
        threshold=found["threshold"],
        dropout=found["dropout"],
        computed_at=found["computed_at"],
        legal_url=f"{reverse('attendance:legal')}?{urlencode({'mois': f'{month:%Y-%m}'})}",
        dropout_url=reverse("attendance:dropout"),
    )


def desk_home(
    establishment: Establishment,
    day: date,
    now: datetime,
    *,
    sees_confidential: bool,
    reads_follow_up: bool,
) -> DeskHome:
    """Nine queries besides the alerts: counts 1, latest absences 2, grace delay 1,
    roll calls not taken 4 (`missing_roll_calls`), and one the alerts read when warm
    (none: the cache)."""
    zone = ZoneInfo(establishment.timezone)
    grace = roll_call_grace_minutes(establishment.pk)
    groups = missing_roll_calls(
        establishment_id=establishment.pk, day=day, now=now, grace_minutes=grace
    )
    occurrences = {o.pk: o for group in groups for o in group.occurrences}
    missing = [
        MissingLine(
            start=formats.time_format(timezone.localtime(o.start, zone), "H:i"),
            subject=o.title,
            audience=audience_label(o),
            teachers=", ".join(t.formal_name for t in o.teachers.all()),
            url=reverse("attendance:roll_call_take", args=[o.pk]),
        )
        for o in sorted(occurrences.values(), key=lambda o: (o.start, o.pk))
    ]
    return DeskHome(
        counts=day_counts(establishment, day, zone),
        latest=latest_absences(establishment, day, zone, sees_confidential=sees_confidential),
        missing=missing[:MISSING_SHOWN],
        missing_total=len(missing),
        grace=grace,
        alerts=alerts(establishment, day) if reads_follow_up else None,
    )
