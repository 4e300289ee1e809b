"""Reads of the family side of attendance: a pupil's absences and lateness as the pupil
and their guardians see them, and what each of them may do about them.

Who may see and justify is decided by `family_access` (a pure function of the reader's
link to the pupil and the establishment's policy, access.md):

- the pupil sees their own; an adult pupil (18 or more) may justify them, a minor may
  not (their guardians do);
- each legal guardian (level 1) sees and justifies, both alike, separated or not; an
  adult pupil's objection hides grades and report cards, never absences;
- a person in charge or a contact (levels 2 and 3) sees them when the establishment
  enables it (`AttendancePolicy.contacts_see_absences`, on by default) and never
  justifies; health reasons stay confidential for them.

Every function is scoped by the pupil *and* the establishment, and costs a fixed number
of queries whatever the number of absences.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceReason,
    AbsenceState,
    AttendancePolicy,
)
from preau.attendance.visibility import reason_label
from preau.core.models import Establishment, ResponsibilityLevel, SchoolYear
from preau.timetable.models import NOT_HELD, Occurrence
from preau.timetable.selectors import occurrences_for_units, pupil_units

# The states in which the family has something to do: give a reason, or a new one
# after a rejection.
WAITING_STATES = frozenset({AbsenceState.UNJUSTIFIED, AbsenceState.REJECTED})

# The reader's link to the pupil.
OWN = "own"
LEGAL = "legal"
CONTACT = "contact"


@dataclass(frozen=True)
class FamilyAccess:
    may_see: bool
    may_justify: bool
    # The reader sees health reasons (the family gave them); contacts do not.
    sees_confidential: bool
    # Why the reader may not justify, in words for the page ("" when they may).
    why_not: str = ""


def family_access(*, link: str, adult: bool, policy: AttendancePolicy) -> FamilyAccess:
    """What a reader linked to a pupil by `link` (OWN, LEGAL or CONTACT) may do with the
    pupil's absences; `adult` is the pupil's being 18 or more today."""
    closed = _(
        "L'établissement ne propose pas la justification en ligne : adressez-vous à "
        "la vie scolaire."
    )
    if link == OWN:
        if not adult:
            return FamilyAccess(
                True, False, True, _("Vos responsables légaux justifient vos absences et retards.")
            )
        if not policy.families_may_justify:
            return FamilyAccess(True, False, True, closed)
        return FamilyAccess(True, True, True)
    if link == LEGAL:
        if not policy.families_may_justify:
            return FamilyAccess(True, False, True, closed)
        return FamilyAccess(True, True, True)
    if policy.contacts_see_absences:
        return FamilyAccess(
            True, False, False, _("Seuls les responsables légaux justifient les absences.")
        )
    return FamilyAccess(False, False, False, "")


def link_of(level: int) -> str:
    return LEGAL if level == ResponsibilityLevel.LEGAL else CONTACT


def policy_of(establishment_id: int) -> AttendancePolicy:
    """The establishment's policy with its establishment (one query); the defaults when
    it was never saved, without writing anything on a page read."""
    establishment = Establishment.objects.select_related("attendance_policy").get(
        pk=establishment_id
    )
    try:
        return establishment.attendance_policy
    except AttendancePolicy.DoesNotExist:
        return AttendancePolicy(establishment=establishment)


def school_year_of(establishment_id: int, day: date) -> SchoolYear | None:
    """The school year running on `day`, or in the summer the one that just ended."""
    return (
        SchoolYear.objects.filter(establishment_id=establishment_id, start_date__lte=day)
        .order_by("-start_date")
        .first()
    )


def pupil_absences(*, pupil_id: int, establishment_id: int) -> QuerySet[Absence]:
    """Every absence and lateness of the pupil in the establishment that stands (voided
    ones were withdrawn by the school and are not the family's business)."""
    return Absence.objects.filter(
        pupil_id=pupil_id, establishment_id=establishment_id, voided_at__isnull=True
    )


def absence_for_family(*, pupil_id: int, establishment_id: int, absence_id: int) -> Absence | None:
    return (
        pupil_absences(pupil_id=pupil_id, establishment_id=establishment_id)
        .select_related("reason", "occurrence__subject")
        .filter(pk=absence_id)
        .first()
    )


def selectable_reasons(establishment_id: int) -> QuerySet[AbsenceReason]:
    """The reasons a family may give online."""
    return AbsenceReason.objects.filter(
        establishment_id=establishment_id, family_selectable=True, active=True
    ).order_by("position", "label")


# -- Rows as the pages show them ---------------------------------------------------------


@dataclass
class Row:
    absence: Absence
    when: str
    courses: list[str] = field(default_factory=list)
    kind: str = ""
    state: str = ""
    # CSS modifier of the state; the state is always written too, never only a colour.
    tone: str = ""
    reason: str = ""
    waiting: bool = False
    pending: bool = False
    # The vie scolaire's decision on the absence ("" until it is accepted or rejected)
    # and the explanation it wrote for the family (`staff_comment`).
    decision: str = ""
    explanation: str = ""


# The decision in the family's words; the state alone ("Justifiée") does not say who
# decided.
DECISION_WORDS = {
    AbsenceState.ACCEPTED: _lazy("Justification acceptée"),
    AbsenceState.REJECTED: _lazy("Justification refusée"),
}


def decision_of(absence: Absence, access: FamilyAccess) -> tuple[str, str]:
    """The decision and its explanation as this reader may read them. The explanation is
    written to the pupil and their legal guardians: like the family's own explanation,
    a contact does not read it (it may speak of a medical certificate). While the
    absence is waiting for a decision, an earlier refusal's words are not shown as if
    they were the answer."""
    words = DECISION_WORDS.get(absence.state)
    if words is None:
        return "", ""
    explanation = absence.staff_comment.strip() if access.sees_confidential else ""
    return str(words), explanation


TONES = {
    AbsenceState.UNJUSTIFIED: "todo",
    AbsenceState.REJECTED: "rejected",
    AbsenceState.PENDING: "pending",
    AbsenceState.ACCEPTED: "done",
}


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return timezone.localtime(moment, zone)


def _day(moment: datetime) -> str:
    return formats.date_format(moment, "l j F Y").capitalize()


def _time(moment: datetime) -> str:
    return formats.time_format(moment, "H:i")


def when_of(absence: Absence, zone: ZoneInfo) -> str:
    """The period in words: "Lundi 3 mars 2025, 08:00–08:55", "retard de 10 min à
    08:00", or from one day to another."""
    start, end = _local(absence.start, zone), _local(absence.end, zone)
    if absence.kind == AbsenceKind.LATENESS:
        return _("%(day)s, %(time)s") % {"day": _day(start), "time": _time(start)}
    if start.date() == end.date():
        return _("%(day)s, %(start)s–%(end)s") % {
            "day": _day(start),
            "start": _time(start),
            "end": _time(end),
        }
    return _("Du %(start_day)s à %(start)s au %(end_day)s à %(end)s") % {
        "start_day": formats.date_format(start, "l j F Y"),
        "start": _time(start),
        "end_day": formats.date_format(end, "l j F Y"),
        "end": _time(end),
    }


def _course(occurrence: Occurrence, zone: ZoneInfo, *, with_day: bool) -> str:
    label = occurrence.subject.label if occurrence.subject_id else (occurrence.label or "")
    label = label or _("Séance")
    start = _local(occurrence.start, zone)
    if with_day:
        return f"{formats.date_format(start, 'D j M')} {_time(start)} {label}"
    return f"{_time(start)} {label}"


def _period_courses(
    pupil_id: int, establishment_id: int, periods: list[Absence], zone: ZoneInfo
) -> dict[int, list[Occurrence]]:
    """The pupil's held occurrences within each absence entered over a period (not
    through a roll call): six queries, whatever the number of periods."""
    if not periods:
        return {}
    first = min(_local(a.start, zone).date() for a in periods)
    last = max(_local(a.end, zone).date() for a in periods)
    overlap = Q(pk__in=[])
    for absence in periods:
        overlap |= Q(start__lt=absence.end, end__gt=absence.start)
    found = list(
        occurrences_for_units(pupil_units([pupil_id], first, last), first, last, establishment_id)
        .filter(overlap)
        .exclude(status__in=NOT_HELD)
        .prefetch_related(None)
        .order_by("start")
    )
    return {
        absence.pk: [o for o in found if o.start < absence.end and o.end > absence.start]
        for absence in periods
    }


def rows_of(
    absences: list[Absence], *, access: FamilyAccess, zone: ZoneInfo, pupil_id: int
) -> list[Row]:
    """The rows of a family page, with the courses each absence made the pupil miss."""
    periods = [a for a in absences if a.kind == AbsenceKind.ABSENCE and a.occurrence_id is None]
    establishment_id = absences[0].establishment_id if absences else 0
    per_period = _period_courses(pupil_id, establishment_id, periods, zone)
    rows = []
    for absence in absences:
        if absence.occurrence_id is not None:
            courses = [_course(absence.occurrence, zone, with_day=False)]
        else:
            several_days = _local(absence.start, zone).date() != _local(absence.end, zone).date()
            courses = [
                _course(o, zone, with_day=several_days) for o in per_period.get(absence.pk, [])
            ]
        if absence.kind == AbsenceKind.LATENESS:
            kind = _("Retard de %(minutes)s min") % {"minutes": absence.minutes_late or 0}
        else:
            kind = _("Absence")
        decision, explanation = decision_of(absence, access)
        rows.append(
            Row(
                absence=absence,
                when=when_of(absence, zone),
                courses=courses,
                kind=kind,
                state=str(AbsenceState(absence.state).label),
                tone=TONES[absence.state],
                reason=reason_label(absence, sees_confidential=access.sees_confidential),
                waiting=absence.state in WAITING_STATES,
                pending=absence.state == AbsenceState.PENDING,
                decision=decision,
                explanation=explanation,
            )
        )
    return rows


@dataclass
class Overview:
    year: SchoolYear | None
    rows: list[Row]

    @property
    def absences(self) -> int:
        return sum(1 for row in self.rows if row.absence.kind == AbsenceKind.ABSENCE)

    @property
    def lateness(self) -> int:
        return sum(1 for row in self.rows if row.absence.kind == AbsenceKind.LATENESS)

    @property
    def waiting(self) -> int:
        return sum(1 for row in self.rows if row.waiting)

    @property
    def pending(self) -> int:
        return sum(1 for row in self.rows if row.pending)


def overview(
    *, pupil_id: int, policy: AttendancePolicy, access: FamilyAccess, day: date
) -> Overview:
    """The school year's absences and lateness of the pupil, latest first: two queries
    (the year, the absences), six more when some were entered over a period."""
    establishment = policy.establishment
    zone = ZoneInfo(establishment.timezone)
    year = school_year_of(establishment.pk, day)
    if year is None:
        return Overview(year=None, rows=[])
    absences = list(
        pupil_absences(pupil_id=pupil_id, establishment_id=establishment.pk)
        .filter(school_year=year)
        .select_related("reason", "occurrence__subject")
        .order_by("-start", "-pk")
    )
    return Overview(year=year, rows=rows_of(absences, access=access, zone=zone, pupil_id=pupil_id))
