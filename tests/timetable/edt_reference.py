"""An independent reading of an Index Education EDT export, for the tests.

It follows docs/timetable.md literally, with the standard library only (xml.etree), and
shares no code with `preau.timetable`: a misreading in Préau's parser, engine, import or
selectors shows as a difference with what this module expects.

    reference = read_reference(path)
    reference.pupils["12"]      # the occurrences pupil Ident 12 must see, sorted
    reference.teachers["4"]     # teacher Ident 4
    reference.rooms["B12"]      # by room name
    reference.divisions["3A"]   # by division name: (occurrence, names of the part of the
                                # division it concerns — empty for the whole division)

Readings of timetable.md made here (the spec leaves them implicit):

- "present" always means present in the week at hand (§3): a `Classe` adds nothing when
  a group present the same week draws on its division (§6); a group listed on other
  weeks only does not hide it.
- An `Eleve` carrying `Semaines` directly in a `Cours` is expected at the occurrence,
  like a pupil listed in a `Groupe`.
- A cancelled week (§5) is an occurrence only when some resource is present that week
  (§4): otherwise there is nothing to show struck through, and nobody to show it to.
- Membership dates are inclusive; an empty `DateEntree`/`DateSortie` leaves that side
  open. Pupils listed directly in a `Groupe` belong to it all year.
- A division's view: the occurrences whose audience holds a pupil of the division on
  that day, and those given to the whole division (a `Classe` that counts, §6) even on
  a day it has no pupil.
"""

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import icalendar

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, order=True)
class Expected:
    """One occurrence as a person's calendar must show it."""

    start: datetime  # aware, Europe/Paris
    end: datetime
    subject: str  # the first Matiere's Libelle ("" without Matiere)
    teachers: tuple[str, ...]  # sorted "NOM Prénom"
    rooms: tuple[str, ...]  # sorted room names
    cancelled: bool


@dataclass
class Occurrence:
    """Everything the reference knows of one occurrence (for diagnostics)."""

    expected: Expected
    course: str  # which Cours produced it: its rank in the file, day, place, resources
    week: int
    teacher_idents: frozenset[str]
    room_names: tuple[str, ...]
    pupils: frozenset[str]  # the audience, by Eleve Ident
    whole_divisions: frozenset[str]  # Classe idents that count in full (§6)
    units: frozenset[tuple[str, str]]  # ("groupe"|"partiedeclasse"|"eleve", ident) present


@dataclass
class Reference:
    uai: str
    first_day: date
    last_day: date
    occurrences: list[Occurrence] = field(default_factory=list)
    pupils: dict[str, list[Expected]] = field(default_factory=dict)
    teachers: dict[str, list[Expected]] = field(default_factory=dict)
    rooms: dict[str, list[Expected]] = field(default_factory=dict)
    divisions: dict[str, list[tuple[Expected, frozenset[str]]]] = field(default_factory=dict)
    teacher_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # (Nom, Prenom)
    pupil_idents: list[str] = field(default_factory=list)
    division_names: dict[str, str] = field(default_factory=dict)  # Classe Ident -> Nom
    courses: int = 0
    courses_without_resources: int = 0
    outside_year: int = 0
    cancelled: int = 0


# -- Reading the XML ------------------------------------------------------------------


def _local(name: str) -> str:
    """Tag and attribute names compare without namespace and without case."""
    return name.rsplit("}", 1)[-1].lower()


class _Node:
    """An element with lower-cased local names, its attributes and children."""

    __slots__ = ("attributes", "children", "name")

    def __init__(self, element: ET.Element):
        self.name = _local(element.tag) if isinstance(element.tag, str) else ""
        self.attributes = {_local(k): (v or "").strip() for k, v in element.attrib.items()}
        self.children = [_Node(child) for child in element if isinstance(child.tag, str)]

    def get(self, attribute: str) -> str:
        return self.attributes.get(attribute.lower(), "")

    def all(self, name: str) -> list["_Node"]:
        return [child for child in self.children if child.name == name.lower()]

    def first(self, name: str) -> "_Node | None":
        found = self.all(name)
        return found[0] if found else None


def load_xml(data: bytes) -> ET.Element:
    """The root element, whatever the file's encoding: a byte-order mark, a declared
    encoding, or a file said (or assumed) to be UTF-8 but written in ISO-8859-15."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        head = data[:200].lower()
        declared_other = b"encoding" in head.split(b"?>")[0] and b"utf" not in head.split(b"?>")[0]
        if not declared_other:
            text = data.decode("iso-8859-15")
            if text.startswith("<?xml"):
                text = text[text.index("?>") + 2 :]
            data = text.encode("utf-8")
    return ET.fromstring(data)  # noqa: S314 - test files written by the tests or shipped


# -- Small rules ------------------------------------------------------------------------


def weeks_in(mask_text: str) -> list[int]:
    """timetable.md §1: bit i (value 2**i) set means school week i; bit 0 is unused."""
    mask = int(mask_text)
    assert 0 <= mask < 2**64, mask_text
    return [week for week in range(1, 64) if mask & (1 << week)]


def _day(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def _in(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


# -- The reading ------------------------------------------------------------------------


def read_reference_bytes(data: bytes) -> Reference:
    root = _Node(load_xml(data))
    assert root.name == "exportemploidutemps", root.name
    year = root.first("AnneeScolaire")
    first_day = _day(year.get("DateDebut"))
    last_day = _day(year.get("DateFin"))
    monday1 = _day(year.get("DatePremierJourSemaine1"))
    grid = root.first("GrilleHoraire")
    places = {
        int(place.get("Numero")): (
            _clock(place.get("LibelleHeureDebut")),
            _clock(place.get("LibelleHeureFin")),
        )
        for place in grid.first("PlacesParJour").all("Place")
    }
    subjects = {m.get("Ident"): m.get("Libelle") for m in root.first("Matieres").all("Matiere")}
    teacher_names = {
        t.get("Ident"): (t.get("Nom"), t.get("Prenom"))
        for t in (root.first("Professeurs") or _empty()).all("Professeur")
    }
    rooms = {s.get("Ident"): s.get("Nom") for s in (root.first("Salles") or _empty()).all("Salle")}
    divisions, part_division = {}, {}
    for classe in (root.first("Classes") or _empty()).all("Classe"):
        divisions[classe.get("Ident")] = classe.get("Nom")
        for part in classe.all("PartieDeClasse"):
            part_division[part.get("Ident")] = classe.get("Ident")
    groups = {}
    for groupe in (root.first("Groupes") or _empty()).all("Groupe"):
        groups[groupe.get("Ident")] = {
            "name": groupe.get("Nom"),
            "parts": [p.get("Ident") for p in groupe.all("PartieDeClasse")],
            "classes": [c.get("Ident") for c in groupe.all("Classe")],
            "pupils": [e.get("Ident") for e in groupe.all("Eleve")],
        }
    # (kind, ident) -> [(pupil, entry, exit)]
    members: dict[tuple[str, str], list[tuple[str, date | None, date | None]]] = defaultdict(list)
    pupil_idents = []
    for eleve in (root.first("Eleves") or _empty()).all("Eleve"):
        pupil_idents.append(eleve.get("Ident"))
        for child in eleve.children:
            if child.name in ("classe", "partiedeclasse"):
                members[(child.name, child.get("Ident"))].append(
                    (
                        eleve.get("Ident"),
                        _day(child.get("DateEntree")),
                        _day(child.get("DateSortie")),
                    )
                )

    def members_on(kind: str, ident: str, day: date) -> set[str]:
        return {
            pupil for pupil, start, end in members.get((kind, ident), ()) if _in(day, start, end)
        }

    def group_members_on(ident: str, day: date) -> set[str]:
        group = groups[ident]
        found = set(group["pupils"])
        for part in group["parts"]:
            found |= members_on("partiedeclasse", part, day)
        for classe in group["classes"]:
            found |= members_on("classe", classe, day)
        return found

    def divisions_drawn_on(ident: str) -> set[str]:
        group = groups[ident]
        return set(group["classes"]) | {
            part_division[p] for p in group["parts"] if p in part_division
        }

    reference = Reference(
        uai=root.get("UAI"),
        first_day=first_day,
        last_day=last_day,
        teacher_names=teacher_names,
        pupil_idents=pupil_idents,
        division_names=divisions,
    )
    cours_container = root.first("Cours")
    for cours in cours_container.all("Cours") if cours_container else []:
        reference.courses += 1
        jour = int(cours.get("Jour"))
        first_place = int(cours.get("NumeroPlaceDebut"))
        last_place = first_place + int(cours.get("NombrePlaces")) - 1
        starts_at, ends_at = places[first_place][0], places[last_place][1]
        matiere = cours.first("Matiere")
        subject = subjects[matiere.get("Ident")] if matiere is not None else ""
        resources = [
            (child.name, child.get("Ident"), set(weeks_in(child.get("Semaines"))))
            for child in cours.children
            if "semaines" in child.attributes
        ]
        if not resources:
            reference.courses_without_resources += 1
            continue
        describe = (
            f"Cours n° {reference.courses} (Jour {jour}, place {first_place}, "
            f"{[(kind, ident) for kind, ident, _ in resources]})"
        )
        cancelled_weeks = set(weeks_in(cours.get("SemainesAnnulation") or "0"))
        all_weeks = set().union(*(weeks for _, _, weeks in resources))
        for week in sorted(all_weeks):
            day = monday1 + timedelta(weeks=week - 1, days=jour - 1)
            if day < first_day or day > last_day:
                reference.outside_year += 1
                continue
            present = [(kind, ident) for kind, ident, weeks in resources if week in weeks]
            present_groups = [ident for kind, ident in present if kind == "groupe"]
            drawn_on = set()
            for group in present_groups:
                drawn_on |= divisions_drawn_on(group)
            pupils: set[str] = set()
            whole = set()
            units = set()
            for kind, ident in present:
                if kind == "classe" and ident not in drawn_on:
                    whole.add(ident)
                    pupils |= members_on("classe", ident, day)
                elif kind == "groupe":
                    units.add((kind, ident))
                    pupils |= group_members_on(ident, day)
                elif kind == "partiedeclasse":
                    units.add((kind, ident))
                    pupils |= members_on("partiedeclasse", ident, day)
                elif kind == "eleve":
                    units.add((kind, ident))
                    pupils.add(ident)
            present_teachers = frozenset(ident for kind, ident in present if kind == "professeur")
            present_rooms = tuple(
                sorted(rooms[ident] for kind, ident in present if kind == "salle")
            )
            cancelled = week in cancelled_weeks
            reference.cancelled += cancelled
            expected = Expected(
                start=datetime.combine(day, starts_at, tzinfo=PARIS),
                end=datetime.combine(day, ends_at, tzinfo=PARIS),
                subject=subject,
                teachers=tuple(
                    sorted(f"{teacher_names[t][0]} {teacher_names[t][1]}" for t in present_teachers)
                ),
                rooms=present_rooms,
                cancelled=cancelled,
            )
            reference.occurrences.append(
                Occurrence(
                    expected=expected,
                    course=describe,
                    week=week,
                    teacher_idents=present_teachers,
                    room_names=present_rooms,
                    pupils=frozenset(pupils),
                    whole_divisions=frozenset(whole),
                    units=frozenset(units),
                )
            )
    _views(reference, members, groups, part_division, divisions)
    return reference


def _empty() -> _Node:
    return _Node(ET.Element("empty"))


def _views(reference, members, groups, part_division, divisions) -> None:
    pupils = defaultdict(list)
    teachers = defaultdict(list)
    rooms = defaultdict(list)
    by_division = defaultdict(list)
    division_pupils = {
        ident: [(p, s, e) for p, s, e in members.get(("classe", ident), ())] for ident in divisions
    }
    here_on: dict[tuple[str, date], set[str]] = {}
    for occurrence in reference.occurrences:
        expected = occurrence.expected
        for pupil in occurrence.pupils:
            pupils[pupil].append(expected)
        for teacher in occurrence.teacher_idents:
            teachers[teacher].append(expected)
        for room in occurrence.room_names:
            rooms[room].append(expected)
        day = expected.start.date()
        for ident, name in divisions.items():
            whole = ident in occurrence.whole_divisions
            if (ident, day) not in here_on:
                here_on[(ident, day)] = {p for p, s, e in division_pupils[ident] if _in(day, s, e)}
            here = here_on[(ident, day)]
            concerned = here & occurrence.pupils
            if not whole and not concerned:
                continue
            labels = set()
            if not whole:
                for kind, unit in occurrence.units:
                    if kind == "groupe":
                        group = groups[unit]
                        if _group_pupils(group, members, day) & here:
                            labels.add(group["name"])
                    elif kind == "partiedeclasse" and part_division.get(unit) == ident:
                        labels.add(unit)
            by_division[name].append((expected, frozenset(labels)))
    reference.pupils = {k: sorted(v) for k, v in pupils.items()}
    for ident in reference.pupil_idents:
        reference.pupils.setdefault(ident, [])
    reference.teachers = {k: sorted(v) for k, v in teachers.items()}
    for ident in reference.teacher_names:
        reference.teachers.setdefault(ident, [])
    reference.rooms = {k: sorted(v) for k, v in rooms.items()}
    reference.divisions = {k: sorted(v) for k, v in by_division.items()}


def _group_pupils(group, members, day) -> set[str]:
    found = set(group["pupils"])
    for part in group["parts"]:
        found |= {p for p, s, e in members.get(("partiedeclasse", part), ()) if _in(day, s, e)}
    for classe in group["classes"]:
        found |= {p for p, s, e in members.get(("classe", classe), ()) if _in(day, s, e)}
    return found


@lru_cache(maxsize=4)
def read_reference(path: Path) -> Reference:
    return read_reference_bytes(Path(path).read_bytes())


# -- The shared sample ----------------------------------------------------------------

# The `shared` folder sits next to the checkout; the tests never copy its files.
SHARED = Path(__file__).resolve().parents[3] / "shared"
FIXTURE = SHARED / "fixtures" / "edt-index-education" / "Edt_To_LaclasseCom_0134567A_Enclair.xml"
FIXTURE_MISSING = (
    f"the EDT sample {FIXTURE} is absent (the `shared` folder next to the checkout): "
    "tests on the real export skipped"
)


# -- Writing small EDT files (edge cases) ----------------------------------------------


def mask(*weeks: int) -> int:
    """A `Semaines` value: bit i for school week i."""
    value = 0
    for week in weeks:
        value |= 1 << week
    return value


@dataclass
class Cours:
    day: int  # Jour, 1 = Monday
    place: int  # NumeroPlaceDebut
    places: int = 1  # NombrePlaces
    subject: str | None = "1"  # Matiere Ident
    resources: list[tuple[str, str, int]] = field(default_factory=list)  # (element, Ident, mask)
    cancelled: int | None = None  # SemainesAnnulation
    attributes: dict[str, str] = field(default_factory=dict)


def _hours() -> list[tuple[str, str]]:
    return [(f"{hour:02d}:00:00", f"{hour + 1:02d}:00:00") for hour in range(8, 18)]


@dataclass
class EdtFile:
    """A small `ExportEmploiDuTemps`, written one element per line (so that a test can
    say which line an error names). Place n runs from 8 + n o'clock for one hour."""

    uai: str = "0134567A"
    start: str = "2013-09-02"  # DateDebut
    end: str = "2014-07-04"  # DateFin
    monday1: str = "2013-09-02"  # DatePremierJourSemaine1
    places: list[tuple[str, str]] = field(default_factory=_hours)
    subjects: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            "1": ("MATHS", "MATHEMATIQUES"),
            "2": ("FRANC", "FRANCAIS"),
            "3": ("ANGL", "ANGLAIS LV1"),
        }
    )
    teachers: dict[str, tuple[str, str]] = field(default_factory=dict)  # Ident: (Nom, Prenom)
    divisions: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # (Nom, parts)
    # Ident: (Nom, [(element, Ident)]) with element Classe, PartieDeClasse or Eleve
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=dict)
    # Ident: (Nom, Prenom, [(element, Ident, DateEntree, DateSortie)])
    pupils: dict[str, tuple[str, str, list[tuple[str, str, str, str]]]] = field(
        default_factory=dict
    )
    pupil_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    courses: list[Cours] = field(default_factory=list)
    namespace: bool = True
    school_year: bool = True  # False: no <AnneeScolaire> at all

    def xml(self, encoding: str = "UTF-8") -> str:
        def tag(name: str, attributes: dict, close: bool = True) -> str:
            text = "".join(f" {key}={quoteattr(str(value))}" for key, value in attributes.items())
            return f"<{name}{text}{'/' if close else ''}>"

        ns = ' xmlns="http://www.index-education.com/exportemploidutemps"' if self.namespace else ""
        lines = [
            f'<?xml version="1.0" encoding="{encoding}"?>',
            f'<ExportEmploiDuTemps{ns} Version="1.1" UAI="{self.uai}">',
        ]
        if self.school_year:
            lines.append(
                tag(
                    "AnneeScolaire",
                    {
                        "DateDebut": self.start,
                        "DateFin": self.end,
                        "DatePremierJourSemaine1": self.monday1,
                    },
                )
            )
        lines += [
            f'<GrilleHoraire NombrePlacesParJour="{len(self.places)}" DureePlace="60">',
            "<JoursOuvres><Jour>1</Jour><Jour>2</Jour><Jour>3</Jour><Jour>4</Jour>"
            "<Jour>5</Jour></JoursOuvres>",
            "<PlacesParJour>",
        ]
        lines += [
            tag("Place", {"Numero": n, "LibelleHeureDebut": a, "LibelleHeureFin": b})
            for n, (a, b) in enumerate(self.places)
        ]
        lines += ["</PlacesParJour>", "</GrilleHoraire>", "<Matieres>"]
        lines += [
            tag("Matiere", {"Ident": ident, "Code": code, "Libelle": label})
            for ident, (code, label) in self.subjects.items()
        ]
        lines += ["</Matieres>", "<Professeurs>"]
        lines += [
            tag("Professeur", {"Ident": ident, "Nom": nom, "Prenom": prenom, "IDPN": f"P{ident}"})
            for ident, (nom, prenom) in self.teachers.items()
        ]
        lines += ["</Professeurs>", "<Classes>"]
        for ident, (nom, parts) in self.divisions.items():
            lines.append(tag("Classe", {"Ident": ident, "Nom": nom}, close=False))
            lines += [tag("PartieDeClasse", {"Ident": part}) for part in parts]
            lines.append("</Classe>")
        lines += ["</Classes>", "<Groupes>"]
        for ident, (nom, members) in self.groups.items():
            lines.append(tag("Groupe", {"Ident": ident, "Nom": nom}, close=False))
            lines += [tag(element, {"Ident": member}) for element, member in members]
            lines.append("</Groupe>")
        lines += ["</Groupes>", "<Salles>"]
        lines += [tag("Salle", {"Ident": ident, "Nom": nom}) for ident, nom in self.rooms.items()]
        lines += ["</Salles>", "<Eleves>"]
        for ident, (nom, prenom, memberships) in self.pupils.items():
            attributes = {
                "Ident": ident,
                "Nom": nom,
                "Prenom": prenom,
                "DateNaissance": "2000-01-01",
                "Sexe": "Feminin",
                "IDPN": f"E{ident}",
                **self.pupil_attributes.get(ident, {}),
            }
            lines.append(tag("Eleve", attributes, close=False))
            lines += [
                tag(element, {"Ident": member, "DateEntree": entree, "DateSortie": sortie})
                for element, member, entree, sortie in memberships
            ]
            lines.append("</Eleve>")
        lines += ["</Eleves>", "<Cours>"]
        for cours in self.courses:
            attributes = {
                "Jour": cours.day,
                "NumeroPlaceDebut": cours.place,
                "NombrePlaces": cours.places,
                **({"SemainesAnnulation": cours.cancelled} if cours.cancelled else {}),
                **cours.attributes,
            }
            lines.append(tag("Cours", attributes, close=False))
            if cours.subject is not None:
                lines.append(tag("Matiere", {"Ident": cours.subject}))
            lines += [
                tag(element, {"Ident": ident, "Semaines": weeks})
                for element, ident, weeks in cours.resources
            ]
            lines.append("</Cours>")
        lines += ["</Cours>", "</ExportEmploiDuTemps>"]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path, name: str = "edt.xml", **options) -> Path:
        path = Path(folder) / name
        path.write_bytes(encode(self.xml(options.pop("declared", "UTF-8")), **options))
        return path


def encode(text: str, *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def line_of(text: str, needle: str) -> int:
    """The line (from 1) of the first line holding `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in the file")


# -- Comparing calendars with the reference ---------------------------------------------


def events_of(ics: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def uids_of(ics: str) -> list[str]:
    return [str(event.get("uid")) for event in events_of(ics)]


def event_key(event) -> tuple:
    """What an event says, to compare with the reference: instants, subject, rooms
    (any order), cancelled or not."""
    location = str(event.get("location", ""))
    return (
        event.decoded("dtstart").astimezone(UTC),
        event.decoded("dtend").astimezone(UTC),
        str(event.get("summary")),
        tuple(sorted(location.split(", "))) if location else (),
        str(event.get("status")) == "CANCELLED",
    )


def expected_key(expected: Expected) -> tuple:
    return (
        expected.start.astimezone(UTC),
        expected.end.astimezone(UTC),
        expected.subject or "Séance",
        expected.rooms,
        expected.cancelled,
    )


def in_window(expected: Expected, start: date, end: date) -> bool:
    return start <= expected.start.date() <= end


def compare_events(who: str, events, expected: list[Expected]) -> list[str]:
    """The differences between a calendar and the reference, in words (empty: same).
    Also checks that every teacher of each occurrence is named in its DESCRIPTION."""
    problems = []
    got = Counter(event_key(event) for event in events)
    want = Counter(expected_key(e) for e in expected)
    for key in sorted((want - got).elements()):
        problems.append(f"{who}: missing {describe(key)}")
    for key in sorted((got - want).elements()):
        problems.append(f"{who}: unexpected {describe(key)}")
    if problems:
        return problems
    # Same events: each must name the teachers of one reference occurrence of its key.
    by_key = defaultdict(list)
    for e in expected:
        by_key[expected_key(e)].append(e)
    for event in events:
        description = str(event.get("description", "")).casefold()
        candidates = by_key[event_key(event)]
        match = next(
            (
                candidate
                for candidate in candidates
                if all(
                    part.casefold() in description
                    for name in candidate.teachers
                    for part in name.split()
                )
            ),
            None,
        )
        if match is None:
            problems.append(
                f"{who}: {describe(event_key(event))} does not name "
                f"{[c.teachers for c in candidates]} in {description!r}"
            )
        else:
            candidates.remove(match)
    return problems


def describe(key: tuple) -> str:
    start, end, subject, rooms, cancelled = key
    return (
        f"{start.astimezone(PARIS):%a %d/%m/%Y %H:%M}–{end.astimezone(PARIS):%H:%M} "
        f"{subject} [{', '.join(rooms)}]" + (" (annulée)" if cancelled else "")
    )


def check_uids(who: str, events, seen: dict[str, tuple]) -> list[str]:
    """UIDs unique in a calendar, and one UID always the same occurrence."""
    problems = []
    uids = [str(event.get("uid")) for event in events]
    for uid, count in Counter(uids).items():
        if count > 1:
            problems.append(f"{who}: UID {uid} given to {count} events")
    for event in events:
        uid = str(event.get("uid"))
        key = event_key(event)
        if seen.setdefault(uid, key) != key:
            problems.append(f"{who}: UID {uid} is {describe(key)} and {describe(seen[uid])}")
    return problems


def fail_on(problems: list[str], what: str) -> None:
    if problems:
        raise AssertionError(
            f"{len(problems)} difference(s) with the reference for {what}:\n"
            + "\n".join(problems[:40])
        )
