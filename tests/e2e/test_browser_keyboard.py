"""Everything works with the keyboard alone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DESKTOP, HOME, PHONE


def active_element(page) -> dict:
    return page.evaluate(
        "() => ({tag: document.activeElement.tagName.toLowerCase(),"
        " id: document.activeElement.id, text: document.activeElement.textContent.trim(),"
        " cls: document.activeElement.className})"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
    open_page, log_in, axe_check, viewport
):
    page = open_page(viewport)
    log_in(page, "parent")

    page.keyboard.press("Tab")
    focused = active_element(page)
    assert focused["tag"] == "a", focused
    assert "skip-link" in focused["cls"], focused
    assert focused["text"] == "Aller au contenu"
    skip = page.locator("a.skip-link")
    expect(skip).to_be_visible()  # shown when focused
    axe_check(page)

    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    axe_check(page)
    page.keyboard.press("Tab")
    # The next stop is inside the main content, past the header and navigation.
    assert page.evaluate(
        "() => document.getElementById('contenu').contains(document.activeElement)"
    )


def test_the_login_form_is_completed_and_sent_with_the_keyboard_only(page, axe_check):
    page.goto("/connexion/")
    axe_check(page)

    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("parent")
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    expect(page.locator("#id_remember")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#id_remember")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Se connecter")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    axe_check(page)

    expect(page).to_have_url(HOME)
    expect(page.locator("main#contenu h1")).to_contain_text("Bonjour")


def test_the_user_menu_opens_with_enter_and_closes_with_escape(page, log_in, axe_check):
    log_in(page, "prof")
    menu = page.locator("details#user-menu")
    summary = menu.locator("summary")
    summary.focus()

    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    axe_check(page)
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Mon compte")).to_be_focused()

    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
