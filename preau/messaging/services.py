"""Every write of messaging: sending, replying, reading, archiving, reminding, the
emergency switch and the establishment's rules (docs/messaging.md).

The rules are checked here and only here (`authorise`, which asks `policy`), whoever
calls — the pages, the API, the demo; a refusal raises `MessagingRefused` carrying the
French reason, which the API answers as 403 `{"detail": reason}` and the pages show.

Sending stores the message once and one `Recipient` row per person in a single
statement whatever their number (the ids travel as one array parameter), in one
transaction; the e-mail notifications are queued after the commit
(`notices.schedule`). The number of queries of a sending does not depend on the
number of recipients.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.text import get_valid_filename

from preau.audit.services import audit_record
from preau.core.models import Establishment, Guardianship, Person, Role, RoleKind
from preau.core.permissions import directs
from preau.core.richtext import clean_html, plain_text
from preau.core.selectors import today
from preau.messaging import audiences as audience_module
from preau.messaging import notices, policy
from preau.messaging.models import (
    Attachment,
    GuardianDelegate,
    Message,
    MessageAudience,
    MessageKind,
    MessagingPolicy,
    NotifyState,
    Recipient,
)
from preau.structure.models import Enrolment

logger = logging.getLogger("preau.messaging")

SUBJECT_MAX = 200
REMIND_EVERY = timedelta(hours=24)

ROLE_CAPACITY = {
    RoleKind.DIRECTION: policy.DIRECTION,
    RoleKind.SECRETARIAT: policy.DIRECTION,
    RoleKind.CPE: policy.VIE_SCOLAIRE,
    RoleKind.EDUCATION_ASSISTANT: policy.VIE_SCOLAIRE,
    RoleKind.TEACHER: policy.TEACHER,
    RoleKind.PUPIL: policy.PUPIL,
}


class MessagingError(Exception):
    """A message that cannot leave, with the reason to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MessagingRefused(MessagingError, PermissionDenied):
    """The rules forbid it (the API answers 403 with the reason)."""


class MessageInvalid(MessagingError):
    """The message itself is wrong: empty, too large, no recipient (422)."""


# -- The sender in an establishment ---------------------------------------------------------


def policy_of(establishment_id: int) -> MessagingPolicy:
    """The establishment's rules (one query); the defaults when never saved."""
    found = MessagingPolicy.objects.filter(establishment_id=establishment_id).first()
    return found or MessagingPolicy(establishment_id=establishment_id)


@dataclass
class SenderContext:
    """A person acting in one establishment on one day: their capacities, their
    children there, the divisions they are parent delegate of, and the rules."""

    person_id: int
    establishment_id: int
    day: date
    settings: MessagingPolicy
    rules: policy.Rules
    sender: policy.Sender
    ward_ids: set[int] = field(default_factory=set)
    delegate_division_ids: set[int] = field(default_factory=set)
    own_division_ids: set[int] = field(default_factory=set)
    _taught_divisions: set[int] | None = None
    _taught_groups: set[int] | None = None

    @property
    def levels(self) -> list[int]:
        return audience_module.guardian_levels(self.settings.contacts_included)

    @property
    def family_ids(self) -> set[int]:
        """The sender's children there, and the sender themself when a pupil."""
        own = {self.person_id} if policy.PUPIL in self.sender.capacities else set()
        return self.ward_ids | own

    def taught_divisions(self) -> set[int]:
        if self._taught_divisions is None:
            self._taught_divisions = audience_module.taught_division_ids(
                self.person_id, self.establishment_id, self.day
            )
        return self._taught_divisions

    def taught_groups(self) -> set[int]:
        if self._taught_groups is None:
            self._taught_groups = audience_module.taught_group_ids(
                self.person_id, self.establishment_id, self.day
            )
        return self._taught_groups


def sender_context(*, person_id: int, establishment_id: int, day: date | None = None):
    """What the rules need to know about the sender (three to five queries)."""
    day = day or today()
    settings_row = policy_of(establishment_id)
    kinds = set(
        Role.objects.current(day)
        .filter(person_id=person_id, establishment_id=establishment_id)
        .values_list("kind", flat=True)
    )
    capacities = {ROLE_CAPACITY[kind] for kind in kinds if kind in ROLE_CAPACITY}
    levels = audience_module.guardian_levels(settings_row.contacts_included)
    enrolled_here = Enrolment.objects.on(day).filter(division__establishment_id=establishment_id)
    ward_ids = set(
        Guardianship.objects.filter(
            Exists(enrolled_here.filter(pupil_id=OuterRef("pupil_id"))),
            guardian_id=person_id,
            level__in=levels,
        ).values_list("pupil_id", flat=True)
    )
    delegate_divisions: set[int] = set()
    if ward_ids:
        capacities.add(policy.GUARDIAN)
        delegate_divisions = set(
            GuardianDelegate.objects.filter(
                person_id=person_id, division__establishment_id=establishment_id
            ).values_list("division_id", flat=True)
        )
    own_divisions: set[int] = set()
    if policy.PUPIL in capacities:
        own_divisions = set(
            enrolled_here.filter(pupil_id=person_id).values_list("division_id", flat=True)
        )
    return SenderContext(
        person_id=person_id,
        establishment_id=establishment_id,
        day=day,
        settings=settings_row,
        rules=policy.Rules.of(settings_row),
        sender=policy.Sender(frozenset(capacities), delegate=bool(delegate_divisions)),
        ward_ids=ward_ids,
        delegate_division_ids=delegate_divisions,
        own_division_ids=own_divisions,
    )


def _person_id(actor) -> int:
    person_id = getattr(actor, "person_id", None)
    if person_id is None:
        raise MessagingRefused(policy.NO_CAPACITY)
    return person_id


def _refuse(decision: policy.Decision) -> None:
    if not decision:
        raise MessagingRefused(decision.reason)


# -- The rules, in one place ----------------------------------------------------------------


def person_targets(ctx: SenderContext, person_ids: Iterable[int]) -> dict[int, policy.Target]:
    """The categories of each person in the establishment and their links with the
    sender, in a fixed number of queries."""
    ids = set(person_ids)
    if not ids:
        return {}
    day, establishment_id = ctx.day, ctx.establishment_id
    categories: dict[int, set[str]] = {pk: set() for pk in ids}
    for person_id, kind in (
        Role.objects.current(day)
        .filter(person_id__in=ids, establishment_id=establishment_id, kind__in=list(ROLE_CAPACITY))
        .values_list("person_id", "kind")
    ):
        categories[person_id].add(ROLE_CAPACITY[kind])
    enrolled_here = Enrolment.objects.on(day).filter(division__establishment_id=establishment_id)
    wards: dict[int, set[int]] = {}
    for guardian_id, pupil_id in Guardianship.objects.filter(
        Exists(enrolled_here.filter(pupil_id=OuterRef("pupil_id"))),
        guardian_id__in=ids,
        level__in=ctx.levels,
    ).values_list("guardian_id", "pupil_id"):
        wards.setdefault(guardian_id, set()).add(pupil_id)
        categories[guardian_id].add(policy.GUARDIAN)
    capacities = ctx.sender.capacities
    pupils = {pk for pk, found in categories.items() if policy.PUPIL in found}
    teachers = {pk for pk, found in categories.items() if policy.TEACHER in found}
    ward_union = set().union(*wards.values()) if wards else set()

    taught: set[int] = set()
    if policy.TEACHER in capacities and (pupils or ward_union):
        taught = audience_module.pupils_taught_among(
            ctx.person_id, pupils | ward_union, establishment_id, day
        )
    teaching_family: set[int] = set()
    if capacities & {policy.GUARDIAN, policy.PUPIL} and teachers:
        teaching_family = audience_module.teachers_of_among(
            ctx.family_ids, teachers, establishment_id, day
        )
    same_division_pupils: set[int] = set()
    if policy.PUPIL in capacities and ctx.rules.pupils_to_pupils and pupils:
        same_division_pupils = audience_module.enrolled_in_among(ctx.own_division_ids, pupils, day)
    delegate_wards: set[int] = set()
    if ctx.sender.delegate and ctx.rules.delegates_to_guardians and ward_union:
        delegate_wards = audience_module.enrolled_in_among(
            ctx.delegate_division_ids, ward_union, day
        )
    targets = {}
    for pk, found in categories.items():
        own_wards = wards.get(pk, set())
        targets[pk] = policy.Target(
            categories=frozenset(found),
            taught=pk in taught or bool(own_wards & taught),
            teaches_family=pk in teaching_family,
            same_division=pk in same_division_pupils or bool(own_wards & delegate_wards),
        )
    return targets


def audience_target(ctx: SenderContext, audience: audience_module.Audience) -> policy.Target:
    taught = same_division = False
    if policy.TEACHER in ctx.sender.capacities:
        if audience.division_id is not None:
            taught = audience.division_id in ctx.taught_divisions()
        elif audience.group_id is not None:
            taught = audience.group_id in ctx.taught_groups()
    if audience.division_id is not None:
        same_division = audience.division_id in ctx.delegate_division_ids
    return policy.Target(
        categories=frozenset({policy.AUDIENCE_CATEGORY[audience.type]}),
        audience=audience.type,
        taught=taught,
        same_division=same_division,
    )


def authorise(
    ctx: SenderContext,
    *,
    person_ids: Iterable[int] = (),
    audiences: Iterable[audience_module.Audience] = (),
    concerns: int | None = None,
    urgent: bool = False,
) -> None:
    """Raise MessagingRefused, with the reason, unless the sender may write to every
    person and every audience (and tag the pupil, and flag the message urgent)."""
    _refuse(policy.may_send(ctx.sender, ctx.rules))
    if urgent:
        _refuse(policy.may_flag_urgent(ctx.sender))
    for audience in audiences:
        _refuse(policy.decide(ctx.sender, audience_target(ctx, audience), ctx.rules))
    for target in person_targets(ctx, person_ids).values():
        _refuse(policy.decide(ctx.sender, target, ctx.rules))
    if concerns is not None and not may_tag(ctx, concerns):
        raise MessagingRefused(
            "Vous ne pouvez pas indiquer cet élève : il doit être l'un de vos élèves, "
            "de vos enfants, ou vous-même."
        )


def may_tag(ctx: SenderContext, pupil_id: int) -> bool:
    """The pupil a message concerns: any pupil of the establishment for direction and
    vie scolaire, a pupil taught for a teacher, a child for a guardian, oneself."""
    if pupil_id in ctx.family_ids:
        return True
    capacities = ctx.sender.capacities
    if capacities & {policy.DIRECTION, policy.VIE_SCOLAIRE}:
        return (
            Enrolment.objects.on(ctx.day)
            .filter(pupil_id=pupil_id, division__establishment_id=ctx.establishment_id)
            .exists()
        )
    if policy.TEACHER in capacities:
        return bool(
            audience_module.pupils_taught_among(
                ctx.person_id, {pupil_id}, ctx.establishment_id, ctx.day
            )
        )
    return False


def check_rate(ctx: SenderContext, new_recipients: int, now: datetime) -> None:
    """Families and pupils: at most so many messages an hour and recipients a day."""
    if ctx.sender.staff:
        return
    usage = Message.objects.filter(
        sender_id=ctx.person_id, created_at__gt=now - timedelta(hours=24)
    ).aggregate(
        hour=Count("pk", filter=Q(created_at__gt=now - timedelta(hours=1))),
        day=Sum("recipient_count"),
    )
    decision = policy.within_limits(
        ctx.sender,
        policy.Usage(usage["hour"] or 0, usage["day"] or 0),
        new_recipients,
        policy.Limits(ctx.settings.messages_per_hour, ctx.settings.recipients_per_day),
    )
    _refuse(decision)


# -- Sending --------------------------------------------------------------------------------


def _clean_body(body: str) -> tuple[str, str]:
    limit = settings.PREAU_MESSAGE_MAX_BYTES
    if len(body.encode("utf-8")) > limit:
        raise MessageInvalid(
            f"Le message dépasse la taille maximale de {limit // (1024 * 1024)} Mo "
            "(joignez plutôt un fichier)."
        )
    cleaned = clean_html(body)
    text = plain_text(cleaned)
    if not text:
        raise MessageInvalid("Le message est vide.")
    return cleaned, text


def _check_attachments(files: list) -> None:
    if len(files) > settings.PREAU_MESSAGE_ATTACHMENTS_MAX:
        raise MessageInvalid(
            f"Au plus {settings.PREAU_MESSAGE_ATTACHMENTS_MAX} pièces jointes par message."
        )
    limit = settings.PREAU_MESSAGE_ATTACHMENT_MAX_BYTES
    for upload in files:
        if upload.size > limit:
            raise MessageInvalid(
                f"La pièce jointe « {upload.name} » dépasse {limit // (1024 * 1024)} Mo."
            )


def quiet_until(establishment: Establishment, settings_row: MessagingPolicy, now: datetime):
    """The end of the quiet hours in force at `now`, or None."""
    zone = ZoneInfo(establishment.timezone or "Europe/Paris")
    quiet = policy.QuietHours(
        start=settings_row.quiet_start, end=settings_row.quiet_end, enabled=settings_row.quiet_hours
    )
    return policy.quiet_until(timezone.localtime(now, zone), quiet)


def insert_recipients(
    message_id: int, person_ids: list[int], deferred: set[int], notify_after: datetime | None
) -> None:
    """One row per person in a single statement, whatever their number: the ids go as
    one array (PostgreSQL) or one JSON document (SQLite) parameter. Recipients in
    `deferred` wait for `notify_after` (the end of the quiet hours)."""
    table = connection.ops.quote_name(Recipient._meta.db_table)
    columns = "message_id, person_id, notify_state, notify_after, notify_attempts, last_error"
    after = connection.ops.adapt_datetimefield_value(notify_after) if notify_after else None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model)
                "SELECT %s, ids.person_id, "
                "CASE WHEN ids.deferred THEN 'deferred' ELSE 'pending' END, "
                "CASE WHEN ids.deferred THEN %s::timestamptz END, 0, '' "
                "FROM unnest(%s::bigint[], %s::boolean[]) AS ids(person_id, deferred)",
                # Array literals: one string each, much quicker to pass than lists.
                [
                    message_id,
                    after,
                    "{" + ",".join(map(str, person_ids)) + "}",
                    "{" + ",".join("t" if pk in deferred else "f" for pk in person_ids) + "}",
                ],
            )
        elif connection.vendor == "sqlite":
            rows = json.dumps([[pk, int(pk in deferred)] for pk in person_ids])
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model)
                "SELECT %s, json_extract(value, '$[0]'), "
                "CASE WHEN json_extract(value, '$[1]') THEN 'deferred' ELSE 'pending' END, "
                "CASE WHEN json_extract(value, '$[1]') THEN %s END, 0, '' "
                "FROM json_each(%s)",
                [message_id, after, rows],
            )
        else:  # pragma: no cover - other databases: Django's batches
            Recipient.objects.bulk_create(
                [
                    Recipient(
                        message_id=message_id,
                        person_id=pk,
                        notify_state=NotifyState.DEFERRED
                        if pk in deferred
                        else NotifyState.PENDING,
                        notify_after=notify_after if pk in deferred else None,
                    )
                    for pk in person_ids
                ],
                batch_size=2000,
            )


def _deferred_ids(
    ctx: SenderContext, establishment: Establishment, person_ids: list[int], urgent: bool, now
) -> tuple[set[int], datetime | None]:
    """Who waits for the end of the quiet hours: families and pupils, unless the
    direction flagged the message urgent (one query when quiet hours are on now)."""
    if urgent:
        return set(), None
    until = quiet_until(establishment, ctx.settings, now)
    if until is None:
        return set(), None
    staff = set(audience_module.staff_ids(ctx.establishment_id, ctx.day))
    deferred = {
        pk for pk in person_ids if policy.needs_quiet(recipient_staff=pk in staff, urgent=urgent)
    }
    return deferred, until


def _store(
    *,
    actor,
    ctx: SenderContext,
    establishment: Establishment,
    subject: str,
    body: str,
    body_text: str,
    kind: str,
    person_ids: list[int],
    chosen: dict[audience_module.Audience, int],
    read_receipt: bool,
    concerns: int | None,
    urgent: bool,
    attachments: list,
    thread_id: int | None,
    in_reply_to_id: int | None,
    now: datetime,
    action: str,
) -> Message:
    message = Message.objects.create(
        establishment=establishment,
        sender_id=ctx.person_id,
        subject=subject,
        body=body,
        body_text=body_text,
        kind=kind,
        read_receipt=read_receipt,
        concerns_id=concerns,
        urgent=urgent,
        thread_id=thread_id,
        in_reply_to_id=in_reply_to_id,
        recipient_count=len(person_ids),
        created_at=now,
    )
    if chosen:
        MessageAudience.objects.bulk_create(
            MessageAudience(
                message=message,
                type=audience.type,
                target=audience.target,
                label=audience.label,
                resolved_count=count,
            )
            for audience, count in chosen.items()
        )
    deferred, until = _deferred_ids(ctx, establishment, person_ids, urgent, now)
    insert_recipients(message.pk, person_ids, deferred, until)
    if attachments:
        Attachment.objects.bulk_create(
            Attachment(
                message=message,
                file=upload,
                name=get_valid_filename(upload.name)[:255] or "piece-jointe",
                size=upload.size,
                content_type=(getattr(upload, "content_type", "") or "")[:100],
            )
            for upload in attachments
        )
    audit_record(
        actor=actor,
        action=action,
        target=message,
        establishment=establishment,
        after={
            "kind": kind,
            "recipient_count": len(person_ids),
            "audiences": [audience.label for audience in chosen],
            "urgent": urgent,
            "attachments": len(attachments),
        },
    )
    notices.schedule(message.pk)
    return message


@transaction.atomic
def message_send(
    *,
    actor,
    establishment: Establishment,
    subject: str,
    body: str,
    kind: str = MessageKind.DISCUSSION,
    recipients: Iterable[int] = (),
    audiences: Iterable[tuple[str, object]] = (),
    read_receipt: bool = False,
    concerns: int | None = None,
    urgent: bool = False,
    attachments: Iterable = (),
) -> Message:
    """Send a message to people (`recipients`: person ids) and audiences (`(type, id)`
    pairs, resolved now and recorded). Raises MessagingRefused (the rules) or
    MessageInvalid (the message). Fixed number of queries whatever the number of
    recipients."""
    now = timezone.now()
    person_id = _person_id(actor)
    subject = " ".join((subject or "").split())
    if not subject:
        raise MessageInvalid("Indiquez l'objet du message.")
    if len(subject) > SUBJECT_MAX:
        raise MessageInvalid(f"L'objet ne dépasse pas {SUBJECT_MAX} caractères.")
    if kind not in MessageKind.values:
        raise MessageInvalid("Le type de message est « information » ou « discussion ».")
    cleaned, text = _clean_body(body or "")
    files = list(attachments)
    _check_attachments(files)
    try:
        explicit = {int(pk) for pk in recipients}
    except (TypeError, ValueError):
        raise MessageInvalid("Les destinataires sont des identifiants de personnes.") from None
    explicit.discard(person_id)
    try:
        chosen = audience_module.describe(
            [(kind_, target) for kind_, target in audiences],
            establishment_id=establishment.pk,
            day=today(),
        )
    except audience_module.UnknownAudience as error:
        raise MessageInvalid(error.reason) from None
    ctx = sender_context(person_id=person_id, establishment_id=establishment.pk)
    authorise(ctx, person_ids=explicit, audiences=chosen, concerns=concerns, urgent=urgent)
    resolved: dict[audience_module.Audience, int] = {}
    everybody = set(explicit)
    for audience in chosen:
        members = set(
            audience_module.members(
                audience,
                establishment_id=establishment.pk,
                day=ctx.day,
                include_contacts=ctx.settings.contacts_included,
            )
        )
        resolved[audience] = len(members)
        everybody |= members
    everybody.discard(person_id)
    if not everybody:
        raise MessageInvalid("Aucun destinataire : choisissez au moins une personne.")
    check_rate(ctx, len(everybody), now)
    return _store(
        actor=actor,
        ctx=ctx,
        establishment=establishment,
        subject=subject,
        body=cleaned,
        body_text=text,
        kind=kind,
        person_ids=sorted(everybody),
        chosen=resolved,
        read_receipt=read_receipt,
        concerns=concerns,
        urgent=urgent,
        attachments=files,
        thread_id=None,
        in_reply_to_id=None,
        now=now,
        action="messaging.message_send",
    )


def _participant(person_id: int, message: Message) -> bool:
    return (
        message.sender_id == person_id
        or Recipient.objects.filter(message=message, person_id=person_id).exists()
    )


def reply_recipients(person_id: int, message: Message) -> list[int]:
    """Who a reply to `message` goes to. An information: its sender only (the sender
    answering a reply writes back to that reply's recipients). A discussion: every
    participant of the thread — senders and recipients — but the one replying."""
    root_id = message.thread_id or message.pk
    if message.kind == MessageKind.INFORMATION:
        if message.sender_id != person_id:
            return [message.sender_id]
        if message.thread_id is None:
            raise MessagingRefused(
                "Une information n'appelle pas de réponse à tous : écrivez un nouveau message."
            )
        return list(
            Recipient.objects.filter(message=message)
            .exclude(person_id=person_id)
            .values_list("person_id", flat=True)
        )
    in_thread = Q(message_id=root_id) | Q(message__thread_id=root_id)
    senders = Message.objects.filter(Q(pk=root_id) | Q(thread_id=root_id)).values_list(
        "sender_id", flat=True
    )
    received = Recipient.objects.filter(in_thread).values_list("person_id", flat=True)
    everybody = set(senders.order_by().union(received.order_by()))
    everybody.discard(person_id)
    return sorted(everybody)


@transaction.atomic
def message_reply(*, actor, message: Message, body: str, attachments: Iterable = ()) -> Message:
    """Answer `message` within its thread. The sender chose the participants: a reply
    goes to them whatever the matrix (emergency switch and rate limits still apply)."""
    now = timezone.now()
    person_id = _person_id(actor)
    if not _participant(person_id, message):
        raise MessagingRefused("Vous ne participez pas à cette conversation.")
    cleaned, text = _clean_body(body or "")
    files = list(attachments)
    _check_attachments(files)
    ctx = sender_context(person_id=person_id, establishment_id=message.establishment_id)
    _refuse(policy.may_send(ctx.sender, ctx.rules))
    person_ids = reply_recipients(person_id, message)
    if not person_ids:
        raise MessageInvalid("Personne d'autre ne participe à cette conversation.")
    check_rate(ctx, len(person_ids), now)
    root_id = message.thread_id or message.pk
    root = message if root_id == message.pk else Message.objects.get(pk=root_id)
    return _store(
        actor=actor,
        ctx=ctx,
        establishment=message.establishment,
        subject=root.subject,
        body=cleaned,
        body_text=text,
        kind=root.kind,
        person_ids=person_ids,
        chosen={},
        read_receipt=False,
        concerns=root.concerns_id,
        urgent=False,
        attachments=files,
        thread_id=root_id,
        in_reply_to_id=message.pk,
        now=now,
        action="messaging.message_reply",
    )


# -- Reading and folders --------------------------------------------------------------------


def _thread_rows(person_id: int, message: Message):
    root_id = message.thread_id or message.pk
    return Recipient.objects.filter(
        Q(message_id=root_id) | Q(message__thread_id=root_id), person_id=person_id
    )


def messages_mark_read(*, actor, message_ids: Iterable[int]) -> int:
    """Mark the actor's copies of these messages read (one query); returns how many
    were unread."""
    return Recipient.objects.filter(
        person_id=_person_id(actor), message_id__in=list(message_ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def thread_mark_read(*, actor, message: Message) -> int:
    """Mark every message of the thread the actor received read (one query)."""
    return (
        _thread_rows(_person_id(actor), message)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def message_mark_unread(*, actor, message: Message) -> int:
    return Recipient.objects.filter(person_id=_person_id(actor), message=message).update(
        read_at=None
    )


@transaction.atomic
def message_archive(*, actor, message: Message) -> None:
    """Archive the whole conversation for the actor: nothing is deleted; a later reply
    brings it back to the inbox."""
    person_id = _person_id(actor)
    now = timezone.now()
    _thread_rows(person_id, message).filter(archived_at__isnull=True).update(archived_at=now)
    root_id = message.thread_id or message.pk
    Message.objects.filter(
        Q(pk=root_id) | Q(thread_id=root_id), sender_id=person_id, sender_archived_at__isnull=True
    ).update(sender_archived_at=now)


@transaction.atomic
def message_unarchive(*, actor, message: Message) -> None:
    person_id = _person_id(actor)
    _thread_rows(person_id, message).update(archived_at=None)
    root_id = message.thread_id or message.pk
    Message.objects.filter(Q(pk=root_id) | Q(thread_id=root_id), sender_id=person_id).update(
        sender_archived_at=None
    )


@transaction.atomic
def message_remind(*, actor, message: Message) -> int:
    """Notify again the recipients who have not read a message with a read receipt
    (quiet hours respected); at most once a day. Returns how many are reminded."""
    now = timezone.now()
    if message.sender_id != _person_id(actor):
        raise MessagingRefused("Seul l'expéditeur peut relancer les destinataires.")
    if not message.read_receipt:
        raise MessagingRefused("Ce message n'a pas d'accusé de lecture : pas de relance possible.")
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.reminded_at and message.reminded_at > now - REMIND_EVERY:
        raise MessagingRefused("Une relance a déjà été envoyée il y a moins de 24 heures.")
    ctx = sender_context(person_id=message.sender_id, establishment_id=message.establishment_id)
    _refuse(policy.may_send(ctx.sender, ctx.rules))
    unread = Recipient.objects.filter(message=message, read_at__isnull=True)
    reset = {"notify_attempts": 0, "last_error": "", "notified_at": None}
    until = None if message.urgent else quiet_until(message.establishment, ctx.settings, now)
    if until is None:
        count = unread.update(notify_state=NotifyState.PENDING, notify_after=None, **reset)
    else:
        staff = audience_module.staff_ids(message.establishment_id, ctx.day)
        count = unread.filter(person_id__in=staff).update(
            notify_state=NotifyState.PENDING, notify_after=None, **reset
        )
        count += unread.exclude(person_id__in=staff).update(
            notify_state=NotifyState.DEFERRED, notify_after=until, **reset
        )
    message.reminded_at = now
    message.save(update_fields=["reminded_at"])
    audit_record(
        actor=actor,
        action="messaging.message_remind",
        target=message,
        establishment=message.establishment,
        after={"reminded": count},
    )
    notices.schedule(message.pk)
    return count


# -- The establishment's rules ----------------------------------------------------------------


@transaction.atomic
def emergency_set(*, actor, establishment: Establishment, enabled: bool) -> MessagingPolicy:
    """The direction's emergency switch: only staff may send while it is on. Audited
    and logged."""
    if not directs(actor, establishment.pk):
        raise MessagingRefused("Seule la direction peut activer ou lever le mode urgence.")
    row, _created = MessagingPolicy.objects.select_for_update().get_or_create(
        establishment=establishment
    )
    before = row.emergency_staff_only
    row.emergency_staff_only = enabled
    row.emergency_set_by_id = getattr(actor, "person_id", None)
    row.emergency_set_at = timezone.now()
    row.save(update_fields=["emergency_staff_only", "emergency_set_by", "emergency_set_at"])
    audit_record(
        actor=actor,
        action="messaging.emergency_on" if enabled else "messaging.emergency_off",
        target=row,
        establishment=establishment,
        before={"emergency_staff_only": before},
        after={"emergency_staff_only": enabled},
    )
    logger.warning(
        "messaging emergency switch %s in %s by account %s",
        "ON" if enabled else "OFF",
        establishment.uai,
        getattr(actor, "pk", None),
    )
    return row


POLICY_FIELDS = (
    "teachers_to_guardians",
    "teachers_to_pupils",
    "guardians_to_teachers",
    "guardians_to_vie_scolaire",
    "guardians_to_direction",
    "delegates_to_guardians",
    "pupils_to_teachers",
    "pupils_to_vie_scolaire",
    "pupils_to_direction",
    "pupils_to_pupils",
    "contacts_included",
    "quiet_hours",
    "quiet_start",
    "quiet_end",
    "messages_per_hour",
    "recipients_per_day",
)


@transaction.atomic
def messaging_policy_update(*, actor, establishment: Establishment, **fields) -> MessagingPolicy:
    """Change the establishment's matrix, quiet hours or rate limits (direction)."""
    if not directs(actor, establishment.pk):
        raise MessagingRefused("Seule la direction règle la messagerie.")
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise MessageInvalid(f"Réglages inconnus : {', '.join(sorted(unknown))}.")
    row, _created = MessagingPolicy.objects.select_for_update().get_or_create(
        establishment=establishment
    )
    before = {name: str(getattr(row, name)) for name in fields}
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action="messaging.policy_update",
        target=row,
        establishment=establishment,
        before=before,
        after={name: str(value) for name, value in fields.items()},
    )
    return row


@transaction.atomic
def guardian_delegate_set(*, actor, division, person: Person, enabled: bool = True) -> None:
    """Record (or remove) a division's parent delegate (direction)."""
    if not directs(actor, division.establishment_id):
        raise MessagingRefused("Seule la direction désigne les parents délégués.")
    if enabled:
        GuardianDelegate.objects.get_or_create(division=division, person=person)
    else:
        GuardianDelegate.objects.filter(division=division, person=person).delete()
    audit_record(
        actor=actor,
        action="messaging.delegate_set" if enabled else "messaging.delegate_unset",
        target=division,
        establishment=division.establishment,
        after={"person": person.pk},
    )
