"""Every role's whole navigation, at desktop and phone widths: each top-level entry and
each second-level link is followed, and each page reached is checked with axe and for
broken links (access.md: at most two levels, at most eight top-level entries)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DEMO_ACCOUNTS, DESKTOP, PHONE, is_phone

SCHOOL_DIRECTION = [
    "Accueil",
    "Emploi du temps",
    "Cahier de textes",
    "Notes",
    "Vie scolaire",
    "Établissement",
    "Messagerie",
    "Administration",
]
# The vie scolaire reads the report cards (Notes → Bulletins).
VIE_SCOLAIRE = [
    "Accueil",
    "Emploi du temps",
    "Notes",
    "Vie scolaire",
    "Établissement",
    "Messagerie",
]
FAMILY_OR_PUPIL = [
    "Accueil",
    "Emploi du temps",
    "Cahier de textes",
    "Notes",
    "Vie scolaire",
    "Messagerie",
]

# The top-level entries each demo account sees in the space it lands in; None: no menu.
MENUS = {
    "direction": SCHOOL_DIRECTION,
    "proviseur": SCHOOL_DIRECTION,
    "secretariat": [
        "Accueil",
        "Emploi du temps",
        "Notes",
        "Établissement",
        "Messagerie",
        "Administration",
    ],
    "cpe": VIE_SCOLAIRE,
    "aed": VIE_SCOLAIRE,
    "prof": [
        "Accueil",
        "Emploi du temps",
        "Cahier de textes",
        "Notes",
        "Vie scolaire",
        "Mes classes",
        "Messagerie",
    ],
    "parent": FAMILY_OR_PUPIL,
    "parent2": FAMILY_OR_PUPIL,
    "eleve": FAMILY_OR_PUPIL,
    "lyceen": FAMILY_OR_PUPIL,
    "majeur": FAMILY_OR_PUPIL,
    "region": ["Accueil", "Établissement"],
    "admin": None,
}


def links_of(nav):
    return [
        (link.text_content().strip(), link.get_attribute("href"))
        # Hidden links too: on phones the menu is folded.
        for link in nav.locator("a[href]").all()
    ]


def follow(page, link, axe_check, check_links):
    with page.expect_navigation():
        link.click()
    axe_check(page)
    check_links(page)
    expect(page.locator("main#contenu h1")).to_have_count(1)


def walk(page, expected, axe_check, check_links):
    """Follow every top-level entry of the primary navigation and every link of each
    section's secondary navigation, opening the phone's "Menu" button when folded."""
    primary = page.get_by_role("navigation", name="Navigation principale")
    toggle = primary.get_by_role("button", name="Menu")
    entries = links_of(primary)
    assert [label for label, _ in entries] == expected
    assert len(entries) <= 8
    phone = is_phone(page.viewport_size)

    for label, href in entries:
        entry = primary.locator(f'a[href="{href}"]')
        if phone:
            # Folded behind the menu button until it is opened.
            expect(toggle).to_have_attribute("aria-expanded", "false")
            expect(entry).to_be_hidden()
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
        else:
            expect(toggle).to_be_hidden()
        expect(entry).to_be_visible()
        follow(page, entry, axe_check, check_links)
        expect(page).to_have_url(re.compile(re.escape(href) + "$"))
        expect(entry).to_have_attribute("aria-current", "page")

        secondary = page.locator('nav[aria-label^="Rubrique"]')
        if secondary.count() == 0:
            continue
        expect(secondary).to_have_attribute("aria-label", f"Rubrique {label}")
        # Two levels at most: nothing nests below the section's links.
        expect(secondary.locator("ul ul, nav")).to_have_count(0)
        sublinks = links_of(secondary)
        assert len(sublinks) > 1
        assert sublinks[0][1] == href, "a section opens on its first link"
        for _, subhref in sublinks:
            sublink = secondary.locator(f'a[href="{subhref}"]')
            if subhref != href:
                follow(page, sublink, axe_check, check_links)
                expect(page).to_have_url(re.compile(re.escape(subhref) + "$"))
            expect(sublink).to_have_attribute("aria-current", "page")
            # The section stays the current top-level entry.
            expect(entry).to_have_attribute("aria-current", "page")


VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@VIEWPORTS
@pytest.mark.parametrize("login", DEMO_ACCOUNTS)
def test_the_whole_navigation_is_reachable_and_accessible(
    open_page, log_in, axe_check, check_links, login, viewport
):
    page = open_page(viewport)
    log_in(page, login)
    check_links(page)
    if MENUS[login] is None:
        expect(page.get_by_role("navigation", name="Navigation principale")).to_have_count(0)
        return
    walk(page, MENUS[login], axe_check, check_links)


@VIEWPORTS
def test_the_teachers_other_establishment_is_walked_too(
    open_page, log_in, axe_check, check_links, viewport
):
    page = open_page(viewport)
    log_in(page, "prof")
    switcher = page.locator("details#space-switcher")
    switcher.locator("summary").click()
    with page.expect_navigation():
        switcher.locator('button[name="space"]:not([aria-current])').click()
    axe_check(page)
    check_links(page)
    walk(page, MENUS["prof"], axe_check, check_links)
