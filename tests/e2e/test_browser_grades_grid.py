"""The grade grid in a browser: a teacher fills a 30-pupil column at the keyboard
(a mark, Enter, the next…), another by pasting a column copied from a spreadsheet,
reloads and finds every mark saved; an invalid mark is refused in its cell with the
reason; marks typed while the saves fail are kept in the browser and sent when the grid
is opened again. Every page is checked with axe.

The demo's classes are smaller: each test gives `prof` (Mme Schmitt) a 3e of 30
pupils in the collège, with a maths service and two evaluations of the current
period."""

import re
from dataclasses import dataclass

from playwright.sync_api import expect

COLLEGE_UAI = "0579876A"
SIZE = 30
# What is typed, one per pupil: numbers with a comma or a dot, codes in any case.
TYPED = ["12,5", "abs", "15", "7.25", "20", "0", "disp", "NN", "9,75", "ABS0"] * 3
SHOWN = ["12,5", "ABS", "15", "7,25", "20", "0", "DISP", "NN", "9,75", "ABS0"] * 3
PASTED = [f"{n % 21}" if n % 7 else "nr0" for n in range(SIZE)]


@dataclass
class Grid:
    url: str
    pupils: list[str]
    keyboard: str
    pasted: str
    keyboard_id: int
    pasted_id: int


def grid_of_thirty() -> Grid:
    from preau.accounts.models import Account
    from preau.core.models import Establishment, SchoolYear
    from preau.core.selectors import today
    from preau.grades.selectors.book import division_periods, period_on
    from preau.structure.models import Level
    from tests.factories import DivisionFactory, EvaluationFactory, division_service, pupil_in

    prof = Account.objects.get(login="prof").person
    college = Establishment.objects.get(uai=COLLEGE_UAI)
    day = today()
    year = SchoolYear.objects.get(establishment=college, start_date__lte=day, end_date__gte=day)
    division = DivisionFactory(
        school_year=year, establishment=college, name="3E2E", level=Level.TROISIEME
    )
    pupils = [
        pupil_in(division, first_name=f"Prénom{n:02d}", last_name=f"Grille{n:02d}")
        for n in range(SIZE)
    ]
    service = division_service(division, prof)
    period = period_on(division_periods(division), day)
    keyboard = EvaluationFactory(service=service, period=period, title="Au clavier", date=day)
    pasted = EvaluationFactory(service=service, period=period, title="Collé", date=day)
    return Grid(
        url=f"/notes/saisie/service/{service.pk}/periode/{period.pk}/",
        pupils=[pupil.sort_name for pupil in pupils],
        keyboard=keyboard.title,
        pasted=pasted.title,
        keyboard_id=keyboard.pk,
        pasted_id=pasted.pk,
    )


def stored(evaluation_id: int) -> dict[str, str]:
    from preau.grades.models import Mark

    return {
        mark.pupil.sort_name: mark.text.replace(".", ",")
        for mark in Mark.objects.filter(evaluation_id=evaluation_id).select_related("pupil")
    }


def cell(page, pupil: str, evaluation: str):
    return page.get_by_label(f"{pupil}, {evaluation}", exact=True)


def open_grid(page, grid: Grid, axe_check) -> None:
    """From the services page, the service's current period."""
    with page.expect_navigation():
        page.goto("/notes/saisie/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"— 3E2E$")).first.click()
    axe_check(page)
    expect(page.locator("h1")).to_contain_text("3E2E")


def test_a_teacher_fills_a_column_by_keyboard_and_another_by_paste(page, log_in, axe_check):
    grid = grid_of_thirty()
    log_in(page, "prof")
    open_grid(page, grid, axe_check)
    assert page.url.endswith(grid.url)

    # At the keyboard: a mark, Enter, the next one down.
    cell(page, grid.pupils[0], grid.keyboard).click()
    for typed in TYPED:
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
    saved = page.locator(".gg-cell[data-state='saved']")
    expect(saved).to_have_count(SIZE)
    expect(page.locator("#gg-status")).not_to_be_empty()
    # The last Enter leaves the focus on the last cell (no row below).
    expect(cell(page, grid.pupils[-1], grid.keyboard)).to_be_focused()
    axe_check(page)

    # Pasted: a column of 30 lines copied from a spreadsheet, into the first cell.
    first = cell(page, grid.pupils[0], grid.pasted)
    first.click()
    first.evaluate(
        """(input, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            input.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: data, bubbles: true, cancelable: true,
            }));
        }""",
        "\r\n".join(PASTED) + "\r\n",
    )
    expect(saved).to_have_count(2 * SIZE)
    expect(page.locator("#gg-status")).to_have_text(f"{SIZE} notes enregistrées.")
    axe_check(page)

    with page.expect_navigation():
        page.reload()
    axe_check(page)
    for n, pupil in enumerate(grid.pupils):
        expect(cell(page, pupil, grid.keyboard)).to_have_value(SHOWN[n])
        expect(cell(page, pupil, grid.pasted)).to_have_value(PASTED[n].upper())
    assert stored(grid.keyboard_id) == dict(zip(grid.pupils, SHOWN, strict=True))
    assert stored(grid.pasted_id) == {
        pupil: PASTED[n].upper() for n, pupil in enumerate(grid.pupils)
    }
    # The first pupil's average, from the engine: (12,5 + 0 for NR0) / 2.
    expect(page.locator("[data-average-of]").first).to_have_text("6,25")


def test_an_invalid_mark_is_refused_in_its_cell_with_the_reason(page, log_in, axe_check):
    grid = grid_of_thirty()
    log_in(page, "prof")
    open_grid(page, grid, axe_check)

    target = cell(page, grid.pupils[3], grid.keyboard)
    target.click()
    page.keyboard.type("25")
    page.keyboard.press("Enter")

    holder = page.locator(".gg-cell", has=target)
    expect(holder).to_have_attribute("data-state", "error")
    expect(target).to_have_attribute("aria-invalid", "true")
    expect(holder.locator(".gg-message")).to_have_text("« 25 » dépasse le barème (sur 20).")
    expect(target).to_have_accessible_description("« 25 » dépasse le barème (sur 20).")
    # The focus went on down; the typed text stays in place to be corrected.
    expect(cell(page, grid.pupils[4], grid.keyboard)).to_be_focused()
    expect(target).to_have_value("25")
    axe_check(page)

    # Corrected: saved, the reason gone.
    target.click()
    page.keyboard.type("15")
    page.keyboard.press("ArrowUp")
    expect(holder).to_have_attribute("data-state", "saved")
    expect(target).not_to_have_attribute("aria-invalid", "true")
    expect(holder.locator(".gg-message")).to_have_count(0)
    expect(cell(page, grid.pupils[2], grid.keyboard)).to_be_focused()
    assert stored(grid.keyboard_id) == {grid.pupils[3]: "15"}

    # Arrows move between cells: right to the next evaluation, left back.
    page.keyboard.press("ArrowRight")
    expect(cell(page, grid.pupils[2], grid.pasted)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cell(page, grid.pupils[2], grid.keyboard)).to_be_focused()
    axe_check(page)


def test_marks_typed_while_the_saves_fail_are_sent_when_the_grid_is_opened_again(
    page, log_in, axe_check
):
    grid = grid_of_thirty()
    log_in(page, "prof")
    open_grid(page, grid, axe_check)
    save_url = page.locator("#grade-grid").get_attribute("data-save-url")

    # The connection is lost: every save fails.
    page.route(f"**{save_url}", lambda route: route.abort())
    first = cell(page, grid.pupils[0], grid.keyboard)
    second = cell(page, grid.pupils[1], grid.keyboard)
    third = cell(page, grid.pupils[2], grid.keyboard)
    first.click()
    for typed in ("14", "8.5", "17"):
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
    waiting = page.locator(".gg-cell[data-state='pending']")
    expect(waiting).to_have_count(3)
    expect(page.locator("#gg-connection")).to_be_visible()
    axe_check(page)
    assert stored(grid.keyboard_id) == {}

    # The page is left with the marks unsent; the connection comes back.
    with page.expect_navigation():
        page.goto("/notes/saisie/")
    axe_check(page)
    page.unroute(f"**{save_url}")
    # Meanwhile a colleague enters the third pupil's mark.
    from preau.core.models import Person
    from preau.grades.models import Mark

    Mark.objects.create(
        evaluation_id=grid.keyboard_id, pupil=Person.objects.get(last_name="Grille02"), value=12
    )

    # Opened again: the marks come back in their cells and are sent with the version
    # they were typed at; the colleague's mark stands, shown as a conflict.
    with page.expect_navigation():
        page.goto(grid.url)
    axe_check(page)
    expect(page.locator(".gg-cell[data-state='saved']")).to_have_count(2)
    expect(first).to_have_value("14")
    expect(second).to_have_value("8,5")
    expect(page.locator(".gg-cell", has=third)).to_have_attribute("data-state", "conflict")
    expect(third).to_have_value("12")
    expect(page.locator(".gg-cell", has=third).locator(".gg-message")).to_contain_text("« 17 »")
    assert stored(grid.keyboard_id) == {
        grid.pupils[0]: "14",
        grid.pupils[1]: "8,5",
        grid.pupils[2]: "12",
    }
    assert page.evaluate("() => window.localStorage.length") == 0
    axe_check(page)

    with page.expect_navigation():
        page.reload()
    axe_check(page)
    expect(first).to_have_value("14")
    expect(second).to_have_value("8,5")
    expect(third).to_have_value("12")
    expect(page.locator(".gg-cell[data-state='pending']")).to_have_count(0)
