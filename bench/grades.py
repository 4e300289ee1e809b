"""A lycée of 1,200 pupils (34 divisions: one of 30, the others of 35 or 36, each split
in two class parts for the second modern language), twelve services per pupil (eleven
of the division, one LV2 group drawing on the class parts of two divisions), eight
evaluations per service in the first trimester with a mark for every pupil (some
codes: ABS, DISP, NN, ABS0), sub-subjects in French and history-geography, optional
and bonus evaluations, coefficients per level, subject appraisals for every pupil,
and a trimester of timetable with some absences and lateness; all bulk-created. Then:

(a) every average of the lycée for the trimester: `class_book` for each division
    (target under 3 s);
(b) the report cards of the 30-pupil division as one PDF: `division_cards` and
    `report_cards.cards_pdf` (target under 20 s); and issuing them (one PDF each).

Prints wall time and number of queries; it is not a test.

    .venv/bin/python bench/grades.py             # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/preau_bench .venv/bin/python bench/grades.py

On PostgreSQL it works in a database of its own, `test_<name>`, created empty and
dropped at the end: the database named in DATABASE_URL is left as it is.
"""

import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from zoneinfo import ZoneInfo

from _support import bench_database, timed
from django.db import transaction

UAI = "0999002L"  # département 099 (abroad): never a real school
PARIS = ZoneInfo("Europe/Paris")
DIVISIONS = 34
# One division of 30 (the report cards timed), fifteen of 36, eighteen of 35: 1,200.
SIZES = [30] + [36] * 15 + [35] * 18
EVALUATIONS = 8
REPEAT = 3
# Division subjects: (label, coefficient, sub-subjects (code, label, coefficient))
SUBJECTS = (
    ("Français", 4, (("ECR", "Écrit", 2), ("ORA", "Oral", 1))),
    ("Mathématiques", 4, ()),
    ("Histoire-géographie", 3, (("HIS", "Histoire", 1), ("GEO", "Géographie", 1))),
    ("Anglais LV1", 3, ()),
    ("Physique-chimie", 3, ()),
    ("SVT", 2, ()),
    ("SES", 2, ()),
    ("EPS", 2, ()),
    ("Enseignement moral et civique", 1, ()),
    ("Sciences numériques et technologie", 1, ()),
    ("Accompagnement personnalisé", 1, ()),
)
LV2 = ("Espagnol LV2", "Allemand LV2")
SLOTS = ((8, 0), (9, 0), (10, 5), (11, 0), (13, 30), (14, 30))
APPRAISAL = (
    "Trimestre sérieux dans l'ensemble ; les résultats sont encourageants mais la "
    "participation orale doit progresser. Poursuivez vos efforts de régularité."
)


def build(rng: random.Random):
    from preau.attendance import services as attendance
    from preau.attendance.models import Absence, AbsenceKind, AbsenceSource, AbsenceState
    from preau.core import calendar
    from preau.core.models import Establishment, GradingPeriod, Person, Role, RoleKind, SchoolYear
    from preau.grades.models import (
        Appraisal,
        AppraisalKind,
        Evaluation,
        Mark,
        SubjectCoefficient,
        SubSubject,
    )
    from preau.structure.models import (
        ClassPart,
        ClassPartMembership,
        Division,
        Enrolment,
        Group,
        Level,
        Subject,
        TeachingService,
    )
    from preau.timetable.models import Occurrence, OccurrenceAudience
    from preau.timetable.services import insert_rows

    establishment = Establishment.objects.create(
        uai=UAI, name="Lycée du banc d'essai", kind="lycee", academy="paris", holiday_zone="A"
    )
    year = SchoolYear.objects.create(
        establishment=establishment,
        label="2025-2026",
        start_date=date(2025, 9, 1),
        end_date=date(2026, 7, 3),
    )
    period = GradingPeriod.objects.create(
        school_year=year,
        scheme="trimesters",
        number=1,
        label="Trimestre 1",
        start_date=date(2025, 9, 1),
        end_date=date(2025, 11, 30),
    )
    for number, (start, end) in enumerate(
        ((date(2025, 12, 1), date(2026, 3, 8)), (date(2026, 3, 9), date(2026, 7, 3))), start=2
    ):
        GradingPeriod.objects.create(
            school_year=year,
            scheme="trimesters",
            number=number,
            label=f"Trimestre {number}",
            start_date=start,
            end_date=end,
        )
    attendance.policy_for(establishment)
    levels = [Level.SECONDE, Level.PREMIERE, Level.TERMINALE]
    divisions = Division.objects.bulk_create(
        Division(
            establishment=establishment,
            school_year=year,
            name=f"{['2de', '1re', 'Tle'][n % 3]} {n // 3 + 1}",
            level=levels[n % 3],
        )
        for n in range(DIVISIONS)
    )
    parts = ClassPart.objects.bulk_create(
        ClassPart(division=division, name=name) for division in divisions for name in ("G1", "G2")
    )
    teachers = Person.objects.bulk_create(
        Person(last_name=f"Professeur{n:03d}", first_name="Claude") for n in range(90)
    )
    Role.objects.bulk_create(
        Role(person=p, establishment=establishment, kind=RoleKind.TEACHER) for p in teachers
    )
    pupils = Person.objects.bulk_create(
        Person(last_name=f"Élève{n:04d}", first_name=f"Prénom{n:04d}") for n in range(sum(SIZES))
    )
    Role.objects.bulk_create(
        Role(person=p, establishment=establishment, kind=RoleKind.PUPIL) for p in pupils
    )
    by_division: list[list[Person]] = []
    enrolments, memberships, start = [], [], 0
    for d, size in enumerate(SIZES):
        members = pupils[start : start + size]
        start += size
        by_division.append(members)
        for n, pupil in enumerate(members):
            enrolments.append(
                Enrolment(pupil=pupil, division=divisions[d], start_date=year.start_date)
            )
            memberships.append(
                ClassPartMembership(
                    pupil=pupil, class_part=parts[2 * d + n % 2], start_date=year.start_date
                )
            )
    Enrolment.objects.bulk_create(enrolments, batch_size=1000)
    ClassPartMembership.objects.bulk_create(memberships, batch_size=1000)
    for d, division in enumerate(divisions):
        division.head_teachers.add(teachers[d % len(teachers)])

    subjects = {
        label: Subject.objects.create(establishment=establishment, code=f"S{n:02d}", label=label)
        for n, label in enumerate([s[0] for s in SUBJECTS] + list(LV2))
    }
    SubjectCoefficient.objects.bulk_create(
        SubjectCoefficient(
            establishment=establishment,
            school_year=year,
            subject=subjects[label],
            level=level,
            coefficient=Decimal(coefficient),
        )
        for label, coefficient, _subs in SUBJECTS
        for level in levels
    )
    services, audience = [], []  # audience: service index → pupils
    for d, division in enumerate(divisions):
        for s, (label, _coefficient, _subs) in enumerate(SUBJECTS):
            services.append(
                TeachingService(
                    establishment=establishment,
                    school_year=year,
                    subject=subjects[label],
                    division=division,
                )
            )
            audience.append((by_division[d], (d * 11 + s) % len(teachers)))
    groups = []
    for pair in range(0, DIVISIONS, 2):
        for g, label in enumerate(LV2):
            groups.append(
                (
                    Group.objects.create(
                        establishment=establishment,
                        school_year=year,
                        name=f"{label} {pair // 2 + 1}",
                    ),
                    label,
                    [parts[2 * d + g] for d in (pair, pair + 1) if d < DIVISIONS],
                )
            )
    for group, label, group_parts in groups:
        group.class_parts.set(group_parts)
        members = [
            pupil
            for part in group_parts
            for n, pupil in enumerate(by_division[part.division_id - divisions[0].pk])
            if (n % 2) == (0 if part.name == "G1" else 1)
        ]
        services.append(
            TeachingService(
                establishment=establishment,
                school_year=year,
                subject=subjects[label],
                group=group,
            )
        )
        audience.append((members, group.pk % len(teachers)))
    services = TeachingService.objects.bulk_create(services)
    TeachingService.teachers.through.objects.bulk_create(
        TeachingService.teachers.through(
            teachingservice_id=service.pk, person_id=teachers[teacher].pk
        )
        for service, (_members, teacher) in zip(services, audience, strict=True)
    )
    subs = {}
    for service in services:
        spec = next((s for s in SUBJECTS if s[0] == service.subject.label), None)
        for code, label, coefficient in spec[2] if spec else ():
            subs.setdefault(service.pk, []).append(
                SubSubject(
                    service=service, code=code, label=label, coefficient=Decimal(coefficient)
                )
            )
    SubSubject.objects.bulk_create([sub for items in subs.values() for sub in items])
    school_days = calendar.school_days(
        establishment.calendar_rules(), period.start_date, period.end_date
    )
    evaluations, plan = [], []
    for service, (members, teacher) in zip(services, audience, strict=True):
        service_subs = subs.get(service.pk, [])
        for e in range(EVALUATIONS):
            day = school_days[(e * len(school_days)) // EVALUATIONS + 3]
            kind = "normal"
            if e == EVALUATIONS - 1 and service.pk % 3 == 0:
                kind = "optional"
            elif e == EVALUATIONS - 1 and service.pk % 3 == 1:
                kind = "bonus"
            scale = Decimal(10 if e == 2 else 40 if e == 5 else 20)
            evaluations.append(
                Evaluation(
                    establishment=establishment,
                    service=service,
                    period=period,
                    sub_subject=service_subs[e % len(service_subs)] if service_subs else None,
                    title=f"Devoir {e + 1}",
                    date=day,
                    published_on=day,
                    scale=scale,
                    coefficient=Decimal(2 if e in (3, 6) else 1),
                    bring_to_20=e != 5,
                    kind=kind,
                    created_by_id=teachers[teacher].pk,
                )
            )
            plan.append(members)
    evaluations = Evaluation.objects.bulk_create(evaluations, batch_size=1000)
    marks = []
    for evaluation, members in zip(evaluations, plan, strict=True):
        for pupil in members:
            draw = rng.random()
            if draw < 0.03:
                marks.append(Mark(evaluation=evaluation, pupil=pupil, code="ABS"))
            elif draw < 0.04:
                marks.append(Mark(evaluation=evaluation, pupil=pupil, code="DISP"))
            elif draw < 0.045:
                marks.append(Mark(evaluation=evaluation, pupil=pupil, code="ABS0"))
            elif draw < 0.05:
                marks.append(Mark(evaluation=evaluation, pupil=pupil, code="NN"))
            else:
                scale = evaluation.scale
                value = min(
                    scale,
                    max(Decimal(0), Decimal(round(rng.gauss(0.6, 0.18) * 4 * float(scale))) / 4),
                )
                marks.append(Mark(evaluation=evaluation, pupil=pupil, value=value))
    Mark.objects.bulk_create(marks, batch_size=2000)
    appraisals = [
        Appraisal(
            period=period,
            pupil=pupil,
            kind=AppraisalKind.SUBJECT,
            service=service,
            text=APPRAISAL,
            author_id=teachers[teacher].pk,
        )
        for service, (members, teacher) in zip(services, audience, strict=True)
        for pupil in members
    ]
    for pupil in pupils:
        for kind in (AppraisalKind.HEAD_TEACHER, AppraisalKind.COUNCIL):
            appraisals.append(Appraisal(period=period, pupil=pupil, kind=kind, text=APPRAISAL))
    Appraisal.objects.bulk_create(appraisals, batch_size=2000)

    # The trimester's timetable (six sessions a day per division, four on Wednesday)
    # and absences: the attendance figures of the report cards are computed from them.
    planned = []
    for day in school_days:
        slots = SLOTS[:4] if day.weekday() == 2 else SLOTS
        for division in divisions:
            for h, m in slots:
                planned.append((f"bench:{division.pk}:{day}:{h}{m}", day, h, m, division.pk))
    occurrences = Occurrence.objects.bulk_create(
        (
            Occurrence(
                establishment=establishment,
                school_year=year,
                uid=uid,
                date=day,
                start=datetime.combine(day, clock(h, m), tzinfo=PARIS),
                end=datetime.combine(day, clock(h, m), tzinfo=PARIS) + timedelta(minutes=55),
            )
            for uid, day, h, m, _division in planned
        ),
        batch_size=1000,
    )
    insert_rows(
        OccurrenceAudience,
        ("occurrence_id", "division_id"),
        [(o.pk, row[4]) for o, row in zip(occurrences, planned, strict=True)],
    )
    now = datetime.now(PARIS)
    absences = []
    for pupil in pupils:
        for _n in range(rng.choice((0, 0, 1, 1, 2, 4))):
            day = rng.choice(school_days)
            h, m = rng.choice(SLOTS[:4])
            begin = datetime.combine(day, clock(h, m), tzinfo=PARIS)
            late = rng.random() < 0.3
            absences.append(
                Absence(
                    establishment=establishment,
                    school_year=year,
                    pupil=pupil,
                    kind=AbsenceKind.LATENESS if late else AbsenceKind.ABSENCE,
                    start=begin,
                    end=begin + timedelta(minutes=10 if late else 55 * rng.choice((1, 2, 3))),
                    minutes_late=10 if late else None,
                    source=AbsenceSource.DESK,
                    state=rng.choice((AbsenceState.UNJUSTIFIED, AbsenceState.ACCEPTED)),
                    created_at=now,
                    updated_at=now,
                )
            )
    Absence.objects.bulk_create(absences, batch_size=1000)
    direction = Person.objects.create(last_name="Proviseur", first_name="Dominique")
    Role.objects.create(person=direction, establishment=establishment, kind=RoleKind.DIRECTION)
    return {
        "establishment": establishment,
        "period": period,
        "divisions": divisions,
        "direction": direction,
        "pupils": len(pupils),
        "services": len(services),
        "evaluations": len(evaluations),
        "marks": len(marks),
        "occurrences": len(occurrences),
        "absences": len(absences),
    }


def main() -> None:
    with bench_database() as vendor:
        from django.utils import timezone

        from preau.accounts.models import Account
        from preau.core.models import Establishment
        from preau.grades import report_cards
        from preau.grades.access import policy_of
        from preau.grades.selectors.book import class_book
        from preau.grades.selectors.report_cards import division_cards

        if Establishment.objects.filter(uai=UAI).exists():
            sys.exit(f"The database already holds establishment {UAI}: use an empty one.")
        started = time.perf_counter()
        with transaction.atomic():
            built = build(random.Random(5))
        print(
            f"{vendor}: built {built['pupils']} pupils, {len(built['divisions'])} divisions, "
            f"{built['services']} services, {built['evaluations']} evaluations, "
            f"{built['marks']} marks, {built['occurrences']} séances, {built['absences']} "
            f"absences and lateness in {time.perf_counter() - started:.1f} s"
        )
        period, divisions = built["period"], built["divisions"]
        policy = policy_of(built["establishment"].pk)

        def all_averages():
            return [
                class_book(division=division, period=period, policy=policy)
                for division in divisions
            ]

        books, averages = timed("(a) every average of the lycée (class_book × 34)", all_averages)
        pupils = sum(len(book.pupils) for book in books)
        counted = sum(
            1
            for book in books
            for results in book.results.pupils.values()
            if results.general.value is not None
        )
        print(f"    {pupils} pupils, {counted} with a general average")

        small = divisions[0]

        def division_pdf():
            with timezone.override(PARIS):
                cards = division_cards(division=small, period=period)
                return report_cards.cards_pdf(cards)

        pdf, rendering = timed(f"(b) report cards of {small.name} (30 pupils) as PDF", division_pdf)
        print(f"    {len(pdf) // 1024} KiB")
        actor = Account.objects.create(login="bench-direction", person=built["direction"])
        issued, _issuing = timed(
            f"    issuing them (one PDF per pupil, kept) for {small.name}",
            lambda: report_cards.report_cards_issue(actor=actor, division=small, period=period),
            repeat=1,
        )
        print(f"    {len(issued)} report cards issued")
        print()
        print(
            f"(a) all averages: {averages:.2f} s (target < 3 s) — "
            f"{'OK' if averages < 3 else 'TOO SLOW'}"
        )
        print(
            f"(b) 30-pupil division PDF: {rendering:.2f} s (target < 20 s) — "
            f"{'OK' if rendering < 20 else 'TOO SLOW'}"
        )


if __name__ == "__main__":
    main()
