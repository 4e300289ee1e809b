"""Getting in (access.md): one login page, the home page of each demo account, staying
signed in, signing out, the forgotten password."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DEMO_ACCOUNTS, HOME

HOME_HEADINGS = {"admin": "Bienvenue sur Préau", "region": "Administration régionale"}
DAY = 24 * 3600


def session_cookie(page):
    return next(c for c in page.context.cookies() if c["name"] == "preau_session")


@pytest.mark.parametrize("login", DEMO_ACCOUNTS)
def test_each_demo_account_lands_on_its_home_page(page, log_in, login):
    log_in(page, login)

    expect(page).to_have_url(HOME)
    heading = page.locator("main#contenu h1")
    expect(heading).to_have_count(1)
    if login in HOME_HEADINGS:
        expect(heading).to_have_text(HOME_HEADINGS[login])
    else:
        expect(heading).to_have_text(re.compile(r"^Bonjour \S"))
    expect(page.locator(".alert--error, .error")).to_have_count(0)
    expect(page.locator("#user-menu")).to_be_visible()


def test_a_wrong_password_is_refused_in_french(page, axe_check):
    page.goto("/connexion/")
    axe_check(page)
    page.locator("#id_username").fill("parent")
    page.locator("#id_password").fill("pas-le-bon")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    axe_check(page)

    expect(page).to_have_url(re.compile(r"/connexion/$"))
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect.")
    expect(page.locator("#id_username")).to_have_value("parent")
    assert not any(c["name"] == "preau_session" for c in page.context.cookies())


def test_a_family_that_stays_signed_in_keeps_its_session_30_days(page, log_in):
    log_in(page, "parent", remember=True)

    expires = session_cookie(page)["expires"]
    assert abs(expires - (time.time() + 30 * DAY)) < DAY


def test_staff_who_tick_stay_signed_in_still_get_a_browser_session(page, log_in):
    log_in(page, "direction", remember=True)

    assert session_cookie(page)["expires"] == -1, "a session cookie dies with the browser"


def test_without_ticking_a_family_gets_a_browser_session(page, log_in):
    log_in(page, "parent")

    assert session_cookie(page)["expires"] == -1


def test_signing_out_ends_the_session(page, log_in, axe_check):
    log_in(page, "parent")
    menu = page.locator("details#user-menu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    axe_check(page)
    with page.expect_navigation():
        menu.get_by_role("button", name="Se déconnecter").click()
    axe_check(page)

    expect(page).to_have_url(re.compile(r"/connexion/$"))
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
    page.goto("/")
    axe_check(page)
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/$"))


def test_a_forgotten_password_is_replaced_from_the_login_page(page, axe_check, log_in):
    from django.core import mail

    mail.outbox.clear()
    page.goto("/connexion/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Mot de passe oublié ?").click()
    axe_check(page)
    expect(page).to_have_url(re.compile(r"/mot-de-passe-oublie/$"))
    expect(page.locator("main#contenu h1")).to_have_text("Mot de passe oublié")

    page.get_by_label("Identifiant ou adresse électronique").fill("parent")
    with page.expect_navigation():
        page.get_by_role("button", name="Recevoir le lien").click()
    axe_check(page)
    expect(page).to_have_url(re.compile(r"/mot-de-passe-oublie/envoye/$"))

    assert len(mail.outbox) == 1, "the guardian has an e-mail address in the demo"
    link = re.search(r"https?://\S+/mot-de-passe-oublie/\S+/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page.goto(link.group(0))
    axe_check(page)
    page.locator("#id_new_password1").fill("Marelle-Tilleul-2026")
    page.locator("#id_new_password2").fill("Marelle-Tilleul-2026")
    with page.expect_navigation():
        page.locator("main form").get_by_role("button").click()
    axe_check(page)
    expect(page).to_have_url(re.compile(r"/mot-de-passe-oublie/termine/$"))

    log_in(page, "parent", password="Marelle-Tilleul-2026")
    expect(page).to_have_url(HOME)
