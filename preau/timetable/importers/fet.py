"""FET (the open-source timetabler, `fet-cl`), read as timetable.md ("Other sources")
describes it.

`fet-cl` writes, in `timetables/<name>/`, `<name>_data_and_timetable.fet` (the data:
days, hours, subjects, teachers, students sets, activities, rooms) and
`<name>_activities.xml` (the placement: activity id → day name, starting hour name,
room, and the real rooms of a virtual room). Both are streamed (lxml iterparse,
elements freed once read).

FET has no dates, no clock times and no week masks: the caller gives the weekday of
each FET day (`options.days`, default Monday onwards), the clock range of each FET
hour (`options.grid`, default parsed from hour names that are times) and the weeks to
generate (`options.start` to `options.end`); school holidays and public holidays
(`options.rules`) become `excluded_dates`. Every resource is present every week.

Names are free text ("Lunes", "1ª", "Recreo", subjects padded with tabs): they compare
with runs of white space folded and without case (`resolve.fold`), the first spelling
met (white space folded, case kept) is the one shown.

Students sets. Years, groups and subgroups nest, not strictly: the same group may sit
in several years and the same subgroup in several groups (the same name is the same
set). A year without groups gets "<year> Automatic Group", a group without subgroups
"<group> Automatic Subgroup", as FET does. An activity reaches subgroups: a subgroup
itself, a group its subgroups, a year the subgroups of its groups.

How they map to Préau: every students set an activity names becomes a group without
pupils (`SourceGroup`), never a division. FET knows no pupils, and its levels do not
line up with divisions (in the samples a year is a whole school, a class, or a level
whose groups span classes): making divisions of them would invent enrolments and the
"whole division" rule of timetable.md §6. Who sees what is carried by the nesting
instead, which `selectors.students_set_occurrences` reads: the version's
`metadata["students_sets"]` ({folded name: [subgroup names]} for every year, group and
subgroup) and each course's `provenance["subgroups"]` (the subgroups its activity
reaches).

Strict about what would give a wrong timetable (an activity placed on an unknown day or
hour, or running past the last hour, a placement for an activity the data does not
have, a name no list declares, truncated XML): the file is refused with the file, line
and element at fault.
"""

import hashlib
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from pathlib import Path

from lxml import etree

from preau.core.calendar import days_off
from preau.timetable.engine import monday_of
from preau.timetable.importers.base import ParseError, decode_xml_bytes, local_name
from preau.timetable.resolve import fold
from preau.timetable.source import (
    GROUP,
    ROOM,
    TEACHER,
    SourceCourse,
    SourceGroup,
    SourcePerson,
    SourceProblem,
    SourceResource,
    SourceRoom,
    SourceSubject,
    SourceTimetable,
)

DATA_SUFFIX = "_data_and_timetable.fet"
ACTIVITIES_SUFFIX = "_activities.xml"
AUTOMATIC_GROUP = "Automatic Group"
AUTOMATIC_SUBGROUP = "Automatic Subgroup"
YEAR, SET_GROUP, SUBGROUP = "year", "group", "subgroup"
# Lengths of the Préau fields the names go to (Subject.code, Group.name, Room.name…).
SUBJECT_CODE, GROUP_NAME, ROOM_NAME, PERSON_NAME = 20, 60, 60, 100
# "08:00", "8h00", "08.00" in an hour name.
CLOCK = re.compile(r"(?<!\d)(\d{1,2})\s*[:hH.]\s*(\d{2})(?!\d)")
FALSE = {"false", "0", "no", "non"}


def clean(text: str | None) -> str:
    """White space folded to one space and trimmed, case kept: the name as shown."""
    return re.sub(r"\s+", " ", text or "").strip()


def fit(name: str, size: int) -> str:
    """`name` within `size` characters; a longer name keeps its start and a digest of
    the whole, so that two long names never become the same short one."""
    if len(name) <= size:
        return name
    digest = hashlib.sha1(fold(name).encode(), usedforsecurity=False).hexdigest()[:6]
    return f"{name[: size - 7].rstrip()}~{digest}"


def source_files(path: Path) -> tuple[Path, Path]:
    """The data file and the placement file for PATH: the folder `fet-cl` wrote, its
    `<name>_data_and_timetable.fet` (or any `<name>.fet`), or its
    `<name>_activities.xml`."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob(f"*{DATA_SUFFIX}"))
        if not found:
            raise ParseError(
                f"{path} : aucun fichier *{DATA_SUFFIX} dans ce dossier (le dossier "
                "timetables/<nom>/ que fet-cl écrit)."
            )
        if len(found) > 1:
            raise ParseError(
                f"{path} : plusieurs fichiers *{DATA_SUFFIX} ({', '.join(p.name for p in found)}) "
                ": donnez celui à importer."
            )
        data = found[0]
    elif path.name.endswith(ACTIVITIES_SUFFIX):
        data = path.with_name(path.name[: -len(ACTIVITIES_SUFFIX)] + DATA_SUFFIX)
    else:
        data = path
    if data.name.endswith(DATA_SUFFIX):
        name = data.name[: -len(DATA_SUFFIX)]
    else:
        name = data.name[:-4] if data.name.lower().endswith(".fet") else data.stem
    activities = data.with_name(name + ACTIVITIES_SUFFIX)
    for needed in (data, activities):
        if not needed.is_file():
            raise ParseError(
                f"{needed} : fichier introuvable (FET se lit avec {name}{DATA_SUFFIX} et "
                f"{name}{ACTIVITIES_SUFFIX}, que fet-cl écrit côte à côte)."
            )
    return data, activities


# -- Streaming ----------------------------------------------------------------------


def _children(element, name: str) -> list:
    return [child for child in element if local_name(child.tag) == name]


def _text(element, name: str) -> str | None:
    """The text of the first child `name`, white space folded; None when there is none."""
    for child in element:
        if local_name(child.tag) == name:
            return clean(child.text)
    return None


def _stream(data: bytes, file_name: str, root: str, items: int, handle) -> None:
    """Call `handle(depth, parent, element)` at the end of every element from depth 2 to
    `items` (the root is depth 1; items are read whole), then free it: memory stays
    flat whatever the file size."""
    path: list[str] = []
    try:
        for event, element in etree.iterparse(
            io.BytesIO(decode_xml_bytes(data)),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
        ):
            if event == "start":
                path.append(local_name(element.tag))
                if len(path) == 1 and path[0] != root:
                    raise ParseError(
                        f"{file_name}, ligne {element.sourceline} : l'élément racine "
                        f"<{element.tag}> n'est pas <{root}>."
                    )
                continue
            depth = len(path)
            path.pop()
            if 2 <= depth <= items:
                handle(depth, path[-1], element)
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as error:
        raise ParseError(
            f"{file_name}, ligne {error.lineno} : XML invalide ou tronqué ({error.msg})."
        ) from error


# -- The data file ------------------------------------------------------------------


@dataclass
class _Activity:
    id: str
    line: int
    teachers: list[str]
    subject: str | None
    students: list[str]
    duration: int
    group_id: str
    active: bool


@dataclass
class _Placement:
    id: str
    line: int
    day: str
    hour: str
    room: str
    real_rooms: list[str]


@dataclass
class _Names:
    """Folded name → the first spelling met, in order."""

    kind: str
    shown: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, line: int) -> str:
        key = fold(name)
        if key not in self.shown:
            self.shown[key] = name
            self.lines[key] = line
        return key

    def __contains__(self, key: str) -> bool:
        return key in self.shown


class FetParser:
    def __init__(self, data_name: str, activities_name: str):
        self.data_name = data_name
        self.activities_name = activities_name
        self.institution = ""
        self.days = _Names("jour")
        self.hours = _Names("heure")
        self.day_list: list[str] = []  # folded, in order
        self.hour_list: list[str] = []
        self.lists_line: dict[str, int] = {}
        self.subjects = _Names("matière")
        self.teachers = _Names("enseignant")
        self.rooms = _Names("salle")
        self.real_rooms: dict[str, list[str]] = {}  # virtual room → its real rooms
        self.sets = _Names("ensemble d'élèves")
        self.kinds: dict[str, set[str]] = {}
        self.year_groups: dict[str, list[str]] = {}
        self.group_subgroups: dict[str, list[str]] = {}
        self.activities: dict[str, _Activity] = {}
        self.placements: list[_Placement] = []

    def fail(self, file_name: str, line: int | None, message: str):
        where = f"{file_name}, ligne {line}" if line else file_name
        raise ParseError(f"{where} : {message}")

    # Data -------------------------------------------------------------------------

    def read_data(self, data: bytes) -> None:
        _stream(data, self.data_name, "fet", 3, self._data_element)
        if not self.day_list:
            self.fail(self.data_name, None, "<Days_List> ne déclare aucun jour.")
        if not self.hour_list:
            self.fail(self.data_name, None, "<Hours_List> ne déclare aucune heure.")
        self._automatic_sets()

    def _data_element(self, depth: int, parent: str, element) -> None:
        name = local_name(element.tag)
        line = element.sourceline
        if depth == 2:
            if name == "institution_name":
                self.institution = clean(element.text)
            self.lists_line.setdefault(name, line)
            return
        if parent in ("days_list", "hours_list"):
            names, order = (
                (self.days, self.day_list)
                if parent == "days_list"
                else (self.hours, self.hour_list)
            )
            # FET 5 wrote <Name> right under the list, FET 6 inside <Day>/<Hour>.
            if name in ("day", "hour"):
                value = _text(element, "name")
            elif name == "name":
                value = clean(element.text)
            else:
                return
            if not value:
                self.fail(self.data_name, line, f"<{element.tag}> sans nom.")
            if fold(value) in names:
                self.fail(
                    self.data_name,
                    line,
                    f"<{element.tag}> « {value} » : deux {names.kind}s portent ce nom.",
                )
            order.append(names.add(value, line))
        elif parent == "subjects_list" and name == "subject":
            self.subjects.add(self._name(element), line)
        elif parent == "teachers_list" and name == "teacher":
            self.teachers.add(self._name(element), line)
        elif parent == "rooms_list" and name == "room":
            self._room(element)
        elif parent == "students_list" and name == "year":
            self._year(element)
        elif parent == "activities_list" and name == "activity":
            self._activity(element)

    def _name(self, element) -> str:
        value = _text(element, "name")
        if not value:
            self.fail(self.data_name, element.sourceline, f"<{element.tag}> sans <Name>.")
        return value

    def _room(self, element) -> None:
        key = self.rooms.add(self._name(element), element.sourceline)
        if (_text(element, "virtual") or "").lower() == "true":
            reals = []
            for subset in _children(element, "set_of_real_rooms"):
                reals += [clean(real.text) for real in _children(subset, "real_room")]
            self.real_rooms[key] = [fold(real) for real in reals if real]

    def _set(self, element, kind: str) -> str:
        key = self.sets.add(self._name(element), element.sourceline)
        self.kinds.setdefault(key, set()).add(kind)
        return key

    def _year(self, element) -> None:
        year = self._set(element, YEAR)
        groups = self.year_groups.setdefault(year, [])
        for group_element in _children(element, "group"):
            group = self._set(group_element, SET_GROUP)
            if group not in groups:
                groups.append(group)
            subgroups = self.group_subgroups.setdefault(group, [])
            for subgroup_element in _children(group_element, "subgroup"):
                subgroup = self._set(subgroup_element, SUBGROUP)
                if subgroup not in subgroups:
                    subgroups.append(subgroup)

    def _automatic_sets(self) -> None:
        """FET's own completion: a year without groups gets one group, a group without
        subgroups one subgroup, named after it."""
        for year, groups in self.year_groups.items():
            if not groups:
                name = f"{self.sets.shown[year]} {AUTOMATIC_GROUP}"
                group = self.sets.add(name, self.sets.lines[year])
                self.kinds.setdefault(group, set()).add(SET_GROUP)
                groups.append(group)
                self.group_subgroups.setdefault(group, [])
        for group, subgroups in self.group_subgroups.items():
            if not subgroups:
                name = f"{self.sets.shown[group]} {AUTOMATIC_SUBGROUP}"
                subgroup = self.sets.add(name, self.sets.lines[group])
                self.kinds.setdefault(subgroup, set()).add(SUBGROUP)
                subgroups.append(subgroup)

    def subgroups_of(self, key: str) -> set[str]:
        """The subgroups a students set stands for (folded names)."""
        found = {key} if SUBGROUP in self.kinds.get(key, ()) else set()
        for subgroup in self.group_subgroups.get(key, ()):
            found.add(subgroup)
        for group in self.year_groups.get(key, ()):
            found.update(self.group_subgroups.get(group, ()))
        return found

    def _activity(self, element) -> None:
        line = element.sourceline
        identifier = _text(element, "id")
        if not identifier:
            self.fail(self.data_name, line, "<Activity> sans <Id>.")
        if identifier in self.activities:
            self.fail(
                self.data_name,
                line,
                f"<Activity> Id {identifier} : deux activités ont cet Id "
                f"(l'autre ligne {self.activities[identifier].line}).",
            )
        duration_text = _text(element, "duration") or ""
        try:
            duration = int(duration_text)
        except ValueError:
            duration = 0
        if duration < 1:
            self.fail(
                self.data_name,
                line,
                f"<Activity> Id {identifier} : <Duration>{duration_text}</Duration> n'est pas "
                "un nombre d'heures (1 ou plus).",
            )

        def names(tag: str) -> list[str]:
            found = []
            for child in _children(element, tag):
                value = clean(child.text)
                if value and fold(value) not in found:
                    found.append(fold(value))
            return found

        subjects = names("subject")
        self.activities[identifier] = _Activity(
            id=identifier,
            line=line,
            teachers=names("teacher"),
            subject=subjects[0] if subjects else None,
            students=names("students"),
            duration=duration,
            group_id=_text(element, "activity_group_id") or "",
            active=(_text(element, "active") or "true").lower() not in FALSE,
        )

    def check_references(self) -> None:
        """Activities may be written before the lists they name: checked once all is
        read."""
        for activity in self.activities.values():
            for keys, names, label in (
                (activity.teachers, self.teachers, "l'enseignant"),
                ([activity.subject] if activity.subject else [], self.subjects, "la matière"),
                (activity.students, self.sets, "l'ensemble d'élèves"),
            ):
                for key in keys:
                    if key not in names:
                        self.fail(
                            self.data_name,
                            activity.line,
                            f"<Activity> Id {activity.id} cite {label} « {key} », qui n'est "
                            "déclaré nulle part dans le fichier.",
                        )
        for virtual, reals in self.real_rooms.items():
            for real in reals:
                if real not in self.rooms:
                    self.fail(
                        self.data_name,
                        self.rooms.lines[virtual],
                        f"<Room> « {self.rooms.shown[virtual]} » cite la salle réelle « {real} », "
                        "qui n'est pas dans <Rooms_List>.",
                    )

    # Placement ----------------------------------------------------------------------

    def read_placements(self, data: bytes) -> None:
        _stream(data, self.activities_name, "activities_timetable", 2, self._placement_element)

    def _placement_element(self, depth: int, parent: str, element) -> None:
        if depth != 2 or local_name(element.tag) != "activity":
            return
        self.placements.append(
            _Placement(
                id=_text(element, "id") or "",
                line=element.sourceline,
                day=_text(element, "day") or "",
                hour=_text(element, "hour") or "",
                room=_text(element, "room") or "",
                real_rooms=[
                    clean(child.text)
                    for child in _children(element, "real_room")
                    if clean(child.text)
                ],
            )
        )


# -- Time -------------------------------------------------------------------------


def grid_from_hour_names(names: list[str]) -> list[tuple[time, time]] | None:
    """Clock ranges read from hour names, when every name is a time ("08:00") or a
    range ("08:00-08:55"); a lone start ends when the next hour starts, the last one
    lasts as long as the one before it. None when the names are not times."""
    found: list[tuple[time, time | None]] = []
    for name in names:
        clocks = CLOCK.findall(name)
        if not clocks or len(clocks) > 2:
            return None
        try:
            moments = [time(int(h), int(m)) for h, m in clocks]
        except ValueError:
            return None
        found.append((moments[0], moments[1] if len(moments) == 2 else None))
    grid = []
    for index, (start, end) in enumerate(found):
        if end is None:
            if index + 1 < len(found):
                end = found[index + 1][0]
            elif index > 0:
                previous_start, previous_end = grid[-1]
                length = _minutes(previous_end) - _minutes(previous_start)
                end = _clock(_minutes(start) + length)
            else:
                return None
        grid.append((start, end))
    return grid


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _clock(minutes: int) -> time:
    return time(min(minutes, 24 * 60 - 1) // 60, min(minutes, 24 * 60 - 1) % 60)


# -- Reading ----------------------------------------------------------------------


def parse_fet(
    data: bytes, activities: bytes, *, data_name: str, activities_name: str, options
) -> SourceTimetable:
    parser = FetParser(data_name, activities_name)
    parser.read_data(data)
    parser.check_references()
    parser.read_placements(activities)
    return _Builder(parser, options).build()


class _Builder:
    """Turns what was read into a SourceTimetable, with the dates and clock times the
    options give."""

    def __init__(self, parser: FetParser, options):
        self.p = parser
        self.options = options
        self.out = SourceTimetable(format="fet", uai=None, establishment_name=parser.institution)

    def build(self) -> SourceTimetable:
        p = self.p
        weekdays = self._weekdays()
        grid = self._grid()
        start, end = self.options.start, self.options.end
        if start is None or end is None:
            raise ParseError(
                f"{p.data_name} : FET ne donne pas de dates ; précisez la période à générer "
                "(--from et --to, ou une année scolaire de l'établissement)."
            )
        if end < start:
            raise ParseError(f"Période vide : le {end:%d/%m/%Y} précède le {start:%d/%m/%Y}.")
        self.out.first_day, self.out.last_day = start, end
        mondays = []
        monday = monday_of(start)
        while monday <= end:
            mondays.append(monday)
            monday += timedelta(weeks=1)
        weeks = frozenset(mondays)
        off = self._days_off(start, end, weekdays)
        excluded: dict[int, frozenset[date]] = {}
        for weekday in set(weekdays):
            dates = {monday + timedelta(days=weekday - 1) for monday in mondays}
            excluded[weekday] = frozenset(
                day for day in dates if day in off or not start <= day <= end
            )

        self.out.subjects = [
            SourceSubject(key=key, code=fit(name, SUBJECT_CODE), label=fit(name, 100))
            for key, name in p.subjects.shown.items()
        ]
        self.out.teachers = [
            SourcePerson(
                key=key,
                last_name=fit(name, PERSON_NAME),
                identifiers={"fet": name[:PERSON_NAME]},
            )
            for key, name in p.teachers.shown.items()
        ]
        self.out.rooms = [
            SourceRoom(key=key, name=fit(name, ROOM_NAME)) for key, name in p.rooms.shown.items()
        ]
        subgroups = {key: p.subgroups_of(key) for key in p.sets.shown}
        shown = p.sets.shown
        used_sets: list[str] = []
        seen: dict[str, _Placement] = {}
        placed = set()
        for placement in p.placements:
            course = self._course(placement, seen, grid, weekdays, weeks, excluded, subgroups)
            if course is None:
                continue
            placed.add(placement.id)
            for key in p.activities[placement.id].students:
                if key not in used_sets:
                    used_sets.append(key)
            self.out.courses.append(course)
        self.out.groups = [
            SourceGroup(key=key, name=fit(shown[key], GROUP_NAME)) for key in used_sets
        ]
        unplaced = [
            activity
            for activity in p.activities.values()
            if activity.active and activity.id not in placed
        ]
        for activity in unplaced:
            self.out.problems.append(
                SourceProblem(
                    code="fet_not_placed",
                    where=f"{p.data_name}, ligne {activity.line}",
                    message=f"l'activité {activity.id} n'est pas placée dans "
                    f"{p.activities_name} : elle n'a pas de séance.",
                )
            )
        if self.options.rules is None:
            self.out.problems.append(
                SourceProblem(
                    code="fet_no_calendar",
                    where=p.data_name,
                    message="aucun calendrier d'établissement : vacances et jours fériés "
                    "n'ont pas été retirés.",
                )
            )
        self.out.metadata = {
            "institution": p.institution,
            "days": [p.days.shown[key] for key in p.day_list],
            "hours": [p.hours.shown[key] for key in p.hour_list],
            "weekdays": weekdays,
            "grid": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in grid],
            "days_off": {day.isoformat(): reason for day, reason in sorted(off.items())},
            "students_sets": {
                key: sorted(shown[sub] for sub in subgroups[key]) for key in sorted(shown)
            },
            "students_set_kinds": {
                key: next(kind for kind in (YEAR, SET_GROUP, SUBGROUP) if kind in p.kinds[key])
                for key in sorted(shown)
            },
        }
        return self.out

    def _weekdays(self) -> list[int]:
        p = self.p
        count = len(p.day_list)
        names = ", ".join(f"« {p.days.shown[key]} »" for key in p.day_list)
        line = p.lists_line.get("days_list")
        if self.options.days:
            days = list(self.options.days)
            if len(days) != count:
                p.fail(
                    p.data_name,
                    line,
                    f"--days donne {len(days)} jour(s), le fichier FET en a {count} ({names}).",
                )
            if len(set(days)) != len(days) or not all(1 <= day <= 7 for day in days):
                p.fail(
                    p.data_name,
                    line,
                    "--days doit donner des jours de la semaine tous différents.",
                )
            return days
        if count > 7:
            p.fail(
                p.data_name,
                line,
                f"le fichier FET a {count} jours ({names}) : une semaine en a 7 au plus, et "
                "FET n'a pas de semaines alternées que Préau saurait dater.",
            )
        return list(range(1, count + 1))

    def _grid(self) -> list[tuple[time, time]]:
        p = self.p
        names = [p.hours.shown[key] for key in p.hour_list]
        line = p.lists_line.get("hours_list")
        listed = ", ".join(f"« {name} »" for name in names)
        if self.options.grid:
            grid = list(self.options.grid)
            if len(grid) != len(names):
                p.fail(
                    p.data_name,
                    line,
                    f"--grid donne {len(grid)} plage(s), le fichier FET a {len(names)} "
                    f"heures ({listed}).",
                )
        else:
            grid = grid_from_hour_names(names)
            if grid is None:
                p.fail(
                    p.data_name,
                    line,
                    f"les heures FET ({listed}) ne sont pas des horaires et Préau n'a pas "
                    "encore de grille horaire d'établissement : précisez --grid "
                    f"08:00-08:55,… (une plage HH:MM-HH:MM par heure FET, {len(names)} en tout).",
                )
        for (start, end), name in zip(grid, names, strict=True):
            if end <= start:
                p.fail(
                    p.data_name,
                    line,
                    f"l'heure « {name} » finit ({end:%H:%M}) avant de commencer ({start:%H:%M}).",
                )
        return grid

    def _days_off(self, start: date, end: date, weekdays: list[int]) -> dict[date, str]:
        rules = self.options.rules
        if rules is None:
            return {}
        if 6 in weekdays and not rules.saturday_classes:
            # The FET timetable itself places lessons on Saturdays.
            rules = replace(rules, saturday_classes=True)
        return days_off(rules, start, end)

    def _course(self, placement, seen, grid, weekdays, weeks, excluded, subgroups):
        p = self.p
        name = p.activities_name

        def fail(message: str):
            p.fail(name, placement.line, f"<Activity> Id {placement.id or '?'} : {message}")

        if not placement.id:
            p.fail(name, placement.line, "<Activity> sans <Id>.")
        activity = p.activities.get(placement.id)
        if activity is None:
            fail(f"aucune activité de cet Id dans {p.data_name}.")
        if placement.id in seen:
            fail(f"placée deux fois (l'autre ligne {seen[placement.id].line}).")
        seen[placement.id] = placement
        if not activity.active:
            return None  # an inactive activity does not exist
        if not placement.day and not placement.hour:
            return None  # not placed: reported with the others
        day = fold(placement.day)
        if day not in p.days:
            fail(
                f"le jour « {placement.day} » n'est pas dans <Days_List> "
                f"({', '.join(p.days.shown[key] for key in p.day_list)})."
            )
        hour = fold(placement.hour)
        if hour not in p.hours:
            fail(
                f"l'heure « {placement.hour} » n'est pas dans <Hours_List> "
                f"({', '.join(p.hours.shown[key] for key in p.hour_list)})."
            )
        first = p.hour_list.index(hour)
        last = first + activity.duration - 1
        if last >= len(p.hour_list):
            fail(
                f"commence à l'heure « {p.hours.shown[hour]} » et dure {activity.duration} "
                f"heure(s) : elle dépasse la dernière heure de la journée "
                f"(« {p.hours.shown[p.hour_list[-1]]} »)."
            )
        start, end = grid[first][0], grid[last][1]
        if end <= start:
            fail(f"la grille horaire la fait finir ({end:%H:%M}) avant de commencer.")
        rooms: list[str] = []
        for room in [placement.room, *placement.real_rooms] if placement.room else []:
            key = fold(room)
            if key not in p.rooms:
                fail(f"la salle « {room} » n'est pas dans <Rooms_List>.")
            if key not in rooms:
                rooms.append(key)
        weekday = weekdays[p.day_list.index(day)]
        resources = (
            [SourceResource(kind=TEACHER, key=key, weeks=weeks) for key in activity.teachers]
            + [SourceResource(kind=ROOM, key=key, weeks=weeks) for key in rooms]
            + [SourceResource(kind=GROUP, key=key, weeks=weeks) for key in activity.students]
        )
        reached = set()
        for key in activity.students:
            reached |= subgroups[key]
        return SourceCourse(
            key=activity.id,
            weekday=weekday,
            start=start,
            end=end,
            subject_key=activity.subject,
            resources=tuple(resources),
            excluded_dates=excluded[weekday],
            provenance={
                "activite": activity.id,
                "ligne": placement.line,
                "ligne_donnees": activity.line,
                "jour": p.days.shown[day],
                "heure": p.hours.shown[hour],
                "duree": activity.duration,
                "matiere": p.subjects.shown.get(activity.subject or "", ""),
                "enseignants": [p.teachers.shown[key] for key in activity.teachers],
                "eleves": [p.sets.shown[key] for key in activity.students],
                "salles": [p.rooms.shown[key] for key in rooms],
                **({"groupe_activites": activity.group_id} if activity.group_id else {}),
                # The subgroups the activity reaches: what selectors.students_set_occurrences
                # matches against version.metadata["students_sets"].
                "subgroups": sorted(p.sets.shown[key] for key in reached),
            },
        )


def read(path: Path, options) -> SourceTimetable:
    data_path, activities_path = source_files(path)
    try:
        data = data_path.read_bytes()
        activities = activities_path.read_bytes()
    except OSError as error:
        raise ParseError(f"{error.filename} : lecture impossible ({error.strerror}).") from error
    return parse_fet(
        data,
        activities,
        data_name=data_path.name,
        activities_name=activities_path.name,
        options=options,
    )
