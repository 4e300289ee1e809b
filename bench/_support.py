"""What every benchmark shares: Django set up on a throw-away database, a query counter
and a timing harness. Import it first (`from _support import ...`): it configures
Django before the benchmark imports any model.

On SQLite the database lives in a temporary folder (PREAU_VAR_DIR); on PostgreSQL
(DATABASE_URL) the benchmark works in a database of its own, `test_<name>`, created
empty and dropped at the end: the database named in DATABASE_URL is left as it is.
"""

import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREAU_VAR_DIR", tempfile.mkdtemp(prefix="preau-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.config.settings")

import django  # noqa: E402

django.setup()
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


@contextmanager
def bench_database() -> Iterator[str]:
    """A migrated, empty database for the benchmark; yields the vendor's name."""
    vendor = connection.vendor
    old_name = None
    if vendor == "sqlite":
        call_command("migrate", verbosity=0)
    else:
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield vendor
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block, in order."""
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield executed


def timed(label: str, call: Callable, repeat: int = 3, *, width: int = 52):
    """Runs `call` `repeat` times and prints the median and minimum wall time, the
    processor time and the number of queries; returns (last result, median seconds)."""
    timings, cpu, queries = [], [], []
    result = None
    for _ in range(repeat):
        with counted_queries() as executed:
            started, processor = time.perf_counter(), time.process_time()
            result = call()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - processor)
        queries.append(len(executed))
    print(
        f"  {label:<{width}} median {statistics.median(timings):6.2f} s   "
        f"min {min(timings):6.2f} s   (CPU {min(cpu):6.2f} s)   {max(queries):>4} queries"
    )
    return result, statistics.median(timings)
