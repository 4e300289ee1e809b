"""UnDeuxTemps (UDT): a zip (or its unzipped folder) of `UDCal_NN.xml` files, read
into a SourceTimetable with the element and attribute names formats.md §4.2 gives
(those Edifice entcore reads). No public sample exists; the tests build small exports
from that description.

Calendar and weeks
- `UDCal_24.xml`: `<annee>`, `<debut_eleve>` and `<fin_eleve>` (dd/MM/yyyy) bound the
  year (`--from`/`--to` override them); every day of a `<fermeture debut= fin=>` is
  closed: no occurrence is generated on it.
- `UDCal_00.xml`: `<init premiere_semaine_ISO=>` is the ISO week (of the year of
  `debut_eleve`) whose Monday starts school week 1; `duree_seq` (minutes, or seconds
  when above 300) only serves for a half-sequence without `hre_fin`.
- `UDCal_12.xml` is the theoretical timetable: its courses run every week from that
  Monday to the last day, except the weeks that have their own `UDCal_12_WW.xml`
  (ISO week WW, the next calendar year for weeks numbered below the first one): those
  weeks follow their own file, with the co-teachers of `UDCal_23_WW.xml` if present
  (else those of `UDCal_23.xml`). A course the same in every file is one course.
- Week masks (`ele_gpe@semaines`) are over ISO weeks, bit 0 = ISO week 1; an empty or
  `0` mask means the whole year, as entcore reads it. Weeks entirely closed are
  bridged, so that a pupil does not leave a group for the holidays.

Courses
- A line (`UDCal_12 ligfiche`) sits on a fiche (`UDCal_11 fiche`: `jour`, `demi_seq`,
  `site`), whose half-sequence (`UDCal_07 demi_seq`, key `code_jour + pad2(code) +
  code_site`) gives the times. Lines with the same `(div, mat, prof, rgpmt, gpe)` on
  consecutive half-sequences of the same day and site are merged into one course, as
  entcore merges consecutive fiches — Préau reads "consecutive" on the half-sequence
  grid rather than on the numbering of the line codes, and does not merge two halves
  held in different rooms (that would book both rooms for the whole course).
- Audience: the regroupement (`rgpmt`, `UDCal_13`) when the line has one (`0` is
  none), else the group (`gpe`, `UDCal_19`, key `code_div + code`; `idgpe` finds it
  when `div` is missing), else the division (`div`). A group is a class part of its
  division (its pupils are dated by `UDCal_21`); a regroupement is a group made of the
  groups (class parts) and whole divisions its rows list. Lines without `div` are kept
  when they have a group or a regroupement (the audience is known); the others (duties
  and meetings with nobody to teach) are dropped and counted in the report — entcore
  drops every line without `div`.
- Lines held by the same teacher at the same time in the same subject are one course
  for all their audiences (how a regroupement spread over several divisions is
  written: one line per division). Co-teachers (`UDCal_23 coens`, `lignefic` = line
  code) are added to the course of their line.
- A group with a `code` but an empty `code_sts`, which entcore ignores, is kept here
  under its code: its pupils are known, and dropping it would show its courses to
  nobody.

References to unknown fiches, half-sequences, divisions, groups, regroupements,
subjects, teachers or rooms refuse the export (file, line, element); a membership
naming an unknown pupil or group is left out and reported.
"""

import hashlib
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path, PurePosixPath

from preau.timetable.engine import monday_of, mondays_of_iso_mask
from preau.timetable.importers.base import ParseError
from preau.timetable.importers.xmlwalk import Frame, walk, where
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
    SourceMembership,
    SourcePerson,
    SourceProblem,
    SourcePupil,
    SourceResource,
    SourceRoom,
    SourceSubject,
    SourceTimetable,
)

MAX_MEMBER = 256 * 1024 * 1024  # a larger file in the zip is not an UDT export
WEEKLY = re.compile(r"^udcal_(\d{2})_(\d{1,2})\.xml$")
NO_SUBJECT = {"", "***"}
NONE = {"", "0"}
CIVILITIES = {"m": "M", "m.": "M", "mr": "M", "1": "M", "mme": "MME", "mlle": "MME", "2": "MME"}


class Bundle:
    """The XML files of an export, by lower-case base name, from a zip or a folder."""

    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, tuple[str, object]] = {}
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix.lower() == ".xml":
                    self.files.setdefault(child.name.lower(), (child.name, child))
            self.zip = None
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ParseError(
                f"{path.name} : ce n'est pas une archive zip d'UnDeuxTemps ({error})."
            ) from error
        for info in self.zip.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir() or "__MACOSX" in name.parts or name.name.startswith("._"):
                continue
            if name.suffix.lower() == ".xml":
                self.files.setdefault(name.name.lower(), (name.name, info))

    def has(self, name: str) -> bool:
        return name in self.files

    def read(self, name: str) -> tuple[str, bytes]:
        display, handle = self.files[name]
        if self.zip is None:
            try:
                return display, handle.read_bytes()
            except OSError as error:
                raise ParseError(f"{display} : lecture impossible ({error.strerror}).") from error
        if handle.file_size > MAX_MEMBER:
            raise ParseError(f"{self.path.name} : {display} est trop grand pour un export UDT.")
        try:
            return display, self.zip.read(handle)
        except (zipfile.BadZipFile, OSError, RuntimeError) as error:
            raise ParseError(f"{self.path.name} : {display} illisible ({error}).") from error

    def weekly(self, number: str) -> dict[int, str]:
        """`UDCal_<number>_WW.xml` files by ISO week WW."""
        found = {}
        for name in self.files:
            match = WEEKLY.match(name)
            if match and match.group(1) == number:
                found[int(match.group(2))] = name
        return dict(sorted(found.items()))


def _day(value: str) -> date | None:
    value = value.strip()
    for pattern, order in (
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", (2, 1, 0)),
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", (0, 1, 2)),
    ):
        match = re.fullmatch(pattern, value[:10])
        if match:
            parts = [int(part) for part in match.groups()]
            try:
                return date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def _clock(value: str) -> time | None:
    """`08h30`, `08:30`, `08:30:00`, `8h`, `0830`."""
    text = value.strip().lower()
    match = re.fullmatch(r"(\d{1,2})(?:[h:](\d{2})?(?::(\d{2}))?)?", text) or re.fullmatch(
        r"(\d{2})(\d{2})()", text
    )
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


@dataclass(frozen=True)
class _Slot:
    code: str
    day: int
    site: str
    start: time
    end: time


@dataclass
class _Item:
    """Lines merged into one placed course of one file."""

    day: int
    start: time
    end: time
    subject: str | None
    teachers: set[str]
    rooms: set[str]
    audience: set[tuple[str, str]]
    lines: list[str]
    fiches: list[str]
    slots: list[str]
    file_name: str
    line: int | None


@dataclass
class _Course:
    weeks: set[date] = field(default_factory=set)
    teachers: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    rooms: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    provenance: dict = field(default_factory=dict)


class UdtParser:
    def __init__(self, bundle: Bundle, options):
        self.bundle = bundle
        self.options = options
        self.out = SourceTimetable(format="udt", uai=(options.uai or None))
        self.problems: dict[str, list[str]] = defaultdict(list)
        self.slots: dict[str, _Slot] = {}
        self.order: dict[str, int] = {}  # slot key → rank in its day and site
        self.fiches: dict[str, Frame] = {}
        self.file_of: dict[int, str] = {}
        self.teachers: dict[str, SourcePerson] = {}
        self.epj: dict[str, str] = {}
        self.subjects: dict[str, SourceSubject] = {}
        self.rooms: dict[str, SourceRoom] = {}
        self.divisions: dict[str, list[str]] = {}
        self.parts: dict[str, SourceClassPart] = {}
        self.part_ids: dict[str, str] = {}
        self.regroupements: dict[str, dict] = {}
        self.closed: set[date] = set()
        self.dropped: list[str] = []

    # -- Helpers ---------------------------------------------------------------------

    def fail(self, file_name: str, line: int | None, message: str):
        raise ParseError(f"{where(file_name, line)} : {message}")

    def rows(self, name: str, element: str, *, required: bool = False) -> tuple[str, list[Frame]]:
        if not self.bundle.has(name):
            if required:
                raise ParseError(
                    f"{self.bundle.path.name} : {name.replace('udcal', 'UDCal')} manque : "
                    "ce n'est pas un export UnDeuxTemps complet."
                )
            return name, []
        display, data = self.bundle.read(name)
        found: list[Frame] = []

        def handle(ancestors: list[Frame], frame: Frame) -> None:
            if frame.name == element:
                found.append(frame)

        walk(data, display, handle)
        return display, found

    def note(self, code: str, text: str) -> None:
        self.problems[code].append(text)

    # -- Reading ---------------------------------------------------------------------

    def parse(self) -> SourceTimetable:
        self._calendar()
        self._init()
        self._reference_files()
        self._groups()
        self._pupils()
        self._courses()
        self._finish()
        return self.out

    def _calendar(self) -> None:
        if not self.bundle.has("udcal_24.xml"):
            raise ParseError(
                f"{self.bundle.path.name} : UDCal_24.xml (calendrier) manque : ce n'est pas "
                "un export UnDeuxTemps complet."
            )
        display, data = self.bundle.read("udcal_24.xml")
        texts: dict[str, tuple[str, int | None]] = {}
        closures: list[Frame] = []

        def handle(ancestors: list[Frame], frame: Frame) -> None:
            if frame.name in ("annee", "debut_eleve", "fin_eleve") and not frame.has_children:
                texts.setdefault(frame.name, (frame.text, frame.line))
            elif frame.name == "fermeture":
                closures.append(frame)

        walk(data, display, handle)
        dates = {}
        for name in ("debut_eleve", "fin_eleve"):
            value, line = texts.get(name, ("", None))
            dates[name] = _day(value)
            if dates[name] is None:
                self.fail(
                    display,
                    line,
                    f"<{name}>{value}</{name}> : date JJ/MM/AAAA attendue (début et fin de "
                    "l'année des élèves).",
                )
        self.start, self.finish = dates["debut_eleve"], dates["fin_eleve"]
        if self.finish < self.start:
            self.fail(display, texts["fin_eleve"][1], "<fin_eleve> est avant <debut_eleve>.")
        self.year = texts.get("annee", ("", None))[0]
        self.closures = []
        for closure in closures:
            first, last = _day(closure.get("debut")), _day(closure.get("fin"))
            if first is None or last is None or last < first:
                self.fail(
                    display,
                    closure.line,
                    f'<fermeture debut="{closure.get("debut")}" fin="{closure.get("fin")}"> : '
                    "dates JJ/MM/AAAA attendues, la fin après le début.",
                )
            self.closures.append((first, last))
            # Only the days around the year matter (a closure "until 2100" stays cheap).
            day = max(first, self.start - timedelta(days=366))
            while day <= min(last, self.finish + timedelta(days=366)):
                self.closed.add(day)
                day += timedelta(days=1)
        self.out.first_day = self.options.start or self.start
        self.out.last_day = self.options.end or self.finish
        if self.out.last_day < self.out.first_day:
            raise ParseError(
                f"{display} : l'année irait du {self.out.first_day:%d/%m/%Y} au "
                f"{self.out.last_day:%d/%m/%Y} (debut_eleve, fin_eleve, --from, --to)."
            )

    def _init(self) -> None:
        display, rows = self.rows("udcal_00.xml", "init")
        self.sequence = 0
        self.first_monday = monday_of(self.start)
        if not rows:
            return
        init = rows[0]
        week = init.get("premiere_semaine_iso")
        if week:
            try:
                self.first_monday = date.fromisocalendar(
                    self.start.isocalendar().year, int(week), 1
                )
            except ValueError:
                self.fail(
                    display,
                    init.line,
                    f'<init premiere_semaine_ISO="{week}"> n\'est pas une semaine ISO.',
                )
            if abs((self.first_monday - self.start).days) > 366 // 2:
                self.fail(
                    display,
                    init.line,
                    f'<init premiere_semaine_ISO="{week}"> est loin du début de l\'année '
                    f"({self.start:%d/%m/%Y}).",
                )
        length = init.get("duree_seq")
        if length.isdigit():
            minutes = int(length) if int(length) <= 300 else int(length) // 60
            self.sequence = minutes

    def _reference_files(self) -> None:
        _, rooms = self.rows("udcal_03.xml", "salle")
        for room in rooms:
            code = room.get("code")
            if code:
                self.rooms.setdefault(code, SourceRoom(key=code, name=room.get("nom") or code))
        _, teachers = self.rows("udcal_04.xml", "prof")
        for teacher in teachers:
            self._teacher(teacher)
        _, subjects = self.rows("udcal_05.xml", "mat")
        for subject in subjects:
            code = subject.get("code")
            if code not in NO_SUBJECT:
                self.subjects.setdefault(
                    code,
                    SourceSubject(
                        key=code,
                        code=subject.get("code_gep1") or code,
                        label=subject.get("libelle") or code,
                    ),
                )
        display, slots = self.rows("udcal_07.xml", "demi_seq", required=True)
        for slot in slots:
            self._slot(display, slot)
        grid: dict[tuple[int, str], list[tuple[_Slot, str]]] = defaultdict(list)
        for key, slot in self.slots.items():
            grid[(slot.day, slot.site)].append((slot, key))
        for same_day in grid.values():
            same_day.sort(key=lambda pair: (pair[0].start, pair[0].end, pair[0].code))
            for rank, (_, key) in enumerate(same_day):
                self.order[key] = rank
        _, divisions = self.rows("udcal_08.xml", "div")
        for division in divisions:
            code = division.get("code")
            if code:
                self.divisions.setdefault(code, [])
        display, fiches = self.rows("udcal_11.xml", "fiche", required=True)
        for fiche in fiches:
            code = fiche.get("code")
            if not code:
                self.fail(display, fiche.line, "<fiche> sans code.")
            self.fiches[code] = fiche
            self.file_of[id(fiche)] = display

    @staticmethod
    def _slot_key(day: str, code: str, site: str) -> str:
        """entcore's key, `code_jour + pad2(code) + code_site`, with `01` read as `1`."""
        day = str(int(day)) if day.isdigit() else day
        return f"{day}{code.zfill(2)}{site}"

    def _slot(self, display: str, slot: Frame) -> None:
        code, day = slot.get("code"), slot.get("code_jour")
        start = _clock(slot.get("hre_deb"))
        if not code or not day.isdigit() or not 1 <= int(day) <= 7 or start is None:
            self.fail(
                display,
                slot.line,
                f'<demi_seq code="{code}" code_jour="{day}" hre_deb="{slot.get("hre_deb")}"> : '
                "code, jour (1 = lundi à 7) et heure de début attendus.",
            )
        if slot.get("hre_fin"):
            end = _clock(slot.get("hre_fin"))
        elif self.sequence:
            minutes = start.hour * 60 + start.minute + self.sequence // 2
            end = time(*divmod(minutes, 60)) if minutes < 24 * 60 else None
        else:
            end = None
        if end is None or end <= start:
            self.fail(
                display,
                slot.line,
                f'<demi_seq code="{code}" hre_deb="{slot.get("hre_deb")}" '
                f'hre_fin="{slot.get("hre_fin")}"> : heure de fin absente ou avant le début.',
            )
        site = slot.get("code_site")
        self.slots[self._slot_key(day, code, site)] = _Slot(code, int(day), site, start, end)

    def _teacher(self, teacher: Frame) -> None:
        code = teacher.get("code")
        if not code:
            return
        identifiers = {"udt": code}
        if teacher.get("epj"):
            identifiers["aaf"] = teacher.get("epj")
            self.epj[teacher.get("epj")] = code
        self.teachers.setdefault(
            code,
            SourcePerson(
                key=code,
                last_name=teacher.get("nom") or f"Enseignant {code}",
                first_name=teacher.get("prenom"),
                birth_date=_day(teacher.get("date_naissance")),
                civility=CIVILITIES.get(teacher.get("civilite").lower(), ""),
                email=teacher.get("mail"),
                identifiers=identifiers,
            ),
        )

    def _groups(self) -> None:
        display, groups = self.rows("udcal_19.xml", "gpe")
        for group in groups:
            code, division = group.get("code"), group.get("code_div")
            if not code or division not in self.divisions:
                self.note(
                    "unknown_group_division",
                    f'{where(display, group.line)} <gpe code="{code}" code_div="{division}">',
                )
                continue
            key = f"{division}|{code}"
            if key not in self.parts:
                self.parts[key] = SourceClassPart(
                    key=key, name=group.get("code_sts") or code, division_key=division
                )
                self.divisions[division].append(key)
            if group.get("id") not in NONE:
                self.part_ids[group.get("id")] = key
        display, rows = self.rows("udcal_13.xml", "rgpmt")
        for row in rows:
            code, division, group = row.get("code"), row.get("code_div"), row.get("code_gpe")
            if not code:
                continue
            entry = self.regroupements.setdefault(
                code, {"name": row.get("nom") or code, "parts": [], "divisions": []}
            )
            if group and f"{division}|{group}" in self.parts:
                if f"{division}|{group}" not in entry["parts"]:
                    entry["parts"].append(f"{division}|{group}")
            elif not group and division in self.divisions:
                if division not in entry["divisions"]:
                    entry["divisions"].append(division)
            elif division or group:
                self.note(
                    "unknown_regroupement_member",
                    f'{where(display, row.line)} <rgpmt code="{code}" code_div="{division}" '
                    f'code_gpe="{group}">',
                )

    # -- Pupils and their dated memberships -------------------------------------------

    def _school_mondays(self) -> list[date]:
        mondays, monday = [], self.first_monday
        while monday <= self.out.last_day:
            mondays.append(monday)
            monday += timedelta(weeks=1)
        return mondays

    def _intervals(self, mask: int) -> list[tuple[date, date]]:
        """The date ranges of a mask over ISO weeks, closed weeks bridged."""
        mondays = self._school_mondays()
        present = mondays_of_iso_mask(mask, self.first_monday, self.out.last_day)
        closed = {m for m in mondays if all(m + timedelta(days=i) in self.closed for i in range(5))}
        flags = [m in present for m in mondays]
        for index in range(1, len(mondays)):  # into the holidays from the week before
            if not flags[index] and mondays[index] in closed and flags[index - 1]:
                flags[index] = True
        for index in range(len(mondays) - 2, -1, -1):  # and from the week after
            if not flags[index] and mondays[index] in closed and flags[index + 1]:
                flags[index] = True
        ranges, first = [], None
        for index, monday in enumerate(mondays):
            if flags[index] and first is None:
                first = monday
            if first is not None and (index == len(mondays) - 1 or not flags[index + 1]):
                start = max(first, self.out.first_day)
                end = min(monday + timedelta(days=6), self.out.last_day)
                if start <= end:
                    ranges.append((start, end))
                first = None
        return ranges

    def _pupils(self) -> None:
        _, pupils = self.rows("udcal_10.xml", "eleve")
        people: dict[str, SourcePerson] = {}
        for pupil in pupils:
            code = pupil.get("code")
            if code:
                people.setdefault(
                    code,
                    SourcePerson(
                        key=code,
                        last_name=pupil.get("nom") or f"Élève {code}",
                        first_name=pupil.get("prenom"),
                        birth_date=_day(pupil.get("naissance")),
                        identifiers={"udt": code},
                    ),
                )
        memberships: dict[str, list[SourceMembership]] = defaultdict(list)
        group_divisions: dict[str, list[str]] = defaultdict(list)
        display, rows = self.rows("udcal_21.xml", "ele_gpe")
        for row in rows:
            pupil, division, group = row.get("ele"), row.get("code_div"), row.get("gpe")
            described = f'{where(display, row.line)} <ele_gpe ele="{pupil}" gpe="{group}">'
            if pupil not in people:
                self.note("unknown_pupil", described)
                continue
            if group:
                kind, key = CLASS_PART, f"{division}|{group}"
                if key not in self.parts:
                    self.note("unknown_group", described)
                    continue
                group_divisions[pupil].append(division)
            else:
                kind, key = DIVISION, division
                if division not in self.divisions:
                    self.note("unknown_division", described)
                    continue
            weeks = row.get("semaines")
            if weeks in NONE:
                ranges = [(None, None)]
            else:
                if not weeks.isdigit():
                    self.fail(
                        display,
                        row.line,
                        f'<ele_gpe semaines="{weeks}"> n\'est pas un masque de semaines.',
                    )
                ranges = self._intervals(int(weeks))
            memberships[pupil] += [SourceMembership(kind, key, s, e) for s, e in ranges]
        for code, person in people.items():
            own = memberships.get(code, [])
            if not any(m.kind == DIVISION for m in own):
                # No row for the division itself: the division of the pupil's groups.
                own = [
                    SourceMembership(DIVISION, division, None, None)
                    for division in dict.fromkeys(group_divisions.get(code, []))
                ] + own
            self.out.pupils.append(SourcePupil(person=person, memberships=tuple(own)))

    # -- Courses --------------------------------------------------------------------------

    def _coteachers(self, name: str) -> dict[str, set[str]]:
        display, rows = self.rows(name, "coens")
        found: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            teacher = row.get("prof")
            if teacher not in self.teachers:
                teacher = self.epj.get(row.get("epj"), "")
            if not teacher:
                self.note(
                    "unknown_coteacher",
                    f'{where(display, row.line)} <coens prof="{row.get("prof")}" '
                    f'epj="{row.get("epj")}">',
                )
                continue
            found[row.get("lignefic")].add(teacher)
        return found

    def _courses(self) -> None:
        mondays = self._school_mondays()
        weekly: dict[date, int] = {}
        for week, _ in self.bundle.weekly("12").items():
            found = [m for m in mondays if m.isocalendar().week == week]
            if found:
                weekly[found[0]] = week
            else:
                self.note("weekly_outside_year", f"UDCal_12_{week:02d}.xml")
        theoretical = set(mondays) - set(weekly)
        courses: dict[tuple, _Course] = {}
        coteachers = self._coteachers("udcal_23.xml")
        if not self.bundle.has("udcal_12.xml") and not weekly:
            raise ParseError(
                f"{self.bundle.path.name} : ni UDCal_12.xml ni UDCal_12_SS.xml : aucun cours."
            )
        if self.bundle.has("udcal_12.xml"):
            display, lines = self.rows("udcal_12.xml", "ligfiche")
            for item in self._items(display, lines, coteachers):
                self._place(courses, item, theoretical, None)
        weekly_coteachers = self.bundle.weekly("23")
        for monday, week in sorted(weekly.items()):
            name = self.bundle.weekly("12")[week]
            display, lines = self.rows(name, "ligfiche")
            own = coteachers
            if week in weekly_coteachers:
                own = self._coteachers(weekly_coteachers[week])
            for item in self._items(display, lines, own):
                self._place(courses, item, {monday}, week)
        excluded = set(self.closed)
        day = self.first_monday
        while day < self.out.first_day:
            excluded.add(day)
            day += timedelta(days=1)
        if mondays:
            day = self.out.last_day + timedelta(days=1)
            while day <= mondays[-1] + timedelta(days=6):
                excluded.add(day)
                day += timedelta(days=1)
        excluded = frozenset(excluded)
        for identity, course in courses.items():
            self.out.courses.append(self._source_course(identity, course, excluded))
        self.weekly_files = sorted(weekly.values())

    def _items(self, display: str, lines: list[Frame], coteachers) -> list[_Item]:
        cells: dict[tuple, list[tuple[int, str, Frame, _Slot, str]]] = defaultdict(list)
        for line in lines:
            fiche_code = line.get("fic")
            fiche = self.fiches.get(fiche_code)
            if fiche is None:
                self.fail(
                    display,
                    line.line,
                    f'<ligfiche fic="{fiche_code}"> : fiche inconnue (UDCal_11).',
                )
            slot_key = self._slot_key(fiche.get("jour"), fiche.get("demi_seq"), fiche.get("site"))
            slot = self.slots.get(slot_key)
            if slot is None:
                self.fail(
                    self.file_of[id(fiche)],
                    fiche.line,
                    f'<fiche code="{fiche_code}" jour="{fiche.get("jour")}" '
                    f'demi_seq="{fiche.get("demi_seq")}" site="{fiche.get("site")}"> : '
                    "demi-séquence inconnue (UDCal_07).",
                )
            audience = self._audience(display, line)
            if audience is None:
                self.dropped.append(f"{where(display, line.line)} {line.get('code')}")
                continue
            subject = self._reference(display, line, "mat", self.subjects, NO_SUBJECT)
            teacher = self._reference(display, line, "prof", self.teachers, {""})
            room = self._reference(display, line, "salle", self.rooms, {""})
            key = (
                line.get("div"),
                subject,
                teacher,
                line.get("rgpmt") if line.get("rgpmt") not in NONE else "",
                line.get("gpe"),
                line.get("idgpe") if not line.get("div") else "",
                room,
            )
            cells[key].append((self.order[slot_key], slot_key, line, slot, audience))
        items = []
        for key, found in cells.items():
            _, subject, teacher, *_, room = key
            found.sort(key=lambda cell: (cell[3].day, cell[3].site, cell[0]))
            run: list = []
            for cell in found:
                if run and cell[1] == run[-1][1]:
                    continue  # the same half-sequence twice
                if run and not (
                    cell[3].day == run[-1][3].day
                    and cell[3].site == run[-1][3].site
                    and cell[0] == run[-1][0] + 1
                ):
                    items.append(self._item(display, run, subject, teacher, room, coteachers))
                    run = []
                run.append(cell)
            if run:
                items.append(self._item(display, run, subject, teacher, room, coteachers))
        return self._together(items)

    def _item(self, display, run, subject, teacher, room, coteachers) -> _Item:
        teachers = {teacher} if teacher else set()
        for _, _, line, _, _ in run:
            teachers |= coteachers.get(line.get("code"), set())
        return _Item(
            day=run[0][3].day,
            start=run[0][3].start,
            end=run[-1][3].end,
            subject=subject,
            teachers=teachers,
            rooms={room} if room else set(),
            audience={run[0][4]},
            lines=[cell[2].get("code") for cell in run],
            fiches=[cell[2].get("fic") for cell in run],
            slots=[cell[3].code for cell in run],
            file_name=display,
            line=run[0][2].line,
        )

    @staticmethod
    def _together(items: list[_Item]) -> list[_Item]:
        """Items of the same teachers, time and subject are one course for all their
        audiences."""
        merged: dict[tuple, _Item] = {}
        for item in items:
            who = frozenset(item.teachers) or frozenset(item.audience)
            key = (item.day, item.start, item.end, item.subject, who)
            if key not in merged:
                merged[key] = item
                continue
            kept = merged[key]
            kept.audience |= item.audience
            kept.rooms |= item.rooms
            kept.lines += item.lines
            kept.fiches += item.fiches
        return list(merged.values())

    def _reference(self, display, line: Frame, attribute: str, known: dict, empty: set):
        value = line.get(attribute)
        if value in empty:
            return None if attribute == "mat" else ""
        if value not in known:
            files = {"mat": "UDCal_05", "prof": "UDCal_04", "salle": "UDCal_03"}
            self.fail(
                display,
                line.line,
                f'<ligfiche code="{line.get("code")}" {attribute}="{value}"> : inconnu '
                f"({files[attribute]}).",
            )
        return value

    def _audience(self, display: str, line: Frame) -> tuple[str, str] | None:
        division, group, regroupement = line.get("div"), line.get("gpe"), line.get("rgpmt")
        described = f'<ligfiche code="{line.get("code")}" div="{division}" gpe="{group}" '
        if division and division not in self.divisions:
            self.fail(display, line.line, f"{described}> : division inconnue (UDCal_08).")
        if regroupement not in NONE:
            if regroupement not in self.regroupements:
                self.fail(
                    display,
                    line.line,
                    f'{described}rgpmt="{regroupement}"> : regroupement inconnu (UDCal_13).',
                )
            return (GROUP, regroupement)
        # `idgpe` (the group's `id`) only serves when `div` is missing, as entcore reads
        # the audience from `div` and `gpe`.
        if group or (not division and line.get("idgpe") not in NONE):
            if division:
                key = f"{division}|{group}"
            else:
                key = self.part_ids.get(line.get("idgpe"))
                if key is None:
                    matches = [k for k in self.parts if k.split("|", 1)[1] == group]
                    key = matches[0] if len(matches) == 1 else None
            if key not in self.parts:
                self.fail(display, line.line, f"{described}> : groupe inconnu (UDCal_19).")
            return (CLASS_PART, key)
        if division:
            return (DIVISION, division)
        return None

    def _place(self, courses: dict, item: _Item, weeks: set[date], week: int | None) -> None:
        identity = (
            item.day,
            item.start,
            item.end,
            item.subject,
            tuple(sorted(item.audience)),
        )
        course = courses.get(identity)
        if course is None:
            course = courses[identity] = _Course(
                provenance={
                    "fichier": item.file_name,
                    "ligne": item.line,
                    "jour": item.day,
                    "demi_sequences": item.slots,
                    "fiches": item.fiches,
                    "lignes": item.lines,
                }
            )
        course.weeks |= weeks
        for teacher in item.teachers:
            course.teachers[teacher] |= weeks
        for room in item.rooms:
            course.rooms[room] |= weeks
        if week is not None:
            course.provenance.setdefault("semaines_iso", []).append(week)

    def _source_course(self, identity: tuple, course: _Course, excluded) -> SourceCourse:
        day, start, end, subject, audience = identity
        resources = [
            SourceResource(kind=kind, key=key, weeks=frozenset(course.weeks))
            for kind, key in audience
        ]
        resources += [
            SourceResource(kind=TEACHER, key=teacher, weeks=frozenset(weeks))
            for teacher, weeks in sorted(course.teachers.items())
        ]
        resources += [
            SourceResource(kind=ROOM, key=room, weeks=frozenset(weeks))
            for room, weeks in sorted(course.rooms.items())
        ]
        key = json.dumps([day, f"{start:%H:%M}", f"{end:%H:%M}", subject, list(audience)])
        return SourceCourse(
            key=hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16],
            weekday=day,
            start=start,
            end=end,
            subject_key=subject,
            resources=tuple(resources),
            excluded_dates=excluded,
            provenance={**course.provenance, "enseignants": sorted(course.teachers)},
        )

    # -- Output -----------------------------------------------------------------------------

    def _finish(self) -> None:
        out = self.out
        out.subjects = list(self.subjects.values())
        out.teachers = list(self.teachers.values())
        out.rooms = list(self.rooms.values())
        out.class_parts = list(self.parts.values())
        out.divisions = [
            SourceDivision(key=code, name=code, class_part_keys=tuple(parts))
            for code, parts in self.divisions.items()
        ]
        out.groups = [
            SourceGroup(
                key=code,
                name=entry["name"],
                class_part_keys=tuple(entry["parts"]),
                division_keys=tuple(entry["divisions"]),
            )
            for code, entry in self.regroupements.items()
        ]
        labels = {
            "unknown_pupil": "appartenance d'un élève absent de UDCal_10, ignorée",
            "unknown_group": "appartenance à un groupe absent de UDCal_19, ignorée",
            "unknown_division": "appartenance à une division absente de UDCal_08, ignorée",
            "unknown_group_division": "groupe d'une division absente de UDCal_08, ignoré",
            "unknown_regroupement_member": "membre de regroupement inconnu, ignoré",
            "unknown_coteacher": "co-enseignant inconnu (UDCal_04), ignoré",
            "weekly_outside_year": "fichier d'une semaine hors de l'année, ignoré",
        }
        for code, found in self.problems.items():
            out.problems.append(
                SourceProblem(
                    code=code,
                    where=found[0],
                    message=f"{labels[code]} ({len(found)} en tout"
                    + (f", dont {', '.join(found[1:4])}" if len(found) > 1 else "")
                    + ").",
                )
            )
        if self.dropped:
            out.problems.append(
                SourceProblem(
                    code="line_without_audience",
                    where=self.dropped[0],
                    message=f"{len(self.dropped)} ligne(s) de cours sans division, groupe ni "
                    "regroupement (personne à qui faire cours) : ignorée(s).",
                )
            )
        out.metadata = {
            "annee": self.year,
            "debut_eleve": self.start.isoformat(),
            "fin_eleve": self.finish.isoformat(),
            "premiere_semaine": self.first_monday.isoformat(),
            "fermetures": [[a.isoformat(), b.isoformat()] for a, b in self.closures],
            "semaines_propres": self.weekly_files,
        }


def read(path, options) -> SourceTimetable:
    path = Path(path)
    if not path.exists():
        raise ParseError(f"{path} : fichier introuvable.")
    return UdtParser(Bundle(path), options).parse()
