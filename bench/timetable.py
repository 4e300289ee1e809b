"""The EDT sample (704 courses, 426 pupils, 14,226 occurrences): its import into a
fresh database and again (a re-import: nothing changes), then the week views of every
pupil, teacher and division — median latency and number of queries, the occurrences
evaluated with everything a page shows of them — and the week page itself, as pupils and
teachers open it (the whole request: session, navigation, rendering). Prints figures;
it is not a test.

    .venv/bin/python bench/timetable.py             # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/preau_bench .venv/bin/python bench/timetable.py

On PostgreSQL it works in a database of its own, `test_<name>` (here
`test_preau_bench`), created empty and dropped at the end: the database named in
DATABASE_URL is left as it is. The sample is read from the `shared` folder next to
the checkout.
"""

import json
import statistics
import sys
import time
from datetime import date
from io import StringIO

from _support import ROOT, bench_database, counted_queries
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

SAMPLE = (
    ROOT.parent
    / "shared"
    / "fixtures"
    / "edt-index-education"
    / "Edt_To_LaclasseCom_0134567A_Enclair.xml"
)
WEEK = (date(2013, 11, 18), date(2013, 11, 24))  # week 12, an ordinary week
REPEAT = 3


def timed_import() -> tuple[float, float, dict]:
    out = StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    call_command("import_timetable", "--format", "edt", "--json", str(SAMPLE), stdout=out)
    return time.perf_counter() - started, time.process_time() - cpu, json.loads(out.getvalue())


def evaluate(occurrences) -> int:
    """Everything a week page shows of each occurrence."""
    from preau.timetable.selectors import audience_label

    shown = 0
    for occurrence in occurrences:
        _ = occurrence.subject.label if occurrence.subject else occurrence.label
        _ = [t.formal_name for t in occurrence.teachers.all()]
        _ = [r.name for r in occurrence.rooms.all()]
        _ = audience_label(occurrence)
        _ = occurrence.course.provenance if occurrence.course else None
        shown += 1
    return shown


def measure(label: str, calls) -> None:
    timings, queries, sizes = [], [], []
    for call in calls:
        for _ in range(REPEAT):
            with counted_queries() as executed:
                started = time.perf_counter()
                sizes.append(evaluate(call()))
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(executed))
    timings.sort()
    print(
        f"{label:<26} {len(calls):>5} {statistics.median(timings):9.1f} "
        f"{timings[max(0, int(len(timings) * 0.9) - 1)]:7.1f} "
        f"{min(queries):>3}–{max(queries):<3} {statistics.median(sizes):>9.0f}"
    )


def views() -> None:
    from preau.core.models import Establishment, ExternalId
    from preau.structure.models import Division
    from preau.timetable import selectors
    from preau.timetable.models import Room

    establishment = Establishment.objects.get(uai="0134567A")
    ids = ExternalId.objects.filter(source="edt", establishment=establishment)
    pupils = list(ids.filter(kind="pupil").values_list("person_id", flat=True))
    teachers = list(ids.filter(kind="teacher").values_list("person_id", flat=True))
    divisions = list(Division.objects.filter(establishment=establishment))
    rooms = list(Room.objects.filter(establishment=establishment).values_list("pk", flat=True))
    start, end = WEEK
    year = (date(2013, 9, 2), date(2014, 8, 31))
    print(
        f"\n{'week of ' + start.isoformat():<26} {'calls':>5} {'median ms':>9} {'p90 ms':>7} "
        f"{'queries':>7} {'séances':>9}"
    )
    measure("pupil", [lambda p=p: selectors.pupil_occurrences(p, start, end) for p in pupils])
    measure(
        "teacher",
        [
            lambda t=t: selectors.teacher_occurrences(t, start, end, establishment.pk)
            for t in teachers
        ],
    )
    measure(
        "division", [lambda d=d: selectors.division_occurrences(d, start, end) for d in divisions]
    )
    measure("room", [lambda r=r: selectors.room_occurrences(r, start, end) for r in rooms])
    measure(
        "pupil, whole year",
        [lambda p=p: selectors.pupil_occurrences(p, *year) for p in pupils[:: len(pupils) // 10]],
    )


def pages() -> None:
    """The week page through Django's test client, logged in as pupils and teachers of
    the sample (accounts created for the bench)."""
    from django.test import Client

    from preau.accounts.models import Account
    from preau.core.models import ExternalId

    ids = ExternalId.objects.filter(source="edt", establishment__uai="0134567A")
    url = f"/emploi-du-temps/?semaine={WEEK[0].isoformat()}"
    print(f"\n{'page ' + url:<44} {'calls':>5} {'median ms':>9} {'p90 ms':>7} {'queries':>7}")
    for kind in ("pupil", "teacher"):
        people = list(
            ids.filter(kind=kind).order_by("value").values_list("person_id", flat=True)[:40]
        )
        timings, queries = [], []
        for number, person in enumerate(people):
            account = Account.objects.create_user(f"bench-{kind}-{number}", person_id=person)
            client = Client()
            client.force_login(account)
            client.get("/")  # the session chooses its space
            for _ in range(REPEAT):
                with counted_queries() as executed:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{url} as a {kind}: HTTP {response.status_code}")
                queries.append(len(executed))
        timings.sort()
        print(
            f"{'as a ' + kind:<44} {len(people):>5} {statistics.median(timings):9.1f} "
            f"{timings[max(0, int(len(timings) * 0.9) - 1)]:7.1f} "
            f"{min(queries):>3}–{max(queries):<3}"
        )


def main() -> None:
    if not SAMPLE.exists():
        sys.exit(f"{SAMPLE} is absent: the `shared` folder must sit next to the checkout.")
    with bench_database() as engine:
        from preau.core.models import Establishment

        if Establishment.objects.filter(uai="0134567A").exists():
            sys.exit("The database already holds establishment 0134567A: use an empty one.")
        for label in ("fresh database", "re-import"):
            wall, cpu, report = timed_import()
            diff = report["diff"]
            print(
                f"{engine}: import ({label}) {wall:.2f} s ({cpu:.2f} s of processor here): "
                f"{report['counts']['occurrences']} séances, {diff['added']} added, "
                f"{diff['changed']} changed, {diff['withdrawn']} withdrawn, "
                f"{diff['unchanged']} unchanged"
            )
        views()
        with override_settings(
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
            ALLOWED_HOSTS=["testserver"],
        ):
            pages()


if __name__ == "__main__":
    main()
