"""Issue 7: a 200,000-character message to every guardian of a collège (about 1,000)
answers in under a second, in a number of queries that does not depend on the number
of recipients. The time is asserted generously (3 s, shared CI machines); bench/
messaging.py prints the real figures."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from preau.messaging import services
from preau.messaging.models import Message, Recipient
from tests.messaging.support import School, bulk_families

pytestmark = pytest.mark.django_db

BODY = (
    "<p>" + ("Madame, Monsieur, voici les informations de la rentrée. " * 3600)[:199_993] + "</p>"
)


def send_to_every_guardian(school):
    return services.message_send(
        actor=school.direction,
        establishment=school.establishment,
        subject="Rentrée",
        body=BODY,
        kind="information",
        read_receipt=True,
        audiences=[("establishment_guardians", None)],
    )


def queries_of_sending(school) -> tuple[int, float, Message]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        message = send_to_every_guardian(school)
        elapsed = time.perf_counter() - started
    return len(queries), elapsed, message


def test_a_long_message_to_a_thousand_guardians_is_quick_and_its_queries_fixed():
    small = School()
    few, _elapsed, _message = queries_of_sending(small)

    school = School()
    bulk_families(school.division, 1_000)
    many, elapsed, message = queries_of_sending(school)

    assert len(BODY) == 200_000
    assert message.recipient_count == 1_004
    assert Recipient.objects.filter(message=message).count() == 1_004
    assert many == few == 10
    print(f"sending to {message.recipient_count} guardians: {elapsed:.3f} s, {many} queries")
    assert elapsed < 3.0, f"sending took {elapsed:.2f} s"
