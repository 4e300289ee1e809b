"""A pupil's homework: `GET /api/v1/pupils/{id}/homework`, with the rules of the
pages (docs/homework.md).

Who: the pupil, the legal guardians, persons in charge and contacts when the
establishment shows them the cahier de textes (`HomeworkPolicy.contacts_see_homework`,
on by default), and staff who may see the pupil (`api.access.pupil_link`). Anybody
else: 404. The homework is the one due between `from` and `to` (today and the next 14
days by default, 366 days at most), as the pupil must do it (the audience of the
session it was given in, on its due date), withdrawn homework left out. `done` is the
pupil's own tick, given to the pupil only (null for everybody else).
"""

from datetime import date, timedelta

from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from preau.api.access import pupil_link
from preau.core.access import refuse
from preau.core.selectors import today
from preau.homework.access import families_see_homework
from preau.homework.selectors import pupil_homework
from preau.portal.access import CONTACT, OWN

router = Router(tags=["cahier de textes"])

DEFAULT_DAYS = 14
MAX_DAYS = 366


class HomeworkRange(Schema):
    start: date | None = Field(None, alias="from", description="Premier jour (AAAA-MM-JJ)")
    end: date | None = Field(None, alias="to", description="Dernier jour (AAAA-MM-JJ)")


class AttachmentOut(Schema):
    name: str
    size: int
    url: str


class HomeworkOut(Schema):
    id: int
    subject: str
    given_on: date
    due_date: date
    kind: str
    instructions: str = Field(description="HTML assaini")
    estimated_minutes: int | None
    done: bool | None = Field(description="Coché « fait » par l'élève ; null pour les autres")
    teachers: list[str]
    attachments: list[AttachmentOut]


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    """Today and the next 14 days by default; `from` alone runs 14 days, `to` alone
    starts today."""
    if start is None and end is None:
        start = today()
    if start is None:
        start = min(today(), end)
    if end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    if end < start:
        raise HttpError(422, "« to » précède « from ».")
    if (end - start).days >= MAX_DAYS:
        raise HttpError(422, f"Une demande couvre au plus {MAX_DAYS} jours.")
    return start, end


@router.get(
    "/pupils/{pupil_id}/homework",
    response=list[HomeworkOut],
    summary="Le travail à faire d'un élève (aujourd'hui et les 14 jours suivants par défaut)",
)
def pupil_homework_list(request, pupil_id: int, dates: Query[HomeworkRange]):
    link = pupil_link(request, pupil_id)
    if link is None:
        raise refuse(request, "homework of pupil", pupil_id)
    if link.kind == CONTACT and not families_see_homework([link.establishment_id]).get(
        link.establishment_id
    ):
        raise refuse(request, "homework of pupil", pupil_id)
    first, last = _range(dates.start, dates.end)
    own = link.kind == OWN
    items = pupil_homework(pupil_id, link.establishment_id, first, last, with_done=own)
    return [
        {
            "id": item.homework.pk,
            "subject": item.subject,
            "given_on": item.homework.occurrence.date,
            "due_date": item.homework.due_date,
            "kind": item.homework.kind,
            "instructions": item.homework.instructions,
            "estimated_minutes": item.homework.estimated_minutes,
            "done": item.done if own else None,
            "teachers": item.teachers,
            "attachments": [
                {
                    "name": attachment.name,
                    "size": attachment.size,
                    "url": request.build_absolute_uri(
                        reverse("homework:attachment", args=[attachment.pk])
                    ),
                }
                for attachment in item.attachments
            ],
        }
        for item in items
    ]
