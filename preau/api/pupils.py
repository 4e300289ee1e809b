"""A pupil's timetable and absences: `GET /api/v1/pupils/{id}/timetable` and
`GET /api/v1/pupils/{id}/absences`, with the rules of the pages (`api.access`,
`attendance.access`).

- Timetable: the pupil, every person responsible for them (levels 1 to 3: a timetable
  is no secret), and staff who may see the pupil in their establishment. Exactly the
  occurrences whose audience holds the pupil (timetable.md), changes included.
- Absences: the pupil and the legal guardians; persons in charge and contacts when the
  establishment shows them absences (`AttendancePolicy.contacts_see_absences`); staff
  who may see the pupil. Health reasons only to the family, the vie scolaire and the
  direction; others read "Absence justifiée" (`attendance.visibility`).
"""

from datetime import date, datetime, timedelta

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from preau.api.access import pupil_link
from preau.attendance.access import absences_access
from preau.attendance.selectors.family import pupil_absences
from preau.attendance.visibility import reason_label
from preau.core.access import refuse
from preau.core.selectors import today
from preau.timetable.selectors import audience_label, pupil_occurrences

router = Router(tags=["élèves"])

# The longest range one call returns (a school year is about 45 weeks).
MAX_DAYS = 366


class OccurrenceOut(Schema):
    id: int
    start: datetime
    end: datetime
    subject: str
    teachers: list[str]
    rooms: list[str]
    status: str
    audience: str


class DateRange(Schema):
    start: date | None = Field(None, alias="from", description="Premier jour (AAAA-MM-JJ)")
    end: date | None = Field(None, alias="to", description="Dernier jour (AAAA-MM-JJ)")


class AbsenceOut(Schema):
    id: int
    kind: str
    start: datetime
    end: datetime
    minutes_late: int | None
    state: str
    reason: str | None


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    """The week of today by default; `from` alone runs a week, `to` alone ends one."""
    if start is None and end is None:
        start = today() - timedelta(days=today().weekday())
    if start is None:
        start = end - timedelta(days=6)
    if end is None:
        end = start + timedelta(days=6)
    if end < start:
        raise HttpError(422, "« to » précède « from ».")
    if (end - start).days >= MAX_DAYS:
        raise HttpError(422, f"Une demande couvre au plus {MAX_DAYS} jours.")
    return start, end


@router.get(
    "/pupils/{pupil_id}/timetable",
    response=list[OccurrenceOut],
    summary="L'emploi du temps d'un élève (la semaine en cours par défaut)",
)
def pupil_timetable(request, pupil_id: int, dates: Query[DateRange]):
    link = pupil_link(request, pupil_id)
    if link is None:
        raise refuse(request, "timetable of pupil", pupil_id)
    first, last = _range(dates.start, dates.end)
    occurrences = pupil_occurrences(pupil_id, first, last).filter(
        establishment_id=link.establishment_id
    )
    return [
        {
            "id": occurrence.pk,
            "start": occurrence.start,
            "end": occurrence.end,
            "subject": occurrence.title,
            "teachers": [teacher.display_name for teacher in occurrence.teachers.all()],
            "rooms": [room.name for room in occurrence.rooms.all()],
            "status": occurrence.status,
            "audience": audience_label(occurrence),
        }
        for occurrence in occurrences
    ]


@router.get(
    "/pupils/{pupil_id}/absences",
    response=list[AbsenceOut],
    summary="Les absences et retards d'un élève, le motif tel que l'appelant peut le voir",
)
def pupil_absence_list(request, pupil_id: int):
    link = pupil_link(request, pupil_id)
    if link is None:
        raise refuse(request, "absences of pupil", pupil_id)
    may_see, confidential = absences_access(link, pupil_id, today())
    if not may_see:
        raise refuse(request, "absences of pupil", pupil_id)
    absences = (
        pupil_absences(pupil_id=pupil_id, establishment_id=link.establishment_id)
        .select_related("reason")
        .order_by("-start", "-pk")
    )
    return [
        {
            "id": absence.pk,
            "kind": absence.kind,
            "start": absence.start,
            "end": absence.end,
            "minutes_late": absence.minutes_late,
            "state": absence.state,
            "reason": reason_label(absence, sees_confidential=confidential) or None,
        }
        for absence in absences
    ]
