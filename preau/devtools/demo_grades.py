"""The demo establishments' grades: the marks of the current period (and of the
previous one once it is over) as the teachers of a real collège and lycée would have
entered them on the day of seeding.

What is there (grades.md):

- each establishment's settings (`services.policy_update`): the collège shows marks to
  families at once and rounds to the hundredth, the lycée shows them to guardians two
  days after the pupils;
- subject coefficients per level for the year, as most establishments set them (the
  core subjects weigh more, the lycée's spécialités most), and sub-subjects for a few
  services: English written and oral (2 and 1), history and geography;
- for every service of every division and group, evaluations in proportion to its
  weekly hours (four to eight a period): tests, short written or oral quizzes, homework,
  practical work, EPS and arts practice; on school days, mostly out of 20, some out of
  10 or 40 (a few not brought to 20), coefficients from 0.5 to 3, published from the
  day they were marked to a week later (the most recent ones not yet); a few optional
  and bonus evaluations; in the current period, a few evaluations announced for the
  coming days, without marks;
- a mark for every pupil who followed the service on the day (a volunteer's for an
  optional one), drawn from the pupil's level (around 12, spread 3.5), their ease in
  the subject and the test's difficulty, in quarter points; about 3 % of codes: ABS
  mostly, DISP and INAP in EPS, NR and NR0 for homework, NN, ABS0; some absent pupils
  made the test up later (the mark replaced the code, both changes kept);
- every mark with its `MarkChange` rows (source "demo") and every evaluation with its
  audit event, dated when the teacher typed it;
- the demo accounts' children: Emma (`eleve`) and Lucas (`lyceen`) have, among marks in
  every subject, an optional mark that raises their average, a bonus mark that adds
  points and an absence code, all visible to them and their guardians;
- for the previous period, when there is one, the appraisals of the teachers and of
  the head teacher of a few divisions (those of the demo children among them).

Bulk inserts; deterministic for a seed and a day.
"""

import math
import random
import time as clock
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db import connection

from preau.accounts.models import Account
from preau.audit.models import AuditEvent
from preau.core import calendar
from preau.core.models import Establishment, GradingPeriod, SchoolYear
from preau.devtools.dated import dated_fields
from preau.grades import engine, services
from preau.grades.models import (
    Appraisal,
    AppraisalKind,
    Evaluation,
    EvaluationKind,
    Mark,
    MarkChange,
    SubjectCoefficient,
    SubSubject,
)
from preau.grades.selectors.book import class_book, period_on
from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    TeachingService,
)

BATCH = 2000
SOURCE = "demo"
# Share of marks that are codes.
CODE_RATE = 0.03
# Evaluations announced ahead in the current period: those of the next days.
ANNOUNCED_DAYS = 10

# The weight of each subject in the general average, per level.
COLLEGE_COEFFICIENTS = {
    "6E": {"FRANC": 2, "MATHS": 2, "HIGEO": 1.5, "AGL1": 1.5, "SVT": 1, "PH-CH": 1, "TECHN": 1},
    "5E": {"FRANC": 3, "MATHS": 3, "HIGEO": 2, "AGL1": 2, "ALL2": 1.5, "ESP2": 1.5},
    "4E": {"FRANC": 3, "MATHS": 3, "HIGEO": 2, "AGL1": 2, "ALL2": 2, "ESP2": 2},
    "3E": {"FRANC": 3, "MATHS": 3, "HIGEO": 2, "AGL1": 2, "ALL2": 2, "ESP2": 2},
}
COLLEGE_DEFAULTS = {
    "SVT": 1.5,
    "PH-CH": 1.5,
    "TECHN": 1.5,
    "A-PLA": 1,
    "EDMUS": 1,
    "EPS": 1,
    "LCALA": 1,
}
SPECIALITY_CODES = ("MATHS", "PH-CH", "SVT", "SES", "HGGSP", "HLPHI", "NSINF")
LYCEE_COEFFICIENTS = {
    "2NDE": {
        "FRANC": 3,
        "MATHS": 3,
        "HIGEO": 2,
        "AGL1": 2,
        "ALL2": 2,
        "ESP2": 2,
        "PH-CH": 2,
        "SVT": 1.5,
        "SES": 1.5,
        "SNTEC": 1,
        "EPS": 1,
    },
    "1RE": {
        "FRANC": 4,
        "HIGEO": 2,
        "AGL1": 2,
        "ALL2": 2,
        "ESP2": 2,
        "G-SCI": 2,
        "EPS": 1,
        **dict.fromkeys(SPECIALITY_CODES, 4),
    },
    "TLE": {
        "PHILO": 3,
        "HIGEO": 2,
        "AGL1": 2,
        "ALL2": 2,
        "ESP2": 2,
        "G-SCI": 2,
        "EPS": 1,
        **dict.fromkeys(SPECIALITY_CODES, 5),
    },
}

# Sub-subjects: (levels, subject) → (code, label, coefficient).
SUB_SUBJECTS = {
    (("4E", "3E", "1RE"), "AGL1"): (("ECR", "Écrit", 2), ("ORA", "Oral", 1)),
    (("4E", "2NDE"), "HIGEO"): (("HIS", "Histoire", 1), ("GEO", "Géographie", 1)),
}

# The chapters a test can be about, per subject (and per sub-subject).
TOPICS = {
    "FRANC": [
        "Le récit d'aventure",
        "La poésie lyrique",
        "Le théâtre de Molière",
        "Les propositions subordonnées",
        "L'accord du participe passé",
        "Le conte merveilleux",
        "La nouvelle réaliste",
        "L'argumentation",
        "Les valeurs des temps du passé",
    ],
    "MATHS": [
        "Les fractions",
        "Le calcul littéral",
        "Le théorème de Pythagore",
        "La proportionnalité",
        "Les équations",
        "Les nombres relatifs",
        "Les statistiques",
        "Les fonctions affines",
        "Le théorème de Thalès",
        "Les puissances",
    ],
    "HIS": [
        "La Révolution française",
        "L'Empire napoléonien",
        "L'Europe des Lumières",
        "La Première Guerre mondiale",
        "L'industrialisation",
    ],
    "GEO": [
        "Les espaces productifs",
        "L'urbanisation du monde",
        "Les mobilités humaines",
        "Les aires urbaines en France",
    ],
    "HIGEO": [
        "La Révolution française",
        "La Première Guerre mondiale",
        "L'urbanisation du monde",
        "Les espaces productifs",
        "La IIIe République",
    ],
    "AGL1": [
        "Daily routine",
        "Past simple",
        "The British Isles",
        "Present perfect",
        "Famous inventors",
    ],
    "ALL2": ["Meine Familie", "Die Schule", "Das Perfekt", "In der Stadt"],
    "ESP2": ["Mi familia", "El pretérito", "La ciudad", "Las vacaciones"],
    "SVT": [
        "La cellule",
        "La digestion",
        "Les séismes",
        "La reproduction",
        "Le système nerveux",
        "Les écosystèmes",
    ],
    "PH-CH": [
        "Les circuits électriques",
        "Les états de la matière",
        "La masse volumique",
        "Les transformations chimiques",
        "La vitesse",
    ],
    "TECHN": ["Les objets techniques", "Les énergies", "La programmation", "Les matériaux"],
    "LCALA": ["La première déclinaison", "Le présent de l'indicatif", "La mythologie"],
    "PHILO": ["La conscience", "Le travail", "La liberté", "L'art", "La vérité"],
    "SES": ["La production", "Le marché", "La socialisation", "La monnaie"],
    "SNTEC": ["Internet", "Le Web", "Les données structurées", "La photographie numérique"],
    "G-SCI": ["Le Soleil, notre source d'énergie", "La Terre, un astre singulier", "Le climat"],
    "NSINF": ["Les listes en Python", "Les bases de données", "La récursivité", "Les graphes"],
    "HGGSP": ["La puissance", "Les frontières", "La démocratie", "L'information"],
    "HLPHI": ["Les pouvoirs de la parole", "Les représentations du monde", "Montaigne"],
}
EPS_ACTIVITIES = [
    "Demi-fond",
    "Badminton",
    "Acrosport",
    "Handball",
    "Course d'orientation",
    "Natation",
    "Volley-ball",
    "Danse",
]
ART_WORKS = {
    "A-PLA": [
        "Réalisation — Autoportrait",
        "Réalisation — La couleur",
        "Réalisation — Le point de vue",
        "Réalisation — Planche de bande dessinée",
        "Réalisation — Le collage",
        "Présentation orale — Une œuvre du musée de la Cour d'Or",
    ],
    "EDMUS": [
        "Chant — Canon à trois voix",
        "Écoute — Le Boléro de Ravel",
        "Création rythmique",
        "Écoute — Les Quatre Saisons de Vivaldi",
        "Présentation orale — Un instrument",
    ],
}
# The brevet blanc's papers: scale and title.
BREVET = {
    "FRANC": (100, "Brevet blanc — épreuve de français"),
    "MATHS": (100, "Brevet blanc — épreuve de mathématiques"),
    "HIGEO": (50, "Brevet blanc — épreuve d'histoire-géographie"),
    "SVT": (50, "Brevet blanc — épreuve de sciences (SVT)"),
    "PH-CH": (50, "Brevet blanc — épreuve de sciences (physique-chimie)"),
}

OPTIONAL_TITLES = (
    "Exposé facultatif",
    "DM facultatif — Pour aller plus loin",
    "Devoir facultatif de rattrapage",
)
BONUS_TITLES = ("Question bonus", "Défi bonus", "Bonus — Participation")

SUBJECT_APPRAISALS = (
    (
        16,
        (
            "Excellent {period}. Travail sérieux et très bons résultats : continuez ainsi.",
            "Très bon {period}, participation active et résultats remarquables.",
        ),
    ),
    (
        13,
        (
            "Bon {period}. Le travail est régulier ; il faut viser davantage d'approfondissement.",
            "Bons résultats, fruit d'un travail sérieux et d'une participation régulière.",
        ),
    ),
    (
        10,
        (
            "Résultats corrects mais irréguliers : les leçons doivent être apprises plus "
            "régulièrement.",
            "Ensemble assez satisfaisant ; la participation orale peut progresser.",
        ),
    ),
    (
        7,
        (
            "{Period} fragile. Des efforts sont nécessaires dans l'apprentissage des leçons.",
            "Des difficultés : il faut travailler plus régulièrement et poser des questions.",
        ),
    ),
    (
        0,
        (
            "Résultats très insuffisants. Il faut se mettre au travail sans attendre.",
            "{Period} très difficile : un travail personnel sérieux s'impose.",
        ),
    ),
)
HEAD_TEACHER_APPRAISALS = (
    (15, "Très bon {period}, félicitations pour ce travail sérieux dans toutes les matières."),
    (12, "Bon {period} dans l'ensemble. Il faut poursuivre les efforts et rester régulier."),
    (10, "{Period} correct. Des progrès sont possibles avec un travail plus approfondi."),
    (8, "{Period} insuffisant. Un travail plus régulier est attendu dès maintenant."),
    (0, "{Period} inquiétant : un rendez-vous avec la famille est proposé."),
)


@dataclass
class GradesSummary:
    evaluations: int = 0
    marks: int = 0
    codes: int = 0
    changes: int = 0
    appraisals: int = 0
    sub_subjects: int = 0
    coefficients: int = 0
    seconds: float = 0.0


@dataclass(eq=False)
class Plan:
    """An evaluation to write, with its marks (pupil → text) and when they were typed."""

    service: TeachingService
    period: GradingPeriod
    title: str
    day: date
    scale: int
    coefficient: Decimal
    bring_to_20: bool
    kind: str
    published_on: date
    entered_on: date | None
    style: str
    sub_subject: SubSubject | None = None
    marks: dict[int, str] = field(default_factory=dict)
    # pupil → the code first typed, replaced later by the mark (a test made up).
    made_up: dict[int, tuple[str, date]] = field(default_factory=dict)
    row: Evaluation | None = None


def dated_rows():
    """Rows written with the time things happened rather than the time of seeding."""
    return dated_fields(
        AuditEvent._meta.get_field("at"),
        MarkChange._meta.get_field("at"),
        Mark._meta.get_field("updated_at"),
        Evaluation._meta.get_field("created_at"),
        Evaluation._meta.get_field("updated_at"),
        Appraisal._meta.get_field("updated_at"),
    )


def quarter(value: float, step: float = 0.25) -> Decimal:
    return Decimal(str(round(value / step) * step))


def mark_text(value: Decimal) -> str:
    return engine.decimal_text(Fraction(value))


def insert_rows(model, fields: list[str], rows: list[tuple], extra: list[str] = ()) -> None:
    """The rows `bulk_create` would write, for the two big tables (marks and their
    trail), without building a model instance per row: several times faster for the
    full demo's hundred thousand rows (COPY on PostgreSQL). Dates and decimals are
    prepared by their fields (once per distinct value)."""
    meta = model._meta
    columns = [meta.get_field(name) for name in [*fields, *extra]]
    prepared: dict[tuple[int, object], object] = {}
    convert = {
        index
        for index, column in enumerate(columns)
        if column.get_internal_type() in ("DateTimeField", "DecimalField")
    }

    def value(index: int, raw):
        if raw is None or index not in convert:
            return raw
        key = (index, raw)
        if key not in prepared:
            prepared[key] = columns[index].get_db_prep_save(raw, connection)
        return prepared[key]

    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(column.column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the fastest way in, without a query to parse per batch.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([value(index, raw) for index, raw in enumerate(row)])
            return
        # Many rows per statement (as bulk_create does), within the backend's limit of
        # parameters.
        one = "({})".format(", ".join(["%s"] * len(columns)))
        per = max(1, min(1000, (connection.features.max_query_params or 10_000) // len(columns)))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            # Names from the models' metadata, quoted; the values go as parameters.
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}",  # noqa: S608
                [value(index, raw) for row in chunk for index, raw in enumerate(row)],
            )


# -- One establishment --------------------------------------------------------------------


class School:
    """One establishment's year: its services with their dated audiences, its periods,
    and the evaluations planned for it."""

    def __init__(self, builder: "GradesBuilder", establishment: Establishment, year: SchoolYear):
        self.builder = builder
        self.establishment = establishment
        self.year = year
        self.college = establishment.kind == "college"
        self.zone = ZoneInfo(establishment.timezone)
        self.rng = random.Random(f"{builder.seed}/grades/{establishment.uai}")
        self.rules = establishment.school_calendar_rules()
        self.plans: list[Plan] = []
        self.sub_subjects: dict[int, list[SubSubject]] = defaultdict(list)
        self._load()

    def _load(self) -> None:
        year = self.year
        # Every query ordered: the same seed gives the same data on every backend.
        self.divisions = {
            d.pk: d
            for d in Division.objects.filter(school_year=year)
            .prefetch_related("head_teachers")
            .order_by("pk")
        }
        self.periods: dict[str, list[GradingPeriod]] = defaultdict(list)
        for period in GradingPeriod.objects.filter(school_year=year).order_by("number"):
            self.periods[period.scheme].append(period)
        self.services = list(
            TeachingService.objects.filter(school_year=year)
            .select_related("subject")
            .prefetch_related("teachers")
            .order_by("pk")
        )
        # Dated memberships: (pupil, start, end) per division, class part and group.
        in_division: dict[int, list] = defaultdict(list)
        self.pupil_division: dict[int, int] = {}
        for pupil, division, start, end in (
            Enrolment.objects.filter(division__school_year=year)
            .order_by("start_date", "pk")
            .values_list("pupil_id", "division_id", "start_date", "end_date")
        ):
            in_division[division].append((pupil, start, end))
            self.pupil_division.setdefault(pupil, division)
        in_part: dict[int, list] = defaultdict(list)
        for pupil, part, start, end in (
            ClassPartMembership.objects.filter(class_part__division__school_year=year)
            .order_by("pk")
            .values_list("pupil_id", "class_part_id", "start_date", "end_date")
        ):
            in_part[part].append((pupil, start, end))
        in_group: dict[int, list] = defaultdict(list)
        for pupil, group, start, end in (
            GroupMembership.objects.filter(group__school_year=year)
            .order_by("pk")
            .values_list("pupil_id", "group_id", "start_date", "end_date")
        ):
            in_group[group].append((pupil, start, end))
        group_parts: dict[int, list[int]] = defaultdict(list)
        for group, part in (
            Group.class_parts.through.objects.filter(group__school_year=year)
            .order_by("pk")
            .values_list("group_id", "classpart_id")
        ):
            group_parts[group].append(part)
        group_divisions: dict[int, list[int]] = defaultdict(list)
        for group, division in (
            Group.divisions.through.objects.filter(group__school_year=year)
            .order_by("pk")
            .values_list("group_id", "division_id")
        ):
            group_divisions[group].append(division)
        self.members: dict[int, list[tuple[int, date, date | None]]] = {}
        self.scheme: dict[int, str] = {}
        for service in self.services:
            if service.division_id:
                rows = in_division[service.division_id]
            else:
                rows = [
                    *(r for d in group_divisions[service.group_id] for r in in_division[d]),
                    *(r for p in group_parts[service.group_id] for r in in_part[p]),
                    *in_group[service.group_id],
                ]
            self.members[service.pk] = rows
            schemes = [
                self.divisions[self.pupil_division[pupil]].period_scheme
                for pupil, _, _ in rows
                if pupil in self.pupil_division
            ]
            self.scheme[service.pk] = (
                min(Counter(schemes).items(), key=lambda item: (-item[1], item[0]))[0]
                if schemes
                else "trimesters"
            )

    def present(self, service: TeachingService, day: date) -> list[int]:
        """The pupils who followed the service on `day`."""
        seen: dict[int, None] = {}
        for pupil, start, end in self.members[service.pk]:
            if start <= day and (end is None or end >= day):
                seen[pupil] = None
        return list(seen)

    def level_of(self, service: TeachingService) -> str:
        if service.division_id:
            return self.divisions[service.division_id].level
        for pupil, _, _ in self.members[service.pk]:
            if pupil in self.pupil_division:
                return self.divisions[self.pupil_division[pupil]].level
        return ""

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)


# -- The builder --------------------------------------------------------------------------


class GradesBuilder:
    def __init__(self, *, seed: int, today: date, small: bool):
        self.seed = seed
        self.today = today
        self.small = small
        self.summary = GradesSummary()
        self.people = dict(
            Account.objects.filter(login__in=["prof", "eleve", "lyceen", "majeur"]).values_list(
                "login", "person_id"
            )
        )
        self.accounts = dict(
            Account.objects.filter(person__isnull=False).values_list("person_id", "pk")
        )
        # A pupil's ease overall (around 12 out of 20) and per subject.
        self.ability: dict[int, float] = {
            self.people[login]: level
            for login, level in (("eleve", 13.5), ("lyceen", 11.5))
            if login in self.people
        }
        self.ease: dict[tuple[int, int], float] = {}

    def build(self, schools: list[tuple[Establishment, SchoolYear]]) -> GradesSummary:
        started = clock.monotonic()
        planned = []
        for establishment, year in schools:
            school = School(self, establishment, year)
            self.settings(school)
            self.plan(school)
            self.demo_children(school)
            planned.append(school)
        self.write(planned)
        for school in planned:
            self.appraisals(school)
        self.summary.seconds = clock.monotonic() - started
        return self.summary

    # Settings

    def settings(self, school: School) -> None:
        if school.college:
            services.policy_update(
                actor=None,
                establishment_id=school.establishment.pk,
                rounding_step="0.01",
                parent_delay_days=0,
            )
            table, defaults = COLLEGE_COEFFICIENTS, COLLEGE_DEFAULTS
        else:
            services.policy_update(
                actor=None,
                establishment_id=school.establishment.pk,
                rounding_step="0.01",
                parent_delay_days=2,
                appraisal_max_length=300,
            )
            table, defaults = LYCEE_COEFFICIENTS, {}
        subjects = {service.subject.code: service.subject for service in school.services}
        levels = sorted({d.level for d in school.divisions.values()})
        rows = []
        for level in levels:
            coefficients = {**defaults, **table.get(level, {})}
            for code, coefficient in coefficients.items():
                if code in subjects:
                    rows.append(
                        SubjectCoefficient(
                            establishment=school.establishment,
                            school_year=school.year,
                            subject=subjects[code],
                            level=level,
                            coefficient=Decimal(str(coefficient)),
                        )
                    )
        SubjectCoefficient.objects.bulk_create(rows)
        self.summary.coefficients += len(rows)
        subs = []
        for service in school.services:
            level = school.level_of(service)
            for (levels_of, code), parts in SUB_SUBJECTS.items():
                if service.subject.code == code and level in levels_of:
                    subs.extend(
                        SubSubject(
                            service=service,
                            code=sub_code,
                            label=label,
                            coefficient=Decimal(coefficient),
                        )
                        for sub_code, label, coefficient in parts
                    )
        SubSubject.objects.bulk_create(subs)
        for sub in subs:
            school.sub_subjects[sub.service_id].append(sub)
        self.summary.sub_subjects += len(subs)

    # Planning

    def periods_for(self, school: School, service: TeachingService) -> list[GradingPeriod]:
        """The current period and, when it is over, the previous one."""
        periods = school.periods[school.scheme[service.pk]]
        current = period_on(periods, self.today)
        if current is None:
            return []
        index = periods.index(current)
        wanted = [current]
        if index > 0 and periods[index - 1].end_date < self.today:
            wanted.insert(0, periods[index - 1])
        return wanted

    def plan(self, school: School) -> None:
        for service in school.services:
            for period in self.periods_for(school, service):
                self.plan_service(school, service, period)

    def plan_service(self, school: School, service: TeachingService, period: GradingPeriod):
        rng = school.rng
        code = service.subject.code
        level = school.level_of(service)
        hours = float(service.weekly_hours or 2)
        days = calendar.school_days(school.rules, period.start_date, period.end_date)
        if period.start_date <= school.year.start_date + timedelta(days=3):
            days = days[5:]  # no test in the first week of the year
        if len(days) < 10 or not school.members[service.pk]:
            return
        count = max(4, min(8, 3 + math.ceil(hours) - (rng.random() < 0.3)))
        styles = self.styles(rng, code, count)
        subs = school.sub_subjects.get(service.pk, [])
        # One day per slice of the period, so that tests spread over it.
        slice_size = len(days) / count
        chosen = sorted(
            days[min(len(days) - 1, int(i * slice_size + rng.random() * slice_size))]
            for i in range(count)
        )
        numbers = defaultdict(int)
        for index, (day, style) in enumerate(zip(chosen, styles, strict=True)):
            sub = subs[index % len(subs)] if subs else None
            self.evaluation(school, service, period, day, style, sub, numbers, level)
        # A brevet blanc in the second trimester of 3e.
        if school.college and level == "3E" and period.number == 2 and code in BREVET:
            day = days[len(days) * 2 // 3]
            scale, title = BREVET[code]
            self.add(
                school,
                service,
                period,
                title,
                day,
                scale=scale,
                coefficient=Decimal(2),
                bring_to_20=True,
                kind=EvaluationKind.NORMAL,
                style="brevet",
                sub=subs[0] if subs else None,
            )
        extra = rng.random()
        if extra < 0.14 and code != "EPS":
            day = rng.choice(days[len(days) // 3 :])
            self.add(
                school,
                service,
                period,
                rng.choice(OPTIONAL_TITLES),
                day,
                scale=20,
                coefficient=Decimal(1),
                bring_to_20=True,
                kind=EvaluationKind.OPTIONAL,
                style="optional",
                sub=subs[0] if subs else None,
            )
        elif extra < 0.24:
            day = rng.choice(days)
            self.add(
                school,
                service,
                period,
                rng.choice(BONUS_TITLES),
                day,
                scale=rng.choice((10, 20)),
                coefficient=Decimal("0.5"),
                bring_to_20=True,
                kind=EvaluationKind.BONUS,
                style="bonus",
                sub=subs[-1] if subs else None,
            )

    def styles(self, rng: random.Random, code: str, count: int) -> list[str]:
        if code == "EPS":
            return ["eps"] * count
        if code in ART_WORKS:
            return ["work"] * count
        styles = ["test", "test", "quiz", "homework"]
        if code in ("AGL1", "ALL2", "ESP2", "FRANC", "LCALA"):
            styles.append("oral")
        if code in ("SVT", "PH-CH", "TECHN", "SNTEC", "NSINF"):
            styles.append("practical")
        if code == "FRANC":
            styles.append("dictation")
        while len(styles) < count:
            styles.append(rng.choice(("test", "quiz", "quiz", "homework", "oral")))
        rng.shuffle(styles)
        return styles[:count]

    def evaluation(self, school, service, period, day, style, sub, numbers, level) -> None:
        rng = school.rng
        code = service.subject.code
        topics = TOPICS.get(sub.code if sub else code) or TOPICS.get(code) or ["Le chapitre"]
        topic = rng.choice(topics)
        scale, coefficient, bring = 20, Decimal(1), True
        if style == "test":
            title = f"Contrôle — {topic}"
            coefficient = Decimal(rng.choice(("1.5", "2", "2", "2", "3")))
            roll = rng.random()
            if roll < 0.12:
                scale, bring = 40, rng.random() < 0.5
                title = f"Contrôle commun — {topic}"
            elif roll < 0.2:
                scale = 30
        elif style == "quiz":
            title = rng.choice(
                (f"Interrogation écrite — {topic}", "Interrogation écrite", "Questions flash")
            )
            scale = rng.choice((10, 10, 20))
            coefficient = Decimal(rng.choice(("0.5", "1", "1")))
            bring = not (scale == 10 and rng.random() < 0.2)
        elif style == "homework":
            numbers["homework"] += 1
            title = f"DM n°{numbers['homework']}"
            if rng.random() < 0.4:
                title += f" — {topic}"
            coefficient = Decimal(rng.choice(("0.5", "1")))
        elif style == "oral":
            title = rng.choice(("Interrogation orale", f"Exposé — {topic}", "Récitation"))
            scale = rng.choice((10, 20))
            coefficient = Decimal(rng.choice(("0.5", "1")))
        elif style == "practical":
            title = f"Compte rendu de TP — {topic}"
        elif style == "dictation":
            numbers["dictation"] += 1
            title = f"Dictée n°{numbers['dictation']}"
            scale = 10
        elif style == "eps":
            activity = rng.choice(EPS_ACTIVITIES)
            title = f"{activity} — évaluation"
            coefficient = Decimal(rng.choice(("1", "2")))
        else:  # an arts work
            title = rng.choice(ART_WORKS.get(code, ["Projet"]))
            coefficient = Decimal(rng.choice(("1", "2")))
        if style in ("test", "practical", "eps") and level in ("1RE", "TLE") and scale == 20:
            coefficient = Decimal(rng.choice(("1", "2", "2", "3")))
        self.add(
            school,
            service,
            period,
            title,
            day,
            scale=scale,
            coefficient=coefficient,
            bring_to_20=bring,
            kind=EvaluationKind.NORMAL,
            style=style,
            sub=sub,
        )

    def add(self, school: School, service, period, title, day, **fields) -> None:
        """An evaluation on `day`: marked and published when past, announced when in
        the next days, not yet created when later."""
        rng = school.rng
        sub = fields.pop("sub")
        if day >= self.today:
            if day > self.today + timedelta(days=ANNOUNCED_DAYS):
                return
            entered, published = None, day + timedelta(days=7)
        else:
            entered = min(day + timedelta(days=rng.choice((0, 1, 2, 3, 4, 6))), self.today)
            if entered >= self.today:
                entered = max(day, self.today - timedelta(days=1))
            published = entered + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        plan = Plan(
            service=service,
            period=period,
            title=title,
            day=day,
            published_on=published,
            entered_on=entered,
            sub_subject=sub,
            **fields,
        )
        if entered is not None:
            self.marks(school, plan)
            if not plan.marks and plan.kind == EvaluationKind.NORMAL:
                return  # nobody followed the service that day
        school.plans.append(plan)

    # Marks

    def pupil_ability(self, rng: random.Random, pupil: int) -> float:
        if pupil not in self.ability:
            self.ability[pupil] = min(19.0, max(3.0, rng.gauss(12, 3.5)))
        return self.ability[pupil]

    def marks(self, school: School, plan: Plan) -> None:
        rng = school.rng
        subject = plan.service.subject_id
        pupils = school.present(plan.service, plan.day)
        if plan.kind == EvaluationKind.OPTIONAL:
            # The volunteers, the better pupils more often.
            pupils = [p for p in pupils if rng.random() < 0.2 + self.pupil_ability(rng, p) / 40]
        difficulty = rng.gauss(0, 1.3)
        spread = {"quiz": 3.0, "oral": 2.6, "homework": 1.8, "eps": 1.8}.get(plan.style, 2.3)
        lift = {"homework": 1.5, "eps": 2.5, "work": 2.0, "optional": 1.5}.get(plan.style, 0)
        step = 0.5 if rng.random() < 0.6 else 0.25
        for pupil in pupils:
            ability = self.pupil_ability(rng, pupil)
            key = (pupil, subject)
            if key not in self.ease:
                self.ease[key] = rng.gauss(0, 1.8)
            if rng.random() < CODE_RATE and plan.kind == EvaluationKind.NORMAL:
                code_ = self.code(rng, plan)
                plan.marks[pupil] = code_
                old = plan.day < self.today - timedelta(days=21)
                if code_ == "ABS" and old and rng.random() < 0.35:
                    # Made up a week or two later: the mark replaces the code.
                    later = plan.entered_on + timedelta(days=rng.randint(7, 14))
                    value = ability + self.ease[key] + lift + rng.gauss(0, spread)
                    plan.made_up[pupil] = ("ABS", later)
                    plan.marks[pupil] = self.scaled(value, plan.scale, step)
                continue
            on_20 = ability + self.ease[key] + lift - difficulty + rng.gauss(0, spread)
            if plan.kind == EvaluationKind.BONUS:
                on_20 = rng.uniform(4, 20)
            plan.marks[pupil] = self.scaled(on_20, plan.scale, step)

    def scaled(self, on_20: float, scale: int, step: float) -> str:
        value = min(float(scale), max(0.0, on_20 * scale / 20))
        return mark_text(quarter(value, step))

    def code(self, rng: random.Random, plan: Plan) -> str:
        roll = rng.random()
        if plan.style == "eps":
            return "DISP" if roll < 0.5 else "ABS" if roll < 0.8 else "INAP"
        if plan.style == "homework":
            return "NR" if roll < 0.6 else "NR0" if roll < 0.85 else "ABS"
        return "ABS" if roll < 0.75 else "NN" if roll < 0.88 else "ABS0"

    # The demo children

    def demo_children(self, school: School) -> None:
        """Emma and Lucas each get, in the latest period where they have marks that
        their guardians see, an optional mark that raises their average, a bonus
        mark that adds points and an absence."""
        delay = 0 if school.college else 2
        for login in ("eleve", "lyceen"):
            pupil = self.people.get(login)
            if pupil is None or pupil not in school.pupil_division:
                continue
            visible = [
                plan
                for plan in school.plans
                if pupil in plan.marks
                and plan.kind == EvaluationKind.NORMAL
                and plan.published_on <= self.today - timedelta(days=delay)
            ]
            if not visible:
                continue
            period = max(visible, key=lambda plan: plan.day).period
            by_service: dict[int, list[Plan]] = defaultdict(list)
            for plan in visible:
                if plan.period == period:
                    by_service[plan.service.pk].append(plan)
            ranked = sorted(
                by_service.values(),
                # The division's own services first: every page shows them.
                key=lambda plans: (
                    plans[0].service.division_id is None,
                    plans[0].service.subject.code != "MATHS",
                    -len(plans),
                ),
            )
            if len(ranked) < 3:
                continue
            optional_base, bonus_base, absent = ranked[0][-1], ranked[1][-1], ranked[2][0]
            optional = self.copy_for(
                school, optional_base, "DM facultatif — Énigmes", EvaluationKind.OPTIONAL
            )
            optional.marks[pupil] = "19"
            bonus = self.copy_for(school, bonus_base, "Question bonus", EvaluationKind.BONUS)
            bonus.marks[pupil] = "17"
            absent.marks[pupil] = "ABS"
            absent.made_up.pop(pupil, None)

    def copy_for(self, school: School, base: Plan, title: str, kind: str) -> Plan:
        plan = Plan(
            service=base.service,
            period=base.period,
            title=title,
            day=base.day,
            scale=20,
            coefficient=Decimal(1),
            bring_to_20=True,
            kind=kind,
            published_on=base.published_on,
            entered_on=base.entered_on,
            style="optional" if kind == EvaluationKind.OPTIONAL else "bonus",
            sub_subject=base.sub_subject,
        )
        self.marks(school, plan)
        school.plans.append(plan)
        return plan

    # Writing

    def write(self, schools: list[School]) -> None:
        audit: list[AuditEvent] = []
        plans = [plan for school in schools for plan in school.plans]
        zone_of = {id(plan): school for school in schools for plan in school.plans}
        rows = []
        for plan in plans:
            school = zone_of[id(plan)]
            teacher = self.teacher(plan.service)
            created = school.at(
                plan.entered_on or min(plan.day, self.today) - timedelta(days=7), 18, 10
            )
            plan.row = Evaluation(
                establishment=school.establishment,
                service=plan.service,
                period=plan.period,
                sub_subject=plan.sub_subject,
                title=plan.title,
                date=plan.day,
                scale=Decimal(plan.scale),
                coefficient=plan.coefficient,
                bring_to_20=plan.bring_to_20,
                kind=plan.kind,
                published_on=plan.published_on,
                created_by_id=teacher,
                created_at=created,
                updated_at=created,
            )
            rows.append(plan.row)
        with dated_rows():
            Evaluation.objects.bulk_create(rows, batch_size=BATCH)
            for plan in plans:
                school = zone_of[id(plan)]
                row = plan.row
                audit.append(
                    AuditEvent(
                        at=row.created_at,
                        actor_id=self.accounts.get(row.created_by_id),
                        establishment=school.establishment,
                        action="grades.evaluation_create",
                        object_type=Evaluation._meta.label_lower,
                        object_id=str(row.pk),
                        after={
                            "title": row.title,
                            "date": row.date.isoformat(),
                            "scale": str(row.scale),
                            "coefficient": str(row.coefficient),
                            "bring_to_20": row.bring_to_20,
                            "kind": row.kind,
                            "sub_subject": row.sub_subject_id,
                            "published_on": row.published_on.isoformat(),
                            "period": row.period_id,
                        },
                    )
                )
            AuditEvent.objects.bulk_create(audit, batch_size=BATCH)
            marks: list[tuple] = []
            changes: list[tuple] = []
            for plan in plans:
                if not plan.marks:
                    continue
                school = zone_of[id(plan)]
                evaluation, teacher = plan.row.pk, plan.row.created_by_id
                typed = school.at(plan.entered_on, 19, 30)
                for pupil, text in plan.marks.items():
                    made_up = plan.made_up.get(pupil)
                    at = typed
                    changes.append(
                        (evaluation, pupil, "", made_up[0] if made_up else text, teacher, typed)
                    )
                    if made_up:
                        at = school.at(min(made_up[1], self.today - timedelta(days=1)), 17, 45)
                        changes.append((evaluation, pupil, made_up[0], text, teacher, at))
                    is_code = text in engine.CODES
                    marks.append(
                        (
                            evaluation,
                            pupil,
                            None if is_code else Decimal(text),
                            text if is_code else "",
                            2 if made_up else 1,
                            teacher,
                            at,
                        )
                    )
                    self.summary.codes += is_code
            insert_rows(
                Mark,
                ["evaluation", "pupil", "value", "code", "version", "updated_by", "updated_at"],
                marks,
            )
            insert_rows(
                MarkChange,
                ["evaluation", "pupil", "before", "after", "actor", "at"],
                [(*change, False, SOURCE) for change in changes],
                extra=["after_seal", "source"],
            )
        self.summary.evaluations += len(rows)
        self.summary.marks += len(marks)
        self.summary.changes += len(changes)

    def teacher(self, service: TeachingService) -> int | None:
        teachers = sorted(t.pk for t in service.teachers.all())
        return teachers[0] if teachers else None

    # Appraisals

    def appraisals(self, school: School) -> None:
        """The teachers' and head teacher's appraisals of the previous period, for the
        divisions of the demo children and the first of each level."""
        children = [self.people.get(login) for login in ("eleve", "lyceen", "majeur")]
        chosen: dict[int, Division] = {}
        for pupil in children:
            if pupil in school.pupil_division:
                division = school.divisions[school.pupil_division[pupil]]
                chosen[division.pk] = division
        for division in sorted(school.divisions.values(), key=lambda d: d.name):
            if not any(d.level == division.level for d in chosen.values()):
                chosen[division.pk] = division
        rows: list[Appraisal] = []
        for division in chosen.values():
            periods = school.periods[division.period_scheme]
            current = period_on(periods, self.today)
            if current is None or periods.index(current) == 0:
                continue
            previous = periods[periods.index(current) - 1]
            if previous.end_date >= self.today:
                continue
            book = class_book(division=division, period=previous)
            word = "trimestre" if division.period_scheme == "trimesters" else "semestre"
            written = school.at(previous.end_date, 20, 0)
            head = sorted(t.pk for t in division.head_teachers.all())
            for pupil in book.pupils:
                results = book.results.pupils.get(pupil.pk)
                if results is None:
                    continue
                for service in book.services:
                    value = results.subjects[service.pk].value
                    if value is None:
                        continue
                    texts = next(t for floor, t in SUBJECT_APPRAISALS if value >= floor)
                    rows.append(
                        Appraisal(
                            period=previous,
                            pupil=pupil,
                            kind=AppraisalKind.SUBJECT,
                            service=service,
                            text=self.phrase(school.rng.choice(texts), word),
                            author_id=self.teacher(service),
                            updated_at=written,
                        )
                    )
                general = results.general.value
                if general is not None and head:
                    text = next(t for floor, t in HEAD_TEACHER_APPRAISALS if general >= floor)
                    rows.append(
                        Appraisal(
                            period=previous,
                            pupil=pupil,
                            kind=AppraisalKind.HEAD_TEACHER,
                            text=self.phrase(text, word),
                            author_id=head[0],
                            updated_at=written,
                        )
                    )
        with dated_rows():
            Appraisal.objects.bulk_create(rows, batch_size=BATCH)
        self.summary.appraisals += len(rows)

    @staticmethod
    def phrase(text: str, word: str) -> str:
        return text.replace("{period}", word).replace("{Period}", word.capitalize())


def build_demo_grades(
    *, schools: list[tuple[Establishment, SchoolYear]], seed: int, today: date, small: bool
) -> GradesSummary:
    """A period of evaluations and marks for the demo establishments (see the module's
    docstring)."""
    return GradesBuilder(seed=seed, today=today, small=small).build(schools)
