"""The demo establishments' timetables, for the whole school year.

A weekly pattern is built from the teaching services by a greedy placement (in an
order drawn from the demo's seed): every service gets its weekly hours in a Monday to
Friday grid of 8:00–17:00 with a lunch break, Wednesday afternoon free at the collège,
and no teacher, pupil or room in two places at once. It uses what real timetables use:

- half-class sessions in sciences and technology at the collège: `Groupe 1` on A weeks
  and `Groupe 2` on B weeks in the same course (one course, per-resource weeks);
- A/B weeks: a subject of 3.5 hours is 3 hours every week and 1 hour every other week;
- LV2/LVB: the German and Spanish groups of the same divisions side by side, each
  group gathering the language part of up to three (collège) or four (lycée) divisions,
  the divisions named on the course as the origin of the groups' pupils;
- spécialités: the groups of one barrette at the same time, their pupils drawn from
  every division of the level; Latin, whose pupils are listed one by one;
- rooms: classrooms ("B104"), laboratories ("Labo SVT 1"), sports halls ("Gymnase").

The pattern is then written as a `SourceTimetable` (format "demo") with the school
year's weeks as Mondays, school holidays, public holidays and closures as excluded
dates, A/B weeks alternating over the weeks with classes, and the 3e work-experience
week cancelled in the source; it is imported by `services.timetable_import`, the path
of every real export, so the demo has a version, provenance and an import report.
Changes then go through the occurrence services around the reference date, so that
the current and next weeks show every status.
"""

import random
import time as clock
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from preau.accounts.models import Account
from preau.core import calendar
from preau.core.models import Establishment, ExternalId, Person, SchoolYear
from preau.structure.models import (
    ClassPart,
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    TeachingService,
)
from preau.timetable import services as timetable
from preau.timetable.models import Occurrence, OccurrenceStatus, Room
from preau.timetable.source import (
    CLASS_PART,
    DIVISION,
    GROUP,
    ROOM,
    TEACHER,
    SourceClassPart,
    SourceCourse,
    SourceDivision,
    SourceGroup,
    SourcePerson,
    SourceResource,
    SourceRoom,
    SourceSubject,
    SourceTimetable,
)

# Weeks a session or a resource is held in, as a set of parities: A weeks, B weeks.
WEEK_A, WEEK_B, EVERY_WEEK = 1, 2, 3
WEEKS_LABEL = {EVERY_WEEK: "toutes", WEEK_A: "A", WEEK_B: "B"}

# The daily grid: four morning hours, lunch, four afternoon hours (55 minutes each).
GRID = (
    (time(8, 0), time(8, 55)),
    (time(8, 55), time(9, 50)),
    (time(10, 5), time(11, 0)),
    (time(11, 0), time(11, 55)),
    (time(13, 10), time(14, 5)),
    (time(14, 5), time(15, 0)),
    (time(15, 10), time(16, 5)),
    (time(16, 5), time(17, 0)),
)
MORNING, AFTERNOON = (0, 1, 2, 3), (4, 5, 6, 7)
WEEKDAYS = (1, 2, 3, 4, 5)
WEDNESDAY = 3

# Subjects taught to half a class at the collège, and the weeks of Groupe 1 and
# Groupe 2: SVT and physique-chimie swap halves, so they can share an hour.
HALF_CLASS = {
    "SVT": (WEEK_A, WEEK_B),
    "PH-CH": (WEEK_B, WEEK_A),
    "TECHN": (WEEK_A, WEEK_B),
}
ROOM_KIND = {
    "SVT": "svt",
    "PH-CH": "physique",
    "TECHN": "techno",
    "A-PLA": "arts",
    "EDMUS": "musique",
    "EPS": "sport",
    "NSINF": "informatique",
    "SNTEC": "informatique",
}
SPORT_FACILITIES = ["Gymnase", "Salle de sport", "Plateau sportif", "Stade", "Dojo", "Piscine"]


def room_names(kind: str, count: int) -> list[str]:
    if kind == "classe":
        # Buildings A, B, C…, two floors of five rooms each: A101…A105, A201…, B101…
        return [f"{'ABCDEFGH'[i // 10]}{1 + (i % 10) // 5}{i % 5 + 1:02d}" for i in range(count)]
    if kind == "sport":
        return [
            SPORT_FACILITIES[i] if i < len(SPORT_FACILITIES) else f"Gymnase {i}"
            for i in range(count)
        ]
    base = {
        "svt": "Labo SVT",
        "physique": "Labo physique",
        "techno": "Salle techno",
        "arts": "Arts plastiques",
        "musique": "Salle de musique",
        "informatique": "Salle informatique",
    }[kind]
    return [f"{base} {i + 1}" for i in range(count)]


# -- What is placed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    kind: str  # DIVISION, GROUP or CLASS_PART
    key: str  # the source key: a division's, group's name, "4B Groupe 1"
    weeks: int


@dataclass
class Part:
    """One course of a session: several run side by side in a barrette."""

    subject: str
    teachers: tuple[int, ...]
    audience: tuple[Audience, ...]
    room_kind: str
    name: str  # who it is for, in the course key


@dataclass
class Session:
    length: int  # in hours of the grid
    weeks: int
    parts: list[Part]
    tier: int  # placed by increasing tier: the hardest first
    spread: str  # sessions of the same spread key go on different days when possible
    holders: dict = field(default_factory=dict)
    pair: tuple | None = None
    pupils: tuple | None = None  # one block of the audience, whose days are balanced
    impossible: bool = False
    day: int = 0
    slot: int = -1
    rooms: list[str] = field(default_factory=list)


# -- An establishment as the placement sees it -------------------------------------------


class School:
    """The divisions, groups, services and pupils of one establishment's year."""

    def __init__(self, establishment: Establishment, year: SchoolYear, barrettes: dict):
        self.establishment = establishment
        self.year = year
        self.college = establishment.kind == "college"
        self.barrettes = barrettes
        self.divisions = {
            d.name: d for d in Division.objects.filter(school_year=year).order_by("name")
        }
        self.parts = {
            (p.division.name, p.name): p
            for p in ClassPart.objects.filter(division__school_year=year).select_related("division")
        }
        self.groups = {
            g.name: g
            for g in Group.objects.filter(school_year=year)
            .prefetch_related("class_parts__division", "divisions")
            .order_by("name")
        }
        self.services = list(
            TeachingService.objects.filter(school_year=year)
            .select_related("subject", "division", "group")
            .prefetch_related("teachers")
            .order_by("pk")
        )
        self.subjects = {s.subject.code: s.subject for s in self.services}
        self.teachers: dict[int, Person] = {
            t.pk: t for service in self.services for t in service.teachers.all()
        }
        self.sts = dict(
            ExternalId.objects.filter(
                source="sts", establishment=establishment, person_id__in=list(self.teachers)
            ).values_list("person_id", "value")
        )
        self.units = {
            **{(DIVISION, name): (DIVISION, d.pk) for name, d in self.divisions.items()},
            **{(CLASS_PART, part_key(*key)): (CLASS_PART, p.pk) for key, p in self.parts.items()},
            **{(GROUP, name): (GROUP, g.pk) for name, g in self.groups.items()},
        }
        self.unit_blocks = self._blocks()
        self.division_levels = {d.pk: d.level for d in self.divisions.values()}
        self._levels: dict[str, set[str]] = {}

    def _blocks(self) -> dict[tuple[str, int], set[int]]:
        """Pupils with the same memberships on the same days form a block: a course
        occupies the blocks holding its audience. A pupil who changes division counts
        once per span of dates, so the old and new divisions stay independent."""
        spans: dict[int, list[tuple[tuple[str, int], date, date | None]]] = defaultdict(list)
        for model, kind, column in (
            (Enrolment, DIVISION, "division_id"),
            (ClassPartMembership, CLASS_PART, "class_part_id"),
            (GroupMembership, GROUP, "group_id"),
        ):
            for pupil, pk, start, end in model.objects.filter(
                **{model.SCHOOL_YEAR: self.year}
            ).values_list("pupil_id", column, "start_date", "end_date"):
                spans[pupil].append(((kind, pk), start, end))
        groups_of: dict[tuple[str, int], list[int]] = defaultdict(list)
        for group in self.groups.values():
            for part in group.class_parts.all():
                groups_of[(CLASS_PART, part.pk)].append(group.pk)
            for division in group.divisions.all():
                groups_of[(DIVISION, division.pk)].append(group.pk)
        blocks: dict[frozenset, int] = {}
        unit_blocks: dict[tuple[str, int], set[int]] = defaultdict(set)
        for memberships in spans.values():
            cuts = sorted(
                {start for _, start, _ in memberships}
                | {end + timedelta(days=1) for _, _, end in memberships if end}
            )
            for day in cuts:
                units = {
                    unit
                    for unit, start, end in memberships
                    if start <= day and (end is None or day <= end)
                }
                for unit in list(units):
                    units |= {(GROUP, g) for g in groups_of.get(unit, ())}
                if not units:
                    continue
                block = blocks.setdefault(frozenset(units), len(blocks))
                for unit in units:
                    unit_blocks[unit].add(block)
        return unit_blocks

    def blocks_of(self, audience: Audience) -> set[int]:
        return self.unit_blocks.get(self.units[(audience.kind, audience.key)], set())

    def levels_of(self, part: Part, levels: dict[str, str]) -> set[str]:
        """The levels of the divisions whose pupils a course concerns."""
        found = {levels[a.key] for a in part.audience if a.kind == DIVISION}
        for audience in part.audience:
            if audience.kind == DIVISION:
                continue
            if audience.key not in self._levels:
                blocks = self.blocks_of(audience)
                self._levels[audience.key] = {
                    self.division_levels[pk]
                    for (kind, pk), held in self.unit_blocks.items()
                    if kind == DIVISION and held & blocks
                }
            found |= self._levels[audience.key]
        return found


def part_key(division: str, part: str) -> str:
    return f"{division} {part}"


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(plain.split())


# -- From services to sessions -------------------------------------------------------------


def _hours(value: Decimal | None) -> tuple[int, bool]:
    hours = Decimal(value or 0)
    whole = int(hours)
    return whole, hours - whole >= Decimal("0.5")


def _lengths(code: str, whole: int, lab_blocks: bool) -> list[int]:
    if code == "EPS":
        return [2] * (whole // 2) + [1] * (whole % 2)
    if lab_blocks and code in ("PH-CH", "SVT") and whole >= 3:
        return [2] + [1] * (whole - 2)
    return [1] * whole


def sessions_of(school: School) -> list[Session]:
    sessions: list[Session] = []
    toggles: dict[str, int] = defaultdict(int)

    def other_week(key: str) -> int:
        """A or B, in turn for each division (or barrette): its half hours pair up."""
        toggles[key] += 1
        return WEEK_A if toggles[key] % 2 else WEEK_B

    bundles: dict[tuple, list[TeachingService]] = defaultdict(list)
    for service in school.services:
        teachers = tuple(t.pk for t in service.teachers.all())
        code = service.subject.code
        kind = ROOM_KIND.get(code, "classe")
        if service.division is not None:
            division = service.division.name
            whole, half = _hours(service.weekly_hours)
            spread = f"service {service.pk}"
            audience = (Audience(DIVISION, division, EVERY_WEEK),)
            part = Part(code, teachers, audience, kind, division)
            for length in _lengths(code, whole, lab_blocks=not school.college):
                sessions.append(
                    Session(length, EVERY_WEEK, [part], tier=3 if length > 1 else 5, spread=spread)
                )
            if not half:
                continue
            halves = [(division, "Groupe 1"), (division, "Groupe 2")]
            if code in HALF_CLASS and all(h in school.parts for h in halves):
                weeks = HALF_CLASS[code]
                halved = tuple(
                    Audience(CLASS_PART, part_key(*half), w)
                    for half, w in zip(halves, weeks, strict=True)
                )
                name = f"{division} demi-groupes"
                sessions.append(
                    Session(
                        1,
                        EVERY_WEEK,
                        [Part(code, teachers, halved, kind, name)],
                        tier=4,
                        spread=spread,
                    )
                )
            else:
                weeks = other_week(division)
                audience = (Audience(DIVISION, division, weeks),)
                alternate = Part(code, teachers, audience, kind, division)
                sessions.append(Session(1, weeks, [alternate], tier=4, spread=spread))
            continue
        group = school.groups[service.group.name]
        if group.name in school.barrettes:
            level, _, barrette = school.barrettes[group.name]
            bundles[("barrette", level, barrette, service.weekly_hours)].append(service)
        elif group.class_parts.all() or group.divisions.all():
            origin = frozenset(
                [p.division.name for p in group.class_parts.all()]
                + [d.name for d in group.divisions.all()]
            )
            bundles[("parts", origin, service.weekly_hours)].append(service)
        else:
            bundles[("direct", group.name, service.weekly_hours)].append(service)

    for key, members in bundles.items():
        whole, half = _hours(members[0].weekly_hours)
        tier = {"barrette": 0, "direct": 1, "parts": 2}[key[0]]

        def parts(weeks: int, members=members) -> list[Part]:
            found = []
            for service in members:
                group = school.groups[service.group.name]
                origin = sorted(
                    {p.division.name for p in group.class_parts.all()}
                    | {d.name for d in group.divisions.all()}
                )
                audience = (
                    Audience(GROUP, group.name, weeks),
                    *(Audience(DIVISION, name, weeks) for name in origin),
                )
                found.append(
                    Part(
                        service.subject.code,
                        tuple(t.pk for t in service.teachers.all()),
                        audience,
                        ROOM_KIND.get(service.subject.code, "classe"),
                        group.name,
                    )
                )
            return found

        spread = f"bundle {key}"
        lengths = [2] * (whole // 2) + [1] * (whole % 2) if whole >= 4 else [1] * whole
        for length in lengths:
            sessions.append(Session(length, EVERY_WEEK, parts(EVERY_WEEK), tier, spread))
        if half:
            # In turn with the half hours of the first division the groups draw on.
            origin = sorted(key[1]) if key[0] == "parts" else []
            weeks = other_week(origin[0] if origin else spread)
            sessions.append(Session(1, weeks, parts(weeks), tier, spread))
    return sessions


# -- The placement ---------------------------------------------------------------------------


def _bit(day: int, slot: int, parity: int) -> int:
    return 1 << (((day - 1) * len(GRID) + slot) * 2 + parity)


_MASKS: dict[tuple[int, int, int, int], int] = {}


def mask(day: int, start: int, length: int, weeks: int) -> int:
    key = (day, start, length, weeks)
    if key not in _MASKS:
        value = 0
        for slot in range(start, start + length):
            for parity in (0, 1):
                if weeks & (1 << parity):
                    value |= _bit(day, slot, parity)
        _MASKS[key] = value
    return _MASKS[key]


DAY_MASK = {day: mask(day, 0, len(GRID), EVERY_WEEK) for day in WEEKDAYS}


def starts(college: bool, day: int, length: int) -> list[int]:
    """Where a session of `length` hours may start on `day`: within a half-day, and
    two-hour sessions between breaks (8:00–9:50, 10:05–11:55, 13:10–15:00, 15:10–17:00)."""
    segments = [MORNING] if college and day == WEDNESDAY else [MORNING, AFTERNOON]
    step = 2 if length == 2 else 1
    return [segment[i] for segment in segments for i in range(0, len(segment) - length + 1, step)]


class Planner:
    """Places the sessions of one establishment; `busy` (holder → bit mask of the week's
    hours and parities) is shared between establishments for their common teachers."""

    def __init__(self, school: School, busy: dict, rng: random.Random):
        self.school = school
        self.busy = busy
        self.rng = rng
        self.rooms: dict[str, list[str]] = {}
        self.home: dict[tuple[int, str], str] = {}
        self.spread_days: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.uai = school.establishment.pk

    def prepare(self, sessions: list[Session]) -> None:
        for session in sessions:
            holders: dict[tuple, int] = {}
            for part in session.parts:
                for teacher in part.teachers:
                    holders[("t", teacher)] = holders.get(("t", teacher), 0) | session.weeks
                for audience in part.audience:
                    for block in self.school.blocks_of(audience):
                        holder = ("b", self.uai, block)
                        holders[holder] = holders.get(holder, 0) | audience.weeks
            session.holders = holders
            teachers = [t for part in session.parts for t in part.teachers]
            # A teacher in two courses of one barrette could never be placed.
            session.impossible = len(teachers) != len(set(teachers))
            session.pupils = next((h for h in holders if h[0] == "b"), None)
            # The pupils the session leaves free every other week, to pair it with another.
            session.pair = next(
                (
                    (holder, EVERY_WEEK ^ weeks)
                    for holder, weeks in holders.items()
                    if holder[0] == "b" and weeks != EVERY_WEEK
                ),
                None,
            )
        self._room_pools(sessions)
        self._home_rooms(sessions)

    def _room_pools(self, sessions: list[Session]) -> None:
        """Enough rooms of each kind for the demand, with some slack."""
        hours = sum(len(starts(self.school.college, day, 1)) for day in WEEKDAYS)
        usage: dict[str, float] = defaultdict(float)
        peak: dict[str, int] = defaultdict(int)
        for session in sessions:
            share = 1 if session.weeks == EVERY_WEEK else 0.5
            count: dict[str, int] = defaultdict(int)
            for part in session.parts:
                usage[part.room_kind] += session.length * share
                count[part.room_kind] += 1
            for kind, n in count.items():
                peak[kind] = max(peak[kind], n)
        for kind in sorted(usage):
            needed = max(peak[kind] + 1, int(usage[kind] * 1.5 / hours) + 2)
            self.rooms[kind] = room_names(kind, needed)

    def _home_rooms(self, sessions: list[Session]) -> None:
        """Each teacher has a room of each kind they teach in, shared as evenly as the
        rooms allow (the busiest teachers first); they teach elsewhere only when it is
        taken."""
        demand: dict[tuple[int, str], float] = defaultdict(float)
        for session in sessions:
            for part in session.parts:
                if part.teachers:
                    demand[(part.teachers[0], part.room_kind)] += session.length
        turn: dict[str, int] = defaultdict(int)
        for (teacher, kind), _ in sorted(demand.items(), key=lambda item: (-item[1], item[0])):
            pool = self.rooms[kind]
            self.home[(teacher, kind)] = pool[turn[kind] % len(pool)]
            turn[kind] += 1

    def place(self, sessions: list[Session]) -> list[Session]:
        order = sorted(
            self.rng.sample(sessions, len(sessions)), key=lambda s: (s.tier, -len(s.holders))
        )
        failed = []
        for session in order:
            if session.impossible:
                failed.append(session)
                continue
            candidates = [
                (day, start)
                for day in WEEKDAYS
                for start in starts(self.school.college, day, session.length)
            ]
            self.rng.shuffle(candidates)
            candidates.sort(key=lambda c: self._score(session, *c))
            for day, start in candidates:
                rooms = self._fits(session, day, start)
                if rooms is not None:
                    self._commit(session, day, start, rooms)
                    break
            else:
                failed.append(session)
        return failed

    def _score(self, session: Session, day: int, start: int) -> float:
        score = 10.0 * self.spread_days[session.spread][day]
        if session.pupils is not None:
            score += (self.busy.get(session.pupils, 0) & DAY_MASK[day]).bit_count() / 4
        if start + session.length - 1 == AFTERNOON[-1]:
            score += 2
        part = session.parts[0]
        home = self.home.get((part.teachers[0], part.room_kind)) if part.teachers else None
        if home and self.busy.get(("r", self.uai, home), 0) & mask(
            day, start, session.length, session.weeks
        ):
            score += 1  # the teacher's own room is taken then
        if session.pair is not None:
            holder, weeks = session.pair
            if self.busy.get(holder, 0) & mask(day, start, session.length, weeks):
                score -= 4  # fills the other week of an hour already half used
        return score

    def _fits(self, session: Session, day: int, start: int) -> list[str] | None:
        masks = {w: mask(day, start, session.length, w) for w in (WEEK_A, WEEK_B, EVERY_WEEK)}
        busy = self.busy
        for holder, weeks in session.holders.items():
            if busy.get(holder, 0) & masks[weeks]:
                return None
        chosen: list[str] = []
        wanted = masks[session.weeks]
        for part in session.parts:
            for room in self._room_order(part):
                if room not in chosen and not busy.get(("r", self.uai, room), 0) & wanted:
                    chosen.append(room)
                    break
            else:
                return None
        return chosen

    def _room_order(self, part: Part) -> list[str]:
        pool = self.rooms[part.room_kind]
        home = self.home.get((part.teachers[0], part.room_kind)) if part.teachers else None
        return [home, *(room for room in pool if room != home)] if home else pool

    def _commit(self, session: Session, day: int, start: int, rooms: list[str]) -> None:
        for holder, weeks in session.holders.items():
            self.busy[holder] = self.busy.get(holder, 0) | mask(day, start, session.length, weeks)
        for room in rooms:
            holder = ("r", self.uai, room)
            self.busy[holder] = self.busy.get(holder, 0) | mask(
                day, start, session.length, session.weeks
            )
        session.day, session.slot, session.rooms = day, start, rooms
        self.spread_days[session.spread][day] += 1


def place(school: School, sessions: list[Session], busy: dict, seed: int) -> tuple[Planner, list]:
    """The placement with the fewest sessions left out over a few draws (none, for the
    demo's shapes and seeds tried)."""
    best = None
    for attempt in range(8):
        trial = dict(busy)
        rng = random.Random(f"{seed}/{school.establishment.uai}/{attempt}")
        planner = Planner(school, trial, rng)
        planner.prepare(sessions)
        failed = planner.place(sessions)
        placed = [(s.day, s.slot, list(s.rooms)) for s in sessions]
        if best is None or len(failed) < len(best[1]):
            best = (planner, failed, placed, trial)
        if not failed:
            break
        for session in sessions:
            session.day, session.slot, session.rooms = 0, -1, []
    planner, failed, placed, trial = best
    for session, (day, slot, rooms) in zip(sessions, placed, strict=True):
        session.day, session.slot, session.rooms = day, slot, rooms
    busy.clear()
    busy.update(trial)
    planner.busy = busy
    return planner, failed


# -- The school year's weeks -----------------------------------------------------------------


@dataclass
class Weeks:
    """The Mondays of the school year, which of them are A and B weeks (alternating
    over the weeks with at least one day of classes), and the dates without classes."""

    every: frozenset[date]
    parity: dict[date, int]  # Monday → WEEK_A or WEEK_B (weeks with classes only)
    excluded: frozenset[date]
    school_weeks: list[date]

    @classmethod
    def of(cls, establishment: Establishment, year: SchoolYear) -> "Weeks":
        rules = establishment.school_calendar_rules()
        first = year.start_date - timedelta(days=year.start_date.weekday())
        last = year.end_date - timedelta(days=year.end_date.weekday())
        mondays = []
        monday = first
        while monday <= last:
            mondays.append(monday)
            monday += timedelta(weeks=1)
        off = set(calendar.days_off(rules, first, last + timedelta(days=4)))
        # Days of the first and last weeks outside the school year are no school days.
        off |= {
            day
            for monday in (first, last)
            for day in calendar.days(monday, monday + timedelta(days=4))
            if not year.start_date <= day <= year.end_date
        }
        school_weeks = [
            monday
            for monday in mondays
            if any(day not in off for day in calendar.days(monday, monday + timedelta(days=4)))
        ]
        parity = {
            monday: WEEK_A if index % 2 == 0 else WEEK_B
            for index, monday in enumerate(school_weeks)
        }
        return cls(frozenset(mondays), parity, frozenset(off), school_weeks)

    def of_weeks(self, weeks: int) -> frozenset[date]:
        if weeks == EVERY_WEEK:
            return self.every
        return frozenset(monday for monday, p in self.parity.items() if p == weeks)

    def reference(self, today: date) -> tuple[date, date]:
        """The week of `today` (or the next one with classes) and the one after it."""
        this = today - timedelta(days=today.weekday())
        index = next(
            (i for i, monday in enumerate(self.school_weeks) if monday >= this),
            len(self.school_weeks) - 1,
        )
        index = max(0, min(index, len(self.school_weeks) - 2))
        return self.school_weeks[index], self.school_weeks[index + 1]

    def around(
        self, reference: tuple[date, date], weeks: int, since: date | None = None
    ) -> "Weeks":
        """The same calendar, with occurrences only from `weeks` weeks with classes
        before the reference weeks to `weeks` after them (the small demo); with `since`,
        from the week of that date if it is earlier."""
        first = self.school_weeks.index(reference[0])
        last = self.school_weeks.index(reference[1])
        start = self.school_weeks[max(0, first - weeks)]
        if since is not None:
            start = min(start, max(self.school_weeks[0], since - timedelta(days=since.weekday())))
        end = self.school_weeks[min(len(self.school_weeks) - 1, last + weeks)]
        return Weeks(
            frozenset(m for m in self.every if start <= m <= end),
            {m: p for m, p in self.parity.items() if start <= m <= end},
            self.excluded,
            self.school_weeks,
        )

    def work_experience(self, avoid: tuple[date, ...]) -> date | None:
        """The 3e stage d'observation: the first full week of classes in December."""
        for monday in self.school_weeks:
            days = list(calendar.days(monday, monday + timedelta(days=4)))
            if monday.month == 12 and monday not in avoid and not set(days) & self.excluded:
                return monday
        return None


# -- The source -------------------------------------------------------------------------------


@dataclass
class Placed:
    session: Session
    part: Part
    room: str
    key: str


def source_of(
    school: School, planner: "Planner", sessions: list[Session], weeks: Weeks, stage: date | None
) -> tuple[SourceTimetable, list[Placed]]:
    establishment, year = school.establishment, school.year
    source = SourceTimetable(
        format="demo",
        uai=establishment.uai,
        establishment_name=establishment.name,
        first_day=year.start_date,
        last_day=year.end_date,
    )
    source.subjects = [
        SourceSubject(key=code, code=code, label=subject.label)
        for code, subject in sorted(school.subjects.items())
    ]
    teacher_key = {pk: f"prof-{school.sts.get(pk, pk)}" for pk in school.teachers}
    source.teachers = [
        SourcePerson(
            key=teacher_key[pk],
            last_name=person.last_name,
            first_name=person.first_name,
            civility=person.civility,
            identifiers={"sts": school.sts[pk]} if pk in school.sts else {},
        )
        for pk, person in sorted(school.teachers.items())
    ]
    source.divisions = [
        SourceDivision(
            key=name,
            name=name,
            class_part_keys=tuple(part_key(d, p) for d, p in school.parts if d == name),
        )
        for name in school.divisions
    ]
    source.class_parts = [
        SourceClassPart(key=part_key(d, p), name=p, division_key=d) for d, p in school.parts
    ]
    source.groups = [
        SourceGroup(
            key=name,
            name=name,
            class_part_keys=tuple(
                part_key(p.division.name, p.name) for p in group.class_parts.all()
            ),
            division_keys=tuple(d.name for d in group.divisions.all()),
        )
        for name, group in school.groups.items()
    ]
    # Every room of the establishment, used by the weekly pattern or free for changes.
    source.rooms = [
        SourceRoom(key=room, name=room)
        for kind in sorted(planner.rooms)
        for room in planner.rooms[kind]
    ]
    levels = {d.name: d.level for d in school.divisions.values()}
    counters: dict[str, int] = defaultdict(int)
    placed: list[Placed] = []
    for session in sorted(sessions, key=lambda s: (s.day, s.slot, s.parts[0].name)):
        if session.slot < 0:
            continue
        for part, room in zip(session.parts, session.rooms, strict=True):
            stem = f"{part.subject}-{slug(part.name)}"
            counters[stem] += 1
            key = f"{stem}-{counters[stem]}"[:64]
            resources = [
                SourceResource(TEACHER, teacher_key[t], weeks.of_weeks(session.weeks))
                for t in part.teachers
            ]
            resources.append(SourceResource(ROOM, room, weeks.of_weeks(session.weeks)))
            resources += [
                SourceResource(a.kind, a.key, weeks.of_weeks(a.weeks)) for a in part.audience
            ]
            every = WEEKS_LABEL[session.weeks]
            cancelled = frozenset()
            if stage is not None and school.levels_of(part, levels) == {"3E"}:
                cancelled = frozenset({stage})
            source.courses.append(
                SourceCourse(
                    key=key,
                    weekday=session.day,
                    start=GRID[session.slot][0],
                    end=GRID[session.slot + session.length - 1][1],
                    subject_key=part.subject,
                    resources=tuple(resources),
                    cancelled_weeks=cancelled,
                    excluded_dates=weeks.excluded,
                    provenance={
                        "jour": session.day,
                        "place": session.slot + 1,
                        "places": session.length,
                        "semaines": WEEKS_LABEL[session.weeks],
                        "matiere": [part.subject],
                        "ressources": [
                            {"element": "professeur", "ident": teacher_key[t], "semaines": every}
                            for t in part.teachers
                        ]
                        + [{"element": "salle", "ident": room, "semaines": every}]
                        + [
                            {
                                "element": {
                                    DIVISION: "classe",
                                    GROUP: "groupe",
                                    CLASS_PART: "partiedeclasse",
                                }[a.kind],
                                "ident": a.key,
                                "semaines": WEEKS_LABEL[a.weeks],
                            }
                            for a in part.audience
                        ],
                        **(
                            {"annulation": [stage.isoformat()], "motif": "stage de 3e"}
                            if cancelled
                            else {}
                        ),
                    },
                )
            )
            placed.append(Placed(session, part, room, key))
    source.metadata = {
        "places": {
            str(n): [a.isoformat("minutes"), b.isoformat("minutes")]
            for n, (a, b) in enumerate(GRID, start=1)
        },
        "weeks": {monday.isoformat(): WEEKS_LABEL[p] for monday, p in weeks.parity.items()},
        **({"work_experience_week": stage.isoformat()} if stage else {}),
    }
    return source, placed


# -- Changes around the reference date ----------------------------------------------------------


class Changes:
    """Staff changes through the occurrence services, in free hours only: a move, an
    exceptional session, a room change or a replacement never double-books anyone."""

    def __init__(
        self, school: School, planner: Planner, placed: list[Placed], weeks: Weeks, dated: set
    ):
        self.school = school
        self.planner = planner
        self.placed = placed
        self.weeks = weeks
        self.zone = ZoneInfo(school.establishment.timezone)
        # (holder, date, slot) taken by a change, shared between establishments: a
        # teacher of both is not given a session in one where the other took the hour.
        self.dated = dated
        self.touched: set[str] = set()
        self.count = 0

    # Finding occurrences

    def sessions_in(self, monday: date, wanted) -> list[tuple[date, Placed]]:
        parity = self.weeks.parity.get(monday, 0)
        found = []
        for item in self.placed:
            day = monday + timedelta(days=item.session.day - 1)
            if (
                item.session.weeks & parity
                and day not in self.weeks.excluded
                and self.school.year.start_date <= day <= self.school.year.end_date
                and wanted(item)
            ):
                found.append((day, item))
        return sorted(found, key=lambda f: (f[0], f[1].session.slot, f[1].key))

    def occurrence(self, day: date, item: Placed) -> Occurrence | None:
        found = Occurrence.objects.filter(
            establishment=self.school.establishment,
            course__version__is_current=True,
            course__source_key=item.key,
            date=day,
            status=OccurrenceStatus.SCHEDULED,
        ).first()
        if found is None or found.uid in self.touched:
            return None
        self.touched.add(found.uid)
        return found

    def first(self, monday: date, wanted, not_on: set[date] = frozenset()):
        for day, item in self.sessions_in(monday, wanted):
            if day in not_on:
                continue
            occurrence = self.occurrence(day, item)
            if occurrence is not None:
                return day, item, occurrence
        return None

    # Free hours on a date

    def free(self, holders: dict, day: date, start: int, length: int) -> bool:
        parity = self.weeks.parity.get(day - timedelta(days=day.weekday()), EVERY_WEEK)
        weekly = mask(day.isoweekday(), start, length, parity)
        for holder in holders:
            if self.planner.busy.get(holder, 0) & weekly:
                return False
            if any((holder, day, s) in self.dated for s in range(start, start + length)):
                return False
        return True

    def take(self, holders, day: date, start: int, length: int) -> None:
        for holder in holders:
            for slot in range(start, start + length):
                self.dated.add((holder, day, slot))

    def free_room(self, kind: str, day: date, start: int, length: int, avoid=()) -> str | None:
        for room in self.planner.rooms.get(kind, []):
            holder = ("r", self.planner.uai, room)
            if room not in avoid and self.free({holder: 0}, day, start, length):
                return room
        return None

    def free_hour(self, holders: dict, monday: date, length: int, prefer=None, avoid=()):
        """The first hour of the week (from `after`) where every holder is free, with a
        classroom; `prefer(day, start)` sorts the candidates."""
        candidates = []
        for weekday in WEEKDAYS:
            day = monday + timedelta(days=weekday - 1)
            if day in self.weeks.excluded or day in avoid:
                continue
            for start in starts(self.school.college, weekday, length):
                candidates.append((day, start))
        if prefer:
            candidates.sort(key=lambda c: prefer(*c))
        for day, start in candidates:
            if self.free(holders, day, start, length):
                room = self.free_room("classe", day, start, length)
                if room is not None:
                    return day, start, room
        return None

    def at(self, day: date, slot: int) -> datetime:
        return datetime.combine(day, GRID[slot][0], tzinfo=self.zone)

    def until(self, day: date, slot: int) -> datetime:
        return datetime.combine(day, GRID[slot][1], tzinfo=self.zone)

    def room(self, name: str) -> Room:
        return Room.objects.get(establishment=self.school.establishment, name=name)

    # The changes

    def cancel(self, found, note: str) -> None:
        if found:
            timetable.occurrence_set_status(
                actor=None, occurrence=found[2], status=OccurrenceStatus.CANCELLED, note=note
            )
            self.count += 1

    def teacher_absent(self, teacher: Person, day: date, note: str) -> None:
        """Every session of the teacher that day, in every establishment."""
        for occurrence in Occurrence.objects.filter(
            teachers=teacher, date=day, status=OccurrenceStatus.SCHEDULED
        ):
            self.touched.add(occurrence.uid)
            timetable.occurrence_set_status(
                actor=None,
                occurrence=occurrence,
                status=OccurrenceStatus.TEACHER_ABSENT,
                note=note,
            )
            self.count += 1

    def change_room(self, found, note: str) -> None:
        if not found:
            return
        day, item, occurrence = found
        session = item.session
        room = self.free_room(
            item.part.room_kind, day, session.slot, session.length, avoid=session.rooms
        )
        if room is None:
            return
        self.take([("r", self.planner.uai, room)], day, session.slot, session.length)
        timetable.occurrence_change_room(
            actor=None, occurrence=occurrence, rooms=[self.room(room)], note=note
        )
        self.count += 1

    def replace(self, found, note: str) -> None:
        if not found:
            return
        day, item, occurrence = found
        session = item.session
        # A colleague of the same subject, else any teacher free then.
        same = {
            t.pk
            for service in self.school.services
            if service.subject.code == item.part.subject
            for t in service.teachers.all()
        }
        colleagues = sorted(
            set(self.school.teachers) - set(item.part.teachers),
            key=lambda pk: (pk not in same, pk),
        )
        for pk in colleagues:
            if self.free({("t", pk): 0}, day, session.slot, session.length):
                self.take([("t", pk)], day, session.slot, session.length)
                teacher = self.school.teachers[pk]
                timetable.occurrence_replace(
                    actor=None,
                    occurrence=occurrence,
                    teachers=[teacher],
                    note=f"{note} {teacher.formal_name}.",
                )
                self.count += 1
                return

    def move(self, found, note: str) -> None:
        if not found:
            return
        day, item, occurrence = found
        session = item.session
        holders = dict(session.holders)
        monday = day - timedelta(days=day.weekday())
        target = self.free_hour(
            holders,
            monday,
            session.length,
            prefer=lambda d, s: (d <= day, d, s),
            avoid=(day,),
        )
        if target is None:
            return
        new_day, start, room = target
        self.take([*holders, ("r", self.planner.uai, room)], new_day, start, session.length)
        timetable.occurrence_move(
            actor=None,
            occurrence=occurrence,
            start=self.at(new_day, start),
            end=self.until(new_day, start + session.length - 1),
            rooms=[self.room(room)],
            note=note,
        )
        self.count += 1

    def add(
        self, weeks: tuple, division: str, teacher: Person, length: int, prefer, avoid=(), **fields
    ):
        """An exceptional session for a division, in the first of `weeks` where the
        division, the teacher and a classroom are free at the same time."""
        unit = self.school.units[(DIVISION, division)]
        holders = {("b", self.planner.uai, b): 0 for b in self.school.unit_blocks.get(unit, ())}
        holders[("t", teacher.pk)] = 0
        target = next(
            (
                found
                for monday in weeks
                if (found := self.free_hour(holders, monday, length, prefer, avoid)) is not None
            ),
            None,
        )
        if target is None:
            return False
        day, start, room = target
        self.take([*holders, ("r", self.planner.uai, room)], day, start, length)
        timetable.occurrence_add(
            actor=None,
            establishment=self.school.establishment,
            start=self.at(day, start),
            end=self.until(day, start + length - 1),
            teachers=[teacher],
            rooms=[self.room(room)],
            divisions=[self.school.divisions[division]],
            **fields,
        )
        self.count += 1
        return True


def _audience_has(item: Placed, keys: set[tuple[str, str]]) -> bool:
    return any((a.kind, a.key) in keys for a in item.part.audience)


def college_changes(changes: Changes, today: date) -> None:
    """Emma's 4B, 3A and `prof` (Nathalie Schmitt) over the current and next weeks."""
    this, following = changes.weeks.reference(today)
    prof = Account.objects.get(login="prof").person
    in_4b = {(DIVISION, "4B"), *((CLASS_PART, part_key("4B", p)) for p in ("Groupe 1", "Groupe 2"))}
    in_3a = {(DIVISION, "3A"), *((CLASS_PART, part_key("3A", p)) for p in ("Groupe 1", "Groupe 2"))}

    def prof_in_4b(item: Placed) -> bool:
        return prof.pk in item.part.teachers and _audience_has(item, in_4b)

    # Mme Schmitt is away one day of this week, after today if she teaches then, else
    # before: today she teaches, and has roll calls to take (demo_attendance).
    mine = changes.sessions_in(this, prof_in_4b)
    if mine:
        days = [day for day, _ in mine]
        after = [day for day in days if day > today]
        absent = (after or [day for day in days if day < today] or days)[0]
        changes.teacher_absent(prof, absent, "Mme Schmitt est absente : pas de cours.")
    else:
        absent = None
    not_on = {absent} if absent else set()
    changes.change_room(
        changes.first(
            this,
            lambda i: _audience_has(i, in_4b) and prof.pk not in i.part.teachers,
            not_on,
        ),
        "Salle indisponible (travaux) : cours dans une autre salle.",
    )
    changes.move(
        changes.first(
            following,
            lambda i: _audience_has(i, {(DIVISION, "4B")}) and i.part.subject == "HIGEO",
        ),
        "Cours déplacé : le professeur accompagne une sortie ce jour-là.",
    )
    changes.cancel(
        changes.first(
            following,
            lambda i: _audience_has(i, in_3a) and i.part.subject in ("A-PLA", "EDMUS", "TECHN"),
        ),
        "Professeur en formation : cours non assuré.",
    )
    changes.replace(
        changes.first(
            following, lambda i: prof.pk in i.part.teachers and _audience_has(i, {(DIVISION, "3A")})
        ),
        "Mme Schmitt est en jury d'examen ; remplacement par",
    )
    changes.add(
        (this, following),
        "3A",
        prof,
        1,
        prefer=lambda d, s: (d < today, d, s),
        avoid=not_on,
        label="Heure de vie de classe",
        note="Préparation du stage d'observation et de l'orientation.",
    )


def lycee_changes(changes: Changes, today: date) -> None:
    """Lucas's 1re 2 (his division, LVB and spécialités) and `prof`'s 2nde 2."""
    this, following = changes.weeks.reference(today)
    lucas = Account.objects.get(login="lyceen").person
    prof = Account.objects.get(login="prof").person
    school = changes.school
    groups = set(
        GroupMembership.objects.filter(pupil=lucas).values_list("group__name", flat=True)
    ) | set(
        Group.objects.filter(class_parts__memberships__pupil=lucas).values_list("name", flat=True)
    )
    spe = {(GROUP, name) for name in groups if name in school.barrettes}
    lvb = {(GROUP, name) for name in groups if name not in school.barrettes}
    division = {(DIVISION, "1re 2")}

    def whole(item: Placed) -> bool:
        return any(a.kind == DIVISION and a.key == "1re 2" for a in item.part.audience) and not any(
            a.kind == GROUP for a in item.part.audience
        )

    changes.cancel(
        changes.first(this, lambda i: whole(i) and i.part.subject == "HIGEO"),
        "Sortie au Centre Pompidou-Metz avec une autre classe : cours non assuré.",
    )
    changes.replace(
        changes.first(this, lambda i: whole(i) and i.part.subject in ("FRANC", "AGL1")),
        "Professeur en congé ; remplacement par",
    )
    found = changes.first(following, lambda i: _audience_has(i, spe))
    if found:
        teacher = school.teachers[found[1].part.teachers[0]]
        changes.touched.discard(found[2].uid)
        absent = "absente" if teacher.civility == "MME" else "absent"
        changes.teacher_absent(teacher, found[0], f"{teacher.formal_name} est {absent}.")
    changes.change_room(
        changes.first(following, lambda i: _audience_has(i, lvb)),
        "Salle réservée pour un examen : cours dans une autre salle.",
    )
    changes.move(
        changes.first(
            following,
            lambda i: prof.pk in i.part.teachers and _audience_has(i, {(DIVISION, "2nde 2")}),
        ),
        "Cours déplacé : conseil pédagogique.",
    )
    head = next(
        (
            school.teachers[i.part.teachers[0]]
            for i in changes.placed
            if i.part.subject == "FRANC" and _audience_has(i, division)
        ),
        None,
    )
    # A devoir surveillé, on Wednesday afternoon as lycées do when they can; of one hour
    # when the class and its teacher have no two hours free together.
    for length in (2, 1) if head is not None else ():
        if changes.add(
            (following, this),
            "1re 2",
            head,
            length,
            prefer=lambda d, s: (not (d.isoweekday() == WEDNESDAY and s >= 4), d, s),
            subject=school.subjects.get("FRANC"),
            label="Devoir surveillé",
            note=f"Devoir surveillé de français ({length} h).",
        ):
            break


# -- The whole -----------------------------------------------------------------------------------


@dataclass
class TimetableSummary:
    courses: int = 0
    occurrences: int = 0
    unplaced: int = 0
    changes: int = 0
    import_seconds: float = 0.0
    seconds: float = 0.0
    reports: dict = field(default_factory=dict)


def build_demo_timetables(
    *,
    schools: list[tuple[Establishment, SchoolYear]],
    barrettes: dict,
    seed: int,
    today: date,
    weeks_around: int | None = None,
    since: date | None = None,
) -> TimetableSummary:
    """Place, import and change the timetables of the demo establishments (the collège
    first: the teacher who works in both is placed there first). With `weeks_around`,
    occurrences are generated for that many weeks with classes on each side of the
    reference weeks only, instead of the whole school year, and from the week of `since`
    when it is earlier."""
    started = clock.monotonic()
    summary = TimetableSummary()
    busy: dict = {}
    dated: set[tuple] = set()
    imported = []
    for establishment, year in schools:
        school = School(establishment, year, barrettes if establishment.kind != "college" else {})
        sessions = sessions_of(school)
        planner, failed = place(school, sessions, busy, seed)
        summary.unplaced += len(failed)
        weeks = Weeks.of(establishment, year)
        reference = weeks.reference(today)
        stage = weeks.work_experience(avoid=reference) if school.college else None
        if weeks_around is not None:
            weeks = weeks.around(reference, weeks_around, since)
            if stage not in weeks.every:
                stage = None
        source, placed = source_of(school, planner, sessions, weeks, stage)
        report = timetable.timetable_import(
            actor=None,
            source=source,
            file_name=f"emploi-du-temps-demo-{establishment.uai}.xml",
            uai=establishment.uai,
        )
        summary.import_seconds += report.seconds
        summary.courses += len(source.courses)
        summary.occurrences += report.counts.get("occurrences", 0)
        summary.reports[establishment.uai] = report
        imported.append((school, planner, placed, weeks))
    # The changes come once every establishment is placed: a teacher of both is free
    # for a change in one only when the other's timetable leaves the hour free.
    for school, planner, placed, weeks in imported:
        changes = Changes(school, planner, placed, weeks, dated)
        (college_changes if school.college else lycee_changes)(changes, today)
        summary.changes += changes.count
    summary.seconds = clock.monotonic() - started
    return summary
