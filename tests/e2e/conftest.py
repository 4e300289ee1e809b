"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live
server filled with the small demo data (`seed_demo --small`).

Every test here is marked `browser`. Without Chromium the tests are skipped, except
under CI=true where a missing browser fails the run: CI must never go green by not
testing. Every page a test visits goes through `axe_check` (WCAG 2.0 and 2.1, levels
A and AA); a test that lets a page go by unchecked, meets an HTTP error or a
JavaScript error fails at teardown.
"""

import hashlib
import io
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.e2e.support import DESKTOP, PASSWORD, is_phone

# Playwright's sync API runs an event loop in the main thread, which makes Django
# believe it is called from async code; the ORM calls made here are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).parent
CHROMIUM = Path(os.environ.get("PREAU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machine has no network: without these Chromium keeps trying to reach Google.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Teardown checks (unchecked pages, HTTP errors) are only worth reporting when the
    # test itself passed: after a failure they would only repeat it.
    report = yield
    if report.when == "call" and report.failed and item.path.is_relative_to(HERE):
        item.stash[_CALL_FAILED] = True
    return report


# Browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        where = f"Chromium not found at {CHROMIUM}"
        install = "install Debian's chromium (apt-get install -y chromium) or set PREAU_CHROMIUM"
        if IN_CI:
            pytest.fail(
                f"{where}: browser tests cannot be skipped under CI=true; {install}", pytrace=False
            )
        pytest.skip(f"{where}: browser tests skipped; {install}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Never a browser downloaded by Playwright: the machine's own Chromium.
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


# Demo data -----------------------------------------------------------------------
#
# live_server needs transactional_db, which empties every table after each test.
# Running seed_demo before each test would cost its full time every time, so the
# first test seeds and takes a snapshot of every table, and the next ones put the
# snapshot back with one bulk insert per table (see DEVELOPERS.md for the figures).

_snapshots: dict[str, list] = {}


def _seed() -> None:
    from django.core.management import call_command

    from preau.accounts.models import Account

    if Account.objects.exists():
        # A test database kept by --reuse-db after an interrupted run.
        call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", "--small", stdout=io.StringIO())


def _take_snapshot(using: str) -> list:
    """Every row of every table, its values already as the database takes them
    (`get_db_prep_save`), so that a restore writes them as they are (COPY on PostgreSQL,
    multi-row INSERTs elsewhere): the demo's timetables are thousands of rows, which
    model instances and per-row foreign key checks would make slow to put back."""
    from django.apps import apps
    from django.db import connections, router

    connection = connections[using]
    snapshot = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or not router.allow_migrate_model(using, model):
            continue
        fields = list(model._meta.local_concrete_fields)
        rows = [
            tuple(
                field.get_db_prep_save(value, connection)
                for field, value in zip(fields, row, strict=True)
            )
            for row in model._base_manager.using(using)
            .order_by()
            .values_list(*(f.attname for f in fields))
        ]
        snapshot.append((model, fields, rows))
    return snapshot


def _restore_snapshot(using: str, snapshot: list) -> None:
    from django.core.management.color import no_style
    from django.db import connections, transaction

    connection = connections[using]
    quote = connection.ops.quote_name
    limit = connection.features.max_query_params or 65535
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Foreign keys are deferred to the commit on PostgreSQL and SQLite alike, so
        # tables can be emptied and filled in any order.
        for model, fields, rows in snapshot:
            table = quote(model._meta.db_table)
            # Tables that post_migrate filled again after the flush (content types,
            # permissions) are emptied first; the others are empty already.
            if model._base_manager.using(using).exists():
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table)
            if not rows:
                continue
            # Values exactly as saved (no auto_now, no pre_save): by COPY on PostgreSQL
            # (psycopg 3), else a thousand rows (or the backend's limit of parameters)
            # per INSERT.
            columns = ", ".join(quote(f.column) for f in fields)
            if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                continue
            one = "(" + ", ".join(["%s"] * len(fields)) + ")"
            size = max(1, min(1000, limit // len(fields)))
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}",  # noqa: S608
                    [value for row in chunk for value in row],
                )
        for sql in connection.ops.sequence_reset_sql(no_style(), [m for m, _, _ in snapshot]):
            cursor.execute(sql)


@pytest.fixture
def demo_data(live_server):
    """The demo data of `seed_demo --small`, fresh for each test."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.db import DEFAULT_DB_ALIAS

    # Login throttling counts failures in the cache; the live server shares it.
    cache.clear()
    ContentType.objects.clear_cache()
    snapshot = _snapshots.get(DEFAULT_DB_ALIAS)
    started = time.perf_counter()
    if snapshot is None:
        _seed()
        _snapshots[DEFAULT_DB_ALIAS] = _take_snapshot(DEFAULT_DB_ALIAS)
        how = "seeded"
    else:
        _restore_snapshot(DEFAULT_DB_ALIAS, snapshot)
        how = "restored"
    _timings.append((how, time.perf_counter() - started))
    return live_server


_timings: list[tuple[str, float]] = []


def pytest_terminal_summary(terminalreporter):
    if not _timings:
        return
    for how in ("seeded", "restored"):
        spans = [seconds for kind, seconds in _timings if kind == how]
        if spans:
            terminalreporter.write_line(
                f"demo data {how} {len(spans)} time(s), {sum(spans) / len(spans):.2f} s on average"
            )


# Pages ---------------------------------------------------------------------------


@dataclass
class PageWatch:
    """What happened to one page: the navigations not yet checked by axe, the
    navigations that were never checked, HTTP errors, JavaScript errors."""

    origin: str
    viewport: dict
    account: str = ""
    pending: str | None = None
    unchecked: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)

    def navigated(self, url: str) -> None:
        if self.pending is not None:
            self.unchecked.append(self.pending)
        self.pending = url

    def responded(self, response) -> None:
        if response.status >= 400 and response.url.startswith(self.origin):
            self.http_errors.append(f"{response.status} {response.request.method} {response.url}")


_watches: dict[int, PageWatch] = {}


@pytest.fixture
def open_page(browser, demo_data, request):
    """Opens a page in a fresh browser context (no cookie) at a viewport: `DESKTOP`
    (1280×800, the default) or `PHONE` (390×844)."""
    contexts = []
    watches = []

    def open_(viewport: dict = DESKTOP):
        phone = is_phone(viewport)
        context = browser.new_context(
            base_url=demo_data.url,
            viewport=viewport,
            is_mobile=phone,
            has_touch=phone,
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(origin=demo_data.url, viewport=viewport)
        watches.append(watch)
        _watches[id(page)] = watch
        # A new document, not a move within one (the skip link's #contenu).
        page.on("domcontentloaded", lambda loaded: watch.navigated(loaded.url))
        page.on("response", watch.responded)
        page.on("pageerror", lambda error: watch.js_errors.append(f"{page.url}: {error}"))
        return page

    yield open_
    for context in contexts:
        for opened in context.pages:
            _watches.pop(id(opened), None)
        context.close()
    if request.node.stash.get(_CALL_FAILED, False):
        return
    problems = []
    for watch in watches:
        unchecked = watch.unchecked + ([watch.pending] if watch.pending else [])
        problems += [f"page not checked with axe_check: {url}" for url in unchecked]
        problems += [f"HTTP error: {error}" for error in watch.http_errors]
        problems += [f"JavaScript error: {error}" for error in watch.js_errors]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(open_page):
    """A desktop-sized page (1280×800) in a fresh browser context."""
    return open_page(DESKTOP)


# Accessibility ---------------------------------------------------------------------

_axe_passed: set[str] = set()


def _axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def _normalised_html(page) -> str:
    # CSRF tokens (64 letters and digits) change on every page; nothing axe looks at does.
    return re.sub(r"[A-Za-z0-9]{64}", "", page.content())


def _format_violations(url: str, viewport: dict, violations: list) -> str:
    lines = [
        f"{len(violations)} accessibility violation(s) (axe-core, {', '.join(WCAG_TAGS)}) on "
        f"{url} at {viewport['width']}×{viewport['height']}:"
    ]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}  — {summary}")
    return "\n".join(lines)


@pytest.fixture
def axe_check():
    """`axe_check(page)` runs axe-core on the page as it is now and fails listing each
    violation with its rule, impact and target selectors."""
    script = _axe_script()

    def check(page) -> None:
        page.wait_for_load_state("load")
        watch = _watches.get(id(page))
        viewport = page.viewport_size or DESKTOP
        # The same markup at the same width gives the same result: the login page,
        # met by every test, is checked once.
        key = hashlib.sha256(
            f"{viewport['width']}x{viewport['height']}\n{_normalised_html(page)}".encode()
        ).hexdigest()
        if key not in _axe_passed:
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(script)
            results = page.evaluate("options => window.axe.run(document, options)", AXE_OPTIONS)
            if results["violations"]:
                pytest.fail(
                    _format_violations(page.url, viewport, results["violations"]), pytrace=False
                )
            _axe_passed.add(key)
        if watch is not None:
            watch.pending = None

    return check


# Links ---------------------------------------------------------------------------

# Links already requested in this session, by account, and how many of each shape
# (the path with its numbers blanked: /etablissement/eleves/N/). A template that
# builds a wrong link builds it for every row; three of a shape are enough.
_links_checked: dict[tuple[str, str], int] = {}
_links_seen: set[tuple[str, str]] = set()
LINKS_PER_SHAPE = 3


@pytest.fixture
def check_links():
    """`check_links(page)` requests the links of the page that stay on the site, with
    the page's cookies, and fails on any answer of 400 or more."""

    def check(page) -> None:
        watch = _watches[id(page)]
        account = watch.account
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        broken = []
        for href in hrefs:
            url = urljoin(page.url, href).split("#", 1)[0]
            if not url.startswith(watch.origin) or (account, url) in _links_seen:
                continue
            _links_seen.add((account, url))
            shape = (account, re.sub(r"\d+", "N", url))
            if _links_checked.get(shape, 0) >= LINKS_PER_SHAPE:
                continue
            _links_checked[shape] = _links_checked.get(shape, 0) + 1
            response = page.request.get(url, max_redirects=5)
            if response.status >= 400:
                broken.append(f"{response.status} {urlsplit(url).path}")
        assert not broken, f"broken links on {page.url}: {', '.join(broken)}"

    return check


# Signing in ------------------------------------------------------------------------


@pytest.fixture
def log_in(axe_check):
    """`log_in(page, login, remember=False)` signs in through the login page and checks
    the page reached (the home page)."""

    def sign_in(page, login: str, *, password: str = PASSWORD, remember: bool = False):
        page.goto("/connexion/")
        axe_check(page)
        _watches[id(page)].account = login
        page.locator("#id_username").fill(login)
        page.locator("#id_password").fill(password)
        if remember:
            page.locator("#id_remember").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()
        axe_check(page)
        return page

    return sign_in
