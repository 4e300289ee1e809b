"""The demonstration: a collège and a lycée of Metz (Moselle, académie de Nancy-Metz,
zone B, Alsace-Moselle public holidays), with their pupils, families, teachers and
staff, and the demo accounts of interfaces.md.

Deterministic: the same seed and the same school year give the same data. Bulk
inserts keep seeding well under a minute; the establishment and its school year go
through the services like any other. Their timetables come from `demo_timetable`,
imported like any timetable file; their term of roll calls and absences from
`demo_attendance`; their evaluations and marks from `demo_grades`. Later releases add
messages on top of these people.
"""

import itertools
import math
import random
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker

from preau.accounts.codes import code_hash, code_normalise
from preau.accounts.models import Account, ActivationCode
from preau.accounts.policy import ACTIVATION_CODE_DAYS
from preau.core import calendar
from preau.core.models import (
    Closure,
    Establishment,
    EstablishmentKind,
    ExternalId,
    Guardianship,
    Person,
    Relationship,
    ResponsibilityLevel,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.core.services import adult_objection_set, establishment_create, school_year_create
from preau.devtools.demo_attendance import build_demo_attendance, previous_month
from preau.devtools.demo_grades import build_demo_grades
from preau.devtools.demo_homework import HomeworkSummary, build_demo_homework
from preau.devtools.demo_messaging import build_demo_messaging
from preau.devtools.demo_timetable import build_demo_timetables
from preau.structure.models import (
    ClassPart,
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    Level,
    Subject,
    TeachingService,
)

PASSWORD = "demo"
COLLEGE_UAI = "0579876A"
LYCEE_UAI = "0573579F"
DEMO_UAIS = (COLLEGE_UAI, LYCEE_UAI)
# The code of the activation letter Marc Lambert (Lucas's father) holds in the demo.
DEMO_ACTIVATION_CODE = "MARC-DEMA-7439"
BATCH = 1000

# Communes around the two establishments, with their postal codes.
COMMUNES = [
    ("Metz", "57000"),
    ("Metz", "57050"),
    ("Metz", "57070"),
    ("Montigny-lès-Metz", "57950"),
    ("Woippy", "57140"),
    ("Marly", "57155"),
    ("Saint-Julien-lès-Metz", "57070"),
    ("Longeville-lès-Metz", "57050"),
    ("Le Ban-Saint-Martin", "57050"),
    ("Moulins-lès-Metz", "57160"),
    ("Scy-Chazelles", "57160"),
    ("Ars-sur-Moselle", "57130"),
    ("Maizières-lès-Metz", "57280"),
    ("Plappeville", "57050"),
    ("Augny", "57685"),
]


@dataclass(frozen=True)
class SubjectSpec:
    code: str
    label: str
    national_code: str
    short_label: str


SUBJECTS = {
    spec.code: spec
    for spec in [
        SubjectSpec("FRANC", "Français", "020700", "Français"),
        SubjectSpec("MATHS", "Mathématiques", "061300", "Maths"),
        SubjectSpec("HIGEO", "Histoire-géographie", "040600", "Hist.-géo."),
        SubjectSpec("AGL1", "Anglais LV1", "030201", "Anglais"),
        SubjectSpec("ALL2", "Allemand LV2", "030102", "Allemand"),
        SubjectSpec("ESP2", "Espagnol LV2", "030602", "Espagnol"),
        SubjectSpec("SVT", "Sciences de la vie et de la Terre", "062900", "SVT"),
        SubjectSpec("PH-CH", "Physique-chimie", "062300", "Phys.-chimie"),
        SubjectSpec("TECHN", "Technologie", "070800", "Techno."),
        SubjectSpec("A-PLA", "Arts plastiques", "090100", "Arts plast."),
        SubjectSpec("EDMUS", "Éducation musicale", "081300", "Musique"),
        SubjectSpec("EPS", "Éducation physique et sportive", "100100", "EPS"),
        SubjectSpec("LCALA", "Latin", "020300", "Latin"),
        SubjectSpec("PHILO", "Philosophie", "010300", "Philo."),
        SubjectSpec("SES", "Sciences économiques et sociales", "050700", "SES"),
        SubjectSpec("SNTEC", "Sciences numériques et technologie", "074600", "SNT"),
        SubjectSpec("G-SCI", "Enseignement scientifique", "065300", "Ens. sci."),
        SubjectSpec("NSINF", "Numérique et sciences informatiques", "074700", "NSI"),
        SubjectSpec("HGGSP", "Histoire-géo., géopolitique et sc. politiques", "043900", "HGGSP"),
        SubjectSpec("HLPHI", "Humanités, littérature et philosophie", "010500", "HLP"),
    ]
}

# Weekly hours per division, per level.
COLLEGE_CURRICULUM = {
    "6E": {
        "FRANC": 4.5,
        "MATHS": 4.5,
        "HIGEO": 3,
        "AGL1": 4,
        "SVT": 1.5,
        "PH-CH": 1,
        "TECHN": 1.5,
        "A-PLA": 1,
        "EDMUS": 1,
        "EPS": 4,
    },
    "5E": {
        "FRANC": 4.5,
        "MATHS": 3.5,
        "HIGEO": 3,
        "AGL1": 3,
        "SVT": 1.5,
        "PH-CH": 1.5,
        "TECHN": 1.5,
        "A-PLA": 1,
        "EDMUS": 1,
        "EPS": 3,
    },
    "4E": {
        "FRANC": 4.5,
        "MATHS": 3.5,
        "HIGEO": 3,
        "AGL1": 3,
        "SVT": 1.5,
        "PH-CH": 1.5,
        "TECHN": 1.5,
        "A-PLA": 1,
        "EDMUS": 1,
        "EPS": 3,
    },
    "3E": {
        "FRANC": 4,
        "MATHS": 3.5,
        "HIGEO": 3.5,
        "AGL1": 3,
        "SVT": 1.5,
        "PH-CH": 1.5,
        "TECHN": 1.5,
        "A-PLA": 1,
        "EDMUS": 1,
        "EPS": 3,
    },
}
LYCEE_CURRICULUM = {
    "2NDE": {
        "FRANC": 4,
        "MATHS": 4,
        "HIGEO": 3,
        "AGL1": 3,
        "SES": 1.5,
        "SVT": 1.5,
        "PH-CH": 3,
        "EPS": 2,
        "SNTEC": 1.5,
    },
    "1RE": {"FRANC": 4, "HIGEO": 3, "AGL1": 2.5, "G-SCI": 2, "EPS": 2},
    "TLE": {"PHILO": 4, "HIGEO": 3, "AGL1": 2, "G-SCI": 2, "EPS": 2},
}
SPECIALITIES = ["MATHS", "PH-CH", "SVT", "SES", "HGGSP", "HLPHI", "NSINF"]
# Spécialités per pupil, hence barrettes, per level.
SPECIALITY_COUNT = {"1RE": 3, "TLE": 2}
# Weekly hours of a lycée teacher's service (certifié); collège teachers take a number
# of divisions instead (LOAD).
LYCEE_SERVICE = 18
# Divisions a collège teacher of the subject usually takes in charge.
LOAD = {
    "FRANC": 4,
    "MATHS": 4,
    "HIGEO": 5,
    "AGL1": 6,
    "SVT": 9,
    "PH-CH": 7,
    "TECHN": 10,
    "A-PLA": 18,
    "EDMUS": 18,
    "EPS": 6,
}


@dataclass(frozen=True)
class Shape:
    college_divisions_per_level: int
    lycee_divisions: dict[str, int]
    pupils_per_division: dict[str, int]


FULL = Shape(
    college_divisions_per_level=6,
    lycee_divisions={"2NDE": 12, "1RE": 11, "TLE": 11},
    pupils_per_division={"college": 25, "2NDE": 35, "1RE": 35, "TLE": 36},
)
SMALL = Shape(
    college_divisions_per_level=2,
    lycee_divisions={"2NDE": 2, "1RE": 2, "TLE": 2},
    pupils_per_division={"college": 6, "2NDE": 6, "1RE": 6, "TLE": 6},
)

# Birth years are offsets from the year of the rentrée: a 6e pupil of 2026 is born in 2015.
LEVEL_AGE = {"6E": 11, "5E": 12, "4E": 13, "3E": 14, "2NDE": 15, "1RE": 16, "TLE": 17}


@dataclass(frozen=True)
class DemoAccount:
    login: str
    who: str


DEMO_ACCOUNTS = (
    DemoAccount("direction", "chef d'établissement du collège"),
    DemoAccount("cpe", "conseiller principal d'éducation du collège"),
    DemoAccount("prof", "enseignante du collège, quelques heures au lycée"),
    DemoAccount("parent", "responsable légale de deux enfants (collège et lycée)"),
    DemoAccount("parent2", "l'autre responsable légal de l'enfant du collège"),
    DemoAccount("eleve", "élève du collège, enfant de parent"),
    DemoAccount("admin", "superutilisateur"),
    DemoAccount("secretariat", "secrétariat du collège"),
    DemoAccount("aed", "assistant d'éducation du collège"),
    DemoAccount("proviseur", "proviseure du lycée"),
    DemoAccount("lyceen", "lycéen, enfant de parent"),
    DemoAccount("majeur", "lycéen majeur opposé à la communication de ses notes"),
    DemoAccount("region", "administrateur régional"),
)


@dataclass
class DemoSummary:
    establishments: int = 0
    pupils: int = 0
    adult_pupils: int = 0
    guardians: int = 0
    teachers: int = 0
    staff: int = 0
    divisions: int = 0
    groups: int = 0
    accounts: int = 0
    occurrences: int = 0
    unplaced_sessions: int = 0
    timetable_seconds: float = 0.0
    roll_calls: int = 0
    absences: int = 0
    attendance_seconds: float = 0.0
    evaluations: int = 0
    marks: int = 0
    grades_seconds: float = 0.0
    homework: HomeworkSummary | None = None
    messages: int = 0
    messaging_seconds: float = 0.0
    # The moment the demo's roll calls and absences stop at.
    now: datetime | None = None
    seconds: float = 0.0


def school_year_bounds(today: date) -> tuple[date, date]:
    """The school year containing `today` (or starting after the summer): the rentrée is
    the first weekday of September, the year ends the day before the summer holidays."""
    first_year = today.year if today.month >= 8 else today.year - 1
    start = date(first_year, 9, 1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    summer = [
        day
        for day, name in calendar.school_holidays(
            "B", date(first_year + 1, 6, 15), date(first_year + 1, 7, 31)
        ).items()
        if "été" in name
    ]
    end = min(summer) - timedelta(days=1) if summer else date(first_year + 1, 7, 3)
    return start, end


def ascii_slug(text: str) -> str:
    normalised = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in normalised.lower() if ch.isalnum() or ch == "-").strip("-")


@dataclass
class Family:
    guardians: list[Person] = field(default_factory=list)
    # (guardian index, level, relationship, parental authority, receives mail)
    links: list[tuple[int, int, str, bool, bool]] = field(default_factory=list)
    surname: str = ""


class DemoBuilder:
    def __init__(
        self,
        *,
        small: bool,
        seed: int,
        today: date,
        timetables: bool = True,
        now: datetime | None = None,
    ):
        self.with_timetables = timetables
        self.now = now
        self.shape = SMALL if small else FULL
        self.small = small
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.today = today
        self.start, self.end = school_year_bounds(today)
        self.password_hash = make_password(PASSWORD)
        self.logins: set[str] = set()
        self.accounts: list[Account] = []
        self.roles: list[Role] = []
        self.external_ids: list[ExternalId] = []
        self.summary = DemoSummary()
        self.siecle_counter = 100000
        # Spécialité groups: name → (level, subject code, barrette), and their sizes.
        self.barrettes: dict[str, tuple[str, str, int]] = {}
        self.speciality_sizes: dict[str, int] = defaultdict(int)

    # People -----------------------------------------------------------------------

    def _address(self) -> dict:
        commune, postal_code = self.rng.choice(COMMUNES)
        return {
            "address_line1": self.fake.street_address(),
            "postal_code": postal_code,
            "city": commune,
        }

    def _phone(self, prefix: str) -> str:
        # Numbers reserved by the ARCEP for works of fiction: they reach nobody.
        return f"{prefix} {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"

    def _person(
        self,
        *,
        first: str,
        last: str,
        civility: str,
        birth: date | None,
        adult_contact: bool,
        address: dict | None = None,
    ) -> Person:
        person = Person(
            civility=civility,
            first_name=first,
            last_name=last,
            birth_date=birth,
        )
        if adult_contact:
            person.email = (
                f"{ascii_slug(first)}.{ascii_slug(last)}{self.rng.randint(1, 99)}@example.org"
            )
            person.mobile_phone = self._phone("06 39 98")
            for key, value in (address or self._address()).items():
                setattr(person, key, value)
        return person

    def _random_adult(
        self, *, female: bool, last: str | None = None, address: dict | None = None
    ) -> Person:
        first = self.fake.first_name_female() if female else self.fake.first_name_male()
        birth = date(
            self.start.year - self.rng.randint(32, 55),
            self.rng.randint(1, 12),
            self.rng.randint(1, 28),
        )
        return self._person(
            first=first,
            last=last or self.fake.last_name(),
            civility="MME" if female else "M",
            birth=birth,
            adult_contact=True,
            address=address,
        )

    def _login_for(self, person: Person) -> str:
        base = f"{ascii_slug(person.first_name)}.{ascii_slug(person.last_name)}"
        login, n = base, 1
        while login in self.logins:
            n += 1
            login = f"{base}{n}"
        self.logins.add(login)
        return login

    def _account(
        self, person: Person | None, *, login: str | None = None, activated: bool = True, **fields
    ) -> Account:
        if login is None:
            login = self._login_for(person)
        else:
            self.logins.add(login)
        account = Account(
            login=login,
            person=person,
            password=self.password_hash,
            activated_at=timezone.now() if activated else None,
            **fields,
        )
        self.accounts.append(account)
        return account

    def _save_people(self, people: list[Person]) -> None:
        Person.objects.bulk_create(people, batch_size=BATCH)

    # Establishments ----------------------------------------------------------------

    def _establishment(
        self, *, uai: str, name: str, kind: str, address: str, postal_code: str
    ) -> tuple[Establishment, SchoolYear]:
        establishment = establishment_create(
            actor=None,
            uai=uai,
            name=name,
            kind=kind,
            academy="nancy-metz",
            city="Metz",
            address=address,
            postal_code=postal_code,
            email=f"ce.{uai.lower()}@example.org",
            phone=self._phone("03 53 01"),
        )
        year = school_year_create(
            actor=None, establishment=establishment, start_date=self.start, end_date=self.end
        )
        self.summary.establishments += 1
        return establishment, year

    def _subjects(self, establishment: Establishment, codes) -> dict[str, Subject]:
        subjects = Subject.objects.bulk_create(
            Subject(
                establishment=establishment,
                code=code,
                label=SUBJECTS[code].label,
                national_code=SUBJECTS[code].national_code,
                short_label=SUBJECTS[code].short_label,
            )
            for code in codes
        )
        return {subject.code: subject for subject in subjects}

    def _staff(self, establishment: Establishment, specs) -> list[Person]:
        """specs: (login or None, first, last, civility, kind, title)."""
        people = []
        for login, first, last, civility, kind, title in specs:
            person = self._person(
                first=first
                or (
                    self.fake.first_name_female()
                    if civility == "MME"
                    else self.fake.first_name_male()
                ),
                last=last or self.fake.last_name(),
                civility=civility,
                birth=date(
                    self.start.year - self.rng.randint(26, 60),
                    self.rng.randint(1, 12),
                    self.rng.randint(1, 28),
                ),
                adult_contact=True,
            )
            person.email = academic_email(person)
            people.append((login, person, kind, title))
        self._save_people([person for _, person, _, _ in people])
        for login, person, kind, title in people:
            self.roles.append(
                Role(person=person, establishment=establishment, kind=kind, title=title)
            )
            self._account(person, login=login)
        self.summary.staff += len(people)
        return [person for _, person, _, _ in people]

    def _teachers(self, establishment: Establishment, count: int) -> list[Person]:
        teachers = []
        for _ in range(count):
            female = self.rng.random() < 0.6
            teachers.append(
                self._person(
                    first=self.fake.first_name_female() if female else self.fake.first_name_male(),
                    last=self.fake.last_name(),
                    civility="MME" if female else "M",
                    birth=date(
                        self.start.year - self.rng.randint(24, 62),
                        self.rng.randint(1, 12),
                        self.rng.randint(1, 28),
                    ),
                    adult_contact=True,
                )
            )
        for person in teachers:
            person.email = academic_email(person)
        self._save_people(teachers)
        for person in teachers:
            self._teacher_role(person, establishment)
            self._account(person)
        self.summary.teachers += len(teachers)
        return teachers

    def _teacher_role(self, person: Person, establishment: Establishment) -> None:
        self.roles.append(Role(person=person, establishment=establishment, kind=RoleKind.TEACHER))
        self.siecle_counter += 1
        self.external_ids.append(
            ExternalId(
                person=person,
                source="sts",
                kind="teacher",
                value=str(20000 + self.siecle_counter),
                establishment=establishment,
            )
        )

    # Divisions and groups ----------------------------------------------------------

    def _divisions(
        self,
        year: SchoolYear,
        names_by_level: dict[str, list[str]],
        scheme_by_level: dict[str, str],
    ) -> dict[str, Division]:
        divisions = Division.objects.bulk_create(
            Division(
                establishment=year.establishment,
                school_year=year,
                name=name,
                level=level,
                period_scheme=scheme_by_level[level],
            )
            for level, names in names_by_level.items()
            for name in names
        )
        self.summary.divisions += len(divisions)
        return {division.name: division for division in divisions}

    def _parts(
        self, divisions: list[Division], names: list[str]
    ) -> dict[tuple[str, str], ClassPart]:
        parts = ClassPart.objects.bulk_create(
            ClassPart(division=division, name=name) for division in divisions for name in names
        )
        return {(part.division.name, part.name): part for part in parts}

    def _group(self, year: SchoolYear, name: str, *, parts=(), divisions=()) -> Group:
        group = Group.objects.create(establishment=year.establishment, school_year=year, name=name)
        if parts:
            group.class_parts.add(*parts)
        if divisions:
            group.divisions.add(*divisions)
        self.summary.groups += 1
        return group

    # Pupils ------------------------------------------------------------------------

    def _pupils(
        self, divisions: dict[str, Division], size: dict[str, int]
    ) -> dict[str, list[Person]]:
        by_division: dict[str, list[Person]] = {}
        people: list[Person] = []
        for name, division in divisions.items():
            count = size.get(division.level, size.get("college", 0))
            members = []
            for _ in range(count):
                female = self.rng.random() < 0.5
                age = LEVEL_AGE[division.level]
                repeated = self.rng.random()
                if repeated < 0.08:
                    age += 1
                elif repeated < 0.09:
                    age += 2
                birth_year = self.start.year - age
                birth = date(birth_year, self.rng.randint(1, 12), self.rng.randint(1, 28))
                members.append(
                    self._person(
                        first=self.fake.first_name_female()
                        if female
                        else self.fake.first_name_male(),
                        last="",
                        civility="MME" if female else "M",
                        birth=birth,
                        adult_contact=False,
                    )
                )
            by_division[name] = members
            people.extend(members)
        return by_division

    # Families ----------------------------------------------------------------------

    def _families(self, pupils: list[Person]) -> list[tuple[Family, list[Person]]]:
        """Group pupils into families (a few siblings, sometimes in both establishments)
        and give each family its guardians: parents together, separated parents with two
        homes, a single parent, sometimes a grandparent as "personne en charge", a tutor."""
        pool = pupils[:]
        self.rng.shuffle(pool)
        families: list[tuple[Family, list[Person]]] = []
        while pool:
            children = [pool.pop()]
            if pool and self.rng.random() < 0.12:
                children.append(pool.pop())
            families.append((self._family(), children))
        return families

    def _family(self) -> Family:
        roll = self.rng.random()
        family = Family()
        father_name = self.fake.last_name()
        if roll < 0.68:  # parents living together
            home = self._address()
            mother = self._random_adult(
                female=True, last=father_name if self.rng.random() < 0.6 else None, address=home
            )
            father = self._random_adult(female=False, last=father_name, address=home)
            family.guardians = [mother, father]
            family.links = [
                (0, 1, Relationship.MOTHER, True, True),
                (1, 1, Relationship.FATHER, True, True),
            ]
            family.surname = father_name
        elif roll < 0.82:  # separated: two homes, two accounts, the same information
            mother = self._random_adult(female=True)
            father = self._random_adult(female=False, last=father_name)
            family.guardians = [mother, father]
            family.links = [
                (0, 1, Relationship.MOTHER, True, True),
                (1, 1, Relationship.FATHER, True, True),
            ]
            family.surname = self.rng.choice([father_name, f"{father_name}-{mother.last_name}"])
        elif roll < 0.95:  # one parent
            female = self.rng.random() < 0.8
            parent = self._random_adult(female=female)
            family.guardians = [parent]
            family.links = [
                (0, 1, Relationship.MOTHER if female else Relationship.FATHER, True, True)
            ]
            family.surname = parent.last_name
        elif roll < 0.98:  # a parent and a grandparent in charge of the pupil
            parent = self._random_adult(female=True)
            grandparent = self._random_adult(female=self.rng.random() < 0.5, last=parent.last_name)
            grandparent.birth_date = grandparent.birth_date.replace(
                year=grandparent.birth_date.year - 25
            )
            family.guardians = [parent, grandparent]
            family.links = [
                (0, 1, Relationship.MOTHER, True, True),
                (1, ResponsibilityLevel.IN_CHARGE, Relationship.ASCENDANT, False, False),
            ]
            family.surname = parent.last_name
        else:  # a tutor
            tutor = self._random_adult(female=self.rng.random() < 0.5)
            family.guardians = [tutor]
            family.links = [(0, 1, Relationship.TUTOR, True, True)]
            family.surname = self.fake.last_name()
        return family

    # The build ---------------------------------------------------------------------

    @transaction.atomic
    def build(self) -> DemoSummary:
        started = time.monotonic()
        college, college_year = self._establishment(
            uai=COLLEGE_UAI,
            name="Collège des Tilleuls",
            kind=EstablishmentKind.COLLEGE,
            address="12 rue des Tilleuls",
            postal_code="57070",
        )
        lycee, lycee_year = self._establishment(
            uai=LYCEE_UAI,
            name="Lycée de la Seille",
            kind=EstablishmentKind.LYCEE,
            address="3 quai de la Seille",
            postal_code="57000",
        )
        self._closures(college, lycee)
        college_data = self._college(college, college_year)
        self._plan_changes(college_data["by_division"])
        lycee_data = self._lycee(lycee, lycee_year)
        self._demo_people(college, college_year, college_data, lycee, lycee_year, lycee_data)
        all_pupils = college_data["pupils"] + lycee_data["pupils"]
        self._save_families(all_pupils, {**college_data["placement"], **lycee_data["placement"]})
        self._region_and_admin()
        Role.objects.bulk_create(self.roles, batch_size=BATCH)
        Account.objects.bulk_create(self.accounts, batch_size=BATCH)
        ExternalId.objects.bulk_create(self.external_ids, batch_size=BATCH)
        self._objection()
        self._activation_letter()
        if self.with_timetables:
            self.timetables = build_demo_timetables(
                schools=[(college, college_year), (lycee, lycee_year)],
                barrettes=self.barrettes,
                seed=self.seed,
                today=self.today,
                # The small demo (tests) gets the same weekly timetable, dated for the
                # week before the reference weeks, these two and the week after only:
                # the browser tests restore every row before each test.
                weeks_around=1 if self.small else None,
                # …and the whole previous month, whose L131-8 list the attendance
                # pages show first.
                since=previous_month(self.today)[0] if self.small else None,
            )
            self.summary.occurrences = self.timetables.occurrences
            self.summary.timetable_seconds = self.timetables.seconds
            self.summary.unplaced_sessions = self.timetables.unplaced
            self.attendance = build_demo_attendance(
                schools=[(college, college_year), (lycee, lycee_year)],
                seed=self.seed,
                today=self.today,
                small=self.small,
                now=self.now,
            )
            self.summary.roll_calls = self.attendance.roll_calls
            self.summary.absences = self.attendance.absences
            self.summary.attendance_seconds = self.attendance.seconds
            self.summary.now = self.attendance.now
        self.grades = build_demo_grades(
            schools=[(college, college_year), (lycee, lycee_year)],
            seed=self.seed,
            today=self.today,
            small=self.small,
        )
        self.summary.evaluations = self.grades.evaluations
        self.summary.marks = self.grades.marks
        self.summary.grades_seconds = self.grades.seconds
        if self.with_timetables:
            self.summary.homework = build_demo_homework(
                schools=[(college, college_year), (lycee, lycee_year)],
                seed=self.seed,
                today=self.today,
                small=self.small,
            )
        messaging = build_demo_messaging(
            schools=[(college, college_year), (lycee, lycee_year)],
            seed=self.seed,
            today=self.today,
            now=self.now,
        )
        self.summary.messages = messaging.messages
        self.summary.messaging_seconds = messaging.seconds
        self.summary.accounts = len(self.accounts)
        self.summary.pupils = len(all_pupils)
        self.summary.adult_pupils = sum(pupil.is_adult_on(self.today) for pupil in all_pupils)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _plan_changes(self, by_division: dict[str, list[Person]]) -> None:
        """Three pupils whose year is not a straight line, so that dated memberships
        show: one changes division after the Toussaint holidays, one leaves before them,
        one arrives two weeks after them."""
        toussaint = [
            day
            for day, name in calendar.school_holidays(
                "B", self.start, self.start + timedelta(days=90)
            ).items()
            if "Toussaint" in name
        ]
        back = (max(toussaint) if toussaint else date(self.start.year, 11, 1)) + timedelta(days=1)
        while back.weekday() >= 5:
            back += timedelta(days=1)
        last_before = (min(toussaint) if toussaint else date(self.start.year, 10, 17)) - timedelta(
            days=1
        )
        while last_before.weekday() >= 5:
            last_before -= timedelta(days=1)
        self.changes = {
            id(by_division["6A"][-1]): ("move", "6B", back),
            id(by_division["3B"][-1]): ("leave", None, last_before),
            id(by_division["5A"][-1]): ("arrive", None, back + timedelta(days=14)),
        }

    def _span(self, pupil: Person) -> tuple[date, date | None]:
        """First and last day of the pupil in their first division."""
        kind, _, day = self.changes.get(id(pupil), (None, None, None))
        if kind == "arrive":
            return day, None
        if kind == "leave":
            return self.start, day
        if kind == "move":
            return self.start, day - timedelta(days=1)
        return self.start, None

    def _closures(self, college: Establishment, lycee: Establishment) -> None:
        pedagogical_day = date(self.end.year, 3, 12)
        while pedagogical_day.weekday() != 2:  # a Wednesday in March
            pedagogical_day += timedelta(days=1)
        Closure.objects.bulk_create(
            [
                Closure(
                    establishment=college,
                    start_date=pedagogical_day,
                    end_date=pedagogical_day,
                    label="Journée de formation des équipes (élèves libérés)",
                ),
                Closure(
                    establishment=lycee,
                    start_date=date(self.end.year, 6, 15),
                    end_date=date(self.end.year, 6, 16),
                    label="Épreuves écrites du baccalauréat (cours suspendus)",
                ),
            ]
        )

    def _college(self, college: Establishment, year: SchoolYear) -> dict:
        letters = "ABCDEF"[: self.shape.college_divisions_per_level]
        names = {
            level: [f"{level[0]}{letter}" for letter in letters] for level in COLLEGE_CURRICULUM
        }
        divisions = self._divisions(year, names, dict.fromkeys(names, "trimesters"))
        self.college_divisions = divisions
        subjects = self._subjects(college, [*COLLEGE_CURRICULUM["4E"], "ALL2", "ESP2", "LCALA"])
        parts = self._parts(
            list(divisions.values()), ["Groupe 1", "Groupe 2", "Allemand", "Espagnol"]
        )
        direction_specs = [
            ("direction", "Laurent", "Weber", "M", RoleKind.DIRECTION, "Principal"),
            (None, "Céline", "Marchal", "MME", RoleKind.DIRECTION, "Principale adjointe"),
            ("cpe", "Isabelle", "Klein", "MME", RoleKind.CPE, "CPE"),
            (
                "secretariat",
                "Martine",
                "Hoffmann",
                "MME",
                RoleKind.SECRETARIAT,
                "Secrétaire de direction",
            ),
            (None, None, None, "MME", RoleKind.SECRETARIAT, "Secrétariat de scolarité"),
            ("aed", "Yanis", "Benali", "M", RoleKind.EDUCATION_ASSISTANT, "AED"),
            *self._assistants(1 if self.small else 3),
        ]
        self._staff(college, direction_specs)
        return self._pupils_of(college, year, divisions, subjects, parts)

    def _assistants(self, count: int) -> list[tuple]:
        return [
            (None, None, None, self.rng.choice(["M", "MME"]), RoleKind.EDUCATION_ASSISTANT, "AED")
            for _ in range(count)
        ]

    def _pupils_of(self, establishment, year, divisions, subjects, parts) -> dict:
        """The pupils of each division; their surnames come with their family, and
        they are saved once families are known (see _save_families)."""
        by_division = self._pupils(divisions, self.shape.pupils_per_division)
        return {
            "divisions": divisions,
            "subjects": subjects,
            "parts": parts,
            "by_division": by_division,
            "pupils": [pupil for members in by_division.values() for pupil in members],
            "placement": {
                id(pupil): (establishment, divisions[name])
                for name, members in by_division.items()
                for pupil in members
            },
            "year": year,
        }

    def _lycee(self, lycee: Establishment, year: SchoolYear) -> dict:
        labels = {"2NDE": "2nde", "1RE": "1re", "TLE": "Tle"}
        names = {
            level: [f"{labels[level]} {n}" for n in range(1, count + 1)]
            for level, count in self.shape.lycee_divisions.items()
        }
        schemes = {"2NDE": "trimesters", "1RE": "semesters", "TLE": "semesters"}
        divisions = self._divisions(year, names, schemes)
        codes = {code for curriculum in LYCEE_CURRICULUM.values() for code in curriculum}
        subjects = self._subjects(lycee, sorted(codes | set(SPECIALITIES) | {"ALL2", "ESP2"}))
        parts = self._parts(list(divisions.values()), ["Allemand", "Espagnol"])
        specs = [
            ("proviseur", "Catherine", "Muller", "MME", RoleKind.DIRECTION, "Proviseure"),
            (None, None, None, "M", RoleKind.DIRECTION, "Proviseur adjoint"),
            (None, None, None, "MME", RoleKind.CPE, "CPE"),
            (None, None, None, "M", RoleKind.CPE, "CPE"),
            (None, None, None, "MME", RoleKind.SECRETARIAT, "Secrétaire de direction"),
            *self._assistants(1 if self.small else 6),
        ]
        self._staff(lycee, specs)
        return self._pupils_of(lycee, year, divisions, subjects, parts)

    def _demo_people(self, college, college_year, c, lycee, lycee_year, ly) -> None:
        """The named demo people, put in the places interfaces.md gives them."""
        prof = self._person(
            first="Nathalie",
            last="Schmitt",
            civility="MME",
            birth=date(self.start.year - 44, 5, 17),
            adult_contact=True,
        )
        prof.email = academic_email(prof)
        self._save_people([prof])
        self._teacher_role(prof, college)
        self._teacher_role(prof, lycee)
        self._account(prof, login="prof")
        self.summary.teachers += 1
        self._college_services(college_year, c, prof)
        self._lycee_services(lycee_year, ly, prof)

        # The family of `parent`: Emma at the collège (her father is `parent2`, separated,
        # with his own home), Lucas at the lycée (his father is not `parent2`).
        emma = c["by_division"]["4B"][0]
        emma.first_name, emma.civility = "Emma", "MME"
        emma.birth_date = date(self.start.year - 13, 2, 9)
        lucas = ly["by_division"]["1re 2"][0]
        lucas.first_name, lucas.civility = "Lucas", "M"
        lucas.birth_date = date(self.start.year - 16, 10, 3)
        theo = ly["by_division"]["Tle 1"][0]
        theo.first_name, theo.last_name, theo.civility = "Théo", "Becker", "M"
        theo.birth_date = date(self.start.year - 18, 3, 14)
        home = {"address_line1": "8 rue Mazelle", "postal_code": "57000", "city": "Metz"}
        sophie = self._random_adult(female=True, last="Lambert", address=home)
        sophie.first_name = "Sophie"
        julien = self._random_adult(
            female=False,
            last="Roche",
            address={
                "address_line1": "21 avenue de Nancy",
                "postal_code": "57950",
                "city": "Montigny-lès-Metz",
            },
        )
        julien.first_name = "Julien"
        marc = self._random_adult(
            female=False,
            last="Lambert",
            address={
                "address_line1": "5 rue du Pont-des-Morts",
                "postal_code": "57000",
                "city": "Metz",
            },
        )
        marc.first_name = "Marc"
        for adult in (sophie, julien, marc):
            adult.email = (
                f"{ascii_slug(adult.first_name)}.{ascii_slug(adult.last_name)}@example.org"
            )
        self.special_families = [
            (
                Family(
                    guardians=[sophie, julien],
                    surname="Roche",
                    links=[
                        (0, 1, Relationship.MOTHER, True, True),
                        (1, 1, Relationship.FATHER, True, True),
                    ],
                ),
                [emma],
                ["parent", "parent2"],
            ),
            (
                Family(
                    guardians=[sophie, marc],
                    surname="Lambert",
                    links=[
                        (0, 1, Relationship.MOTHER, True, True),
                        (1, 1, Relationship.FATHER, True, True),
                    ],
                ),
                [lucas],
                ["parent", None],
            ),
        ]
        self.special_logins = {id(emma): "eleve", id(lucas): "lyceen", id(theo): "majeur"}
        self.theo = theo
        self.marc = marc

    def _college_services(self, year: SchoolYear, c: dict, prof: Person) -> None:
        divisions: dict[str, Division] = c["divisions"]
        subjects = c["subjects"]
        parts = c["parts"]
        services: list[tuple[TeachingService, list[Person]]] = []
        head_teacher: dict[str, Person] = {}
        for code in COLLEGE_CURRICULUM["4E"]:
            targets = list(divisions.values())
            if code == "MATHS":
                mine = [divisions[name] for name in ("4A", "4B", "3A", "3B")]
                targets = [d for d in targets if d not in mine]
                for division in mine:
                    services.append(
                        (
                            self._service(
                                year,
                                subjects[code],
                                division=division,
                                hours=COLLEGE_CURRICULUM[division.level][code],
                            ),
                            [prof],
                        )
                    )
                head_teacher["3A"] = prof
            teachers = self._teachers(
                year.establishment, max(1, math.ceil(len(targets) / LOAD[code]))
            )
            for index, division in enumerate(targets):
                teacher = teachers[min(index // LOAD[code], len(teachers) - 1)]
                services.append(
                    (
                        self._service(
                            year,
                            subjects[code],
                            division=division,
                            hours=COLLEGE_CURRICULUM[division.level][code],
                        ),
                        [teacher],
                    )
                )
                if code in ("FRANC", "HIGEO", "AGL1", "SVT") and division.name not in head_teacher:
                    head_teacher[division.name] = teacher
        # LV2 from 5e: groups built from the "Allemand"/"Espagnol" parts of up to three
        # divisions: the groups span divisions, as in EDT.
        for level in ("5E", "4E", "3E"):
            level_divisions = [d for d in divisions.values() if d.level == level]
            for code, part_name in (("ALL2", "Allemand"), ("ESP2", "Espagnol")):
                for n, start in enumerate(range(0, len(level_divisions), 3), start=1):
                    chunk = level_divisions[start : start + 3]
                    group = self._group(
                        year,
                        f"{level[0]}e {part_name} {n}",
                        parts=[parts[(d.name, part_name)] for d in chunk],
                    )
                    teacher = self._teachers(year.establishment, 1)[0]
                    services.append(
                        (self._service(year, subjects[code], group=group, hours=2.5), [teacher])
                    )
        # Latin: an option chosen pupil by pupil, across the divisions of a level.
        latin_teacher = self._teachers(year.establishment, 1)[0]
        c["latin_groups"] = {}
        for level in ("5E", "4E", "3E"):
            group = self._group(year, f"Latin {level[0]}e")
            c["latin_groups"][level] = group
            services.append(
                (self._service(year, subjects["LCALA"], group=group, hours=2), [latin_teacher])
            )
        # Technologie in 3e is co-taught in one division (two teachers, one service).
        co_teacher = self._teachers(year.establishment, 1)[0]
        for service, teachers in services:
            if service.subject.code == "TECHN" and service.division_id == divisions["3B"].pk:
                teachers.append(co_teacher)
        self._save_services(services)
        self._head_teachers(divisions, head_teacher)

    def _lycee_services(self, year: SchoolYear, ly: dict, prof: Person) -> None:
        divisions: dict[str, Division] = ly["divisions"]
        subjects = ly["subjects"]
        parts = ly["parts"]
        services: list[tuple[TeachingService, list[Person]]] = []
        head_teacher: dict[str, Person] = {}
        teachers_by_subject: dict[str, list[Person]] = {}
        weekly: dict[int, float] = defaultdict(float)

        def teacher_for(code: str, hours: float, busy=()) -> Person:
            """The first teacher of the subject with room for `hours` more in their
            weekly service (18 hours), a new one when all are full; never one of `busy`
            (the teachers of the other groups of the same barrette)."""
            pool = teachers_by_subject.setdefault(code, [])
            teacher = next(
                (t for t in pool if weekly[id(t)] + hours <= LYCEE_SERVICE and id(t) not in busy),
                None,
            )
            if teacher is None:
                teacher = self._teachers(year.establishment, 1)[0]
                pool.append(teacher)
            weekly[id(teacher)] += hours
            return teacher

        for level, curriculum in LYCEE_CURRICULUM.items():
            for code, hours in curriculum.items():
                targets = [d for d in divisions.values() if d.level == level]
                if code == "MATHS" and level == "2NDE":
                    mine = divisions["2nde 2"]
                    targets.remove(mine)
                    services.append(
                        (self._service(year, subjects[code], division=mine, hours=hours), [prof])
                    )
                for division in targets:
                    teacher = teacher_for(code, hours)
                    services.append(
                        (
                            self._service(year, subjects[code], division=division, hours=hours),
                            [teacher],
                        )
                    )
                    if code in ("FRANC", "PHILO", "HIGEO") and division.name not in head_teacher:
                        head_teacher[division.name] = teacher
        # SNT in 2nde 1 is co-taught.
        co_teacher = self._teachers(year.establishment, 1)[0]
        for service, teachers in services:
            if service.subject.code == "SNTEC" and service.division_id == divisions["2nde 1"].pk:
                teachers.append(co_teacher)
        # LVB groups from class parts, as in the collège.
        for level in LYCEE_CURRICULUM:
            level_divisions = [d for d in divisions.values() if d.level == level]
            for code, part_name in (("ALL2", "Allemand"), ("ESP2", "Espagnol")):
                for n, start in enumerate(range(0, len(level_divisions), 4), start=1):
                    chunk = level_divisions[start : start + 4]
                    group = self._group(
                        year,
                        f"{labels_of(level)} LVB {part_name} {n}",
                        parts=[parts[(d.name, part_name)] for d in chunk],
                    )
                    teacher = self._teachers(year.establishment, 1)[0]
                    services.append(
                        (self._service(year, subjects[code], group=group, hours=2.5), [teacher])
                    )
        # Spécialités: groups of pupils chosen one by one, across every division of the
        # level (three in 1re, two in Terminale). As in a real lycée, the groups are
        # spread over "barrettes" (one per spécialité a pupil takes): the groups of a
        # barrette are taught at the same time, and a pupil is in one group of each.
        ly["speciality_groups"] = {}
        in_barrette: dict[tuple[str, int], set[int]] = defaultdict(set)
        for level, hours in (("1RE", 4), ("TLE", 6)):
            turn = 0
            pupils_count = sum(
                len(ly["by_division"][d.name]) for d in divisions.values() if d.level == level
            )
            for code in SPECIALITIES:
                share = 0.45 if code in ("MATHS", "PH-CH", "SVT", "SES") else 0.25
                if level == "TLE":
                    share *= 0.7
                count = max(1, math.ceil(pupils_count * share / 30))
                groups = [
                    self._group(year, f"{labels_of(level)} spé {SUBJECTS[code].short_label} {n}")
                    for n in range(1, count + 1)
                ]
                ly["speciality_groups"][(level, code)] = groups
                for group in groups:
                    self.barrettes[group.name] = (level, code, turn % SPECIALITY_COUNT[level])
                    turn += 1
                for group in groups:
                    barrette = self.barrettes[group.name]
                    teacher = teacher_for(code, hours, busy=in_barrette[barrette[::2]])
                    in_barrette[barrette[::2]].add(id(teacher))
                    services.append(
                        (
                            self._service(year, subjects[code], group=group, hours=hours),
                            [teacher],
                        )
                    )
        self._save_services(services)
        self._head_teachers(divisions, head_teacher)

    def _service(
        self, year: SchoolYear, subject: Subject, *, division=None, group=None, hours
    ) -> TeachingService:
        return TeachingService(
            establishment=year.establishment,
            school_year=year,
            subject=subject,
            division=division,
            group=group,
            weekly_hours=Decimal(str(hours)),
        )

    def _save_services(self, services: list[tuple[TeachingService, list[Person]]]) -> None:
        TeachingService.objects.bulk_create([service for service, _ in services], batch_size=BATCH)
        through = TeachingService.teachers.through
        through.objects.bulk_create(
            [
                through(teachingservice_id=service.pk, person_id=teacher.pk)
                for service, teachers in services
                for teacher in teachers
            ],
            batch_size=BATCH,
        )

    def _head_teachers(self, divisions: dict[str, Division], chosen: dict[str, Person]) -> None:
        through = Division.head_teachers.through
        through.objects.bulk_create(
            [
                through(division_id=divisions[name].pk, person_id=person.pk)
                for name, person in chosen.items()
                if name in divisions
            ]
        )

    def _save_families(self, pupils: list[Person], placement: dict) -> None:
        special = {id(child) for _, children, _ in self.special_families for child in children}
        ordinary = [pupil for pupil in pupils if id(pupil) not in special]
        families = [
            (family, children, [None] * len(family.guardians))
            for family, children in self._families(ordinary)
        ]
        families = self.special_families + families
        for family, children, _ in families:
            for child in children:
                if child is not self.theo:
                    child.last_name = family.surname
        self.theo.last_name = "Becker"
        # Guardians shared by two families (Sophie) are saved once.
        guardians: dict[int, Person] = {}
        for family, _, _ in families:
            for guardian in family.guardians:
                guardians.setdefault(id(guardian), guardian)
        self._save_people(list(guardians.values()))
        self._save_people(pupils)
        self.summary.guardians = len(guardians)

        links: list[Guardianship] = []
        accounts_done: set[int] = set()
        for family, children, logins in families:
            for index, level, relationship, authority, mail in family.links:
                guardian = family.guardians[index]
                for child in children:
                    links.append(
                        Guardianship(
                            guardian=guardian,
                            pupil=child,
                            level=level,
                            relationship=relationship,
                            parental_authority=authority,
                            receives_mail=mail,
                        )
                    )
                if id(guardian) not in accounts_done:
                    accounts_done.add(id(guardian))
                    login = logins[index]
                    self._account(
                        guardian,
                        login=login,
                        activated=login is not None or self.rng.random() < 0.78,
                    )
                    self.siecle_counter += 1
                    self.external_ids.append(
                        ExternalId(
                            person=guardian,
                            source="siecle",
                            kind="guardian",
                            value=str(500000 + self.siecle_counter),
                            establishment=placement[id(children[0])][0],
                        )
                    )
        Guardianship.objects.bulk_create(links, batch_size=BATCH)

        enrolments = []
        for pupil in pupils:
            establishment, division = placement[id(pupil)]
            start, end = self._span(pupil)
            kind, new_division, day = self.changes.get(id(pupil), (None, None, None))
            self.roles.append(
                Role(
                    person=pupil,
                    establishment=establishment,
                    kind=RoleKind.PUPIL,
                    # Registered before the rentrée (families see their space in the
                    # summer), except a pupil arriving during the year.
                    start_date=start if kind == "arrive" else None,
                    end_date=end if kind == "leave" else None,
                )
            )
            login = self.special_logins.get(id(pupil))
            self._account(
                pupil, login=login, activated=login is not None or self.rng.random() < 0.92
            )
            self.siecle_counter += 1
            self.external_ids.append(
                ExternalId(
                    person=pupil,
                    source="ine",
                    kind="pupil",
                    value=f"{self.rng.randint(10**9, 10**10 - 1)}{self.rng.choice('ABCDEFGHJK')}",
                    establishment=None,
                )
            )
            self.external_ids.append(
                ExternalId(
                    person=pupil,
                    source="siecle",
                    kind="pupil",
                    value=str(self.siecle_counter),
                    establishment=establishment,
                )
            )
            enrolments.append(
                Enrolment(pupil=pupil, division=division, start_date=start, end_date=end)
            )
            if kind == "move":
                enrolments.append(
                    Enrolment(
                        pupil=pupil, division=self.college_divisions[new_division], start_date=day
                    )
                )
        Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
        self._memberships(pupils, placement)

    def _memberships(self, pupils: list[Person], placement: dict) -> None:
        """Halves and LV2 parts of each division, options and spécialités."""
        parts_by_division: dict[int, dict[str, ClassPart]] = defaultdict(dict)
        for part in ClassPart.objects.filter(division__establishment__uai__in=DEMO_UAIS):
            parts_by_division[part.division_id][part.name] = part
        groups = {
            (group.establishment.uai, group.name): group
            for group in Group.objects.filter(establishment__uai__in=DEMO_UAIS).select_related(
                "establishment"
            )
        }
        memberships: list[ClassPartMembership] = []
        direct: list[GroupMembership] = []
        by_division: dict[int, list[Person]] = defaultdict(list)
        for pupil in pupils:
            by_division[placement[id(pupil)][1].pk].append(pupil)
        for pupils_of_division in by_division.values():
            establishment, division = placement[id(pupils_of_division[0])]
            parts = parts_by_division[division.pk]
            ordered = sorted(pupils_of_division, key=lambda p: (p.last_name, p.first_name))
            for index, pupil in enumerate(ordered):
                start, end = self._span(pupil)
                if "Groupe 1" in parts:
                    half = "Groupe 1" if index < len(ordered) / 2 else "Groupe 2"
                    memberships.append(
                        ClassPartMembership(
                            pupil=pupil, class_part=parts[half], start_date=start, end_date=end
                        )
                    )
                kind, new_division, day = self.changes.get(id(pupil), (None, None, None))
                if kind == "move":
                    new_parts = parts_by_division[self.college_divisions[new_division].pk]
                    memberships.append(
                        ClassPartMembership(
                            pupil=pupil, class_part=new_parts["Groupe 2"], start_date=day
                        )
                    )
                if division.level != "6E":
                    language = "Allemand" if self.rng.random() < 0.55 else "Espagnol"
                    memberships.append(
                        ClassPartMembership(
                            pupil=pupil, class_part=parts[language], start_date=start, end_date=end
                        )
                    )
                if (
                    establishment.uai == COLLEGE_UAI
                    and division.level in ("5E", "4E", "3E")
                    and self.rng.random() < 0.18
                ):
                    direct.append(
                        GroupMembership(
                            pupil=pupil,
                            group=groups[(COLLEGE_UAI, f"Latin {division.level[0]}e")],
                            start_date=start,
                            end_date=end,
                        )
                    )
                if establishment.uai == LYCEE_UAI and division.level in ("1RE", "TLE"):
                    direct.extend(self._specialities(pupil, division.level, groups))
        ClassPartMembership.objects.bulk_create(memberships, batch_size=BATCH)
        GroupMembership.objects.bulk_create(direct, batch_size=BATCH)

    def _specialities(self, pupil: Person, level: str, groups: dict) -> list[GroupMembership]:
        """Three spécialités in 1re, two in Terminale, drawn by popularity among those
        the barrettes allow together (one per barrette); in each, the emptiest group of
        the barrette it falls in."""
        wanted = SPECIALITY_COUNT[level]
        offer: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for name, (group_level, code, barrette) in self.barrettes.items():
            if group_level == level:
                offer[code][barrette].append(name)
        chosen: list[str] = []
        while len(chosen) < wanted:
            candidates = [
                code
                for code in SPECIALITIES
                if code not in chosen and _barrette_plans([*chosen, code], offer)
            ]
            weights = [4 if code in ("MATHS", "PH-CH", "SVT", "SES") else 2 for code in candidates]
            chosen.append(self.rng.choices(candidates, weights=weights)[0])

        def emptiest(code: str, barrette: int) -> str:
            return min(offer[code][barrette], key=lambda name: self.speciality_sizes[name])

        plan = min(
            _barrette_plans(chosen, offer),
            key=lambda plan: sum(
                self.speciality_sizes[emptiest(code, b)]
                for code, b in zip(chosen, plan, strict=True)
            ),
        )
        memberships = []
        for code, barrette in zip(chosen, plan, strict=True):
            name = emptiest(code, barrette)
            self.speciality_sizes[name] += 1
            memberships.append(
                GroupMembership(pupil=pupil, group=groups[(LYCEE_UAI, name)], start_date=self.start)
            )
        return memberships

    def _region_and_admin(self) -> None:
        region = self._person(
            first="Alain",
            last="Durand",
            civility="M",
            birth=date(self.start.year - 51, 9, 2),
            adult_contact=True,
        )
        region.email = "alain.durand@grandest.example.org"
        self._save_people([region])
        self.roles.append(
            Role(
                person=region,
                establishment=None,
                kind=RoleKind.REGION_ADMIN,
                title="Chef de projet ENT, Région Grand Est",
            )
        )
        self._account(region, login="region")
        self._account(None, login="admin", is_staff=True, is_superuser=True)

    def _objection(self) -> None:
        """Théo, 18, objects to his guardians seeing his grades and report cards."""
        adult_objection_set(actor=None, pupil=self.theo, objects=True)

    def _activation_letter(self) -> None:
        """Marc Lambert, Lucas's father, has not activated his account (no usable
        password, as after a SIECLE import) and holds the letter whose code is
        `DEMO_ACTIVATION_CODE`: try it on /activation/."""
        account = Account.objects.get(person=self.marc)
        account.activated_at = None
        account.set_unusable_password()
        account.save(update_fields=["activated_at", "password"])
        now = timezone.now()
        ActivationCode.objects.create(
            account=account,
            code_hash=code_hash(code_normalise(DEMO_ACTIVATION_CODE)),
            created_at=now,
            expires_at=now + timedelta(days=ACTIVATION_CODE_DAYS),
        )


def _barrette_plans(codes: list[str], offer: dict) -> list[tuple[int, ...]]:
    """The ways of taking each spécialité of `codes` in a different barrette."""
    barrettes = sorted({b for code in codes for b in offer.get(code, {})})
    return [
        plan
        for plan in itertools.permutations(barrettes, len(codes))
        if all(plan[i] in offer[code] for i, code in enumerate(codes))
    ]


def academic_email(person: Person) -> str:
    return (
        f"{ascii_slug(person.first_name)}.{ascii_slug(person.last_name)}@ac-nancy-metz.example.org"
    )


def labels_of(level: str) -> str:
    return {"2NDE": "2nde", "1RE": "1re", "TLE": "Tle"}.get(
        level, dict(Level.choices).get(level, level)
    )


def demo_exists() -> bool:
    return Establishment.objects.filter(uai__in=DEMO_UAIS).exists()


def build_demo(
    *,
    small: bool = False,
    seed: int = 2026,
    today: date | None = None,
    timetables: bool = True,
    now: datetime | None = None,
) -> DemoSummary:
    """The demo as of `today` (the school year running then) and `now` (the moment up
    to which roll calls are taken: the real time when `today` is today, else 10:40 that
    day, see `demo_attendance.reference_now`)."""
    return DemoBuilder(
        small=small,
        seed=seed,
        today=today or (timezone.localtime(now).date() if now else timezone.localdate()),
        timetables=timetables,
        now=now,
    ).build()
