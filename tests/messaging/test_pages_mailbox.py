"""The mailbox pages: the inbox (conversations with their unread counts, sender, pupil
concerned, search, archived folder, pages), a conversation (sanitised text,
attachments through the checked download, reply to the sender only or to every
participant, mark unread, archive; opening marks read), the messages sent, the read
receipts with "Relancer", and the unread badge of the menu. Someone else's
conversation or attachment answers 404; the number of queries does not grow with the
number of messages."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.messaging import services
from preau.messaging.models import Message, MessageKind, Recipient
from tests.conftest import log_in
from tests.messaging.support import School, guardians

pytestmark = pytest.mark.django_db

INBOX = reverse("messaging:inbox")
SENT = reverse("messaging:sent")
BADGE = reverse("messaging:unread")

# Session, account, the person's spaces (roles, children) — then the page's own reads.
INBOX_QUERIES = 8
THREAD_QUERIES = 12
SENT_QUERIES = 8
RECEIPTS_QUERIES = 9
BADGE_QUERIES = 6


@pytest.fixture
def school():
    return School()


def send(school, actor, **fields):
    fields.setdefault("subject", "Devoirs")
    fields.setdefault("body", "<p>Pour lundi, exercices 3 et 4.</p>")
    return services.message_send(actor=actor, establishment=school.establishment, **fields)


def thread_url(message) -> str:
    return reverse("messaging:thread", args=[message.pk])


# -- The inbox -------------------------------------------------------------------------------


def test_the_inbox_shows_each_conversation_with_sender_pupil_date_and_unread_count(
    client, school, clock
):
    first = send(
        school,
        school.teacher,
        subject="Sortie au musée",
        recipients=[school.mother.person_id, school.father.person_id],
        concerns=school.emma.pk,
    )
    clock.advance(minutes=5)
    services.message_reply(actor=school.father, message=first, body="<p>D'accord</p>")
    read = send(school, school.direction, subject="Cantine", recipients=[school.mother.person_id])
    services.messages_mark_read(actor=school.mother, message_ids=[read.pk])
    log_in(client, school.mother)

    content = client.get(INBOX).content.decode()

    assert "2 conversations" in content
    # The unread conversation is marked (bold, a hidden word, a count); the read one not.
    unread_row = content.split("Sortie au musée")[0].rsplit('<li class="msg-row', 1)[1]
    assert unread_row.startswith(" msg-row--unread")
    assert "2 non lus" in content
    assert f"Élève : {school.emma.display_name}" in content
    assert school.father.person.display_name in content  # the latest message's sender
    read_row = content.split("Cantine")[0].rsplit('<li class="msg-row', 1)[1]
    assert not read_row.startswith(" msg-row--unread")
    assert f'href="{thread_url(read)}"' in content


def test_the_inbox_searches_and_keeps_the_archived_apart(client, school):
    sortie = send(school, school.teacher, subject="Sortie", recipients=[school.mother.person_id])
    send(school, school.teacher, subject="Cantine", recipients=[school.mother.person_id])
    services.message_archive(actor=school.mother, message=sortie)
    log_in(client, school.mother)

    inbox = client.get(INBOX).content.decode()
    archived = client.get(INBOX, {"dossier": "archives"}).content.decode()
    found = client.get(INBOX, {"q": "cantine"}).content.decode()
    nothing = client.get(INBOX, {"q": "piscine"}).content.decode()

    assert "Cantine" in inbox
    assert "Sortie" not in inbox
    assert "Sortie" in archived
    assert "Cantine" not in archived
    assert "1 conversation pour « cantine »" in found
    assert "Sortie" not in nothing
    assert "Cantine" not in nothing


def test_the_inbox_search_answers_htmx_with_the_list_only(client, school):
    send(school, school.teacher, subject="Cantine", recipients=[school.mother.person_id])
    log_in(client, school.mother)

    response = client.get(
        INBOX, {"q": "cantine"}, headers={"HX-Request": "true", "HX-Target": "msg-results"}
    )

    content = response.content.decode()
    assert "Cantine" in content
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_the_inbox_has_pages(client, school):
    for number in range(23):
        send(
            school,
            school.teacher,
            subject=f"Message {number:02d}",
            recipients=[school.mother.person_id],
        )
    log_in(client, school.mother)

    first = client.get(INBOX).content.decode()
    second = client.get(INBOX, {"page": 2}).content.decode()

    assert "Page 1 sur 2" in first
    assert "Message 22" in first
    assert "Message 00" not in first
    assert "Message 00" in second
    assert "Message 02" in second


@pytest.mark.parametrize("count", [1, 30])
def test_the_inbox_queries_do_not_grow_with_messages(
    client, school, django_assert_num_queries, count
):
    for number in range(count):
        message = send(
            school,
            school.teacher,
            subject=f"Message {number}",
            recipients=[school.mother.person_id, school.father.person_id],
            concerns=school.emma.pk,
        )
        services.message_reply(actor=school.father, message=message, body="Bien reçu") if (
            number % 3 == 0
        ) else None
    log_in(client, school.mother)
    client.get(INBOX)

    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get(INBOX)

    assert response.status_code == 200


def test_the_regional_administration_and_a_person_without_space_have_no_inbox(client, school):
    from preau.core.models import RoleKind
    from tests.factories import AccountFactory, RoleFactory

    region = AccountFactory()
    RoleFactory(person=region.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    log_in(client, region)
    assert client.get(INBOX).status_code == 404
    client.logout()
    log_in(client, AccountFactory())
    assert client.get(INBOX).status_code == 404


# -- A conversation ---------------------------------------------------------------------------


def test_a_conversation_shows_the_sanitised_text_and_marks_it_read(client, school):
    message = send(
        school,
        school.teacher,
        recipients=[school.mother.person_id],
        body='<p>Bonjour <b>à tous</b></p><script>alert("x")</script><p onclick="x()">Fin</p>',
    )
    log_in(client, school.mother)
    assert client.get(BADGE).content.decode().count('data-count="1"') == 1

    content = client.get(thread_url(message)).content.decode()

    assert "<p>Bonjour <b>à tous</b></p>" in content
    assert "<script>alert" not in content
    assert "onclick" not in content
    assert "Nouveau" in content  # what was new when the page was opened
    assert Recipient.objects.get(message=message).read_at is not None
    assert client.get(BADGE).content.decode().strip() == ""


def test_someone_elses_conversation_and_attachment_answer_404(client, school):
    upload = SimpleUploadedFile("convocation.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    message = send(
        school, school.teacher, recipients=[school.mother.person_id], attachments=[upload]
    )
    attachment = message.attachments.get()
    url = reverse("messaging:attachment", args=[attachment.pk])

    log_in(client, school.mother)
    assert f'href="{url}"' in client.get(thread_url(message)).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]

    client.logout()
    log_in(client, school.lea_mother)
    assert client.get(thread_url(message)).status_code == 404
    assert client.get(url).status_code == 404
    assert client.get(reverse("messaging:receipts", args=[message.pk])).status_code == 404
    assert client.post(reverse("messaging:archive", args=[message.pk])).status_code == 404
    assert client.post(reverse("messaging:mark_unread", args=[message.pk])).status_code == 404
    assert client.get(reverse("messaging:thread", args=[999999])).status_code == 404


def test_a_reply_to_an_information_goes_to_its_sender_only_and_says_so(client, school):
    information = send(
        school,
        school.direction,
        kind=MessageKind.INFORMATION,
        audiences=[("division_guardians", school.division.pk)],
    )
    log_in(client, school.mother)
    url = thread_url(information)

    page = client.get(url).content.decode()
    response = client.post(url, {"body": "Nous serons là.\n\n**Merci**"})

    assert "votre réponse ira uniquement à" in page
    assert school.direction.person.display_name in page
    reply = Message.objects.get(thread=information)
    assert response.status_code == 302
    assert response["Location"] == f"{thread_url(reply)}#message-{reply.pk}"
    assert reply.body == "<p>Nous serons là.</p>\n<p><strong>Merci</strong></p>"
    assert list(Recipient.objects.filter(message=reply).values_list("person_id", flat=True)) == [
        school.direction.person_id
    ]


def test_a_reply_to_a_discussion_goes_to_every_participant_and_says_so(client, school):
    discussion = send(
        school, school.teacher, recipients=[school.mother.person_id, school.father.person_id]
    )
    log_in(client, school.mother)
    url = thread_url(discussion)

    page = client.get(url).content.decode()
    client.post(url, {"body": "Merci"})

    assert "votre réponse ira à tous les participants" in page
    assert school.father.person.display_name in page
    reply = Message.objects.get(thread=discussion)
    assert set(Recipient.objects.filter(message=reply).values_list("person_id", flat=True)) == {
        school.teacher.person_id,
        school.father.person_id,
    }


def test_the_sender_of_an_information_answers_each_family_apart(client, school, clock):
    information = send(
        school,
        school.direction,
        kind=MessageKind.INFORMATION,
        recipients=[school.mother.person_id, school.hugo_father.person_id],
    )
    clock.advance(minutes=1)
    first = services.message_reply(actor=school.mother, message=information, body="Oui")
    clock.advance(minutes=1)
    services.message_reply(actor=school.hugo_father, message=information, body="Non")
    log_in(client, school.direction)
    url = thread_url(information)

    page = client.get(url).content.decode()
    response = client.post(f"{url}?repondre={first.pk}", {"body": "Noté", "repondre": first.pk})

    assert f"?repondre={first.pk}#reponse" in page
    assert response.status_code == 302
    answer = Message.objects.filter(sender=school.direction.person).latest("created_at")
    assert list(Recipient.objects.filter(message=answer).values_list("person_id", flat=True)) == [
        school.mother.person_id
    ]
    # A message that is not of the conversation cannot be answered from it.
    other = send(school, school.teacher, recipients=[school.direction.person_id])
    assert client.get(f"{url}?repondre={other.pk}").status_code == 404


def test_the_sender_of_an_information_is_told_replies_come_to_them(client, school):
    information = send(
        school,
        school.direction,
        kind=MessageKind.INFORMATION,
        recipients=[school.mother.person_id],
    )
    log_in(client, school.direction)

    content = client.get(thread_url(information)).content.decode()

    assert "Une information n'appelle pas de réponse" in html.unescape(content)
    assert 'name="repondre"' not in content


def test_an_empty_reply_is_refused_on_its_field(client, school):
    discussion = send(school, school.teacher, recipients=[school.mother.person_id])
    log_in(client, school.mother)

    response = client.post(thread_url(discussion), {"body": "  "})

    assert response.status_code == 400
    assert "Le message est vide." in response.content.decode()
    assert not Message.objects.filter(thread=discussion).exists()


def test_a_reply_refused_by_the_emergency_switch_answers_403_with_the_reason(client, school):
    discussion = send(school, school.teacher, recipients=[school.mother.person_id])
    services.emergency_set(actor=school.direction, establishment=school.establishment, enabled=True)
    log_in(client, school.mother)

    response = client.post(thread_url(discussion), {"body": "Bonjour"})

    assert response.status_code == 403
    assert "mode urgence" in response.content.decode()
    assert not Message.objects.filter(thread=discussion).exists()


def test_mark_unread_archive_and_unarchive(client, school):
    message = send(school, school.teacher, subject="Sortie", recipients=[school.mother.person_id])
    log_in(client, school.mother)
    client.get(thread_url(message))
    row = Recipient.objects.get(message=message)
    assert row.read_at is not None

    response = client.post(reverse("messaging:mark_unread", args=[message.pk]))
    row.refresh_from_db()
    assert response.status_code == 302
    assert row.read_at is None

    client.post(reverse("messaging:archive", args=[message.pk]))
    row.refresh_from_db()
    assert row.archived_at is not None
    assert "Sortie</a>" not in client.get(INBOX).content.decode()
    assert "Remettre dans les messages reçus" in client.get(thread_url(message)).content.decode()

    client.post(reverse("messaging:unarchive", args=[message.pk]))
    row.refresh_from_db()
    assert row.archived_at is None
    assert "Sortie</a>" in client.get(INBOX).content.decode()
    # Actions are posted, never followed as links.
    assert client.get(reverse("messaging:archive", args=[message.pk])).status_code == 405


@pytest.mark.parametrize("replies", [0, 10])
def test_a_conversation_queries_do_not_grow_with_its_messages(
    client, school, clock, django_assert_num_queries, replies
):
    upload = SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")
    first = send(
        school,
        school.teacher,
        recipients=[school.mother.person_id, school.father.person_id],
        attachments=[upload],
        concerns=school.emma.pk,
    )
    for number in range(replies):
        clock.advance(minutes=1)
        author = school.father if number % 2 else school.teacher
        services.message_reply(actor=author, message=first, body=f"Réponse {number}")
    log_in(client, school.mother)
    client.get(thread_url(first))

    with django_assert_num_queries(THREAD_QUERIES):
        response = client.get(thread_url(first))

    assert response.content.decode().count('<article class="card msg') == replies + 1


# -- Sent, read receipts ------------------------------------------------------------------------


def test_the_sent_folder_shows_read_counts_and_links_to_the_receipts(client, school):
    message = send(
        school,
        school.direction,
        subject="Réunion",
        audiences=[("division_guardians", school.division.pk)],
        read_receipt=True,
    )
    services.messages_mark_read(actor=school.mother, message_ids=[message.pk])
    log_in(client, school.direction)

    content = client.get(SENT).content.decode()

    assert "Réunion" in content
    assert "Responsables des élèves de 4A" in content
    assert f"Lu par 1 sur {message.recipient_count}" in content
    assert reverse("messaging:receipts", args=[message.pk]) in content


@pytest.mark.parametrize("count", [1, 25])
def test_the_sent_folder_queries_do_not_grow_with_messages(
    client, school, django_assert_num_queries, count
):
    for number in range(count):
        send(
            school,
            school.direction,
            subject=f"Info {number}",
            audiences=[("division_guardians", school.division.pk)],
            read_receipt=True,
            concerns=school.emma.pk,
        )
    log_in(client, school.direction)
    client.get(SENT)

    with django_assert_num_queries(SENT_QUERIES):
        response = client.get(SENT)

    assert response.status_code == 200


def test_the_receipts_say_who_has_read_and_remind_the_others_once_a_day(client, school, clock):
    message = send(
        school,
        school.direction,
        kind=MessageKind.INFORMATION,
        audiences=[("division_guardians", school.division.pk)],
        read_receipt=True,
    )
    services.messages_mark_read(actor=school.mother, message_ids=[message.pk])
    log_in(client, school.direction)
    url = reverse("messaging:receipts", args=[message.pk])
    remind = reverse("messaging:remind", args=[message.pk])

    content = client.get(url).content.decode()
    unread = client.get(url, {"filtre": "non-lus"}).content.decode()
    first = client.post(remind)
    again = client.post(remind)

    assert "ont lu le message" in content or "a lu le message" in content
    assert school.mother.person.sort_name in content
    assert school.mother.person.sort_name not in unread
    assert school.father.person.sort_name in unread
    assert "Relancer" in content
    assert first.status_code == 302
    message.refresh_from_db()
    assert message.reminded_at is not None
    assert again.status_code == 403
    assert "moins de 24 heures" in again.content.decode()


def test_only_the_sender_sees_the_receipts(client, school):
    message = send(
        school, school.direction, recipients=[school.mother.person_id], read_receipt=True
    )
    log_in(client, school.mother)
    assert client.get(reverse("messaging:receipts", args=[message.pk])).status_code == 404
    assert client.post(reverse("messaging:remind", args=[message.pk])).status_code == 404


@pytest.mark.parametrize("count", [5, 60])
def test_the_receipts_queries_do_not_grow_with_recipients(
    client, school, django_assert_num_queries, count
):
    people = guardians(school.division, count)
    message = send(
        school,
        school.direction,
        recipients=[person.pk for person in people],
        read_receipt=True,
    )
    log_in(client, school.direction)
    url = reverse("messaging:receipts", args=[message.pk])
    client.get(url)

    with django_assert_num_queries(RECEIPTS_QUERIES):
        response = client.get(url)

    assert response.status_code == 200


# -- The badge of the menu -------------------------------------------------------------------


def test_the_menu_loads_the_unread_count(client, school, django_assert_num_queries):
    for _ in range(3):
        send(school, school.teacher, recipients=[school.mother.person_id])
    log_in(client, school.mother)

    home = client.get(reverse("portal:home")).content.decode()
    with django_assert_num_queries(BADGE_QUERIES):
        badge = client.get(BADGE).content.decode()

    assert f'hx-get="{BADGE}"' in home
    assert 'data-count="3"' in badge
    assert 'aria-label="3 messages non lus"' in badge


def test_the_badge_is_empty_when_signed_out(client):
    assert client.get(BADGE).content == b""
