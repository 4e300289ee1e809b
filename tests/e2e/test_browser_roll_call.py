"""The roll call in a browser, on a phone: a teacher takes it in four actions from her
home page (open it, mark one pupil absent, one late, validate), finds it saved after
a reload, and loses nothing when the connection drops or the session ends: the page
keeps what is not sent, says so, and sends it after the connection comes back or
after she logs in again. Every page is checked with axe.

The demo has no lesson at the time the test runs: each test gives `prof` (Mme Schmitt)
a maths lesson for 4B that started five minutes ago."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.e2e.support import PASSWORD, PHONE

COLLEGE_UAI = "0579876A"


def lesson_now() -> int:
    """A maths lesson of `prof` for 4B started five minutes ago; her other sessions of
    the day are cancelled, so that this one is "the current one". Its id."""
    from django.utils import timezone

    from preau.accounts.models import Account
    from preau.structure.models import Division, Subject
    from preau.timetable.models import Occurrence, OccurrenceStatus

    prof = Account.objects.get(login="prof").person
    now = timezone.localtime().replace(second=0, microsecond=0)
    start = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0))
    division = Division.objects.get(
        establishment__uai=COLLEGE_UAI,
        name="4B",
        school_year__start_date__lte=start.date(),
        school_year__end_date__gte=start.date(),
    )
    Occurrence.objects.filter(teachers=prof, date=start.date()).update(
        status=OccurrenceStatus.CANCELLED
    )
    occurrence = Occurrence.objects.create(
        establishment=division.establishment,
        school_year=division.school_year,
        uid="e2e:roll-call",
        date=start.date(),
        start=start,
        end=start + timedelta(minutes=55),
        subject=Subject.objects.filter(establishment=division.establishment, code="MATHS").first(),
        status=OccurrenceStatus.EXCEPTIONAL,
    )
    occurrence.teachers.add(prof)
    occurrence.audience.create(division=division)
    return occurrence.pk


def entries_of(occurrence_id: int) -> dict[str, tuple]:
    from preau.attendance.models import RollCallEntry

    return {
        entry.pupil.sort_name: (entry.mark, entry.minutes_late)
        for entry in RollCallEntry.objects.filter(
            roll_call__occurrence_id=occurrence_id
        ).select_related("pupil")
    }


def mark(row, label: str) -> None:
    """Tap a mark's button (the label of a radio button)."""
    row.locator("label.rc-mark__label", has_text=re.compile(f"^{label}$")).click()


def pupil_name(row) -> str:
    return row.locator("legend.rc-pupil__name > span:not(.rc-avatar)").first.inner_text()


def test_a_teacher_takes_the_roll_call_on_her_phone_in_four_actions(open_page, log_in, axe_check):
    occurrence_id = lesson_now()
    page = open_page(PHONE)
    log_in(page, "prof")

    # 1. From the home page, the lesson in progress.
    with page.expect_navigation():
        page.get_by_role("link", name="Faire l'appel").click()
    axe_check(page)
    expect(page.locator("h1")).to_have_text("Appel — Mathématiques")
    expect(page.locator("#rc-summary")).to_have_text("Appel pas encore fait.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rows = page.locator(".rc-pupil:not(.rc-pupil--known)")
    absent, late = rows.nth(0), rows.nth(1)
    absent_name, late_name = pupil_name(absent), pupil_name(late)

    # 2. One pupil absent: saved at once.
    mark(absent, "Absent")
    expect(absent.locator(".rc-state")).to_have_text("Enregistré")
    # 3. One pupil late: the minutes since the start, one tap.
    mark(late, "Retard")
    expect(late.locator(".rc-state")).to_have_text("Enregistré")
    expect(late.get_by_role("group", name="Minutes de retard")).to_be_visible()
    axe_check(page)
    # 4. The others are present.
    page.get_by_role("button", name="Valider l'appel").click()
    expect(page.locator("#rc-summary")).to_have_text(
        re.compile(r"^Appel fait à \d\d:\d\d : 1 absent, 1 retard\.$")
    )

    with page.expect_navigation():
        page.reload()
    axe_check(page)
    expect(page.locator("#rc-summary")).to_have_text(
        re.compile(r"^Appel fait à \d\d:\d\d : 1 absent, 1 retard\.$")
    )
    expect(absent.locator(".rc-mark:checked + label")).to_have_text("Absent")
    expect(late.locator(".rc-mark:checked + label")).to_have_text("Retard")
    entries = entries_of(occurrence_id)
    assert entries[absent_name] == ("absent", None)
    assert entries[late_name][0] == "late"
    # The lesson started five minutes before the test, which takes a few seconds.
    assert 5 <= entries[late_name][1] <= 10
    assert len(entries) == 2


def test_nothing_is_lost_when_the_connection_drops_or_the_session_ends(
    open_page, log_in, axe_check
):
    occurrence_id = lesson_now()
    page = open_page(PHONE)
    log_in(page, "prof")
    with page.expect_navigation():
        page.goto("/vie-scolaire/appel/")
    axe_check(page)
    with page.expect_navigation():
        page.locator(".rc-session--current .rc-session__subject a").click()
    axe_check(page)
    rows = page.locator(".rc-pupil:not(.rc-pupil--known)")
    first, second = rows.nth(0), rows.nth(1)
    first_name, second_name = pupil_name(first), pupil_name(second)

    # The connection drops: the entry waits on the phone, and says so.
    page.context.set_offline(True)
    mark(first, "Absent")
    expect(first.locator(".rc-state")).to_have_text("En attente d'envoi")
    expect(page.locator("#rc-connection")).to_contain_text("Connexion perdue")
    expect(page.locator("#rc-pending")).to_have_text("1 relevé en attente d'envoi.")
    axe_check(page)
    assert entries_of(occurrence_id) == {}
    # It comes back: the entry is sent.
    page.context.set_offline(False)
    expect(first.locator(".rc-state")).to_have_text("Enregistré", timeout=15_000)
    expect(page.locator("#rc-connection")).to_be_hidden()

    # The session ends: the entry stays on the phone, the page asks to log in again.
    page.context.clear_cookies(name="preau_session")
    mark(second, "Infirmerie")
    expect(page.locator("#rc-connection")).to_contain_text("Votre session a pris fin")
    expect(second.locator(".rc-state")).to_have_text("En attente d'envoi")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Se reconnecter").click()
    axe_check(page)
    page.locator("#id_username").fill("prof")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    axe_check(page)

    # Back on the roll call, what waited is sent.
    expect(page.locator("h1")).to_have_text("Appel — Mathématiques")
    expect(second.locator(".rc-state")).to_have_text("Enregistré")
    expect(second.locator(".rc-mark:checked + label")).to_have_text("Infirmerie")
    assert entries_of(occurrence_id) == {
        first_name: ("absent", None),
        second_name: ("infirmary", None),
    }
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('preau:'))") == []
