"""Accounts in a browser, on the small demo, every page checked with axe: an imported
guardian activates his account with the code of his letter (on a desktop and on a
phone), a guardian keeps her contact details and creates an API token, the direction
of the lycée reaches the letter of a guardian not activated."""

import pytest
from playwright.sync_api import expect

from preau.devtools.demo import DEMO_ACTIVATION_CODE
from tests.e2e.support import DESKTOP, PHONE, is_phone


def fits(page):
    if is_phone(page.viewport_size):
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_guardian_activates_his_account_with_the_code_of_his_letter(
    open_page, axe_check, viewport
):
    page = open_page(viewport)
    page.goto("/connexion/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Activer mon compte").click()
    axe_check(page)
    fits(page)
    page.locator("#id_login").fill("marc.lambert")
    page.locator("#id_code").fill("AAAA-BBBB-CCCC")
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    axe_check(page)
    expect(page.locator("#id_login")).to_have_value("marc.lambert")
    # Typed as on the letter, in small letters and spaces: accepted.
    page.locator("#id_code").fill(DEMO_ACTIVATION_CODE.lower().replace("-", " "))
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    axe_check(page)
    fits(page)
    page.locator("#id_new_password1").fill("Marronnier-Préau-2027")
    page.locator("#id_new_password2").fill("Marronnier-Préau-2027")
    with page.expect_navigation():
        page.get_by_role("button", name="Activer mon compte").click()
    axe_check(page)
    # Signed in on his family space, with Lucas.
    assert page.url.endswith("/")
    expect(page.locator("main")).to_contain_text("Lucas Lambert")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_guardian_keeps_her_details_and_creates_a_token(open_page, log_in, axe_check, viewport):
    page = open_page(viewport)
    log_in(page, "parent")
    for path in ("/compte/", "/compte/notifications/"):
        page.goto(path)
        axe_check(page)
        fits(page)
    page.goto("/compte/coordonnees/")
    axe_check(page)
    fits(page)
    page.locator("#id_mobile_phone").fill("06 12 34 56 78")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    axe_check(page)
    page.goto("/compte/coordonnees/")
    axe_check(page)
    expect(page.locator("#id_mobile_phone")).to_have_value("06 12 34 56 78")
    page.goto("/compte/jetons/")
    axe_check(page)
    page.locator("#id_name").fill("Agenda")
    with page.expect_navigation():
        page.get_by_role("button", name="Créer le jeton").click()
    axe_check(page)
    fits(page)
    expect(page.locator("main")).to_contain_text("preau_")


def test_the_direction_prints_the_letter_of_a_guardian_not_activated(page, log_in, axe_check):
    from preau.accounts.models import Account

    marc = Account.objects.get(login="marc.lambert")
    lucas = Account.objects.get(login="lyceen").person_id
    log_in(page, "proviseur")
    page.goto(f"/etablissement/eleves/{lucas}/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Lettre d'activation").first.click()
    axe_check(page)
    assert page.url.endswith(f"/activation/personnes/{marc.person_id}/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Créer le code et télécharger la lettre (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
