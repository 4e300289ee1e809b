"""Reads of messaging, for the pages and the API: folders, threads, read receipts,
what a person may choose when writing. Each read is scoped to the person (a message
is visible to its sender and its recipients only) and takes a fixed number of queries
whatever the size of the folder or the number of recipients.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Substr

from preau.core.models import Guardianship, Person, Role, RoleKind
from preau.core.selectors import today
from preau.messaging import audiences as audience_module
from preau.messaging import policy
from preau.messaging.models import (
    Attachment,
    Message,
    MessageAudience,
    MessagingPolicy,
    NotifyState,
    Recipient,
)
from preau.messaging.services import (
    ROLE_CAPACITY,
    SenderContext,
    audience_target,
    person_targets,
    policy_of,
    sender_context,
)
from preau.structure.models import Division, Enrolment, Group, Level

INBOX = "inbox"
ARCHIVED = "archived"
SENT = "sent"
FOLDERS = (INBOX, SENT, ARCHIVED)
PREVIEW = 160


@dataclass
class Page:
    rows: list
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass
class ThreadRow:
    """A conversation in the inbox: its latest message received, how many messages
    the person received in it and how many are unread."""

    thread_id: int
    message: Message  # the latest received; `.sender`, `.concerns`, `.preview` loaded
    last_at: datetime
    received: int
    unread: int


def _search_q(search: str, prefix: str = "") -> Q:
    search = " ".join(search.split())
    if not search:
        return Q()
    return Q(**{f"{prefix}subject__icontains": search}) | Q(
        **{f"{prefix}body_text__icontains": search}
    )


def _light(messages: QuerySet) -> QuerySet:
    """Messages without their (possibly huge) body, with a preview of its text."""
    return (
        messages.defer("body", "body_text")
        .select_related("sender", "concerns")
        .annotate(
            preview=Substr("body_text", 1, PREVIEW),
            has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))),
        )
    )


def _bounds(page: int, per_page: int) -> tuple[int, int]:
    page = max(1, int(page))
    return page, (page - 1) * per_page


def inbox_page(
    *,
    person_id: int,
    folder: str = INBOX,
    search: str = "",
    page: int = 1,
    per_page: int = 20,
    establishment_id: int | None = None,
) -> Page:
    """The conversations of the inbox (or of the archive), latest first (three
    queries)."""
    rows = Recipient.objects.filter(person_id=person_id, archived_at__isnull=folder != ARCHIVED)
    if establishment_id is not None:
        rows = rows.filter(message__establishment_id=establishment_id)
    if search:
        rows = rows.filter(_search_q(search, "message__"))
    threads = (
        rows.annotate(thread_key=Coalesce("message__thread_id", "message_id"))
        .values("thread_key")
        .annotate(
            last_id=Max("message_id"),
            last_at=Max("message__created_at"),
            received=Count("pk"),
            unread=Count("pk", filter=Q(read_at__isnull=True)),
        )
        .order_by("-last_id")
    )
    page, offset = _bounds(page, per_page)
    total = threads.count()
    found = list(threads[offset : offset + per_page])
    messages = _light(Message.objects.filter(pk__in=[row["last_id"] for row in found])).in_bulk()
    return Page(
        rows=[
            ThreadRow(
                thread_id=row["thread_key"],
                message=messages[row["last_id"]],
                last_at=row["last_at"],
                received=row["received"],
                unread=row["unread"],
            )
            for row in found
        ],
        total=total,
        number=page,
        per_page=per_page,
    )


def sent_page(
    *,
    person_id: int,
    search: str = "",
    page: int = 1,
    per_page: int = 20,
    archived: bool = False,
    establishment_id: int | None = None,
) -> Page:
    """Messages the person sent, latest first, each with `read_count` (two queries)."""
    messages = Message.objects.filter(
        sender_id=person_id, sender_archived_at__isnull=not archived
    ).filter(_search_q(search))
    if establishment_id is not None:
        messages = messages.filter(establishment_id=establishment_id)
    page, offset = _bounds(page, per_page)
    total = messages.count()
    read = (
        Recipient.objects.filter(message=OuterRef("pk"), read_at__isnull=False)
        .order_by()
        .values("message")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = list(
        _light(messages)
        .annotate(read_count=Coalesce(Subquery(read, output_field=IntegerField()), Value(0)))
        .order_by("-created_at", "-pk")[offset : offset + per_page]
    )
    return Page(rows=rows, total=total, number=page, per_page=per_page)


def received_page(
    *, person_id: int, archived: bool = False, search: str = "", page: int = 1, per_page: int = 20
) -> Page:
    """Messages received, one row each (not grouped by thread), latest first: the
    `Recipient` rows with `.message` (without its body, with `.message_preview`) and
    its sender (two queries)."""
    rows = Recipient.objects.filter(person_id=person_id, archived_at__isnull=not archived)
    if search:
        rows = rows.filter(_search_q(search, "message__"))
    page, offset = _bounds(page, per_page)
    total = rows.count()
    found = list(
        rows.select_related("message__sender", "message__concerns")
        .defer("message__body", "message__body_text")
        .annotate(message_preview=Substr("message__body_text", 1, PREVIEW))
        .order_by("-pk")[offset : offset + per_page]
    )
    return Page(rows=found, total=total, number=page, per_page=per_page)


def unread_count(*, person_id: int) -> int:
    """Unread messages in the inbox (one query), for the navigation's badge."""
    return Recipient.objects.filter(
        person_id=person_id, read_at__isnull=True, archived_at__isnull=True
    ).count()


@dataclass(frozen=True)
class Unread:
    """Unread messages of a person's inbox, and how many concern each pupil."""

    total: int
    by_pupil: dict[int, int]


def unread_summary(*, person_id: int) -> Unread:
    """The home pages' unread messages: the total and, for the tags, per pupil
    concerned (one query)."""
    rows = (
        Recipient.objects.filter(
            person_id=person_id, read_at__isnull=True, archived_at__isnull=True
        )
        .values("message__concerns_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_pupil = {row["message__concerns_id"]: row["count"] for row in rows}
    total = sum(by_pupil.values())
    by_pupil.pop(None, None)
    return Unread(total=total, by_pupil=by_pupil)


def visible_message_q(person_id: int) -> Q:
    return Q(sender_id=person_id) | Q(
        Exists(Recipient.objects.filter(message=OuterRef("pk"), person_id=person_id))
    )


def message_for(*, person_id: int, message_id: int) -> Message | None:
    """The message if the person sent or received it, else None (one query); with
    `my_read_at` (None for its sender)."""
    mine = Recipient.objects.filter(message=OuterRef("pk"), person_id=person_id)
    return (
        Message.objects.filter(visible_message_q(person_id), pk=message_id)
        .select_related("sender", "concerns", "establishment")
        .annotate(
            my_read_at=Subquery(mine.values("read_at")[:1]),
            my_recipient=Exists(mine),
        )
        .first()
    )


@dataclass
class Thread:
    root: Message
    messages: list[Message]  # what the person sent or received, oldest first
    reply_to: Message  # the message a reply answers: the latest received, or the last

    @property
    def subject(self) -> str:
        return self.root.subject

    @property
    def unread_ids(self) -> list[int]:
        return [m.pk for m in self.messages if m.my_recipient and m.my_read_at is None]


def thread_for(*, person_id: int, message_id: int) -> Thread | None:
    """The conversation `message_id` belongs to, as the person sees it: the messages
    of the thread they sent or received (in an information, another family's reply
    to the sender stays private). None when they take no part (two or three
    queries)."""
    found = (
        Message.objects.filter(visible_message_q(person_id), pk=message_id)
        .values("pk", "thread_id")
        .first()
    )
    if found is None:
        return None
    root_id = found["thread_id"] or found["pk"]
    mine = Recipient.objects.filter(message=OuterRef("pk"), person_id=person_id)
    messages = list(
        Message.objects.filter(Q(pk=root_id) | Q(thread_id=root_id))
        .filter(visible_message_q(person_id))
        .select_related("sender", "concerns", "establishment")
        .annotate(my_read_at=Subquery(mine.values("read_at")[:1]), my_recipient=Exists(mine))
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    root = next((m for m in messages if m.pk == root_id), None)
    if root is None:
        # The person takes part through replies only (a family answered by the
        # sender): the first message they see stands for the thread.
        root = messages[0]
    received = [m for m in messages if m.my_recipient]
    return Thread(root=root, messages=messages, reply_to=received[-1] if received else messages[-1])


def visible_attachment(*, person_id: int, attachment_id: int) -> Attachment | None:
    """An attachment for its message's sender and recipients only (one query): the
    view serving it answers 404 to anybody else."""
    return (
        Attachment.objects.filter(pk=attachment_id)
        .filter(
            Q(message__sender_id=person_id)
            | Q(
                Exists(
                    Recipient.objects.filter(message=OuterRef("message_id"), person_id=person_id)
                )
            )
        )
        .first()
    )


@dataclass
class Receipts:
    """For the sender: who has read, who has not, and where each notification is."""

    message: Message
    read: int
    unread: int
    states: dict[str, int]
    rows: Page  # Recipient rows with `.person`


def receipts_for(
    *, person_id: int, message_id: int, unread_only: bool = False, page: int = 1, per_page: int = 50
) -> Receipts | None:
    """The read receipts and delivery states of a message its sender looks at; None
    for anybody else (three queries)."""
    message = (
        Message.objects.filter(pk=message_id, sender_id=person_id)
        .defer("body", "body_text")
        .first()
    )
    if message is None:
        return None
    recipients = Recipient.objects.filter(message=message)
    counts = recipients.aggregate(
        read=Count("pk", filter=Q(read_at__isnull=False)),
        unread=Count("pk", filter=Q(read_at__isnull=True)),
        **{state: Count("pk", filter=Q(notify_state=state)) for state in NotifyState.values},
    )
    listed = recipients.filter(read_at__isnull=True) if unread_only else recipients
    page, offset = _bounds(page, per_page)
    total = counts["unread"] if unread_only else counts["read"] + counts["unread"]
    rows = list(
        listed.select_related("person").order_by(
            F("read_at").asc(nulls_first=True), "person__last_name", "person__first_name", "pk"
        )[offset : offset + per_page]
    )
    return Receipts(
        message=message,
        read=counts["read"],
        unread=counts["unread"],
        states={state: counts[state] for state in NotifyState.values},
        rows=Page(rows=rows, total=total, number=page, per_page=per_page),
    )


def audiences_of(message_id: int) -> list[MessageAudience]:
    """What the sender chose, as recorded (one query)."""
    return list(MessageAudience.objects.filter(message_id=message_id).order_by("pk"))


# -- Writing: what the person may choose ----------------------------------------------------


@dataclass(frozen=True)
class AudienceChoice:
    type: str
    target: str
    label: str


@dataclass(frozen=True)
class PersonChoice:
    id: int
    name: str  # "MARTIN Camille"
    description: str  # "Enseignant", "Responsable de Emma MARTIN"…


@dataclass
class ComposeOptions:
    context: SenderContext
    may_send: policy.Decision
    may_flag_urgent: bool
    audiences: list[AudienceChoice] = field(default_factory=list)


def compose_options(*, person_id: int, establishment_id: int) -> ComposeOptions:
    """What the writing page offers: whether the person may write at all (the
    emergency switch), the audiences allowed to them, whether they may flag urgent
    (six to eight queries)."""
    ctx = sender_context(person_id=person_id, establishment_id=establishment_id)
    decision = policy.may_send(ctx.sender, ctx.rules)
    options = ComposeOptions(
        context=ctx,
        may_send=decision,
        may_flag_urgent=bool(policy.may_flag_urgent(ctx.sender)),
    )
    if not decision:
        return options
    day = ctx.day
    running = {
        "establishment_id": establishment_id,
        "school_year__start_date__lte": day,
        "school_year__end_date__gte": day,
    }
    capacities = ctx.sender.capacities
    whole = bool(capacities & {policy.DIRECTION, policy.VIE_SCOLAIRE})
    teacher = policy.TEACHER in capacities
    delegate = ctx.sender.delegate and ctx.rules.delegates_to_guardians
    candidates: list[audience_module.Audience] = []
    if whole or teacher:
        candidates.append(
            audience_module.Audience(
                policy.ESTABLISHMENT_STAFF, "", "Tous les personnels de l'établissement"
            )
        )
    if whole:
        candidates.append(
            audience_module.Audience(
                policy.ESTABLISHMENT_GUARDIANS, "", "Tous les responsables de l'établissement"
            )
        )
    divisions = []
    if whole or teacher or delegate:
        divisions = list(
            Division.objects.filter(**running).only("pk", "name", "level").order_by("name")
        )
    if whole:
        for code in sorted({d.level for d in divisions}, key=Level.values.index):
            candidates.append(
                audience_module.Audience(
                    policy.LEVEL_GUARDIANS,
                    code,
                    f"Responsables des élèves de {Level(code).label}",
                )
            )
    for division in divisions:
        for kind, label in (
            (policy.DIVISION_GUARDIANS, "Responsables des élèves de {}"),
            (policy.DIVISION_PUPILS, "Élèves de {}"),
            (policy.DIVISION_TEACHERS, "Équipe pédagogique de {}"),
        ):
            candidates.append(
                audience_module.Audience(
                    kind, str(division.pk), label.format(division.name), division_id=division.pk
                )
            )
    if whole or teacher:
        for group in Group.objects.filter(**running).only("pk", "name").order_by("name"):
            candidates.append(
                audience_module.Audience(
                    policy.GROUP_PUPILS,
                    str(group.pk),
                    f"Élèves du groupe {group.name}",
                    group_id=group.pk,
                )
            )
    options.audiences = [
        AudienceChoice(a.type, a.target, a.label)
        for a in candidates
        if policy.decide(ctx.sender, audience_target(ctx, a), ctx.rules)
    ]
    return options


def _reachable(ctx: SenderContext) -> QuerySet:
    """Ids of the people the sender may write to, as one lazy query (before the
    per-person check of the rules)."""
    day, establishment_id = ctx.day, ctx.establishment_id
    capacities = ctx.sender.capacities
    rules = ctx.rules
    staff_roles = Role.objects.current(day).filter(establishment_id=establishment_id)
    enrolled = Enrolment.objects.on(day).filter(division__establishment_id=establishment_id)
    guardians = Guardianship.objects.filter(level__in=ctx.levels)
    parts: list[QuerySet] = []
    if capacities & {policy.DIRECTION, policy.VIE_SCOLAIRE}:
        parts += [
            staff_roles.filter(kind__in=list(ROLE_CAPACITY)).values_list("person_id", flat=True),
            guardians.filter(pupil_id__in=enrolled.values("pupil_id")).values_list(
                "guardian_id", flat=True
            ),
        ]
    if policy.TEACHER in capacities:
        parts.append(
            staff_roles.exclude(kind=RoleKind.PUPIL)
            .filter(kind__in=list(ROLE_CAPACITY))
            .values_list("person_id", flat=True)
        )
        taught = audience_module.pupils_taught_query(ctx.person_id, establishment_id, day)
        if rules.teachers_to_pupils:
            parts.append(taught)
        if rules.teachers_to_guardians:
            parts.append(
                guardians.filter(pupil_id__in=taught).values_list("guardian_id", flat=True)
            )
    if capacities & {policy.GUARDIAN, policy.PUPIL}:
        guardian = policy.GUARDIAN in capacities
        pupil = policy.PUPIL in capacities
        kinds = []
        if (guardian and rules.guardians_to_vie_scolaire) or (
            pupil and rules.pupils_to_vie_scolaire
        ):
            kinds += [RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT]
        if (guardian and rules.guardians_to_direction) or (pupil and rules.pupils_to_direction):
            kinds += [RoleKind.DIRECTION, RoleKind.SECRETARIAT]
        if kinds:
            parts.append(staff_roles.filter(kind__in=kinds).values_list("person_id", flat=True))
        if (guardian and rules.guardians_to_teachers) or (pupil and rules.pupils_to_teachers):
            parts.append(audience_module.teachers_of_query(ctx.family_ids, establishment_id, day))
        if pupil and rules.pupils_to_pupils and ctx.own_division_ids:
            parts.append(
                enrolled.filter(division_id__in=ctx.own_division_ids).values_list(
                    "pupil_id", flat=True
                )
            )
        if guardian and ctx.sender.delegate and rules.delegates_to_guardians:
            parts.append(
                guardians.filter(
                    pupil_id__in=enrolled.filter(division_id__in=ctx.delegate_division_ids).values(
                        "pupil_id"
                    )
                ).values_list("guardian_id", flat=True)
            )
    if policy.DIRECTION in capacities or policy.VIE_SCOLAIRE in capacities:
        parts.append(enrolled.values_list("pupil_id", flat=True))
    if not parts:
        return Person.objects.none().values_list("pk", flat=True)
    first, *others = (part.order_by() for part in parts)
    return first.union(*others) if others else first


def addressable_people(
    *, person_id: int, establishment_id: int, search: str = "", limit: int = 30
) -> list[PersonChoice]:
    """People the person may write to, whose name matches `search`, sorted by name,
    each with what they are (about eight queries, whatever the establishment's size).
    The sending checks the rules again."""
    ctx = sender_context(person_id=person_id, establishment_id=establishment_id)
    if not policy.may_send(ctx.sender, ctx.rules):
        return []
    people = Person.objects.exclude(pk=person_id)
    for word in search.split():
        people = people.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    reachable = set(_reachable(ctx))
    found = list(
        people.filter(pk__in=reachable)
        .order_by("last_name", "first_name", "pk")
        .only("pk", "first_name", "last_name")[: limit * 2]
    )
    targets = person_targets(ctx, [p.pk for p in found])
    allowed = [p for p in found if policy.decide(ctx.sender, targets[p.pk], ctx.rules)][:limit]
    return _describe_people(allowed, ctx)


def _describe_people(people: list[Person], ctx: SenderContext) -> list[PersonChoice]:
    ids = [p.pk for p in people]
    roles: dict[int, list[str]] = {}
    for pid, kind in (
        Role.objects.current(ctx.day)
        .filter(person_id__in=ids, establishment_id=ctx.establishment_id)
        .exclude(kind=RoleKind.REGION_ADMIN)
        .values_list("person_id", "kind")
    ):
        roles.setdefault(pid, []).append(str(RoleKind(kind).label))
    wards: dict[int, list[str]] = {}
    enrolled = Enrolment.objects.on(ctx.day).filter(division__establishment_id=ctx.establishment_id)
    for guardian_id, first, last in Guardianship.objects.filter(
        guardian_id__in=ids, level__in=ctx.levels, pupil_id__in=enrolled.values("pupil_id")
    ).values_list("guardian_id", "pupil__first_name", "pupil__last_name"):
        wards.setdefault(guardian_id, []).append(f"{first} {last.upper()}")
    choices = []
    for person in people:
        parts = sorted(roles.get(person.pk, []))
        if person.pk in wards:
            parts.append("Responsable de " + ", ".join(sorted(wards[person.pk])))
        choices.append(PersonChoice(person.pk, person.sort_name, " — ".join(parts)))
    return choices


def messaging_policy(establishment_id: int) -> MessagingPolicy:
    """The establishment's rules as the settings page shows them (one query)."""
    return policy_of(establishment_id)


def establishments_of(person_id: int) -> list[int]:
    """Establishments where the person may write: where they hold a role, or where a
    child of theirs is enrolled (two queries)."""
    day = today()
    ids = list(
        Role.objects.current(day)
        .filter(person_id=person_id, establishment__isnull=False, kind__in=list(ROLE_CAPACITY))
        .values_list("establishment_id", flat=True)
    )
    ids += list(
        Enrolment.objects.on(day)
        .filter(pupil__guardianships__guardian_id=person_id)
        .values_list("division__establishment_id", flat=True)
    )
    return list(dict.fromkeys(ids))
