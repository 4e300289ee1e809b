"""The production path: real Celery workers consuming a Redis broker deliver a
message's notifications over real SMTP — and with the worker and the mail server
both stopped when the message is sent, nothing is lost: the message is in the
inboxes at once, and the notifications go out once both are back.

Needs `REDIS_URL` (CI exports redis://127.0.0.1:6379/0). Without it the tests are
skipped, except under `CI=true`, where they fail if Redis does not answer: CI cannot
go green without running them.
"""

import contextlib
import os
import time
import uuid

import pytest

from preau.messaging import selectors, services, tasks
from preau.messaging.models import NotifyState, Recipient
from tests.messaging.support import School, SmtpServer

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    ci = os.environ.get("CI", "").lower() == "true"
    if not url and not ci:
        pytest.skip("REDIS_URL is not set: the Redis worker tests are skipped (CI runs them)")
    url = url or DEFAULT_URL
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.exceptions.RedisError as error:
        pytest.fail(f"Redis does not answer at {url}: {error}")
    return url


def forget_broker(app) -> None:
    """Drop the connections, queues and routes made for the previous configuration
    (earlier tests ran tasks eagerly with the default queue)."""
    app._pool = None
    app.__dict__.pop("amqp", None)


@pytest.fixture
def worker():
    """Points the Celery app at the Redis of REDIS_URL, on a queue of its own, and
    returns a context manager running a worker thread on it."""
    from celery.contrib.testing.worker import start_worker

    from preau.config.celery import app

    url = redis_url()
    queue = f"preau-test-{uuid.uuid4().hex[:12]}"
    names = ("broker_url", "task_always_eager", "task_default_queue", "broker_transport_options")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(
        broker_url=url,
        task_always_eager=False,
        task_default_queue=queue,
        broker_transport_options={},
    )
    forget_broker(app)

    @contextlib.contextmanager
    def running():
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
            queues=[queue],
        ):
            yield

    try:
        yield running
    finally:
        app.conf.update(saved)
        forget_broker(app)
        import redis

        redis.Redis.from_url(url).delete(queue)


@pytest.fixture
def smtp():
    server = SmtpServer()
    with server.settings():
        yield server
    server.stop()


def wait_for(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def send(school):
    # Committed at once (no outer transaction): the commit queues the fan-out in Redis.
    return services.message_send(
        actor=school.direction,
        establishment=school.establishment,
        subject="Réunion parents-professeurs",
        body="<p>Jeudi à 18 h.</p>",
        audiences=[("division_guardians", school.division.pk)],
    )


def states(message) -> set[str]:
    return set(Recipient.objects.filter(message=message).values_list("notify_state", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_delivers_the_notifications(worker, smtp):
    school = School()
    smtp.start()

    with worker():
        message = send(school)
        assert wait_for(lambda: states(message) == {NotifyState.SENT})

    assert sorted(mail["To"] for mail in smtp.inbox.received) == sorted(
        [school.mother.person.email, school.father.person.email, school.hugo_father.person.email]
    )


@pytest.mark.django_db(transaction=True)
def test_with_the_worker_and_the_mail_server_stopped_nothing_is_lost(worker, smtp, clock):
    school = School()

    # Neither a worker nor a mail server.
    message = send(school)

    for guardian in (school.mother, school.father, school.hugo_father):
        assert selectors.unread_count(person_id=guardian.person_id) == 1
    assert states(message) == {NotifyState.PENDING}

    # The worker comes back: the queued task runs, the mail server is still away.
    with worker():
        assert wait_for(lambda: states(message) == {NotifyState.FAILED})
    assert smtp.inbox.received == []

    # The mail server comes back, then the worker with its periodic sweep.
    smtp.start()
    clock.advance(minutes=1, seconds=1)
    with worker():
        tasks.sweep_notifications.delay()
        assert wait_for(lambda: states(message) == {NotifyState.SENT})

    assert len(smtp.inbox.received) == 3
    assert {mail["To"] for mail in smtp.inbox.received} == {
        school.mother.person.email,
        school.father.person.email,
        school.hugo_father.person.email,
    }
