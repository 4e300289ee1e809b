"""The timetable pages in a browser, at desktop and phone widths, each page checked with
axe: a pupil's week and day (with htmx navigation and without), a guardian switching
child, the vie scolaire choosing a division and cancelling a session, an import by the
direction, a phone subscription.

The demo's timetables are used when seed_demo has them; otherwise each test imports,
for the demo collège, a small EDT export (4B, Mme Schmitt) written here."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DESKTOP, PHONE, is_phone

COLLEGE_UAI = "0579876A"


def ensure_timetable() -> None:
    """The demo collège's timetable: the demo's own, else a small EDT export for 4B."""
    from preau.core.models import SchoolYear
    from preau.core.selectors import today
    from preau.timetable.importers.edt import parse_edt
    from preau.timetable.models import Occurrence
    from preau.timetable.services import timetable_import
    from tests.timetable.views_support import edt_export

    if Occurrence.objects.filter(establishment__uai=COLLEGE_UAI).exists():
        return
    year = SchoolYear.objects.get(
        establishment__uai=COLLEGE_UAI, start_date__lte=today(), end_date__gte=today()
    )
    content = edt_export(
        uai=COLLEGE_UAI, first_day=year.start_date, last_day=year.end_date, division="4B"
    )
    timetable_import(
        actor=None,
        source=parse_edt(content, file_name="edt-4B.xml"),
        file_name="edt-4B.xml",
        content=content,
    )


def busy_week_of(division_name: str) -> str:
    """A Monday (YYYY-MM-DD) of a week in which the division has sessions, from this week
    on: the demo's school holidays have none."""
    from preau.core.selectors import today
    from preau.structure.models import Division
    from preau.timetable.selectors import division_occurrences

    division = Division.objects.get(
        establishment__uai=COLLEGE_UAI,
        name=division_name,
        school_year__start_date__lte=today(),
        school_year__end_date__gte=today(),
    )
    monday = today() - timedelta(days=today().weekday())
    for week in range(10):
        start = monday + timedelta(weeks=week)
        if division_occurrences(division, start, start + timedelta(days=6)).exists():
            return start.isoformat()
    pytest.fail(f"no session of {division_name} in the next ten weeks")


def follow_menu(page, axe_check, label: str):
    """A top-level entry of the menu, behind the "Menu" button on a phone."""
    navigation = page.get_by_role("navigation", name="Navigation principale")
    if is_phone(page.viewport_size):
        navigation.get_by_role("button", name="Menu").click()
    with page.expect_navigation():
        navigation.get_by_role("link", name=label).click()
    axe_check(page)


def open_timetable(page, axe_check):
    follow_menu(page, axe_check, "Emploi du temps")


def test_a_pupil_reads_her_week_and_moves_through_it(page, log_in, axe_check):
    ensure_timetable()
    monday = busy_week_of("4B")
    log_in(page, "eleve")
    open_timetable(page, axe_check)
    expect(page.locator("h1")).to_have_text("Mon emploi du temps")

    with page.expect_navigation():
        page.goto(f"/emploi-du-temps/?semaine={monday}")
    axe_check(page)
    sessions = page.locator(".session")
    assert sessions.count() > 0
    # The week is a grid: the first session is placed in its day's column.
    assert page.locator(".timetable__hours").is_visible()
    title = page.locator("#timetable-title").inner_text()

    # htmx: the next week replaces the grid, the address follows, the focus goes to it.
    page.get_by_role("link", name="Semaine suivante").click()
    expect(page.locator("#timetable-title")).not_to_have_text(title)
    expect(page).to_have_url(re.compile(r"\?semaine=\d{4}-\d{2}-\d{2}$"))
    expect(page.locator("#timetable-title")).to_be_focused()
    axe_check(page)
    page.get_by_role("link", name="Semaine précédente").click()
    expect(page.locator("#timetable-title")).to_have_text(title)
    axe_check(page)

    # A day, then a session's page.
    with page.expect_navigation():
        page.goto(f"/emploi-du-temps/?jour={monday}")
    axe_check(page)
    expect(page.locator(".timetable--day")).to_have_count(1)
    first = page.locator(".session__subject a").first
    subject = first.inner_text()
    with page.expect_navigation():
        first.click()
    axe_check(page)
    expect(page.locator("h1")).to_have_text(subject)
    expect(page.get_by_text("Provenance")).to_have_count(0)


def test_the_week_is_a_list_of_days_on_a_phone(open_page, log_in, axe_check):
    ensure_timetable()
    monday = busy_week_of("4B")
    page = open_page(PHONE)
    log_in(page, "eleve")
    with page.expect_navigation():
        page.goto(f"/emploi-du-temps/?semaine={monday}")
    axe_check(page)

    assert not page.locator(".timetable__hours").is_visible()
    first = page.locator(".session").first
    box = first.bounding_box()
    # Full width of the page, one session under the other.
    assert box["width"] > 300
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Without htmx the links are plain links.
    with page.expect_navigation():
        page.goto(f"/emploi-du-temps/?semaine={monday}")
    axe_check(page)
    page.get_by_role("link", name="Voir un jour").click()
    page.wait_for_url(re.compile(r"jour="))
    axe_check(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_guardian_switches_child_on_the_timetable(open_page, log_in, axe_check, viewport):
    ensure_timetable()
    page = open_page(viewport)
    log_in(page, "parent")
    open_timetable(page, axe_check)
    heading = page.locator("h1").inner_text()
    assert heading.startswith("Emploi du temps de ")
    switcher = page.get_by_role("form", name="Enfant suivi")

    with page.expect_navigation():
        switcher.locator('button[aria-pressed="false"]').click()
    axe_check(page)

    expect(page).to_have_url(re.compile(r"/emploi-du-temps/"))
    expect(page.locator("h1")).not_to_have_text(heading)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_cpe_finds_a_division_and_cancels_a_session(open_page, log_in, axe_check, viewport):
    ensure_timetable()
    monday = busy_week_of("4B")
    page = open_page(viewport)
    log_in(page, "cpe")
    open_timetable(page, axe_check)
    search = page.get_by_label("Rechercher une classe, un enseignant, une salle ou un élève")

    search.fill("4B")
    expect(page.locator("#chooser-count")).to_contain_text("résultat")
    axe_check(page)
    with page.expect_navigation():
        page.locator("#chooser-results").get_by_role("link", name="4B", exact=True).click()
    axe_check(page)
    expect(page.locator("h1")).to_have_text("Classe 4B")

    division_url = page.url
    with page.expect_navigation():
        page.goto(f"{division_url}?semaine={monday}")
    axe_check(page)
    target = page.locator(".session:not(.session--cancelled) .session__subject a").first
    with page.expect_navigation():
        target.click()
    axe_check(page)
    expect(page.get_by_role("heading", name="Provenance")).to_be_visible()

    page.get_by_text("Annuler la séance", exact=True).first.click()
    axe_check(page)
    page.get_by_label("Précision").first.fill("Sortie au théâtre")
    with page.expect_navigation():
        page.get_by_role("button", name="Annuler la séance").click()
    axe_check(page)
    expect(page.get_by_role("status")).to_contain_text("La séance est annulée.")
    expect(page.locator(".status-line .status")).to_have_text("Annulé")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_direction_previews_then_imports_a_file(
    open_page, log_in, axe_check, tmp_path, viewport
):
    from preau.core.models import SchoolYear
    from preau.core.selectors import today
    from tests.timetable.views_support import edt_export

    year = SchoolYear.objects.get(
        establishment__uai=COLLEGE_UAI, start_date__lte=today(), end_date__gte=today()
    )
    export = tmp_path / "edt-college.xml"
    export.write_bytes(
        edt_export(uai=COLLEGE_UAI, first_day=year.start_date, last_day=year.end_date)
    )
    page = open_page(viewport)
    log_in(page, "direction")
    follow_menu(page, axe_check, "Administration")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Rubrique Administration").get_by_role(
            "link", name="Imports"
        ).click()
    axe_check(page)

    page.get_by_label("Fichier (obligatoire)").set_input_files(str(export))
    page.get_by_label("Format (obligatoire)").select_option("edt")
    with page.expect_navigation():
        page.get_by_role("button", name="Aperçu").click()
    axe_check(page)
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    expect(page.locator("main")).to_contain_text("rien n'est encore enregistré")

    with page.expect_navigation():
        page.get_by_role("button", name="Importer").click()
    axe_check(page)
    expect(page.get_by_role("status")).to_contain_text("Import appliqué")
    expect(page.locator("h1")).to_have_text("Import de edt-college.xml")


def test_a_pupil_subscribes_from_her_phone_and_revokes(open_page, log_in, axe_check):
    ensure_timetable()
    page = open_page(PHONE)
    log_in(page, "eleve")
    with page.expect_navigation():
        page.goto("/emploi-du-temps/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="S'abonner depuis mon téléphone").click()
    axe_check(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Créer mon lien d'abonnement").click()
    axe_check(page)
    url = page.get_by_label("Adresse d'abonnement").input_value()
    assert re.search(r"/emploi-du-temps/agenda/[\w-]{40,}\.ics$", url)
    feed = page.request.get(url)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in feed.text()

    with page.expect_navigation():
        page.get_by_role("button", name="Révoquer ce lien").click()
    axe_check(page)
    expect(page.get_by_role("button", name="Créer mon lien d'abonnement")).to_be_visible()
    assert page.request.get(url).status == 404
