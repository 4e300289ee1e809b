"""STS-Web `EDT_STS` (`emp_sts_<UAI>_<YYYY>.xml`), the file a timetabler sends up to
STS-Web (formats.md §2.2), read into a SourceTimetable.

- `PARAMETRES/UAJ` is the UAI; `ANNEE_SCOLAIRE` 2018 is the school year 2018-2019,
  1 September 2018 to 31 August 2019 (the STS-Web year), unless `--from`/`--to`
  (`options.start`/`options.end`) say otherwise.
- `ALTERNANCES/ALTERNANCE[@CODE]` lists the weeks of an alternation as
  `DATE_DEBUT_SEMAINE` dates; each is taken as the Monday of its week (real files give
  other days: the OPEN-ENT-NG samples give Thursdays).
- Every `COURS` (in `SERVICE/ENSEIGNANTS/ENSEIGNANT/COURS_RATTACHES`, under a
  `DIVISION` or a `GROUPE`; `GROUPES` may sit beside `DIVISIONS` or inside it) is a
  placed course: audience the enclosing `DIVISION@CODE` or `GROUPE@CODE`, teacher the
  enclosing `ENSEIGNANT@ID`, subject `SERVICE@CODE_MATIERE` (the national code, kept as
  the subject's code), room `CODE_SALLE`, day `JOUR` (1 = Monday), start `HEURE_DEBUT`
  and length `DUREE` (both `HHMM`), weeks those of `CODE_ALTERNANCE`.
- Co-teaching: STS writes a co-taught course once under each of its teachers (a
  `SERVICE` with `CO_ENS` true and several `ENSEIGNANT`). `COURS` of the same audience,
  subject, day, start and end are one course whatever the service or teacher they are
  written under; each teacher (and each room) is present in the weeks of the
  alternations it is written with, so teachers who alternate (one in week A, the other
  in week B) are each shown on their own weeks. Two teachers present the same week
  without `CO_ENS` on any of their services are reported (`co_ens_undeclared`).
- Groups: STS says which divisions a group draws on (`DIVISIONS_APPARTENANCE`), never
  which pupils. A group is made of one class part per division it draws on, named
  after the group, so that its courses are never shown to whole divisions; the parts
  are filled by whatever knows the pupils (SIECLE, staff).
- Teachers are the `ENSEIGNANT@ID` of the courses (identifier `sts:<ID>`). Their names
  come from `INDIVIDUS` when the file gives them, else from the descending file
  (`STS_EDT`), else "Enseignant <ID>"; the descending file also gives the subjects'
  labels, the establishment's name and the year's dates. It is read when PATH is
  `emp_sts<suffix>.xml` with `sts_emp<suffix>.xml` beside it, or a folder or a zip
  holding one `emp_sts*.xml` and its `sts_emp*.xml` (OPEN-ENT-NG asks for the pair);
  one of another establishment is ignored.

Errors that would give a wrong timetable (malformed XML, an unknown alternation code, a
day, time or length that is not one, a course outside any division or group, a date
that is not one) refuse the file, naming the file, the line and the element.
"""

import hashlib
import json
import zipfile
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath

from preau.timetable.engine import monday_of
from preau.timetable.importers.base import ParseError
from preau.timetable.importers.xmlwalk import Frame, walk, where
from preau.timetable.source import (
    DIVISION,
    GROUP,
    ROOM,
    TEACHER,
    SourceClassPart,
    SourceCourse,
    SourceDivision,
    SourceGroup,
    SourcePerson,
    SourceProblem,
    SourceResource,
    SourceRoom,
    SourceSubject,
    SourceTimetable,
)

CIVILITIES = {"m": "M", "m.": "M", "mr": "M", "mme": "MME", "mlle": "MME", "melle": "MME"}
TRUE = {"true", "1", "oui", "o", "vrai"}


@dataclass
class _Cours:
    line: int | None
    audience: tuple[str, str]  # (DIVISION or GROUP, code)
    service: Frame
    teacher: str
    alternation: str
    alternation_line: int | None
    weekday: int
    start: time
    end: time
    room: str
    raw: dict


@dataclass
class Companion:
    """What the descending file `sts_emp` (`STS_EDT`) adds: names and labels."""

    file_name: str
    uai: str = ""
    name: str = ""
    year: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    civilities: dict[str, str] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)
    individuals: dict[str, dict] = field(default_factory=dict)


def _hhmm(value: str) -> tuple[int, int] | None:
    """`1402` → (14, 2); also `14:02`, `9h30`, `930`."""
    text = value.strip().lower().replace("h", ":")
    if ":" in text:
        hours, _, minutes = text.partition(":")
    elif text.isdigit() and len(text) in (3, 4):
        hours, minutes = text[:-2], text[-2:]
    else:
        return None
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    return int(hours), int(minutes)


def _civility(value: str) -> str:
    return CIVILITIES.get(value.strip().lower(), "")


class StsParser:
    def __init__(self, file_name: str, options, companion: Companion | None = None):
        self.file_name = file_name
        self.options = options
        self.companion = companion
        self.uai = ""
        self.year: int | None = None
        self.alternations: dict[str, frozenset[date]] = {}
        self.alternation_labels: dict[str, str] = {}
        self.weeks: list[tuple[str, int | None]] = []
        self.rooms: dict[str, str] = {}
        self.individuals: dict[str, dict] = {}
        self.divisions: dict[str, None] = {}
        self.groups: dict[str, list[str]] = {}
        self.cours: list[_Cours] = []
        self.hours: dict[str, list[str]] = {}
        self.problems: list[SourceProblem] = []

    def fail(self, line: int | None, message: str):
        raise ParseError(f"{where(self.file_name, line)} : {message}")

    # -- Reading ---------------------------------------------------------------------

    def parse(self, data: bytes) -> SourceTimetable:
        walk(data, self.file_name, self._handle, root=self._root)
        return self._build()

    def _root(self, frame: Frame) -> None:
        if frame.name == "sts_edt":
            self.fail(
                frame.line,
                "<STS_EDT> est le fichier descendant de STS-Web (sts_emp) : importez le "
                "fichier remontant emp_sts (<EDT_STS>), qui porte les cours.",
            )
        if frame.name != "edt_sts":
            self.fail(
                frame.line,
                f"l'élément racine <{frame.name.upper()}> n'est pas <EDT_STS> : "
                "ce n'est pas un fichier emp_sts de STS-Web.",
            )

    def _handle(self, ancestors: list[Frame], frame: Frame) -> None:
        name = frame.name
        parent = ancestors[-1].name if ancestors else ""
        if parent == "parametres" and name == "uaj":
            self.uai = (frame.text or frame.get("code")).upper()
        elif parent == "parametres" and name == "annee_scolaire":
            value = frame.text or frame.get("annee")
            if not (value.isdigit() and len(value) == 4):
                self.fail(
                    frame.line,
                    f"<ANNEE_SCOLAIRE>{value}</ANNEE_SCOLAIRE> n'est pas une année (AAAA).",
                )
            self.year = int(value)
        elif name == "horaire":
            self.hours[frame.get("jour")] = [frame.field("debut_cours"), frame.field("fin_cours")]
        elif name == "date_debut_semaine" and any(a.name == "alternance" for a in ancestors):
            self.weeks.append((frame.text, frame.line))
        elif name == "alternance":
            self._alternation(frame)
        elif name == "salle_cours":
            code = self._code(frame)
            self.rooms.setdefault(code, frame.field("libelle") or code)
        elif name == "individu":
            self._individual(frame)
        elif name == "division_appartenance":
            group = next((a for a in reversed(ancestors) if a.name == "groupe"), None)
            code = self._code(frame)
            self.divisions.setdefault(code)
            if group is not None:
                self.groups.setdefault(self._code(group), [])
                if code not in self.groups[self._code(group)]:
                    self.groups[self._code(group)].append(code)
        elif name == "division" and parent == "divisions":
            self.divisions.setdefault(self._code(frame))
        elif name == "groupe" and parent == "groupes":
            self.groups.setdefault(self._code(frame), [])
        elif name == "cours":
            self._cours(ancestors, frame)

    def _code(self, frame: Frame, attribute: str = "code") -> str:
        value = frame.get(attribute)
        if not value:
            self.fail(frame.line, f"<{frame.name.upper()}> sans {attribute.upper()}.")
        return value

    def _date(self, value: str, line: int | None, element: str) -> date:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            self.fail(line, f"<{element}>{value}</{element}> n'est pas une date AAAA-MM-JJ.")

    def _alternation(self, frame: Frame) -> None:
        code = self._code(frame)
        if code in self.alternations:
            self.fail(frame.line, f'<ALTERNANCE CODE="{code}"> est défini deux fois.')
        # Its DATE_DEBUT_SEMAINE, gathered as they ended (alternations do not nest).
        weeks = {
            monday_of(self._date(value, line, "DATE_DEBUT_SEMAINE")) for value, line in self.weeks
        }
        self.weeks = []
        self.alternations[code] = frozenset(weeks)
        self.alternation_labels[code] = frame.field("libelle_long") or frame.field("libelle_court")

    def _individual(self, frame: Frame) -> None:
        ident = self._code(frame, "id")
        last = frame.field("nom_usage") or frame.field("nom_patronymique") or frame.field("nom")
        if last:
            self.individuals[ident] = {
                "last_name": last,
                "first_name": frame.field("prenom"),
                "birth_date": self._optional_date(frame, "date_naissance"),
                "civility": _civility(frame.field("civilite")),
            }

    def _optional_date(self, frame: Frame, name: str) -> date | None:
        value = frame.field(name)
        return self._date(value, frame.field_line(name), name.upper()) if value else None

    def _cours(self, ancestors: list[Frame], frame: Frame) -> None:
        audience = service = teacher = None
        for ancestor in reversed(ancestors):
            if ancestor.name in ("division", "groupe") and audience is None:
                audience = ancestor
            elif ancestor.name == "service" and service is None:
                service = ancestor
            elif ancestor.name == "enseignant" and teacher is None:
                teacher = ancestor
        if audience is None:
            self.fail(frame.line, "<COURS> hors de toute <DIVISION> et de tout <GROUPE>.")
        if service is None:
            self.fail(frame.line, "<COURS> hors de tout <SERVICE> : sa matière est inconnue.")
        day_text = frame.field("jour")
        if not (day_text.isdigit() and 1 <= int(day_text) <= 7):
            self.fail(
                frame.field_line("jour"),
                f"<JOUR>{day_text}</JOUR> : le jour va de 1 (lundi) à 7 (dimanche).",
            )
        start = self._start(frame)
        length = self._length(frame)
        ends = datetime.combine(date.min, start) + length
        if ends.date() != date.min or ends.time() == time(0):
            self.fail(
                frame.field_line("duree"),
                f"<DUREE>{frame.field('duree')}</DUREE> : le cours de "
                f"{start:%H:%M} finirait après minuit.",
            )
        self.cours.append(
            _Cours(
                line=frame.line,
                audience=(DIVISION if audience.name == "division" else GROUP, self._code(audience)),
                service=service,
                teacher=teacher.get("id") if teacher is not None else "",
                alternation=frame.field("code_alternance"),
                alternation_line=frame.field_line("code_alternance"),
                weekday=int(day_text),
                start=start,
                end=ends.time(),
                room=frame.field("code_salle"),
                raw={
                    "jour": day_text,
                    "heure_debut": frame.field("heure_debut"),
                    "duree": frame.field("duree"),
                },
            )
        )

    def _start(self, frame: Frame) -> time:
        value = frame.field("heure_debut")
        parsed = _hhmm(value)
        if parsed is None or parsed[0] > 23 or parsed[1] > 59:
            self.fail(
                frame.field_line("heure_debut"),
                f"<HEURE_DEBUT>{value}</HEURE_DEBUT> n'est pas une heure HHMM.",
            )
        return time(*parsed)

    def _length(self, frame: Frame) -> timedelta:
        value = frame.field("duree")
        parsed = _hhmm(value)
        if parsed is None or parsed[1] > 59 or parsed == (0, 0):
            self.fail(
                frame.field_line("duree"),
                f"<DUREE>{value}</DUREE> n'est pas une durée HHMM non nulle.",
            )
        return timedelta(hours=parsed[0], minutes=parsed[1])

    # -- Building --------------------------------------------------------------------

    def _build(self) -> SourceTimetable:
        companion = self._usable_companion()
        out = SourceTimetable(format="sts", uai=(self.options.uai or self.uai or None))
        if companion is not None:
            out.establishment_name = companion.name
        out.first_day, out.last_day = self._year_bounds(companion)
        entries: dict[tuple, dict] = {}
        for cours in self.cours:
            if cours.alternation not in self.alternations:
                known = ", ".join(sorted(self.alternations)) or "aucune"
                self.fail(
                    cours.alternation_line,
                    f"<CODE_ALTERNANCE>{cours.alternation}</CODE_ALTERNANCE> : alternance "
                    f"inconnue (alternances définies : {known}).",
                )
            weeks = self.alternations[cours.alternation]
            subject = cours.service.get("code_matiere")
            key = (cours.audience, subject, cours.weekday, cours.start, cours.end)
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = {
                    "weeks": set(),
                    "teachers": defaultdict(set),
                    "rooms": defaultdict(set),
                    "cours": [],
                    "services": [],
                }
            entry["weeks"] |= weeks
            if cours.teacher:
                entry["teachers"][cours.teacher] |= weeks
            if cours.room:
                entry["rooms"][cours.room] |= weeks
                self.rooms.setdefault(cours.room, cours.room)
            entry["cours"].append(cours)
            if all(cours.service is not s for s in entry["services"]):
                entry["services"].append(cours.service)
        for key, entry in entries.items():
            out.courses.append(self._course(key, entry))
        self._empty_alternations(entries)
        self._structure(out, companion)
        out.problems = self.problems
        out.metadata = {
            "annee_scolaire": self.year,
            "alternances": {
                code: {
                    "libelle": self.alternation_labels.get(code, ""),
                    "semaines": sorted(monday.isoformat() for monday in weeks),
                }
                for code, weeks in sorted(self.alternations.items())
            },
            "horaires": self.hours,
            "fichier_descendant": companion.file_name if companion else None,
        }
        return out

    def _usable_companion(self) -> Companion | None:
        companion = self.companion
        if companion is None:
            return None
        if companion.uai and self.uai and companion.uai != self.uai:
            self.problems.append(
                SourceProblem(
                    code="companion_ignored",
                    where=companion.file_name,
                    message=f"fichier sts_emp de l'UAI {companion.uai}, pas de {self.uai} : "
                    "ignoré (noms des enseignants et libellés des matières absents).",
                )
            )
            return None
        return companion

    def _year_bounds(self, companion: Companion | None) -> tuple[date | None, date | None]:
        first = last = None
        if self.year is not None:
            first, last = date(self.year, 9, 1), date(self.year + 1, 8, 31)
            if companion and companion.year == self.year:
                first = companion.first_day or first
                last = companion.last_day or last
        first, last = self.options.start or first, self.options.end or last
        if first and last and last < first:
            raise ParseError(
                f"{self.file_name} : l'année va du {first:%d/%m/%Y} au {last:%d/%m/%Y} "
                f"(ANNEE_SCOLAIRE {self.year}, --from, --to) : donnez --from et --to."
            )
        return first, last

    def _course(self, key: tuple, entry: dict) -> SourceCourse:
        (kind, code), subject, weekday, start, end = key
        resources = [SourceResource(kind=kind, key=code, weeks=frozenset(entry["weeks"]))]
        resources += [
            SourceResource(kind=TEACHER, key=teacher, weeks=frozenset(weeks))
            for teacher, weeks in sorted(entry["teachers"].items())
        ]
        resources += [
            SourceResource(kind=ROOM, key=room, weeks=frozenset(weeks))
            for room, weeks in sorted(entry["rooms"].items())
        ]
        cours = entry["cours"]
        declared = any(service.field("co_ens").lower() in TRUE for service in entry["services"])
        teachers = sorted(entry["teachers"].items())
        together = any(
            weeks & other
            for index, (_, weeks) in enumerate(teachers)
            for _, other in teachers[index + 1 :]
        )
        if together and not declared:
            self.problems.append(
                SourceProblem(
                    code="co_ens_undeclared",
                    where=where(self.file_name, cours[0].line),
                    message=f"{'DIVISION' if kind == DIVISION else 'GROUPE'} {code}, matière "
                    f"{subject}, jour {weekday} à {start:%H:%M} : les enseignants "
                    f"{', '.join(t for t, _ in teachers)} ont le même cours sans CO_ENS ; "
                    "lu comme un co-enseignement.",
                )
            )
        identity = json.dumps([kind, code, subject, weekday, f"{start:%H:%M}", f"{end:%H:%M}"])
        return SourceCourse(
            key=hashlib.sha1(identity.encode(), usedforsecurity=False).hexdigest()[:16],
            weekday=weekday,
            start=start,
            end=end,
            subject_key=subject or None,
            resources=tuple(resources),
            provenance={
                "ligne": cours[0].line,
                "lignes": [c.line for c in cours],
                "division" if kind == DIVISION else "groupe": code,
                "matiere": subject,
                "modalites": sorted({s.get("code_mod_cours") for s in entry["services"]} - {""}),
                **cours[0].raw,
                "alternances": sorted({c.alternation for c in cours}),
                "enseignants": [teacher for teacher, _ in teachers],
                "co_ens": declared,
            },
        )

    def _empty_alternations(self, entries: dict) -> None:
        used = {cours.alternation for entry in entries.values() for cours in entry["cours"]}
        for code in sorted(used):
            if not self.alternations[code]:
                self.problems.append(
                    SourceProblem(
                        code="empty_alternation",
                        where=f'<ALTERNANCE CODE="{code}">',
                        message="alternance sans aucune semaine : ses cours n'ont pas de séance.",
                    )
                )

    def _structure(self, out: SourceTimetable, companion: Companion | None) -> None:
        subjects = {}
        for cours in self.cours:
            code = cours.service.get("code_matiere")
            if code and code not in subjects:
                label = companion.subjects.get(code, "") if companion else ""
                subjects[code] = SourceSubject(key=code, code=code, label=label or code)
        out.subjects = list(subjects.values())
        teachers = dict.fromkeys(cours.teacher for cours in self.cours if cours.teacher)
        names = {**(companion.individuals if companion else {}), **self.individuals}
        out.teachers = [
            SourcePerson(
                key=ident,
                last_name=names.get(ident, {}).get("last_name") or f"Enseignant {ident}",
                first_name=names.get(ident, {}).get("first_name", ""),
                birth_date=names.get(ident, {}).get("birth_date"),
                civility=names.get(ident, {}).get("civility", ""),
                identifiers={"sts": ident},
            )
            for ident in teachers
        ]
        out.rooms = [SourceRoom(key=code, name=name) for code, name in self.rooms.items()]
        parts: dict[str, list[str]] = defaultdict(list)
        for group, divisions in self.groups.items():
            for division in divisions:
                part = f"{group}@{division}"
                parts[division].append(part)
                out.class_parts.append(SourceClassPart(key=part, name=group, division_key=division))
            out.groups.append(
                SourceGroup(
                    key=group,
                    name=group,
                    class_part_keys=tuple(f"{group}@{division}" for division in divisions),
                )
            )
        out.divisions = [
            SourceDivision(key=code, name=code, class_part_keys=tuple(parts[code]))
            for code in self.divisions
        ]


# -- The descending file, for names -------------------------------------------------------


def parse_companion(data: bytes, *, file_name: str) -> Companion:
    companion = Companion(file_name=file_name)

    def root(frame: Frame) -> None:
        if frame.name != "sts_edt":
            raise ParseError(f"{where(file_name, frame.line)} : la racine n'est pas <STS_EDT>.")

    def handle(ancestors: list[Frame], frame: Frame) -> None:
        parent = ancestors[-1].name if ancestors else ""
        if parent == "parametres" and frame.name == "uaj":
            companion.uai = (frame.get("code") or frame.text).upper()
            companion.name = " ".join(
                part for part in (frame.field("denom_princ"), frame.field("denom_compl")) if part
            )
        elif parent == "parametres" and frame.name == "annee_scolaire":
            year = frame.get("annee") or frame.text
            companion.year = int(year) if year.isdigit() else None
            for attribute, name in (("first_day", "date_debut"), ("last_day", "date_fin")):
                with suppress(ValueError):
                    setattr(companion, attribute, date.fromisoformat(frame.field(name)[:10]))
        elif parent == "civilites" and frame.name == "civilite":
            companion.civilities[frame.get("code")] = _civility(frame.field("libelle_court"))
        elif parent == "matieres" and frame.name == "matiere":
            companion.subjects[frame.get("code")] = (
                frame.field("libelle_edition")
                or frame.field("libelle_long")
                or frame.field("libelle_court")
            )
        elif parent == "individus" and frame.name == "individu":
            try:
                born = date.fromisoformat(frame.field("date_naissance")[:10])
            except ValueError:
                born = None
            sex = frame.field("sexe")
            companion.individuals[frame.get("id")] = {
                "last_name": frame.field("nom_usage") or frame.field("nom_patronymique"),
                "first_name": frame.field("prenom"),
                "birth_date": born,
                "civility": companion.civilities.get(frame.field("civilite"))
                or {"1": "M", "2": "MME"}.get(sex, ""),
            }

    walk(data, file_name, handle, root=root)
    return companion


MAX_FILE = 256 * 1024 * 1024  # in a zip: a larger member is not an STS file


def _twin(name: str) -> str | None:
    """`emp_sts<suffix>.xml` → `sts_emp<suffix>.xml` (lower case)."""
    lower = name.lower()
    return "sts_emp" + lower[len("emp_sts") :] if lower.startswith("emp_sts") else None


def _members(path: Path) -> dict[str, tuple[str, object]]:
    """The `.xml` files of a folder or a zip, by lower-case base name."""
    found: dict[str, tuple[str, object]] = {}
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file() and child.suffix.lower() == ".xml":
                found.setdefault(child.name.lower(), (child.name, child))
        return found
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir() or "__MACOSX" in name.parts or name.name.startswith("._"):
                continue
            if name.suffix.lower() == ".xml":
                found.setdefault(name.name.lower(), (name.name, info))
    return found


def _files(path: Path) -> tuple[tuple[str, bytes], tuple[str, bytes] | None]:
    """The ascending file and, when there is one, the descending file: an
    `emp_sts*.xml` and its twin `sts_emp*.xml` beside it; or a folder or a zip holding
    one `emp_sts*.xml` and at most one `sts_emp*.xml`."""
    if path.is_file() and not zipfile.is_zipfile(path):
        twin = _twin(path.name)
        beside = None
        if twin:
            beside = next(
                (p for p in path.parent.iterdir() if p.is_file() and p.name.lower() == twin),
                None,
            )
        return (path.name, _read_bytes(path)), (
            (beside.name, _read_bytes(beside)) if beside else None
        )
    members = _members(path)
    ascending = [name for name in members if name.startswith("emp_sts")]
    if len(ascending) != 1:
        raise ParseError(
            f"{path.name} : un fichier emp_sts*.xml attendu dans le dossier ou le zip "
            f"({len(ascending)} trouvé(s))."
        )
    descending = [name for name in members if name.startswith("sts_emp")]
    twin = _twin(ascending[0])
    chosen = twin if twin in descending else (descending[0] if len(descending) == 1 else None)

    def load(name: str) -> tuple[str, bytes]:
        display, handle = members[name]
        if isinstance(handle, Path):
            return display, _read_bytes(handle)
        if handle.file_size > MAX_FILE:
            raise ParseError(f"{path.name} : {display} est trop grand pour un fichier STS-Web.")
        with zipfile.ZipFile(path) as archive:
            return display, archive.read(handle)

    return load(ascending[0]), (load(chosen) if chosen else None)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ParseError(f"{path} : lecture impossible ({error.strerror}).") from error


def parse_sts(
    data: bytes, *, file_name: str, options, companion: Companion | None = None
) -> SourceTimetable:
    return StsParser(file_name, options, companion).parse(data)


def read(path, options) -> SourceTimetable:
    path = Path(path)
    try:
        (name, data), descending = _files(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ParseError(f"{path.name} : lecture impossible ({error}).") from error
    companion, problem = None, None
    if descending is not None:
        try:
            companion = parse_companion(descending[1], file_name=descending[0])
        except ParseError as error:
            problem = SourceProblem(
                code="companion_unreadable",
                where=descending[0],
                message=f"fichier descendant illisible, ignoré ({error}).",
            )
    source = parse_sts(data, file_name=name, options=options, companion=companion)
    if problem is not None:
        source.problems.append(problem)
    return source
