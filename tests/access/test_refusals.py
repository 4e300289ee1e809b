"""The log of refusals (docs/access.md, "Refusals"): every 404 for something not visible
is written on "preau.access" as one line saying what was asked, by which account and
from where — never what the object holds, and never a line a URL could forge."""

import logging

import pytest

from preau.core.access import LOGGED_IDENTIFIER_LENGTH, loggable
from tests.conftest import log_in
from tests.factories import AccountFactory, DivisionFactory, guardian_account, pupil_in


@pytest.mark.parametrize(
    ("identifier", "logged"),
    [
        (42, "42"),
        ("/notes/", "/notes/"),
        ("période-3", "période-3"),
        ([3, 4], "[3, 4]"),
        ("1\nrefused pupil 7", "1\\nrefused pupil 7"),
        ("a\r\tb\x1b[31m", "a\\r\\tb\\x1b[31m"),
        ("x\u2028y", "x\\u2028y"),
        ("9" * 200, "9" * LOGGED_IDENTIFIER_LENGTH + "…"),
    ],
)
def test_an_identifier_is_logged_as_one_printable_line(identifier, logged):
    assert loggable(identifier) == logged


def refusals(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "preau.access"]


@pytest.mark.django_db
def test_a_value_from_the_url_cannot_forge_a_line_of_the_log(client, caplog):
    guardian = guardian_account(pupil_in(DivisionFactory()))
    log_in(client, guardian)
    caplog.set_level(logging.INFO, logger="preau.access")

    response = client.get("/notes/moyennes/", {"periode": "1\nrefused pupil 7 to account 1"})

    assert response.status_code == 404
    (message,) = refusals(caplog)
    assert "\n" not in message
    assert message.startswith(
        f"refused période 1\\nrefused pupil 7 to account 1 to account {guardian.pk}"
    )


@pytest.mark.django_db
def test_an_account_attached_to_nobody_gets_a_logged_404_from_me(client, caplog):
    nobody = AccountFactory(person=None)
    log_in(client, nobody)
    caplog.set_level(logging.INFO, logger="preau.access")

    response = client.get("/api/v1/me")

    assert response.status_code == 404
    assert refusals(caplog) == [
        f"refused person of account {nobody.pk} to account {nobody.pk} from 127.0.0.1"
    ]


@pytest.mark.django_db
def test_the_api_answers_401_to_nobody_signed_in(client, caplog):
    caplog.set_level(logging.INFO, logger="preau.access")

    assert client.get("/api/v1/me").status_code == 401
    assert refusals(caplog) == []
