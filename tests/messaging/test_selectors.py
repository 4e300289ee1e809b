"""Reads: the threaded inbox with unread counts and search, the sent folder with read
counts, threads as each participant sees them, read receipts, what a person may
choose when writing — each in a fixed number of queries."""

import pytest

from preau.messaging import selectors, services
from preau.messaging.models import NotifyState
from tests.messaging.support import School, guardians

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def send(school, actor, **fields):
    fields.setdefault("subject", "Devoirs")
    fields.setdefault("body", "<p>Pour lundi, exercices 3 et 4.</p>")
    return services.message_send(actor=actor, establishment=school.establishment, **fields)


def test_the_inbox_groups_a_conversation_with_its_unread_count(school, clock):
    first = send(
        school, school.teacher, recipients=[school.mother.person_id, school.father.person_id]
    )
    clock.advance(minutes=5)
    services.message_reply(actor=school.father, message=first, body="Merci")
    clock.advance(minutes=5)
    other = send(school, school.direction, recipients=[school.mother.person_id], subject="Cantine")

    page = selectors.inbox_page(person_id=school.mother.person_id)

    assert page.total == 2
    assert [(row.thread_id, row.received, row.unread) for row in page.rows] == [
        (other.pk, 1, 1),
        (first.pk, 2, 2),
    ]
    latest = page.rows[1].message
    assert latest.sender_id == school.father.person_id
    assert latest.subject == "Devoirs"
    assert latest.preview == "Merci"


def test_search_looks_in_subjects_and_text(school):
    send(school, school.teacher, recipients=[school.mother.person_id], subject="Sortie")
    send(
        school,
        school.direction,
        recipients=[school.mother.person_id],
        body="<p>La <b>cantine</b> ferme.</p>",
    )

    assert selectors.inbox_page(person_id=school.mother.person_id, search="sortie").total == 1
    assert selectors.inbox_page(person_id=school.mother.person_id, search="CANTINE").total == 1
    # Tags are not text.
    assert selectors.inbox_page(person_id=school.mother.person_id, search="<b>").total == 0


def test_pages_of_the_inbox(school):
    for number in range(5):
        send(school, school.direction, recipients=[school.mother.person_id], subject=f"N{number}")

    page = selectors.inbox_page(person_id=school.mother.person_id, page=2, per_page=2)

    assert (page.total, page.pages, page.has_next, page.has_previous) == (5, 3, True, True)
    assert [row.message.subject for row in page.rows] == ["N2", "N1"]


def test_the_sent_folder_counts_readers(school):
    message = send(school, school.teacher, audiences=[("division_guardians", school.division.pk)])
    services.messages_mark_read(actor=school.mother, message_ids=[message.pk])

    page = selectors.sent_page(person_id=school.teacher.person_id)

    assert [(m.pk, m.recipient_count, m.read_count) for m in page.rows] == [(message.pk, 3, 1)]


def test_a_family_does_not_see_another_familys_reply_to_an_information(school):
    information = send(
        school,
        school.direction,
        kind="information",
        audiences=[("division_guardians", school.division.pk)],
    )
    services.message_reply(actor=school.hugo_father, message=information, body="Question privée")

    mine = selectors.thread_for(person_id=school.mother.person_id, message_id=information.pk)
    direction = selectors.thread_for(
        person_id=school.direction.person_id, message_id=information.pk
    )

    assert [m.pk for m in mine.messages] == [information.pk]
    assert mine.unread_ids == [information.pk]
    assert len(direction.messages) == 2
    assert direction.reply_to.sender_id == school.hugo_father.person_id


def test_a_thread_is_hidden_from_those_who_take_no_part(school):
    message = send(school, school.teacher, recipients=[school.mother.person_id])

    for stranger in (school.father, school.direction, school.elsewhere):
        assert selectors.thread_for(person_id=stranger.person_id, message_id=message.pk) is None
        assert selectors.message_for(person_id=stranger.person_id, message_id=message.pk) is None
    found = selectors.message_for(person_id=school.mother.person_id, message_id=message.pk)
    assert found.my_recipient
    assert found.my_read_at is None


def test_read_receipts_for_the_sender_only(school):
    message = send(
        school,
        school.direction,
        kind="information",
        read_receipt=True,
        audiences=[("division_guardians", school.division.pk)],
    )
    services.messages_mark_read(actor=school.father, message_ids=[message.pk])

    receipts = selectors.receipts_for(person_id=school.direction.person_id, message_id=message.pk)
    unread = selectors.receipts_for(
        person_id=school.direction.person_id, message_id=message.pk, unread_only=True
    )

    assert (receipts.read, receipts.unread) == (1, 2)
    assert receipts.states[NotifyState.PENDING] == 3
    # Those who have not read come first.
    assert receipts.rows.rows[-1].person_id == school.father.person_id
    assert {row.person_id for row in unread.rows.rows} == {
        school.mother.person_id,
        school.hugo_father.person_id,
    }
    assert selectors.receipts_for(person_id=school.mother.person_id, message_id=message.pk) is None


def test_what_a_guardian_may_choose(school):
    options = selectors.compose_options(
        person_id=school.mother.person_id, establishment_id=school.establishment.pk
    )
    people = selectors.addressable_people(
        person_id=school.mother.person_id, establishment_id=school.establishment.pk
    )

    assert options.may_send
    assert options.audiences == []
    assert not options.may_flag_urgent
    assert {p.id for p in people} == {
        school.teacher.person_id,
        school.cpe.person_id,
        school.direction.person_id,
        school.secretariat.person_id,
    }


def test_what_a_teacher_may_choose(school):
    options = selectors.compose_options(
        person_id=school.teacher.person_id, establishment_id=school.establishment.pk
    )
    people = selectors.addressable_people(
        person_id=school.teacher.person_id, establishment_id=school.establishment.pk, search="emma"
    )

    assert {(a.type, a.target) for a in options.audiences} == {
        ("establishment_staff", ""),
        ("division_guardians", str(school.division.pk)),
        ("division_pupils", str(school.division.pk)),
        ("division_teachers", str(school.division.pk)),
        ("division_teachers", str(school.division_b.pk)),
        ("group_pupils", str(school.latin.pk)),
    }
    assert [(p.id, p.description) for p in people] == [(school.emma.pk, "Élève")]


def test_what_the_direction_may_choose(school):
    options = selectors.compose_options(
        person_id=school.direction.person_id, establishment_id=school.establishment.pk
    )
    people = selectors.addressable_people(
        person_id=school.direction.person_id, establishment_id=school.establishment.pk, limit=100
    )

    kinds = {a.type for a in options.audiences}
    assert {"establishment_guardians", "level_guardians", "group_pupils"} <= kinds
    assert options.may_flag_urgent
    mother = next(p for p in people if p.id == school.mother.person_id)
    assert mother.description == f"Responsable de Emma {school.emma.last_name.upper()}"
    assert school.elsewhere.person_id not in {p.id for p in people}


def test_nothing_to_choose_during_an_emergency(school):
    services.emergency_set(actor=school.direction, establishment=school.establishment, enabled=True)

    options = selectors.compose_options(
        person_id=school.mother.person_id, establishment_id=school.establishment.pk
    )

    assert not options.may_send
    assert "mode urgence" in options.may_send.reason
    assert (
        selectors.addressable_people(
            person_id=school.mother.person_id, establishment_id=school.establishment.pk
        )
        == []
    )


def test_establishments_of_a_person(school):
    assert selectors.establishments_of(school.mother.person_id) == [school.establishment.pk]
    assert selectors.establishments_of(school.teacher.person_id) == [school.establishment.pk]


@pytest.mark.parametrize("messages", [2, 15])
def test_the_reads_take_a_fixed_number_of_queries(school, messages, django_assert_num_queries):
    guardians(school.division, messages)
    for _ in range(messages):
        message = send(
            school,
            school.direction,
            kind="information",
            audiences=[("division_guardians", school.division.pk)],
        )
        services.message_reply(actor=school.mother, message=message, body="Reçu")
    person = school.mother.person_id

    with django_assert_num_queries(3):
        selectors.inbox_page(person_id=person)
    with django_assert_num_queries(2):
        selectors.sent_page(person_id=person)
    with django_assert_num_queries(1):
        selectors.unread_count(person_id=person)
    with django_assert_num_queries(3):
        selectors.thread_for(person_id=person, message_id=message.pk)
    with django_assert_num_queries(3):
        selectors.receipts_for(person_id=school.direction.person_id, message_id=message.pk)
