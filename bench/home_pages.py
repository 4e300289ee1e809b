"""The home page of each role on the full demo data (docs/home.md): the family (parent:
two children in two establishments), the pupil (eleve), the teacher (prof), the vie
scolaire (cpe) and the direction; for each, the first view (the CPE's and the
direction's compute the alerts then, cached ten minutes) and the median and 90th
percentile of the next ones, with their number of queries. Prints figures; it is not a
test.

    .venv/bin/python bench/home_pages.py                       # SQLite, temporary folder
    .venv/bin/python bench/home_pages.py --jour 2026-11-30     # the pages of that day, 10:20
    DATABASE_URL=postgres://… .venv/bin/python bench/home_pages.py

The demo is seeded around the real today; `--jour` looks at the pages on another day
(a weekday when today is a weekend: a teacher's sessions, the day's absences).
"""

import argparse
import os
import statistics
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("ALLOWED_HOSTS", "testserver")

from _support import bench_database, counted_queries
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from preau.devtools.demo import PASSWORD

REPEAT = 20
PAGES = (
    ("famille (2 enfants)", "parent"),
    ("élève", "eleve"),
    ("enseignant", "prof"),
    ("CPE", "cpe"),
    ("direction", "direction"),
)


def look_on(day: date) -> None:
    """The pages as they are on `day` at 10:20 (Paris)."""
    import preau.portal.middleware
    import preau.portal.views

    moment = datetime.combine(day, clock(10, 20), tzinfo=ZoneInfo("Europe/Paris"))
    preau.portal.views.today = lambda: day
    preau.portal.middleware.today = lambda: day
    timezone.now = lambda: moment


def get(client: Client) -> tuple[float, int]:
    with counted_queries() as executed:
        started = time.perf_counter()
        response = client.get("/")
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, len(executed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jour", type=date.fromisoformat, help="AAAA-MM-JJ")
    day = parser.parse_args().jour
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    with bench_database() as engine:
        started = time.perf_counter()
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"{engine}: seed_demo (full size) took {time.perf_counter() - started:.1f} s")
        pages(day)


def pages(day: date | None) -> None:
    if day is not None:
        look_on(day)
    print(f"{connection.vendor}: home pages on {day or timezone.localdate()}, {REPEAT} views each")
    print(
        f"{'page':<20} {'account':<10} {'1st ms':>7} {'1st q':>6} "
        f"{'median ms':>9} {'p90 ms':>7} {'queries':>7}"
    )
    for label, login in PAGES:
        cache.clear()  # each page's first view as if nobody had looked before
        client = Client()
        response = client.post("/connexion/", {"username": login, "password": PASSWORD})
        assert response.status_code == 302, (login, response.status_code)
        first, first_queries = get(client)
        timings, queries = [], set()
        for _ in range(REPEAT):
            elapsed, executed = get(client)
            timings.append(elapsed)
            queries.add(executed)
        timings.sort()
        print(
            f"{label:<20} {login:<10} {first:7.1f} {first_queries:6d} "
            f"{statistics.median(timings):9.1f} {timings[int(len(timings) * 0.9) - 1]:7.1f} "
            f"{'/'.join(str(q) for q in sorted(queries)):>7}"
        )


if __name__ == "__main__":
    main()
