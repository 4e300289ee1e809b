"""E-mail notifications: what they say (never the message), quiet hours, chunks,
claims, failures retried with a back-off, and nothing lost (through the test outbox;
test_smtp.py does the same over a real SMTP server)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import override_settings

from preau.accounts.models import NotificationPreference
from preau.messaging import notices, policy, services, tasks
from preau.messaging.models import NotifyState, Recipient
from tests.messaging.conftest import weekday_at
from tests.messaging.support import School, guardians

pytestmark = pytest.mark.django_db

DOWN = "tests.messaging.support.DownBackend"
PICKY = "tests.messaging.support.PickyBackend"
SECRET = "Le conseil de discipline de Emma aura lieu lundi"


@pytest.fixture
def school():
    return School()


def send(school, actor=None, capture=None, **fields):
    fields.setdefault("subject", "Convocation confidentielle")
    fields.setdefault("body", f"<p>{SECRET}.</p>")
    fields.setdefault("recipients", [school.mother.person_id, school.father.person_id])
    call = lambda: services.message_send(  # noqa: E731
        actor=actor or school.direction, establishment=school.establishment, **fields
    )
    if capture is None:
        return call()
    with capture(execute=True):
        return call()


def states(message) -> dict[int, str]:
    return dict(Recipient.objects.filter(message=message).values_list("person_id", "notify_state"))


def test_each_recipient_gets_a_link_never_the_message(
    school, mailoutbox, django_capture_on_commit_callbacks
):
    message = send(school, capture=django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [school.mother.person.email, school.father.person.email]
    )
    mail = mailoutbox[0]
    sender = school.direction.person
    assert mail.subject == f"Nouveau message de {sender.first_name} {sender.last_name} dans Préau"
    assert notices.message_url(message.pk) in mail.body
    assert notices.message_url(message.pk).startswith("http://localhost:8000/messagerie/")
    assert mail.body.count("http://") == 1
    for secret in (SECRET, "Convocation", "conseil de discipline"):
        assert secret not in mail.subject
        assert secret not in mail.body
    assert mail.extra_headers["Auto-Submitted"] == "auto-generated"
    rows = Recipient.objects.filter(message=message)
    assert {row.notify_state for row in rows} == {NotifyState.SENT}
    assert all(row.notified_at is not None and row.notify_attempts == 1 for row in rows)


def test_recipients_without_an_address_are_skipped(
    school, mailoutbox, django_capture_on_commit_callbacks
):
    school.father.person.email = ""
    school.father.person.save()

    message = send(school, capture=django_capture_on_commit_callbacks)

    assert [m.to[0] for m in mailoutbox] == [school.mother.person.email]
    assert states(message)[school.father.person_id] == NotifyState.SKIPPED


def test_wants_email_is_the_one_place_deciding_who_gets_one(school):
    school.father.person.email = ""
    school.father.person.save()

    wanted = notices._wants_email([school.mother.person_id, school.father.person_id])

    assert wanted == {school.mother.person_id}


def test_a_person_who_turned_message_emails_off_is_skipped(
    school, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(person=school.father.person, messages=False)

    message = send(school, capture=django_capture_on_commit_callbacks)

    assert [m.to[0] for m in mailoutbox] == [school.mother.person.email]
    assert states(message)[school.father.person_id] == NotifyState.SKIPPED
    # The message itself is in his inbox all the same.
    assert Recipient.objects.filter(message=message, person=school.father.person).exists()


def test_quiet_hours_hold_the_family_notifications_until_seven(
    school, clock, mailoutbox, django_capture_on_commit_callbacks
):
    clock.set(weekday_at(2, 21))
    message = send(
        school,
        capture=django_capture_on_commit_callbacks,
        recipients=[school.mother.person_id, school.teacher.person_id],
    )

    # The teacher is notified at once; the mother has the message in her inbox.
    assert [m.to[0] for m in mailoutbox] == [school.teacher.person.email]
    assert states(message)[school.mother.person_id] == NotifyState.DEFERRED
    clock.set(weekday_at(3, 6, 59))
    tasks.sweep_notifications.delay()
    assert len(mailoutbox) == 1

    clock.set(weekday_at(3, 7, 1))
    tasks.sweep_notifications.delay()

    assert [m.to[0] for m in mailoutbox][1:] == [school.mother.person.email]
    assert states(message)[school.mother.person_id] == NotifyState.SENT


def test_a_failed_notification_is_retried_with_a_back_off(school, clock, mailoutbox):
    with override_settings(EMAIL_BACKEND=DOWN):
        message = send(school)
        notices.fan_out(message.pk)
        row = Recipient.objects.get(message=message, person_id=school.mother.person_id)
        assert (row.notify_state, row.notify_attempts) == (NotifyState.FAILED, 1)
        assert row.notify_after == clock() + timedelta(minutes=1)
        assert "injoignable" in row.last_error
        # Not before its time.
        clock.advance(seconds=30)
        notices.sweep()
        row.refresh_from_db()
        assert row.notify_attempts == 1
        clock.advance(seconds=31)
        notices.sweep()
        row.refresh_from_db()
        assert (row.notify_state, row.notify_attempts) == (NotifyState.FAILED, 2)
        assert row.notify_after == clock() + timedelta(minutes=2)

    clock.advance(minutes=2)
    notices.sweep()

    row.refresh_from_db()
    assert (row.notify_state, row.notify_attempts) == (NotifyState.SENT, 3)
    assert row.last_error == ""
    assert len(mailoutbox) == 2


@override_settings(EMAIL_BACKEND=DOWN)
def test_attempts_stop_at_the_maximum_and_the_error_stays_visible(school, clock):
    message = send(school)
    notices.fan_out(message.pk)
    for _ in range(policy.MAX_ATTEMPTS + 2):
        clock.advance(hours=1, seconds=1)
        notices.sweep()

    row = Recipient.objects.get(message=message, person_id=school.mother.person_id)
    assert (row.notify_state, row.notify_attempts) == (NotifyState.FAILED, policy.MAX_ATTEMPTS)
    assert row.notify_after is None
    assert "Connection refused" in row.last_error


@override_settings(EMAIL_BACKEND=PICKY)
def test_a_refused_address_fails_alone(school, mailoutbox):
    school.father.person.email = "refuse@exemple.fr"
    school.father.person.save()
    message = send(school)

    notices.fan_out(message.pk)

    assert [m.to[0] for m in mailoutbox] == [school.mother.person.email]
    assert states(message) == {
        school.mother.person_id: NotifyState.SENT,
        school.father.person_id: NotifyState.FAILED,
    }
    assert "refuse@exemple.fr" in Recipient.objects.get(person=school.father.person).last_error


def test_a_broker_away_at_the_commit_loses_nothing(
    school, clock, mailoutbox, django_capture_on_commit_callbacks
):
    with mock.patch.object(tasks.notify_message, "delay", side_effect=OSError("broker down")):
        message = send(school, capture=django_capture_on_commit_callbacks)
    assert set(states(message).values()) == {NotifyState.PENDING}
    assert mailoutbox == []
    # Just after, the sweep leaves them to their task…
    notices.sweep()
    assert mailoutbox == []

    clock.advance(minutes=6)
    notices.sweep()

    assert len(mailoutbox) == 2
    assert set(states(message).values()) == {NotifyState.SENT}


def test_a_claim_left_by_a_dead_worker_lapses_and_is_sent_again(school, clock, mailoutbox):
    message = send(school)
    ids = list(Recipient.objects.filter(message=message).values_list("pk", flat=True))
    assert notices._claim(ids, clock()) == ids  # and the worker dies here
    notices.sweep()
    assert mailoutbox == []

    clock.advance(minutes=11)
    notices.sweep()

    assert len(mailoutbox) == 2


def test_delivering_twice_sends_once(school, mailoutbox):
    message = send(school)
    ids = list(Recipient.objects.filter(message=message).values_list("pk", flat=True))

    assert notices.deliver(ids) == 2
    assert notices.deliver(ids) == 0
    assert len(mailoutbox) == 2


def test_notifications_fan_out_in_chunks(school, mailoutbox, monkeypatch):
    extra = guardians(school.division, 7)
    monkeypatch.setattr(notices, "CHUNK", 3)
    message = send(school, audiences=[("division_guardians", school.division.pk)], recipients=[])
    chunks = []
    monkeypatch.setattr(tasks.send_notifications, "delay", lambda ids: chunks.append(ids))

    assert notices.fan_out(message.pk) == 4

    assert [len(chunk) for chunk in chunks] == [3, 3, 3, 1]  # 3 + 7 guardians
    assert {pk for chunk in chunks for pk in chunk} == set(
        Recipient.objects.filter(message=message).values_list("pk", flat=True)
    )
    assert len(extra) == 7


@pytest.mark.parametrize("families", [2, 25])
def test_a_chunk_takes_a_fixed_number_of_queries(school, families, django_assert_num_queries):
    guardians(school.division, families)
    message = send(school, audiences=[("division_guardians", school.division.pk)], recipients=[])
    ids = list(Recipient.objects.filter(message=message).values_list("pk", flat=True))

    with django_assert_num_queries(7):
        notices.deliver(ids)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_another_worker_holds_are_skipped_never_sent_twice(mailoutbox, monkeypatch):
    """Two workers on one chunk: the rows the first holds (locked while it sends) are
    skipped by the second, which sends the others."""
    import threading

    from django.db import connection, transaction

    school = School()
    # The commit queues nothing: the test plays the workers.
    monkeypatch.setattr(notices, "enqueue_message", lambda message_id: None)
    message = services.message_send(
        actor=school.direction,
        establishment=school.establishment,
        subject="Sortie",
        body="<p>Jeudi.</p>",
        recipients=[school.mother.person_id, school.father.person_id],
    )
    mother_row, father_row = (
        Recipient.objects.get(message=message, person_id=account.person_id).pk
        for account in (school.mother, school.father)
    )
    locked, release = threading.Event(), threading.Event()

    def first_worker():
        try:
            with transaction.atomic():
                list(Recipient.objects.select_for_update().filter(pk=mother_row))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert locked.wait(10)
        sent = notices.deliver([mother_row, father_row])
    finally:
        release.set()
        thread.join()

    assert sent == 1
    assert [m.to[0] for m in mailoutbox] == [school.father.person.email]
    assert Recipient.objects.get(pk=mother_row).notify_state == NotifyState.PENDING
