"""Notifications over real SMTP: an aiosmtpd server started by the test on a free
port receives what Préau sends through Django's SMTP backend; stopped, it makes the
notifications fail and wait, and once it is back the sweep delivers them — the
message was in the inboxes all along."""

import pytest

from preau.messaging import notices, selectors, services
from preau.messaging.models import NotifyState, Recipient
from tests.messaging.support import School, SmtpServer

pytestmark = pytest.mark.django_db

BODY = "Votre enfant sera reçu par le médecin scolaire mardi à 10 h."


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    with server.settings():
        yield server
    server.stop()


@pytest.fixture
def school():
    return School()


def send(school):
    return services.message_send(
        actor=school.cpe,
        establishment=school.establishment,
        subject="Visite médicale",
        body=f"<p>{BODY}</p>",
        kind="information",
        recipients=[school.mother.person_id, school.father.person_id],
    )


def test_notifications_arrive_over_smtp_with_a_link_and_without_the_message(
    smtp, school, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = send(school)

    received = smtp.inbox.received
    assert sorted(mail["To"] for mail in received) == sorted(
        [school.mother.person.email, school.father.person.email]
    )
    assert {rcpt for envelope in smtp.inbox.envelopes for rcpt in envelope.rcpt_tos} == {
        school.mother.person.email,
        school.father.person.email,
    }
    mail = received[0]
    cpe = school.cpe.person
    assert mail["Subject"] == f"Nouveau message de {cpe.first_name} {cpe.last_name} dans Préau"
    text = mail.get_content()
    assert str(message.pk) in text
    assert "http://" in text
    assert "médecin" not in text
    assert "Visite médicale" not in text
    assert "Visite médicale" not in mail["Subject"]
    assert set(
        Recipient.objects.filter(message=message).values_list("notify_state", flat=True)
    ) == {NotifyState.SENT}


def test_a_mail_server_away_loses_nothing(smtp, school, clock, django_capture_on_commit_callbacks):
    smtp.stop()

    with django_capture_on_commit_callbacks(execute=True):
        message = send(school)

    # The message is in the inboxes; the notifications failed and wait.
    for guardian in (school.mother, school.father):
        page = selectors.inbox_page(person_id=guardian.person_id)
        assert [row.message.pk for row in page.rows] == [message.pk]
    rows = Recipient.objects.filter(message=message)
    assert {row.notify_state for row in rows} == {NotifyState.FAILED}
    assert all("injoignable" in row.last_error for row in rows)
    assert smtp.inbox.received == []

    smtp.start()
    clock.advance(minutes=1, seconds=1)
    notices.sweep()

    assert sorted(mail["To"] for mail in smtp.inbox.received) == sorted(
        [school.mother.person.email, school.father.person.email]
    )
    rows = Recipient.objects.filter(message=message)
    assert {(row.notify_state, row.notify_attempts) for row in rows} == {(NotifyState.SENT, 2)}
    # And nothing goes twice.
    clock.advance(hours=2)
    notices.sweep()
    assert len(smtp.inbox.received) == 2
