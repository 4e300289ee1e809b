"""Two browsers activating with the same letter at the same moment (PostgreSQL): the
code and its account are locked, so one activation wins and the other is told to
start again; the account ends with one password, the code used once."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from preau.accounts.models import Account, ActivationCode
from preau.audit.models import AuditEvent
from tests.accounts.support import School
from tests.accounts.test_activation import issue

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent connections and row locks",
    ),
]

TIMEOUT = 20


def test_one_code_activates_once_even_at_the_same_moment():
    school = School()
    code = issue(school, school.father)[0]
    browsers = [Client(REMOTE_ADDR=f"192.0.2.{n}") for n in (1, 2)]
    for browser in browsers:
        response = browser.post(
            reverse("accounts:activate"), {"login": school.father.login, "code": code}
        )
        assert response.status_code == 302
    passwords = ["Marronnier-Préau-2027", "Tilleul-Préau-2028"]
    start = threading.Barrier(2)
    answers: list = [None, None]

    def activate(index: int) -> None:
        try:
            start.wait(TIMEOUT)
            answers[index] = browsers[index].post(
                reverse("accounts:activate_password"),
                {
                    "email": "julien.roche@exemple.fr",
                    "new_password1": passwords[index],
                    "new_password2": passwords[index],
                },
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "activations deadlocked"

    homes = [a for a in answers if a["Location"] == reverse("portal:home")]
    again = [a for a in answers if a["Location"] == reverse("accounts:activate")]
    assert (len(homes), len(again)) == (1, 1)
    account = Account.objects.get(pk=school.father.pk)
    winner = answers.index(homes[0])
    assert account.check_password(passwords[winner])
    assert not account.check_password(passwords[1 - winner])
    assert ActivationCode.objects.get(account=account).used_at is not None
    assert AuditEvent.objects.filter(action="account.activate").count() == 1
