"""The demo's messages (`seed_demo --small`): conversations between families and
teachers, the principal's information to the guardians of Emma's division with read
receipts (some read, `parent` and `parent2` not yet) and its agenda attached, a message
to every guardian of the collège, a message about Lucas for `parent` — all dated in the
days before the moment of seeding, stored as the services store them, allowed by the
rules, and already notified."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from preau.accounts.models import Account
from preau.audit.models import AuditEvent
from preau.core.models import Establishment, Guardianship, ResponsibilityLevel
from preau.devtools.demo import COLLEGE_UAI, build_demo
from preau.messaging import audiences as audience_module
from preau.messaging import policy, selectors, services
from preau.messaging.models import (
    Attachment,
    Message,
    MessageAudience,
    MessageKind,
    NotifyState,
    Recipient,
)
from preau.structure.models import Enrolment

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 10, 40, tzinfo=PARIS)  # a Tuesday


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo, seeded once and rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = build_demo(small=True, now=NOW, timetables=False)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def world(demo, db):
    return demo


def person(login: str) -> int:
    return Account.objects.get(login=login).person_id


def emma_division():
    return Enrolment.objects.on(NOW.date()).get(pupil_id=person("eleve")).division


def test_the_messages_are_seeded_quickly_and_counted(world):
    assert world.messages == Message.objects.count() >= 12
    # Measured at about 0.1 s on the small demo (the whole small demo takes about 1 s).
    assert 0 < world.messaging_seconds < 3


def test_parent_has_unread_conversations_with_teachers_the_direction_and_the_lycee(world):
    parent = person("parent")
    inbox = selectors.inbox_page(person_id=parent, per_page=50)
    subjects = {row.message.subject: row for row in inbox.rows}
    division = emma_division()
    meeting = subjects[f"Rendez-vous au sujet d'Emma ({division.name})"]
    assert meeting.unread == 1  # the head teacher's answer
    assert meeting.message.sender_id in set(division.head_teachers.values_list("pk", flat=True))
    assert subjects[f"Réunion parents-professeurs de {division.name}"].unread == 1
    assert subjects["Brevet blanc et conseils de classe du premier trimestre"].unread == 1
    lucas = subjects["Retards de Lucas en début de matinée"]
    assert lucas.unread == 1
    assert lucas.message.concerns_id == person("lyceen")
    assert lucas.message.establishment.uai != COLLEGE_UAI
    # The maths homework: read, and answered by parent to both guardians and prof.
    homework = subjects["Devoir maison de mathématiques"]
    assert homework.unread == 0
    thread = selectors.thread_for(person_id=parent, message_id=homework.message.pk)
    answer = thread.messages[-1]
    assert answer.sender_id == parent
    assert answer.thread_id == thread.root.pk
    assert set(Recipient.objects.filter(message=answer).values_list("person_id", flat=True)) == {
        person("prof"),
        person("parent2"),
    }
    assert selectors.unread_count(person_id=parent) >= 4


def test_the_information_to_a_division_has_read_receipts_some_read_some_not(world):
    division = emma_division()
    message = Message.objects.get(
        subject=f"Réunion parents-professeurs de {division.name}", thread__isnull=True
    )
    assert message.kind == MessageKind.INFORMATION
    assert message.read_receipt
    assert message.sender_id == person("direction")
    guardians = set(
        audience_module.members(
            audience_module.Audience(policy.DIVISION_GUARDIANS, division_id=division.pk),
            establishment_id=division.establishment_id,
            day=NOW.date(),
            include_contacts=False,
        )
    )
    receipts = selectors.receipts_for(
        person_id=person("direction"), message_id=message.pk, per_page=500
    )
    assert receipts.read + receipts.unread == len(guardians) == message.recipient_count
    assert receipts.read > 0
    assert receipts.unread > 0
    unread = {row.person_id for row in receipts.rows.rows if row.read_at is None}
    assert {person("parent"), person("parent2")} <= unread
    chosen = MessageAudience.objects.get(message=message)
    assert (chosen.type, chosen.resolved_count) == (policy.DIVISION_GUARDIANS, len(guardians))
    assert chosen.label == f"Responsables des élèves de {division.name}"
    # Families answered the principal only, within the thread.
    replies = Message.objects.filter(thread=message)
    assert replies.exists()
    for reply in replies:
        assert list(
            Recipient.objects.filter(message=reply).values_list("person_id", flat=True)
        ) == [person("direction")]
    # The agenda is attached, a PDF that parent may download.
    attachment = Attachment.objects.get(message=message)
    assert selectors.visible_attachment(person_id=person("parent"), attachment_id=attachment.pk)
    assert attachment.file.open("rb").read(5) == b"%PDF-"


def test_the_message_to_all_guardians_reaches_every_legal_guardian_of_the_college(world):
    college = Establishment.objects.get(uai=COLLEGE_UAI)
    message = Message.objects.get(subject__startswith="Brevet blanc")
    enrolled = Enrolment.objects.on(NOW.date()).filter(division__establishment=college)
    guardians = set(
        Guardianship.objects.filter(
            level=ResponsibilityLevel.LEGAL, pupil_id__in=enrolled.values("pupil_id")
        ).values_list("guardian_id", flat=True)
    )
    received = set(Recipient.objects.filter(message=message).values_list("person_id", flat=True))
    assert received == guardians
    assert message.recipient_count == len(guardians)
    audience = MessageAudience.objects.get(message=message)
    assert audience.type == policy.ESTABLISHMENT_GUARDIANS
    read = Recipient.objects.filter(message=message, read_at__isnull=False).count()
    assert 0 < read < len(guardians)


def test_every_message_is_dated_before_now_allowed_by_the_rules_notified_and_audited(world):
    messages = list(Message.objects.select_related("thread", "in_reply_to"))
    for message in messages:
        assert message.created_at < NOW
        if message.in_reply_to is not None:
            assert message.created_at > message.in_reply_to.created_at
            assert message.thread_id == (message.in_reply_to.thread_id or message.in_reply_to.pk)
        recipients = Recipient.objects.filter(message=message)
        assert not recipients.filter(person_id=message.sender_id).exists()
        for row in recipients.exclude(read_at=None):
            assert message.created_at < row.read_at < NOW
        if message.thread_id is None:
            # Sent as the rules allow (the same check as services.message_send).
            ctx = services.sender_context(
                person_id=message.sender_id,
                establishment_id=message.establishment_id,
                day=NOW.date(),
            )
            chosen, members = _audiences(message)
            services.authorise(
                ctx,
                person_ids=set(recipients.values_list("person_id", flat=True)) - members,
                audiences=chosen,
                concerns=message.concerns_id,
            )
    # Notified at the time: nothing left to send.
    assert not Recipient.objects.exclude(notify_state=NotifyState.SENT).exists()
    events = AuditEvent.objects.filter(object_type="messaging.message")
    assert events.count() == len(messages)
    assert all(event.at < NOW for event in events)


def _audiences(message):
    """The audiences the message was sent to, and the people they reach."""
    chosen = audience_module.describe(
        [(row.type, row.target) for row in MessageAudience.objects.filter(message=message)],
        establishment_id=message.establishment_id,
        day=NOW.date(),
    )
    members: set[int] = set()
    for audience in chosen:
        members |= set(
            audience_module.members(
                audience,
                establishment_id=message.establishment_id,
                day=NOW.date(),
                include_contacts=False,
            )
        )
    return chosen, members


def test_messages_are_numbered_in_the_order_they_were_sent(world):
    # The inbox lists conversations by their latest message: ids must follow time.
    dates = list(Message.objects.order_by("pk").values_list("created_at", flat=True))
    assert dates == sorted(dates)


def test_the_pupil_and_the_teacher_have_their_conversation(world):
    emma, prof = person("eleve"), person("prof")
    inbox = selectors.inbox_page(person_id=emma)
    subjects = [row.message.subject for row in inbox.rows]
    assert "Question sur l'exercice 12 page 58" in subjects
    sent = selectors.sent_page(person_id=prof)
    assert any(message.subject == "Devoir maison de mathématiques" for message in sent.rows)
