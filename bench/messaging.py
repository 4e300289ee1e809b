"""Sending a 200,000-character message to every guardian of an establishment, for
establishments of 1,000, 5,000 and 20,000 families (one pupil and one legal guardian
each, all bulk-created), as the direction does it from the pages or the API:
`messaging.services.message_send` with the audience `establishment_guardians`.

Prints, for each size: the wall time of the sending (the request's work: the rules,
the audience resolved, the message stored once, one row per recipient, the audit
event, the commit), its number of queries (the same for every size), and the time the worker
then takes to render and hand the e-mails to Django's in-memory backend (no SMTP
server: the worker's own cost). Target: under 1 s for about 1,000 recipients.

    .venv/bin/python bench/messaging.py             # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/preau_bench .venv/bin/python bench/messaging.py

On PostgreSQL it works in a database of its own, `test_<name>`, created empty and
dropped at the end: the database named in DATABASE_URL is left as it is.
"""

import statistics
import time
from datetime import date, timedelta

from _support import bench_database, counted_queries
from django.db import connection, transaction
from django.test.utils import override_settings

SIZES = (1_000, 5_000, 20_000)
REPEAT = 3
BODY = (
    "<p>" + ("Madame, Monsieur, voici les informations de la rentrée. " * 3600)[:199_993] + "</p>"
)


def build(size: int, number: int):
    """An establishment of `size` families (500 pupils a division) and its direction."""
    from preau.accounts.models import Account
    from preau.core.models import Establishment, Guardianship, Person, Role, RoleKind, SchoolYear
    from preau.structure.models import Division, Enrolment, Level

    today = date.today()
    establishment = Establishment.objects.create(
        uai=f"09990{number:02d}" + "ABC"[number % 3],
        name=f"Établissement de {size} familles",
        kind="college",
        academy="paris",
        holiday_zone="C",
    )
    year = SchoolYear.objects.create(
        establishment=establishment,
        label=f"{today.year}-{today.year + 1}",
        start_date=today - timedelta(days=90),
        end_date=today + timedelta(days=210),
    )
    divisions = Division.objects.bulk_create(
        Division(
            establishment=establishment, school_year=year, name=f"D{n:03d}", level=Level.SIXIEME
        )
        for n in range(-(-size // 500))
    )
    pupils = Person.objects.bulk_create(
        (Person(last_name=f"Élève{n:05d}", first_name="Camille") for n in range(size)),
        batch_size=2000,
    )
    Role.objects.bulk_create(
        (Role(person=p, establishment=establishment, kind=RoleKind.PUPIL) for p in pupils),
        batch_size=2000,
    )
    Enrolment.objects.bulk_create(
        (
            Enrolment(pupil=p, division=divisions[n // 500], start_date=year.start_date)
            for n, p in enumerate(pupils)
        ),
        batch_size=2000,
    )
    parents = Person.objects.bulk_create(
        (
            Person(last_name=f"Parent{n:05d}", first_name="Dominique", email=f"p{n}@exemple.fr")
            for n in range(size)
        ),
        batch_size=2000,
    )
    Guardianship.objects.bulk_create(
        (Guardianship(guardian=g, pupil=p) for g, p in zip(parents, pupils, strict=True)),
        batch_size=2000,
    )
    head = Person.objects.create(last_name="Principale", first_name="Claire", email="d@exemple.fr")
    Role.objects.create(person=head, establishment=establishment, kind=RoleKind.DIRECTION)
    actor = Account.objects.create(login=f"bench-direction-{number}", person=head)
    return establishment, actor


def timed_send(establishment, actor):
    from preau.messaging import services

    with counted_queries() as executed:
        started = time.perf_counter()
        # Its own transaction, committed, as in a request (the commit included).
        message = services.message_send(
            actor=actor,
            establishment=establishment,
            subject="Rentrée",
            body=BODY,
            kind="information",
            read_receipt=True,
            audiences=[("establishment_guardians", None)],
        )
        elapsed = time.perf_counter() - started
    return message, elapsed, len(executed)


def timed_delivery(message) -> float:
    """The worker's part: every chunk of the message rendered and handed over to the
    in-memory e-mail backend."""
    from preau.messaging import notices
    from preau.messaging.models import Recipient

    ids = list(
        Recipient.objects.filter(message=message).order_by("pk").values_list("pk", flat=True)
    )
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        from django.core import mail

        mail.outbox = []
        started = time.perf_counter()
        for start in range(0, len(ids), notices.CHUNK):
            notices.deliver(ids[start : start + notices.CHUNK])
        elapsed = time.perf_counter() - started
        assert len(mail.outbox) == len(ids), (len(mail.outbox), len(ids))
    return elapsed


def main() -> None:
    with bench_database() as vendor:
        from preau.messaging.models import MessagingPolicy

        print(f"{vendor}: a {len(BODY):,}-character message to every guardian")
        results = []
        for number, size in enumerate(SIZES):
            started = time.perf_counter()
            with transaction.atomic():
                establishment, actor = build(size, number)
                # Outside quiet hours whatever the time the bench runs at.
                MessagingPolicy.objects.create(establishment=establishment, quiet_hours=False)
            with connection.cursor() as cursor:
                # Statistics for the planner, as autovacuum (PostgreSQL) would gather.
                cursor.execute("ANALYZE")
            built = time.perf_counter() - started
            timings, queries = [], set()
            message = None
            for _ in range(REPEAT):
                message, elapsed, count = timed_send(establishment, actor)
                timings.append(elapsed)
                queries.add(count)
            delivery = timed_delivery(message)
            median = statistics.median(timings)
            results.append((size, median, queries))
            print(
                f"  {message.recipient_count:>6} recipients (built in {built:4.1f} s): "
                f"send median {median:6.3f} s, min {min(timings):6.3f} s, "
                f"{'/'.join(str(q) for q in sorted(queries))} queries; "
                f"worker renders and hands over the e-mails in {delivery:5.1f} s "
                f"({message.recipient_count / delivery:,.0f}/s)"
            )
        counts = {q for _size, _median, queries in results for q in queries}
        print()
        print(
            f"queries: {'fixed' if len(counts) == 1 else 'NOT FIXED'} ({sorted(counts)}); "
            f"1,000 recipients: {results[0][1]:.3f} s (target < 1 s) — "
            f"{'OK' if results[0][1] < 1 else 'TOO SLOW'}"
        )


if __name__ == "__main__":
    main()
