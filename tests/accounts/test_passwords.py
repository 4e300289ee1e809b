"""Passwords: changed by their owner, reset by e-mail from an identifier or an address
(the answer never tells whether an account exists), stored with Argon2."""

import importlib
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from preau.audit.models import AuditEvent
from tests.conftest import log_in
from tests.factories import PASSWORD, AccountFactory, PersonFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Marronnier-Préau-2027"
RESET = reverse("accounts:password_reset")
RESET_DONE = reverse("accounts:password_reset_done")
LINK = re.compile(r"http://testserver(/mot-de-passe-oublie/[^/\s]+/[^/\s]+/)")


def can_sign_in(client, account, password) -> bool:
    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": account.login, "password": password}
    )
    return response.status_code == 302


# -- Change -------------------------------------------------------------------------------


def test_changing_ones_password_keeps_one_signed_in_and_is_recorded(client):
    account = AccountFactory()
    log_in(client, account)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")
    page = client.get(reverse("accounts:account"))
    assert page.status_code == 200
    assert "Votre mot de passe a été changé." in page.content.decode()
    event = AuditEvent.objects.get(action="account.password_change")
    assert event.actor == account
    assert event.object_id == str(account.pk)
    assert can_sign_in(client, account, NEW_PASSWORD)
    assert not can_sign_in(client, account, PASSWORD)


def test_the_old_password_must_be_given(client):
    account = AccountFactory()
    log_in(client, account)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "faux", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="account.password_change").exists()
    assert can_sign_in(client, account, PASSWORD)


def test_a_weak_new_password_is_refused_in_french(client):
    account = AccountFactory()
    log_in(client, account)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"},
    )
    assert response.status_code == 200
    assert "Ce mot de passe est trop court" in response.content.decode()
    assert can_sign_in(client, account, PASSWORD)


def test_changing_the_password_needs_to_be_signed_in(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# -- Reset by e-mail ----------------------------------------------------------------------


def ask_for_a_reset(client, django_capture_on_commit_callbacks, typed: str):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(RESET, {"email": typed})


@pytest.mark.parametrize(
    "typed",
    ["camille.martin", "  CAMILLE.Martin ", "camille@exemple.fr", "Camille@EXEMPLE.fr"],
    ids=["identifier", "identifier in any case", "address", "address in any case"],
)
def test_a_reset_asked_by_identifier_or_address_sends_exactly_one_mail(
    client, mailoutbox, django_capture_on_commit_callbacks, typed
):
    AccountFactory(login="camille.martin", person=PersonFactory(email="camille@exemple.fr"))
    response = ask_for_a_reset(client, django_capture_on_commit_callbacks, typed)

    assert response.status_code == 302
    assert response["Location"] == RESET_DONE
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["camille@exemple.fr"]
    assert mail.subject == "Préau : choisir un nouveau mot de passe"
    assert "« camille.martin »" in mail.body
    assert LINK.search(mail.body)


def test_the_mail_leaves_only_once_the_request_is_committed(client, mailoutbox):
    AccountFactory(login="camille.martin")
    client.post(RESET, {"email": "camille.martin"})
    # Without a commit (the test transaction never commits), nothing was sent.
    assert mailoutbox == []


def test_the_link_in_the_mail_sets_a_new_password_once(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    account = AccountFactory(activated_at=None)
    ask_for_a_reset(client, django_capture_on_commit_callbacks, account.login)
    path = LINK.search(mailoutbox[0].body).group(1)

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert "Choisir un nouveau mot de passe" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert account.activated_at is not None
    event = AuditEvent.objects.get(action="account.password_reset")
    assert event.actor == account
    again = client.get(path, follow=True)
    assert "Ce lien n'est plus valable" in again.content.decode()
    assert can_sign_in(client, account, NEW_PASSWORD)


@pytest.mark.parametrize("typed", ["inconnu", "inconnu@exemple.fr"], ids=["identifier", "address"])
def test_an_unknown_identifier_or_address_gets_the_same_answer_and_no_mail(
    client, mailoutbox, django_capture_on_commit_callbacks, typed
):
    AccountFactory()
    response = ask_for_a_reset(client, django_capture_on_commit_callbacks, typed)
    assert response.status_code == 302
    assert response["Location"] == RESET_DONE
    assert mailoutbox == []
    assert "Vérifiez votre messagerie" in client.get(RESET_DONE).content.decode()


@pytest.mark.parametrize(
    "account_fields",
    [
        {"person": None},
        {"is_active": False},
        {"password": None},
    ],
    ids=["no address", "deactivated", "no usable password"],
)
def test_accounts_that_cannot_be_reset_by_mail_get_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks, account_fields
):
    AccountFactory(login="camille.martin", **account_fields)
    response = ask_for_a_reset(client, django_capture_on_commit_callbacks, "camille.martin")
    assert response["Location"] == RESET_DONE
    assert mailoutbox == []


def test_the_reset_page_is_in_french(client):
    content = client.get(RESET).content.decode()
    assert "Identifiant ou adresse électronique" in content
    assert "Recevoir le lien" in content


# -- Hashing ------------------------------------------------------------------------------


def test_the_real_settings_hash_with_argon2_first():
    base = importlib.import_module("preau.config.settings.base")
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_stored_passwords_are_argon2_hashes(client):
    account = AccountFactory()
    assert account.password.startswith("argon2$argon2id$")
    assert PASSWORD not in account.password


def test_an_older_hash_is_upgraded_to_argon2_at_the_next_sign_in(client, settings):
    settings.PASSWORD_HASHERS = [
        "preau.accounts.hashers.FastArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    account = AccountFactory(password=None)
    account.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    account.save()

    log_in(client, account)

    account.refresh_from_db()
    assert account.password.startswith("argon2$")


def test_too_many_reset_requests_from_one_address_are_refused_and_send_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PREAU_PASSWORD_RESETS_PER_ADDRESS = "3/h"
    AccountFactory(login="camille.martin")
    for _ in range(3):
        ask_for_a_reset(client, django_capture_on_commit_callbacks, "inconnu")
    refused = ask_for_a_reset(client, django_capture_on_commit_callbacks, "camille.martin")
    assert refused.status_code == 200
    assert "Trop de demandes depuis cette connexion." in refused.content.decode()
    assert mailoutbox == []
    # Another address is not concerned.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESET, {"email": "camille.martin"}, REMOTE_ADDR="198.51.100.9")
    assert len(mailoutbox) == 1


def test_a_new_password_signs_out_the_other_sessions(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    account = AccountFactory()
    other_device = Client()
    log_in(other_device, account)
    assert other_device.get(reverse("portal:home")).status_code == 200

    ask_for_a_reset(client, django_capture_on_commit_callbacks, account.login)
    path = LINK.search(mailoutbox[0].body).group(1)
    form_page = client.get(path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    response = other_device.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
