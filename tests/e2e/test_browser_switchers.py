"""One person, several spaces or several children, no second login (access.md)."""

from playwright.sync_api import expect

from tests.e2e.support import HOME


def test_a_parent_switches_child_in_one_click(page, log_in, axe_check):
    log_in(page, "parent")
    # On a page of the family space: the switch keeps the person on it.
    with page.expect_navigation():
        page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name="Notes"
        ).click()
    axe_check(page)
    switcher = page.get_by_role("form", name="Enfant suivi")
    buttons = switcher.locator('button[name="child"]')
    expect(buttons).to_have_count(2)
    pressed = switcher.locator('button[aria-pressed="true"]')
    expect(pressed).to_have_count(1)
    other = switcher.locator('button[aria-pressed="false"]')
    expect(other).to_have_count(1)
    first_name = other.evaluate("button => button.firstChild.textContent.trim()")
    other_id = other.get_attribute("value")
    url = page.url

    with page.expect_navigation():
        other.click()
    axe_check(page)

    expect(page).to_have_url(url)
    now_pressed = switcher.locator('button[aria-pressed="true"]')
    expect(now_pressed).to_have_count(1)
    expect(now_pressed).to_have_attribute("value", other_id)
    expect(switcher.locator('button[aria-pressed="false"]')).to_have_count(1)
    # The page (not only the switcher) is now about the other child.
    expect(page.locator("main#contenu")).to_contain_text(first_name)


def test_a_teacher_switches_establishment_space(page, log_in, axe_check):
    log_in(page, "prof")
    switcher = page.locator("details#space-switcher")
    summary = switcher.locator("summary")
    before = summary.inner_text().strip()
    lead_before = page.locator("main .lead").inner_text()
    summary.click()
    expect(switcher).to_have_attribute("open", "")
    axe_check(page)
    spaces = switcher.locator('button[name="space"]')
    expect(spaces).to_have_count(2)
    expect(switcher.locator('button[name="space"][aria-current="true"]')).to_have_count(1)
    other = switcher.locator('button[name="space"]:not([aria-current])')
    label = other.inner_text().strip()

    with page.expect_navigation():
        other.click()
    axe_check(page)

    expect(page).to_have_url(HOME)
    after = summary.inner_text().strip()
    assert after != before
    assert label in after
    assert page.locator("main .lead").inner_text() != lead_before
    summary.click()
    expect(switcher.locator('button[name="space"][aria-current="true"]')).to_have_text(label)
    axe_check(page)
