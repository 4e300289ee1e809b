"""Sending, replying, reading, archiving, reminding; the rules enforced by the
services (one place for the pages and the API), the emergency switch, rate limits,
quiet hours, attachments and the fixed number of queries of a sending."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from preau.audit.models import AuditEvent
from preau.messaging import selectors, services
from preau.messaging.models import (
    Attachment,
    Message,
    MessageAudience,
    MessagingPolicy,
    NotifyState,
    Recipient,
)
from preau.messaging.services import MessageInvalid, MessagingRefused
from tests.factories import DivisionFactory, GuardianshipFactory, PersonFactory
from tests.messaging.conftest import weekday_at
from tests.messaging.support import School, guardians

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def send(actor, school, **fields):
    fields.setdefault("subject", "Sortie au musée")
    fields.setdefault("body", "<p>Bonjour,</p><p>La sortie aura lieu jeudi.</p>")
    return services.message_send(actor=actor, establishment=school.establishment, **fields)


def recipients(message) -> set[int]:
    return set(Recipient.objects.filter(message=message).values_list("person_id", flat=True))


def refusal(actor, school, **fields) -> str:
    with pytest.raises(MessagingRefused) as refused:
        send(actor, school, **fields)
    return refused.value.reason


# -- Sending ---------------------------------------------------------------------------------


def test_a_message_to_every_guardian_is_stored_once_with_its_audience(school):
    message = send(
        school.direction,
        school,
        kind="information",
        audiences=[("establishment_guardians", None)],
        body="<p>Réunion <script>alert(1)</script><b>mardi</b></p>",
        read_receipt=True,
    )

    # Legal guardians only: the grandmother (level 2) is not included by default.
    assert recipients(message) == {
        school.mother.person_id,
        school.father.person_id,
        school.hugo_father.person_id,
        school.lea_mother.person_id,
    }
    assert message.recipient_count == 4
    assert Message.objects.count() == 1
    assert "<script>" not in message.body
    assert "<b>mardi</b>" in message.body
    assert message.body_text == "Réunion mardi"
    audience = MessageAudience.objects.get(message=message)
    assert (audience.type, audience.label, audience.resolved_count) == (
        "establishment_guardians",
        "Tous les responsables de l'établissement",
        4,
    )
    event = AuditEvent.objects.get(action="messaging.message_send")
    assert event.after["recipient_count"] == 4
    assert "Réunion" not in str(event.after)


def test_contacts_receive_when_the_establishment_includes_them(school):
    MessagingPolicy.objects.create(establishment=school.establishment, contacts_included=True)

    message = send(school.direction, school, audiences=[("division_guardians", school.division.pk)])

    assert school.grandmother.person_id in recipients(message)


def test_people_and_audiences_are_merged_without_duplicates_nor_the_sender(school):
    message = send(
        school.teacher,
        school,
        recipients=[school.mother.person_id, school.teacher.person_id, school.emma.pk],
        audiences=[
            ("division_guardians", school.division.pk),
            ("division_pupils", school.division.pk),
        ],
    )

    assert recipients(message) == {
        school.mother.person_id,
        school.father.person_id,
        school.hugo_father.person_id,
        school.emma.pk,
        school.hugo.pk,
    }
    assert message.recipient_count == 5


def test_a_pupil_who_left_the_division_is_not_in_its_audience(school):
    enrolment = school.hugo.enrolments.get()
    enrolment.end_date = weekday_at(2, 10).date() - timedelta(days=1)
    enrolment.save()

    message = send(school.direction, school, audiences=[("division_guardians", school.division.pk)])

    assert school.hugo_father.person_id not in recipients(message)
    assert school.mother.person_id in recipients(message)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"subject": "   "}, "objet"),
        ({"subject": "x" * 201}, "200 caractères"),
        ({"body": "<p> </p>"}, "vide"),
        ({"kind": "annonce"}, "information"),
        ({"audiences": [("division_guardians", 999_999)]}, "classe n'existe pas"),
        ({"audiences": [("tout_le_monde", None)]}, "type de destinataires"),
        ({"audiences": [("level_guardians", "XYZ")]}, "niveau"),
        ({}, "Aucun destinataire"),
    ],
)
def test_an_invalid_message_says_what_is_wrong(school, fields, words):
    with pytest.raises(MessageInvalid) as invalid:
        send(school.direction, school, **fields)

    assert words in invalid.value.reason
    assert not Message.objects.exists()


@override_settings(PREAU_MESSAGE_MAX_BYTES=1000)
def test_the_technical_cap_on_size(school):
    with pytest.raises(MessageInvalid, match="taille maximale"):
        send(school.direction, school, body="é" * 501, recipients=[school.mother.person_id])


def test_any_length_below_the_cap(school):
    body = "<p>" + "Une très longue lettre. " * 10_000 + "</p>"

    message = send(school.direction, school, body=body, recipients=[school.mother.person_id])

    assert len(message.body) > 200_000


def test_a_division_of_another_establishment_is_unknown(school):
    with pytest.raises(MessageInvalid, match="classe n'existe pas"):
        send(school.direction, school, audiences=[("division_guardians", DivisionFactory().pk)])


# -- The matrix, enforced ---------------------------------------------------------------------


def test_a_teacher_writes_to_the_families_and_pupils_they_teach(school):
    message = send(
        school.teacher,
        school,
        recipients=[
            school.mother.person_id,
            school.emma.pk,
            school.lea.pk,
            school.lea_mother.person_id,
        ],
        audiences=[("division_guardians", school.division.pk), ("group_pupils", school.latin.pk)],
    )

    # Léa is in the Latin group the teacher teaches.
    assert school.lea.pk in recipients(message)


def test_a_teacher_may_not_write_to_families_of_pupils_they_do_not_teach(school):
    reason = refusal(school.other_teacher, school, recipients=[school.mother.person_id])
    assert "qu'il a en classe" in reason
    reason = refusal(
        school.other_teacher, school, audiences=[("division_guardians", school.division.pk)]
    )
    assert "qu'il a en charge" in reason
    reason = refusal(school.teacher, school, audiences=[("establishment_guardians", None)])
    assert "tout l'établissement" in reason
    assert not Message.objects.exists()


def test_a_guardian_writes_to_the_teachers_of_their_children_vie_scolaire_and_direction(school):
    message = send(
        school.mother,
        school,
        recipients=[school.teacher.person_id, school.cpe.person_id, school.direction.person_id],
    )

    assert len(recipients(message)) == 3


def test_a_guardian_may_not_write_to_another_guardian_a_pupil_an_audience(school):
    assert "autre responsable" in refusal(
        school.mother, school, recipients=[school.hugo_father.person_id]
    )
    assert "à un élève" in refusal(school.mother, school, recipients=[school.hugo.pk])
    assert "ensemble de destinataires" in refusal(
        school.mother, school, audiences=[("division_guardians", school.division.pk)]
    )
    assert "enseignants de vos enfants" in refusal(
        school.mother, school, recipients=[school.other_teacher.person_id]
    )


def test_a_parent_delegate_writes_to_the_guardians_of_their_division_when_enabled(school):
    services.guardian_delegate_set(
        actor=school.direction, division=school.division, person=school.mother.person
    )
    assert "autre responsable" in refusal(
        school.mother, school, recipients=[school.hugo_father.person_id]
    )

    services.messaging_policy_update(
        actor=school.direction, establishment=school.establishment, delegates_to_guardians=True
    )
    message = send(school.mother, school, audiences=[("division_guardians", school.division.pk)])

    assert school.hugo_father.person_id in recipients(message)
    # Not the guardians of another division.
    assert "autre responsable" in refusal(
        school.mother, school, recipients=[school.lea_mother.person_id]
    )


def test_a_pupil_writes_to_their_teachers_and_vie_scolaire_not_to_pupils(school):
    message = send(
        school.emma.account, school, recipients=[school.teacher.person_id, school.cpe.person_id]
    )
    assert len(recipients(message)) == 2

    assert "d'autres élèves" in refusal(school.emma.account, school, recipients=[school.hugo.pk])
    assert "vos enseignants" in refusal(
        school.emma.account, school, recipients=[school.other_teacher.person_id]
    )
    assert "ensemble" in refusal(
        school.emma.account, school, audiences=[("division_pupils", school.division.pk)]
    )


def test_pupils_write_to_their_classmates_when_enabled(school):
    services.messaging_policy_update(
        actor=school.direction, establishment=school.establishment, pupils_to_pupils=True
    )

    message = send(school.emma.account, school, recipients=[school.hugo.pk])

    assert recipients(message) == {school.hugo.pk}
    assert "d'autres élèves" in refusal(school.emma.account, school, recipients=[school.lea.pk])


def test_somebody_of_another_establishment_is_not_reachable(school):
    assert "pas joignable" in refusal(
        school.direction, school, recipients=[school.elsewhere.person_id]
    )
    assert "pas de rôle" in refusal(school.elsewhere, school, recipients=[school.mother.person_id])


def test_the_pupil_concerned_must_be_one_the_sender_may_name(school):
    message = send(
        school.mother, school, recipients=[school.teacher.person_id], concerns=school.emma.pk
    )
    assert message.concerns_id == school.emma.pk

    assert "cet élève" in refusal(
        school.mother, school, recipients=[school.teacher.person_id], concerns=school.hugo.pk
    )
    assert "cet élève" in refusal(
        school.other_teacher,
        school,
        recipients=[school.direction.person_id],
        concerns=school.emma.pk,
    )


# -- Emergency switch, rate limits, urgent -------------------------------------------------------


def test_the_emergency_switch_leaves_only_staff_and_is_audited(school, caplog):
    services.emergency_set(actor=school.direction, establishment=school.establishment, enabled=True)

    assert "mode urgence" in refusal(school.mother, school, recipients=[school.teacher.person_id])
    assert "mode urgence" in refusal(school.emma.account, school, recipients=[school.cpe.person_id])
    send(school.teacher, school, recipients=[school.mother.person_id])
    assert AuditEvent.objects.filter(action="messaging.emergency_on").exists()
    assert "emergency switch ON" in caplog.text
    policy = MessagingPolicy.objects.get(establishment=school.establishment)
    assert policy.emergency_set_by_id == school.direction.person_id

    services.emergency_set(
        actor=school.direction, establishment=school.establishment, enabled=False
    )
    send(school.mother, school, recipients=[school.teacher.person_id])
    assert AuditEvent.objects.filter(action="messaging.emergency_off").exists()


@pytest.mark.parametrize("who", ["cpe", "teacher", "mother"])
def test_only_the_direction_switches_the_emergency_mode(school, who):
    with pytest.raises(MessagingRefused, match="direction"):
        services.emergency_set(
            actor=getattr(school, who), establishment=school.establishment, enabled=True
        )


def test_a_family_sends_at_most_so_many_messages_an_hour(school, clock):
    services.messaging_policy_update(
        actor=school.direction, establishment=school.establishment, messages_per_hour=3
    )
    for _ in range(3):
        send(school.mother, school, recipients=[school.teacher.person_id])

    assert "3 messages en une heure" in refusal(
        school.mother, school, recipients=[school.teacher.person_id]
    )
    # Staff have no limit.
    for _ in range(4):
        send(school.teacher, school, recipients=[school.mother.person_id])

    clock.advance(minutes=61)
    send(school.mother, school, recipients=[school.teacher.person_id])


def test_a_family_writes_to_so_many_people_a_day(school, clock):
    services.messaging_policy_update(
        actor=school.direction, establishment=school.establishment, recipients_per_day=4
    )
    send(school.mother, school, recipients=[school.teacher.person_id, school.cpe.person_id])
    send(school.mother, school, recipients=[school.teacher.person_id, school.cpe.person_id])

    assert "limite de l'établissement est 4" in refusal(
        school.mother, school, recipients=[school.direction.person_id]
    )
    clock.advance(hours=24, minutes=1)
    send(school.mother, school, recipients=[school.direction.person_id])


def test_only_the_direction_flags_a_message_urgent(school):
    assert "urgent" in refusal(
        school.cpe, school, recipients=[school.mother.person_id], urgent=True
    )
    assert send(school.direction, school, recipients=[school.mother.person_id], urgent=True).urgent


# -- Quiet hours at sending -------------------------------------------------------------------


def state_of(message, person_id):
    return Recipient.objects.values_list("notify_state", "notify_after").get(
        message=message, person_id=person_id
    )


def test_families_are_notified_after_the_quiet_hours_staff_at_once(school, clock):
    clock.set(weekday_at(2, 21))  # Wednesday 21:00

    message = send(
        school.direction,
        school,
        recipients=[school.teacher.person_id, school.emma.pk],
        audiences=[("division_guardians", school.division.pk)],
    )

    thursday_seven = weekday_at(3, 7)
    assert state_of(message, school.mother.person_id) == (NotifyState.DEFERRED, thursday_seven)
    assert state_of(message, school.emma.pk) == (NotifyState.DEFERRED, thursday_seven)
    assert state_of(message, school.teacher.person_id) == (NotifyState.PENDING, None)


def test_friday_evening_waits_for_monday_morning(school, clock):
    clock.set(weekday_at(4, 20, 30))

    message = send(school.direction, school, recipients=[school.mother.person_id])

    assert state_of(message, school.mother.person_id) == (
        NotifyState.DEFERRED,
        weekday_at(7, 7),  # next Monday
    )


def test_an_urgent_message_of_the_direction_bypasses_the_quiet_hours(school, clock):
    clock.set(weekday_at(5, 23))

    message = send(school.direction, school, recipients=[school.mother.person_id], urgent=True)

    assert state_of(message, school.mother.person_id) == (NotifyState.PENDING, None)


def test_quiet_hours_may_be_switched_off(school, clock):
    services.messaging_policy_update(
        actor=school.direction, establishment=school.establishment, quiet_hours=False
    )
    clock.set(weekday_at(6, 12))

    message = send(school.direction, school, recipients=[school.mother.person_id])

    assert state_of(message, school.mother.person_id) == (NotifyState.PENDING, None)


# -- Replies ------------------------------------------------------------------------------------


def test_a_reply_to_an_information_goes_to_its_sender_only(school):
    information = send(
        school.direction,
        school,
        kind="information",
        audiences=[("division_guardians", school.division.pk)],
    )

    reply = services.message_reply(actor=school.mother, message=information, body="Bien reçu")

    assert recipients(reply) == {school.direction.person_id}
    assert (reply.thread_id, reply.in_reply_to_id) == (information.pk, information.pk)
    assert reply.subject == information.subject
    # The direction answers the mother only.
    answer = services.message_reply(actor=school.direction, message=reply, body="Merci")
    assert recipients(answer) == {school.mother.person_id}
    with pytest.raises(MessagingRefused, match="nouveau message"):
        services.message_reply(actor=school.direction, message=information, body="À tous")


def test_a_reply_to_a_discussion_goes_to_every_participant(school):
    discussion = send(
        school.teacher,
        school,
        recipients=[school.mother.person_id, school.father.person_id, school.cpe.person_id],
    )

    reply = services.message_reply(actor=school.father, message=discussion, body="D'accord")

    assert recipients(reply) == {
        school.teacher.person_id,
        school.mother.person_id,
        school.cpe.person_id,
    }


def test_a_stranger_to_the_conversation_may_not_reply(school):
    message = send(school.teacher, school, recipients=[school.mother.person_id])

    with pytest.raises(MessagingRefused, match="ne participez pas"):
        services.message_reply(actor=school.hugo_father, message=message, body="Moi aussi")


def test_replies_respect_the_emergency_switch(school):
    message = send(school.teacher, school, recipients=[school.mother.person_id])
    services.emergency_set(actor=school.direction, establishment=school.establishment, enabled=True)

    with pytest.raises(MessagingRefused, match="mode urgence"):
        services.message_reply(actor=school.mother, message=message, body="Réponse")


# -- Reading, archiving, reminding -------------------------------------------------------------


def test_reading_and_archiving_a_conversation(school):
    message = send(school.teacher, school, recipients=[school.mother.person_id])
    assert selectors.unread_count(person_id=school.mother.person_id) == 1

    assert services.thread_mark_read(actor=school.mother, message=message) == 1
    assert selectors.unread_count(person_id=school.mother.person_id) == 0

    services.message_archive(actor=school.mother, message=message)
    assert selectors.inbox_page(person_id=school.mother.person_id).total == 0
    assert selectors.inbox_page(person_id=school.mother.person_id, folder="archived").total == 1
    # Nothing is deleted, and a reply brings the conversation back.
    services.message_reply(actor=school.teacher, message=message, body="Une précision")
    assert selectors.inbox_page(person_id=school.mother.person_id).total == 1

    services.message_unarchive(actor=school.mother, message=message)
    assert selectors.inbox_page(person_id=school.mother.person_id, folder="archived").total == 0


def test_the_sender_archives_their_copy(school):
    message = send(school.teacher, school, recipients=[school.mother.person_id])

    services.message_archive(actor=school.teacher, message=message)

    assert selectors.sent_page(person_id=school.teacher.person_id).total == 0
    assert selectors.sent_page(person_id=school.teacher.person_id, archived=True).total == 1
    assert selectors.inbox_page(person_id=school.mother.person_id).total == 1


def test_reminding_those_who_have_not_read(
    school, clock, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        message = send(
            school.direction,
            school,
            kind="information",
            read_receipt=True,
            audiences=[("division_guardians", school.division.pk)],
        )
    assert len(mailoutbox) == 3
    services.messages_mark_read(actor=school.mother, message_ids=[message.pk])
    clock.advance(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        reminded = services.message_remind(actor=school.direction, message=message)

    assert reminded == 2
    reminders = mailoutbox[3:]
    assert sorted(m.to[0] for m in reminders) == sorted(
        [school.father.person.email, school.hugo_father.person.email]
    )
    assert all(m.subject.startswith("Rappel") for m in reminders)
    with pytest.raises(MessagingRefused, match="moins de 24 heures"):
        services.message_remind(actor=school.direction, message=message)
    with pytest.raises(MessagingRefused, match="expéditeur"):
        services.message_remind(actor=school.mother, message=message)


def test_no_reminder_without_a_read_receipt(school):
    message = send(school.direction, school, recipients=[school.mother.person_id])

    with pytest.raises(MessagingRefused, match="accusé de lecture"):
        services.message_remind(actor=school.direction, message=message)


# -- Attachments --------------------------------------------------------------------------------


def upload(name="programme.pdf", size=1000):
    return SimpleUploadedFile(name, b"%" * size, content_type="application/pdf")


def test_attachments_are_kept_and_served_to_sender_and_recipients_only(school):
    message = send(
        school.teacher, school, recipients=[school.mother.person_id], attachments=[upload()]
    )

    attachment = Attachment.objects.get(message=message)
    assert (attachment.name, attachment.size) == ("programme.pdf", 1000)
    assert attachment.file.name.startswith("messaging/")
    assert attachment.file.read() == b"%" * 1000
    for allowed in (school.teacher, school.mother):
        assert selectors.visible_attachment(
            person_id=allowed.person_id, attachment_id=attachment.pk
        )
    for other in (school.father, school.direction, school.other_teacher):
        assert (
            selectors.visible_attachment(person_id=other.person_id, attachment_id=attachment.pk)
            is None
        )


@override_settings(PREAU_MESSAGE_ATTACHMENT_MAX_BYTES=500)
def test_attachments_have_a_size_limit(school):
    with pytest.raises(MessageInvalid, match="dépasse"):
        send(school.teacher, school, recipients=[school.mother.person_id], attachments=[upload()])


@override_settings(PREAU_MESSAGE_ATTACHMENTS_MAX=1)
def test_attachments_have_a_number_limit(school):
    with pytest.raises(MessageInvalid, match="Au plus 1"):
        send(
            school.teacher,
            school,
            recipients=[school.mother.person_id],
            attachments=[upload(), upload("b.pdf")],
        )


# -- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("families", [3, 40])
def test_the_queries_of_a_sending_do_not_grow_with_the_recipients(
    school, families, django_assert_num_queries
):
    guardians(school.division, families)
    extra = guardians(school.division_b, families)

    with django_assert_num_queries(14):
        message = send(
            school.direction,
            school,
            recipients=[person.pk for person in extra],
            audiences=[("establishment_guardians", None), ("division_pupils", school.division.pk)],
        )

    assert message.recipient_count == 4 + 2 * families + 2 + families


@pytest.mark.parametrize("families", [3, 40])
def test_the_queries_of_a_family_sending_do_not_grow_either(
    school, families, django_assert_num_queries
):
    guardians(school.division, families)
    for _ in range(families):
        GuardianshipFactory(guardian=PersonFactory(), pupil=school.emma)

    with django_assert_num_queries(13):
        send(
            school.mother,
            school,
            recipients=[school.teacher.person_id, school.cpe.person_id, school.direction.person_id],
        )
