"""Messages: `POST /api/v1/messages`, `GET /api/v1/messages?folder=inbox|sent|archived`
and `GET /api/v1/messages/{id}` (interfaces.md).

The same services and rules as the pages (`messaging.services.message_send`): a
recipient or an audience the rules forbid answers 403 `{"detail": reason}` with the
reason in French; an invalid message (empty, too large, unknown division) 422. A
message the caller neither sent nor received answers 404, logged. Reading a message
marks it read.

The establishment the message is sent in: `establishment` (a UAI) when given; else
the caller's only establishment; else the one of the pupil concerned or of the
division or group named; else the first of the caller's establishments where the
rules allow every recipient.
"""

from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from preau.core.access import refuse
from preau.core.models import Establishment
from preau.core.selectors import today
from preau.messaging import policy, selectors, services
from preau.messaging.audiences import UnknownAudience, describe
from preau.messaging.models import MessageKind
from preau.portal.spaces import PUPIL, STAFF
from preau.structure.models import Division, Enrolment, Group

router = Router(tags=["messages"])


class AudienceIn(Schema):
    type: str
    id: int | str | None = None


class MessageIn(Schema):
    subject: str
    body: str
    kind: str = MessageKind.DISCUSSION
    recipients: list[int] = Field(default_factory=list)
    audiences: list[AudienceIn] = Field(default_factory=list)
    read_receipt: bool = False
    concerns: int | None = None
    urgent: bool = False
    establishment: str | None = Field(None, description="UAI, quand l'appelant en a plusieurs")


class CreatedOut(Schema):
    id: int
    recipient_count: int


class ErrorOut(Schema):
    detail: str


class PersonOut(Schema):
    id: int
    display_name: str


class MessageRowOut(Schema):
    id: int
    thread: int
    subject: str
    kind: str
    sender: PersonOut
    created_at: datetime
    concerns: PersonOut | None
    urgent: bool
    preview: str
    read: bool | None = Field(None, description="Reçus : lu par l'appelant")
    recipient_count: int | None = Field(None, description="Envoyés : nombre de destinataires")
    read_count: int | None = Field(None, description="Envoyés : nombre de lecteurs")


class MessagePageOut(Schema):
    folder: str
    count: int
    page: int
    pages: int
    results: list[MessageRowOut]


class AttachmentOut(Schema):
    id: int
    name: str
    size: int


class AudienceOut(Schema):
    type: str
    id: str
    label: str
    resolved_count: int


class MessageOut(Schema):
    id: int
    thread: int
    in_reply_to: int | None
    subject: str
    body: str = Field(description="HTML nettoyé")
    kind: str
    sender: PersonOut
    created_at: datetime
    concerns: PersonOut | None
    urgent: bool
    read_receipt: bool
    recipient_count: int
    read_at: datetime | None = Field(None, description="Reçu : lu le (marqué lu par cette lecture)")
    attachments: list[AttachmentOut]
    audiences: list[AudienceOut] | None = Field(None, description="Pour l'expéditeur seulement")


def _person(person) -> dict | None:
    if person is None:
        return None
    return {"id": person.pk, "display_name": person.display_name}


def _candidates(request) -> list[int]:
    spaces = request.person_spaces
    ids = [
        space.establishment_id
        for space in spaces.spaces
        if space.kind in (STAFF, PUPIL) and space.establishment_id is not None
    ]
    ids += [child.establishment_id for child in spaces.children]
    return list(dict.fromkeys(ids))


def _establishment_id(request, payload: MessageIn) -> int | None:
    """Where the message is sent (see the module's documentation)."""
    candidates = _candidates(request)
    if payload.establishment:
        found = Establishment.objects.filter(uai=payload.establishment.upper()).first()
        return found.pk if found is not None and found.pk in candidates else None
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    day = today()
    named: list[int] = []
    if payload.concerns is not None:
        named += (
            Enrolment.objects.on(day)
            .filter(pupil_id=payload.concerns)
            .values_list("division__establishment_id", flat=True)
        )
    for audience in payload.audiences:
        model = Group if audience.type == "group_pupils" else Division
        if audience.type.startswith(("division_", "group_")) and str(audience.id).isdigit():
            named += model.objects.filter(pk=int(audience.id)).values_list(
                "establishment_id", flat=True
            )
    for establishment_id in named:
        if establishment_id in candidates:
            return establishment_id
    person_id = request.auth.person_id
    for establishment_id in candidates:
        ctx = services.sender_context(person_id=person_id, establishment_id=establishment_id)
        try:
            chosen = describe(
                [(a.type, a.id) for a in payload.audiences],
                establishment_id=establishment_id,
                day=day,
            )
            services.authorise(ctx, person_ids=payload.recipients, audiences=chosen)
        except (services.MessagingError, UnknownAudience):
            continue
        return establishment_id
    return candidates[0]


@router.post(
    "/messages",
    response={201: CreatedOut, 403: ErrorOut, 422: ErrorOut},
    summary="Envoyer un message à des personnes et à des ensembles de destinataires",
)
def send(request, payload: MessageIn):
    establishment_id = _establishment_id(request, payload)
    if establishment_id is None:
        return Status(403, {"detail": policy.NO_CAPACITY})
    try:
        message = services.message_send(
            actor=request.auth,
            establishment=Establishment.objects.get(pk=establishment_id),
            subject=payload.subject,
            body=payload.body,
            kind=payload.kind,
            recipients=payload.recipients,
            audiences=[(a.type, a.id) for a in payload.audiences],
            read_receipt=payload.read_receipt,
            concerns=payload.concerns,
            urgent=payload.urgent,
        )
    except services.MessagingRefused as refusal:
        return Status(403, {"detail": refusal.reason})
    except services.MessageInvalid as invalid:
        return Status(422, {"detail": invalid.reason})
    return Status(201, {"id": message.pk, "recipient_count": message.recipient_count})


@router.get(
    "/messages",
    response={200: MessagePageOut, 422: ErrorOut},
    summary="Les messages reçus, envoyés ou archivés de l'appelant, les plus récents d'abord",
)
def folder(request, folder: str = "inbox", page: int = 1, q: str = ""):
    person_id = request.auth.person_id
    if folder not in selectors.FOLDERS:
        return Status(422, {"detail": "Le dossier est « inbox », « sent » ou « archived »."})
    if person_id is None:
        return {"folder": folder, "count": 0, "page": 1, "pages": 1, "results": []}
    per_page = 50
    if folder == selectors.SENT:
        found = selectors.sent_page(person_id=person_id, search=q, page=page, per_page=per_page)
        results = [
            {
                "id": m.pk,
                "thread": m.thread_id or m.pk,
                "subject": m.subject,
                "kind": m.kind,
                "sender": _person(m.sender),
                "created_at": m.created_at,
                "concerns": _person(m.concerns),
                "urgent": m.urgent,
                "preview": m.preview,
                "recipient_count": m.recipient_count,
                "read_count": m.read_count,
            }
            for m in found.rows
        ]
    else:
        found = selectors.received_page(
            person_id=person_id,
            archived=folder == selectors.ARCHIVED,
            search=q,
            page=page,
            per_page=per_page,
        )
        results = [
            {
                "id": row.message.pk,
                "thread": row.message.thread_id or row.message.pk,
                "subject": row.message.subject,
                "kind": row.message.kind,
                "sender": _person(row.message.sender),
                "created_at": row.message.created_at,
                "concerns": _person(row.message.concerns),
                "urgent": row.message.urgent,
                "preview": row.message_preview,
                "read": row.read_at is not None,
            }
            for row in found.rows
        ]
    return {
        "folder": folder,
        "count": found.total,
        "page": found.number,
        "pages": found.pages,
        "results": results,
    }


@router.get(
    "/messages/{message_id}",
    response=MessageOut,
    summary="Un message que l'appelant a envoyé ou reçu (le marque lu)",
)
def read(request, message_id: int):
    person_id = request.auth.person_id
    message = (
        selectors.message_for(person_id=person_id, message_id=message_id)
        if person_id is not None
        else None
    )
    if message is None:
        raise refuse(request, "message", message_id)
    read_at = message.my_read_at
    if message.my_recipient and read_at is None:
        services.messages_mark_read(actor=request.auth, message_ids=[message.pk])
        read_at = timezone.now()
    mine = message.sender_id == person_id
    return {
        "id": message.pk,
        "thread": message.thread_id or message.pk,
        "in_reply_to": message.in_reply_to_id,
        "subject": message.subject,
        "body": message.body,
        "kind": message.kind,
        "sender": _person(message.sender),
        "created_at": message.created_at,
        "concerns": _person(message.concerns),
        "urgent": message.urgent,
        "read_receipt": message.read_receipt,
        "recipient_count": message.recipient_count,
        "read_at": read_at if message.my_recipient else None,
        "attachments": [
            {"id": a.pk, "name": a.name, "size": a.size} for a in message.attachments.all()
        ],
        "audiences": (
            [
                {
                    "type": a.type,
                    "id": a.target,
                    "label": a.label,
                    "resolved_count": a.resolved_count,
                }
                for a in selectors.audiences_of(message.pk)
            ]
            if mine
            else None
        ),
    }
