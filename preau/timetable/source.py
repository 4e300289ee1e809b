"""What every timetable importer produces: a format-neutral reading of the file.

Parsers (preau/timetable/importers/<format>.py) turn an export into a `SourceTimetable`
made of plain dataclasses and nothing else; `services.timetable_import` then applies it
in one transaction. Keys (`key` fields) are the identifiers the source gives its own
objects (EDT `Ident`, FET names, STS codes…), only meaningful inside one file.

Weeks are given as the set of their Mondays, whatever the format counts (EDT school
weeks from `DatePremierJourSemaine1`, UDT ISO weeks, STS week start dates, every
school week for FET), so that the rest of Préau never meets a week number.
"""

from dataclasses import dataclass, field
from datetime import date, time

TEACHER = "teacher"
DIVISION = "division"
GROUP = "group"
CLASS_PART = "class_part"
ROOM = "room"
PUPIL = "pupil"
# Any other element that carries weeks (EDT `Materiel`…): it makes the course exist in
# those weeks (timetable.md §4) but names nobody.
OTHER = "other"
RESOURCE_KINDS = (TEACHER, DIVISION, GROUP, CLASS_PART, ROOM, PUPIL, OTHER)
AUDIENCE_KINDS = (DIVISION, GROUP, CLASS_PART, PUPIL)


@dataclass(frozen=True)
class SourceSubject:
    key: str
    code: str
    label: str


@dataclass(frozen=True)
class SourcePerson:
    """A teacher, a pupil or a guardian as the file describes them. `identifiers` maps
    an IdentifierSource (edt, ine, siecle, sts, fet…) to the value the file gives."""

    key: str
    last_name: str
    first_name: str = ""
    birth_date: date | None = None
    civility: str = ""
    identifiers: dict[str, str] = field(default_factory=dict)
    email: str = ""
    address_line1: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class SourceRoom:
    key: str
    name: str


@dataclass(frozen=True)
class SourceDivision:
    key: str
    name: str
    class_part_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceClassPart:
    key: str
    name: str
    division_key: str


@dataclass(frozen=True)
class SourceGroup:
    """A group: its pupils are those of its class parts and whole divisions, plus those
    listed directly (timetable.md §6)."""

    key: str
    name: str
    class_part_keys: tuple[str, ...] = ()
    division_keys: tuple[str, ...] = ()
    pupil_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceMembership:
    """A pupil in a division or a class part between two dates (None: open)."""

    kind: str  # DIVISION or CLASS_PART
    key: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class SourceGuardianship:
    guardian: SourcePerson
    level: int = 1


@dataclass(frozen=True)
class SourcePupil:
    person: SourcePerson
    memberships: tuple[SourceMembership, ...] = ()
    guardians: tuple[SourceGuardianship, ...] = ()


@dataclass(frozen=True)
class SourceResource:
    """One resource of a course and the weeks (their Mondays) it is present in."""

    kind: str
    key: str
    weeks: frozenset[date]


@dataclass(frozen=True)
class SourceCourse:
    """One placed item of the annual timetable (timetable.md: cours)."""

    key: str
    weekday: int  # 1 = Monday
    start: time
    end: time
    subject_key: str | None
    resources: tuple[SourceResource, ...]
    cancelled_weeks: frozenset[date] = frozenset()
    # Dates on which no occurrence is generated at all (FET: holidays).
    excluded_dates: frozenset[date] = frozenset()
    # What the source said, shown to staff as provenance ("jour 4, place 13, 2 places").
    provenance: dict = field(default_factory=dict)
    # What its occurrences are named after, with their date (default: `key`). Courses a
    # source splits by weeks (EDT: the same slot, subject and audience on other weeks)
    # share it, so that a newer export that splits or joins them otherwise keeps the
    # occurrences, and what is attached to them.
    occurrence_key: str = ""


@dataclass(frozen=True)
class SourceProblem:
    """Something the report must show: `where` names the element, line or field."""

    code: str
    where: str
    message: str


@dataclass
class SourceTimetable:
    format: str  # edt, fet, sts, udt
    uai: str | None
    establishment_name: str = ""
    # Occurrences before `first_day` or after `last_day` are not created (counted).
    first_day: date | None = None
    last_day: date | None = None
    subjects: list[SourceSubject] = field(default_factory=list)
    teachers: list[SourcePerson] = field(default_factory=list)
    rooms: list[SourceRoom] = field(default_factory=list)
    divisions: list[SourceDivision] = field(default_factory=list)
    class_parts: list[SourceClassPart] = field(default_factory=list)
    groups: list[SourceGroup] = field(default_factory=list)
    pupils: list[SourcePupil] = field(default_factory=list)
    courses: list[SourceCourse] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    # Format-specific facts kept with the version (FET students-set nesting, EDT grid).
    metadata: dict = field(default_factory=dict)
