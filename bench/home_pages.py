"""Seeding time of the full demo, then each demo account's home page: median latency
and number of queries. Prints figures; it is not a test.

    .venv/bin/python bench/home_pages.py            # SQLite in a temporary folder
    DATABASE_URL=postgres://… .venv/bin/python bench/home_pages.py
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PREAU_VAR_DIR", tempfile.mkdtemp(prefix="preau-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.config.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from preau.devtools.demo import DEMO_ACCOUNTS, PASSWORD, demo_exists  # noqa: E402

REPEAT = 20


def main() -> None:
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    engine = connection.vendor
    if demo_exists():
        print(f"{engine}: demo already loaded, not timing the seeding")
    else:
        started = time.perf_counter()
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"{engine}: seed_demo (full size) took {time.perf_counter() - started:.1f} s")
    print(f"{'account':<12} {'median ms':>9} {'p90 ms':>7} {'queries':>7}")
    for account in DEMO_ACCOUNTS:
        client = Client()
        response = client.post("/connexion/", {"username": account.login, "password": PASSWORD})
        assert response.status_code == 302, (account.login, response.status_code)
        timings, queries = [], []
        for _ in range(REPEAT):
            executed: list[str] = []

            def count(execute, sql, params, many, context, executed=executed):
                executed.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                started = time.perf_counter()
                response = client.get("/")
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            queries.append(len(executed))
        timings.sort()
        print(
            f"{account.login:<12} {statistics.median(timings):9.1f} "
            f"{timings[int(len(timings) * 0.9) - 1]:7.1f} {max(queries):7d}"
        )


if __name__ == "__main__":
    main()
