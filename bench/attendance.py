"""A collège of 1,200 pupils (40 divisions of 30, each split in two class parts) with a
month of timetable (about 30 sessions a week per pupil: division courses and class-part
courses, bulk-created) and a month of realistic absences and lateness, imported from a
CSV file by `import_absences`; then `attendance_report` for the month, and the
figures the legal pages read (the month, the year's rates, the dropout watch): wall
time and number of queries. Prints figures; it is not a test.

    .venv/bin/python bench/attendance.py             # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/preau_bench .venv/bin/python bench/attendance.py
    .venv/bin/python bench/attendance.py --year      # a whole school year of both

On PostgreSQL it works in a database of its own, `test_<name>`, created empty and
dropped at the end: the database named in DATABASE_URL is left as it is. Target:
`attendance_report` under 5 s on both.
"""

import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

from _support import bench_database, timed
from django.core.management import call_command
from django.db import transaction

UAI = "0999001K"  # département 099 (abroad): never a real school
MONTH = date(2026, 3, 1)
DIVISIONS, PUPILS_PER_DIVISION = 40, 30
PARIS = ZoneInfo("Europe/Paris")
REPEAT = 3
# --year: timetable and absences for the whole school year, not only the month.
WHOLE_YEAR = "--year" in sys.argv
# (hour, minute, minutes) of the division's courses; on Wednesday only the morning.
SLOTS = ((8, 0, 55), (9, 0, 55), (10, 5, 55), (11, 0, 55), (13, 30, 55), (14, 30, 55))
# Twice a week each division is split: its two class parts have different courses.
SPLIT = {1: (15, 30, 55), 3: (15, 30, 55)}  # Tuesday, Thursday


def build() -> tuple:
    """The establishment, its pupils (person id → REF) and its month of timetable."""
    from preau.attendance import services
    from preau.core import calendar
    from preau.core.models import (
        Establishment,
        ExternalId,
        IdentifiedAs,
        Person,
        Role,
        RoleKind,
        SchoolYear,
    )
    from preau.structure.models import ClassPart, ClassPartMembership, Division, Enrolment, Level
    from preau.timetable.models import Occurrence, OccurrenceAudience
    from preau.timetable.services import insert_rows

    establishment = Establishment.objects.create(
        uai=UAI,
        name="Collège du banc d'essai",
        kind="college",
        academy="paris",
        holiday_zone="A",
    )
    year = SchoolYear.objects.create(
        establishment=establishment,
        label="2025-2026",
        start_date=date(2025, 9, 1),
        end_date=date(2026, 7, 3),
    )
    services.policy_for(establishment)
    services.reasons_ensure(establishment)
    levels = [Level.SIXIEME, Level.CINQUIEME, Level.QUATRIEME, Level.TROISIEME]
    divisions = Division.objects.bulk_create(
        Division(
            establishment=establishment,
            school_year=year,
            name=f"{levels[n % 4][0]}{chr(65 + n // 4)}",
            level=levels[n % 4],
        )
        for n in range(DIVISIONS)
    )
    parts = ClassPart.objects.bulk_create(
        ClassPart(division=division, name=name) for division in divisions for name in ("G1", "G2")
    )
    people = Person.objects.bulk_create(
        Person(last_name=f"Élève{n:04d}", first_name=f"Prénom{n:04d}")
        for n in range(DIVISIONS * PUPILS_PER_DIVISION)
    )
    Role.objects.bulk_create(
        Role(person=p, establishment=establishment, kind=RoleKind.PUPIL) for p in people
    )
    refs = {}
    enrolments, memberships, identifiers = [], [], []
    for n, person in enumerate(people):
        division = n // PUPILS_PER_DIVISION
        enrolments.append(
            Enrolment(pupil=person, division=divisions[division], start_date=year.start_date)
        )
        memberships.append(
            ClassPartMembership(
                pupil=person, class_part=parts[2 * division + n % 2], start_date=year.start_date
            )
        )
        refs[person.pk] = f"edt:{10000 + n}"
        identifiers.append(
            ExternalId(
                person=person,
                source="edt",
                value=str(10000 + n),
                kind=IdentifiedAs.PUPIL,
                establishment=establishment,
            )
        )
    Enrolment.objects.bulk_create(enrolments)
    ClassPartMembership.objects.bulk_create(memberships)
    ExternalId.objects.bulk_create(identifiers)

    first, last = (
        (year.start_date, year.end_date)
        if WHOLE_YEAR
        else (MONTH, (MONTH + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    )
    school_days = calendar.school_days(establishment.calendar_rules(), first, last)
    planned = []  # (uid, day, start, end, unit column, unit id)
    for day in school_days:
        weekday = day.weekday()
        slots = SLOTS[:4] if weekday == 2 else SLOTS
        for d, division in enumerate(divisions):
            for h, m, length in slots:
                planned.append(
                    (
                        f"bench:{division.pk}:{day}:{h}{m}",
                        day,
                        h,
                        m,
                        length,
                        "division_id",
                        division.pk,
                    )
                )
            if weekday in SPLIT:
                h, m, length = SPLIT[weekday]
                for part in parts[2 * d : 2 * d + 2]:
                    planned.append(
                        (f"bench:p{part.pk}:{day}", day, h, m, length, "class_part_id", part.pk)
                    )
    occurrences = Occurrence.objects.bulk_create(
        (
            Occurrence(
                establishment=establishment,
                school_year=year,
                uid=uid,
                date=day,
                start=datetime.combine(day, clock(h, m), tzinfo=PARIS),
                end=datetime.combine(day, clock(h, m), tzinfo=PARIS) + timedelta(minutes=length),
            )
            for uid, day, h, m, length, _column, _unit in planned
        ),
        batch_size=1000,
    )
    for column in ("division_id", "class_part_id"):
        insert_rows(
            OccurrenceAudience,
            ("occurrence_id", column),
            [
                (o.pk, row[6])
                for o, row in zip(occurrences, planned, strict=True)
                if row[5] == column
            ],
        )
    return establishment, refs, school_days, len(occurrences)


def absences_csv(refs: dict[int, str], school_days: list[date], path: Path) -> tuple[int, int]:
    """A month of absences as a vie scolaire sees them: most pupils absent a half-day
    or a course now and then, a few often absent, some lateness; a mix of states."""
    rng = random.Random(20260301)
    states = ["accepted"] * 6 + ["pending"] * 1 + ["unjustified"] * 2 + ["rejected"]
    reasons = {"accepted": "MAL", "pending": "FAM", "rejected": "PANNE", "unjustified": ""}
    lines, absences, lateness = ["pupil;start;end;kind;state;reason"], 0, 0
    for ref in refs.values():
        often = rng.random() < 0.04
        for day in school_days:
            draw = rng.random()
            state = rng.choice(states)
            if draw < (0.20 if often else 0.025):  # a whole day
                start, end, kind = clock(8), clock(17), "absence"
            elif draw < (0.30 if often else 0.045):  # a morning
                start, end, kind = clock(8), clock(12), "absence"
            elif draw < (0.35 if often else 0.065):  # one course
                hour = rng.choice((9, 10, 14))
                start, end, kind = clock(hour), clock(hour, 55), "absence"
            elif draw < (0.45 if often else 0.085):
                minutes = rng.randint(3, 20)
                start, end, kind = clock(8), clock(8, minutes), "lateness"
                state = "unjustified"
            else:
                continue
            absences += kind == "absence"
            lateness += kind == "lateness"
            reason = reasons[state] if kind == "absence" else ""
            lines.append(f"{ref};{day}T{start:%H:%M};{day}T{end:%H:%M};{kind};{state};{reason}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return absences, lateness


def main() -> None:
    with bench_database() as engine:
        from django.db.models import F

        from preau.attendance import reports
        from preau.attendance.models import Absence, AbsenceChange
        from preau.core.models import Establishment, SchoolYear

        if Establishment.objects.filter(uai=UAI).exists():
            sys.exit(f"The database already holds establishment {UAI}: use an empty one.")
        started = time.perf_counter()
        with transaction.atomic():
            establishment, refs, school_days, occurrences = build()
        print(
            f"{engine}: built {len(refs)} pupils, {occurrences} séances in {len(school_days)} "
            f"school days in {time.perf_counter() - started:.1f} s; reporting {MONTH:%Y-%m}"
        )
        path = Path(os.environ["PREAU_VAR_DIR"]) / "absences.csv"
        absences, lateness = absences_csv(refs, school_days, path)
        out = StringIO()
        started = time.perf_counter()
        call_command("import_absences", "--uai", UAI, str(path), stdout=out)
        print(
            f"  import_absences: {absences} absences and {lateness} lateness in "
            f"{time.perf_counter() - started:.2f} s"
        )
        # As if each had been recorded on its day, so that lists "as of" a date differ.
        Absence.objects.update(created_at=F("end"))
        AbsenceChange.objects.update(at=F("end"))
        print()

        def report() -> dict:
            out = StringIO()
            call_command(
                "attendance_report",
                "--uai",
                UAI,
                "--month",
                f"{MONTH:%Y-%m}",
                "--format",
                "json",
                stdout=out,
            )
            return json.loads(out.getvalue())

        document, _ = timed("attendance_report --format json", report)
        pupils = document["pupils"]
        print(
            f"    {len(pupils)} pupils, "
            f"{sum(p['half_days'] for p in pupils)} half-days of absence, "
            f"{sum(p['unjustified_half_days'] for p in pupils)} unjustified, "
            f"{sum(p['lateness'] for p in pupils)} lateness; "
            f"L131-8: {len(document['l131_8'])} pupils; rate {document['rate']:.4f}"
        )
        timed("reports.month_figures", lambda: reports.month_figures(establishment, MONTH))
        as_of = datetime.combine(date(2026, 3, 20), clock(12), tzinfo=PARIS)
        timed(
            "reports.month_figures as of a date",
            lambda: reports.month_figures(establishment, MONTH, as_of=as_of),
        )
        year = SchoolYear.objects.get(establishment=establishment)
        timed(
            "reports.monthly_rates (year, by division)",
            lambda: reports.monthly_rates(establishment, year, by="division"),
            repeat=1,
        )
        timed(
            "reports.rates_by (year, the three groupings)",
            lambda: reports.rates_by(establishment, year),
            repeat=1,
        )
        watch, _ = timed(
            "reports.dropout_watch",
            lambda: reports.dropout_watch(establishment, as_of=date(2026, 3, 31)),
            repeat=1,
        )
        print(f"    {len(watch)} pupils on the dropout watch list")


if __name__ == "__main__":
    main()
