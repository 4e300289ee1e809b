"""Getting in (access.md): one login page, one step, identifier and password."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from preau.accounts.models import Account
from tests.conftest import log_in
from tests.factories import PASSWORD, AccountFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
WRONG = (
    "Identifiant ou mot de passe incorrect. Vérifiez votre saisie, ou utilisez "
    "« Mot de passe oublié »."
)


def signed_in_account_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("accept_language", ["fr-FR", "en-GB,en;q=0.9", "de"])
def test_the_login_page_is_in_french_whatever_the_browser_asks(client, accept_language):
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="fr">' in content
    for text in [
        "Connexion",
        "Identifiant",
        "Mot de passe",
        "Rester connecté",
        "Se connecter",
        "Mot de passe oublié ?",
    ]:
        assert text in content
    assert 'name="remember"' in content
    assert 'autocomplete="current-password"' in content


def test_a_wrong_password_is_refused_in_french_and_opens_no_session(client):
    account = AccountFactory()
    response = client.post(LOGIN, {"username": account.login, "password": "pas-le-bon"})
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_an_unknown_identifier_gets_the_same_answer_as_a_wrong_password(client):
    response = client.post(LOGIN, {"username": "personne", "password": PASSWORD})
    assert WRONG in response.content.decode()
    assert signed_in_account_id(client) is None


@pytest.mark.parametrize("typed", ["Camille.Martin", "CAMILLE.MARTIN", "  camille.martin  "])
def test_the_identifier_is_compared_without_case_or_surrounding_spaces(client, typed):
    account = AccountFactory(login="camille.martin")
    response = client.post(LOGIN, {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert signed_in_account_id(client) == str(account.pk)


def test_logins_are_stored_folded_so_two_accounts_cannot_differ_by_case():
    account = Account.objects.create_user("Camille.Martin", PASSWORD)
    assert account.login == "camille.martin"
    assert Account.objects.get_by_natural_key(" CAMILLE.martin") == account


def test_the_password_is_case_sensitive(client):
    account = AccountFactory()
    client.post(LOGIN, {"username": account.login, "password": PASSWORD.upper()})
    assert signed_in_account_id(client) is None


def test_a_deactivated_account_cannot_sign_in(client):
    account = AccountFactory(is_active=False)
    response = client.post(LOGIN, {"username": account.login, "password": PASSWORD})
    assert response.status_code == 200
    assert signed_in_account_id(client) is None


def test_signing_in_goes_back_to_the_page_asked_but_never_to_another_site(client):
    account = AccountFactory()
    response = client.post(
        f"{LOGIN}?next=/a-propos/",
        {"username": account.login, "password": PASSWORD, "next": "/a-propos/"},
    )
    assert response["Location"] == "/a-propos/"
    client.post(reverse("accounts:logout"))
    response = client.post(
        LOGIN, {"username": account.login, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:home")


def test_the_first_sign_in_activates_the_account(client):
    account = AccountFactory(activated_at=None)
    log_in(client, account)
    account.refresh_from_db()
    assert account.activated_at is not None
    assert account.last_login is not None


def test_a_signed_in_person_asking_for_the_login_page_goes_home(client):
    log_in(client, AccountFactory())
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


def test_signing_out_is_post_only_and_ends_the_session(client):
    account = AccountFactory()
    log_in(client, account)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    refused = client.get(reverse("accounts:logout"))
    assert refused.status_code == 405
    assert signed_in_account_id(client) == str(account.pk)

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not Session.objects.filter(pk=key).exists()
    assert client.get(reverse("portal:home")).status_code == 302
    page = client.get(LOGIN)
    assert "Vous êtes déconnecté." in page.content.decode()
