"""Limits on failed logins, per account and per client address: only failures count,
and once the limit is reached even the right password is refused until the window ends."""

import re
import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse

from preau.core.http import client_address
from tests.factories import PASSWORD, AccountFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LOCKED = re.compile(r"Trop de tentatives de connexion\. Réessayez dans (\d+) minutes?\.")


@pytest.fixture(autouse=True)
def _counting_clock_stands_still(monkeypatch):
    """Failures are counted over fixed windows: the counter's clock stands still during
    a test, so that no window ends half-way through it."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


def attempt(client, login: str, password: str, **extra):
    return client.post(LOGIN, {"username": login, "password": password}, **extra)


def signed_in(response) -> bool:
    return response.status_code == 302 and settings.SESSION_COOKIE_NAME in response.cookies


def minutes_left(response) -> int | None:
    found = LOCKED.search(response.content.decode())
    return int(found.group(1)) if found else None


@pytest.fixture
def three_per_account(settings):
    settings.PREAU_LOGIN_FAILURES_PER_ACCOUNT = "3/15m"
    settings.PREAU_LOGIN_FAILURES_PER_ADDRESS = "1000/15m"


@pytest.fixture
def three_per_address(settings):
    settings.PREAU_LOGIN_FAILURES_PER_ACCOUNT = "1000/15m"
    settings.PREAU_LOGIN_FAILURES_PER_ADDRESS = "3/15m"


@pytest.mark.usefixtures("three_per_account")
def test_after_n_failures_even_the_right_password_is_refused(client):
    account = AccountFactory()
    for _ in range(2):
        assert minutes_left(attempt(client, account.login, "faux")) is None
    third = attempt(client, account.login, "faux")
    assert minutes_left(third) is None  # the third failure is still an ordinary refusal

    locked = attempt(client, account.login, PASSWORD)

    assert locked.status_code == 200
    assert 1 <= minutes_left(locked) <= 15
    assert not signed_in(locked)
    assert not Session.objects.exists()


@pytest.mark.usefixtures("three_per_account")
def test_the_account_limit_ignores_the_case_of_the_identifier(client):
    account = AccountFactory(login="camille.martin")
    for typed in ["Camille.Martin", "CAMILLE.MARTIN", " camille.martin"]:
        attempt(client, typed, "faux")
    assert minutes_left(attempt(client, "camille.martin", PASSWORD)) is not None
    account.refresh_from_db()
    assert account.last_login is None


@pytest.mark.usefixtures("three_per_account")
def test_a_locked_account_does_not_lock_the_others_nor_other_addresses_out_of_it(client):
    locked, other = AccountFactory(), AccountFactory()
    for _ in range(3):
        attempt(client, locked.login, "faux")
    assert signed_in(attempt(Client(), other.login, PASSWORD))
    # The account is locked wherever the attempts come from: that is the point.
    assert minutes_left(attempt(client, locked.login, PASSWORD, REMOTE_ADDR="198.51.100.9"))


@pytest.mark.usefixtures("three_per_account")
def test_a_success_does_not_count_as_a_failure(client):
    account = AccountFactory()
    for _ in range(2):
        attempt(client, account.login, "faux")
    for _ in range(3):
        assert signed_in(attempt(client, account.login, PASSWORD))
        client.post(reverse("accounts:logout"))
    assert signed_in(attempt(client, account.login, PASSWORD))


@pytest.mark.usefixtures("three_per_address")
def test_after_n_failures_from_one_address_every_account_is_refused_from_it(client):
    accounts = [AccountFactory() for _ in range(4)]
    for account in accounts[:3]:
        attempt(client, account.login, "faux", REMOTE_ADDR="203.0.113.7")

    refused = attempt(client, accounts[3].login, PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert minutes_left(refused) is not None
    assert not signed_in(refused)

    elsewhere = attempt(client, accounts[3].login, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert signed_in(elsewhere)


@pytest.mark.usefixtures("three_per_address")
def test_a_form_sent_without_identifier_is_not_a_failed_sign_in(client):
    for _ in range(3):
        attempt(client, "", "faux", REMOTE_ADDR="203.0.113.7")
    response = attempt(client, AccountFactory().login, PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert signed_in(response)


@pytest.mark.usefixtures("three_per_address")
def test_behind_a_trusted_proxy_each_client_is_counted_apart(client, settings):
    settings.PREAU_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for account in [AccountFactory() for _ in range(3)]:
        attempt(client, account.login, "faux", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    account = AccountFactory()
    assert minutes_left(
        attempt(client, account.login, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    )
    assert signed_in(
        attempt(client, account.login, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy)
    )


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "203.0.113.7", "10.0.0.1"),  # without a trusted proxy the header is a lie
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client forged the first entry
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1"),  # fewer entries than proxies: not trusted
    ],
)
def test_the_client_address_is_read_through_trusted_proxies_only(
    settings, trusted, forwarded, expected
):
    settings.PREAU_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
