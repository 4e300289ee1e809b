"""Reads the messaging pages need beside `selectors`: the pupils a sender may tag, the
people already chosen on the writing page, who a reply goes to, the audiences of the
messages of a list, whether a conversation is archived. Each takes a fixed number of
queries whatever the number of messages or people.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from preau.core.models import Person
from preau.messaging import audiences as audience_module
from preau.messaging import policy
from preau.messaging.models import Message, MessageAudience, Recipient
from preau.messaging.services import (
    MessagingRefused,
    SenderContext,
    person_targets,
    reply_recipients,
)
from preau.structure.models import Enrolment


@dataclass(frozen=True)
class PupilChoice:
    id: int
    name: str  # "Emma ROCHE"
    division: str


def taggable_pupils(ctx: SenderContext) -> list[PupilChoice]:
    """The pupils the sender may tag a message with (services.may_tag): every pupil of
    the establishment for direction and vie scolaire, the pupils taught for a teacher,
    the children for a guardian; nobody for a pupil (one query, none for a pupil)."""
    capacities = ctx.sender.capacities
    enrolled = Enrolment.objects.on(ctx.day).filter(division__establishment_id=ctx.establishment_id)
    if capacities & {policy.DIRECTION, policy.VIE_SCOLAIRE}:
        pass
    else:
        which = Q(pupil_id__in=list(ctx.ward_ids)) if ctx.ward_ids else Q(pk__in=[])
        if policy.TEACHER in capacities:
            which |= Q(
                pupil_id__in=audience_module.pupils_taught_query(
                    ctx.person_id, ctx.establishment_id, ctx.day
                )
            )
        elif not ctx.ward_ids:
            return []
        enrolled = enrolled.filter(which)
    return [
        PupilChoice(pk, f"{first} {last.upper()}", division)
        for pk, first, last, division in enrolled.order_by(
            "division__name", "pupil__last_name", "pupil__first_name", "pupil_id"
        ).values_list("pupil_id", "pupil__first_name", "pupil__last_name", "division__name")
    ]


@dataclass(frozen=True)
class Chosen:
    id: int
    name: str  # "MARTIN Camille"


def chosen_people(ctx: SenderContext, ids: list[int]) -> list[Chosen]:
    """The people of `ids` the sender may write to, sorted by name, for the list of
    recipients already chosen (a form shown again). Anybody else is left out: an id
    typed by hand never shows a name (two to five queries)."""
    wanted = {pk for pk in ids if pk != ctx.person_id}
    if not wanted:
        return []
    targets = person_targets(ctx, wanted)
    allowed = [pk for pk, target in targets.items() if policy.decide(ctx.sender, target, ctx.rules)]
    if not allowed:
        return []
    return [
        Chosen(person.pk, person.sort_name)
        for person in Person.objects.filter(pk__in=allowed)
        .order_by("last_name", "first_name", "pk")
        .only("pk", "first_name", "last_name")
    ]


@dataclass(frozen=True)
class ReplyAudience:
    """Who a reply would go to: a few names and how many in all; `refused` says why
    there is no reply (the sender of an information)."""

    names: list[str]
    total: int
    refused: str = ""

    @property
    def others(self) -> int:
        return max(0, self.total - len(self.names))


SHOWN_NAMES = 8


def reply_audience(person_id: int, message: Message) -> ReplyAudience:
    """Who a reply to `message` goes to, as `services.message_reply` will decide
    (one or two queries)."""
    try:
        ids = reply_recipients(person_id, message)
    except MessagingRefused as refusal:
        return ReplyAudience([], 0, refusal.reason)
    if not ids:
        return ReplyAudience([], 0, "Personne d'autre ne participe à cette conversation.")
    if len(ids) == 1 and message.sender_id == ids[0] and getattr(message, "sender", None):
        return ReplyAudience([message.sender.display_name], 1)
    names = [
        person.display_name
        for person in Person.objects.filter(pk__in=ids)
        .order_by("last_name", "first_name", "pk")
        .only("pk", "first_name", "last_name")[:SHOWN_NAMES]
    ]
    return ReplyAudience(names, len(ids))


def audience_labels(message_ids: list[int]) -> dict[int, list[str]]:
    """The audiences each message was sent to, as the sender chose them (one query)."""
    if not message_ids:
        return {}
    found: dict[int, list[str]] = {}
    for message_id, label in (
        MessageAudience.objects.filter(message_id__in=message_ids)
        .order_by("message_id", "pk")
        .values_list("message_id", "label")
    ):
        found.setdefault(message_id, []).append(label)
    return found


def thread_archived(person_id: int, root_id: int) -> bool:
    """Whether the person has archived the conversation: every copy they received is
    archived (or, having received nothing in it, every message they sent) (one
    query)."""
    in_thread = Q(message_id=root_id) | Q(message__thread_id=root_id)
    counts = Recipient.objects.filter(in_thread, person_id=person_id).aggregate(
        active=Count("pk", filter=Q(archived_at__isnull=True)), total=Count("pk")
    )
    if counts["total"]:
        return counts["active"] == 0
    return not Message.objects.filter(
        Q(pk=root_id) | Q(thread_id=root_id), sender_id=person_id, sender_archived_at__isnull=True
    ).exists()
