"""Index Education EDT / PRONOTE `ExportEmploiDuTemps` (clear text), read as
timetable.md describes it.

Streaming (lxml iterparse, elements freed as they are read), tolerant of what real
exports do (tag and attribute names in any case — `IdPN` and `IDPN` —, UTF-8 or
ISO-8859-15, a byte-order mark, empty dates), strict about what would give a wrong
timetable (a reference to an unknown `Ident`, a slot outside the grid, a malformed
week mask, truncated XML): those refuse the file with the element and line at fault.
"""

import hashlib
import io
import json
from collections import Counter
from dataclasses import replace
from datetime import date, time

from lxml import etree

from preau.timetable.engine import mondays_of_mask
from preau.timetable.importers.base import ParseError, decode_xml_bytes, local_name
from preau.timetable.source import (
    CLASS_PART,
    DIVISION,
    GROUP,
    OTHER,
    PUPIL,
    ROOM,
    TEACHER,
    SourceClassPart,
    SourceCourse,
    SourceDivision,
    SourceGroup,
    SourceGuardianship,
    SourceMembership,
    SourcePerson,
    SourceProblem,
    SourcePupil,
    SourceResource,
    SourceRoom,
    SourceSubject,
    SourceTimetable,
)

# Elements of a course and the resource kind they are.
COURSE_RESOURCES = {
    "professeur": TEACHER,
    "classe": DIVISION,
    "groupe": GROUP,
    "partiedeclasse": CLASS_PART,
    "salle": ROOM,
    "eleve": PUPIL,
}
CIVILITIES = {"m": "M", "m.": "M", "mme": "MME", "mlle": "MME"}


class _Element:
    """An element's local name (`name` in lower case, `tag` as written, for messages),
    attributes (lower-cased names) and line."""

    __slots__ = ("attributes", "line", "name", "tag", "text")

    def __init__(self, element):
        self.name = local_name(element.tag)
        self.tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        self.attributes = {local_name(k): (v or "").strip() for k, v in element.attrib.items()}
        self.line = element.sourceline
        self.text = element.text

    def get(self, key: str, default: str = "") -> str:
        return self.attributes.get(key, default)


class EdtParser:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.out = SourceTimetable(format="edt", uai=None)
        self.places: dict[int, tuple[time, time]] = {}
        self.first_monday: date | None = None
        self.idents: dict[str, set[str]] = {
            kind: set() for kind in (*COURSE_RESOURCES.values(), "subject")
        }
        self.part_division: dict[str, str] = {}
        self.course_keys: Counter = Counter()
        self.pending_courses: list[tuple[_Element, list[_Element]]] = []
        self.group_lines: dict[str, int | None] = {}

    def fail(self, element: _Element | None, message: str, line: int | None = None):
        line = line or (element.line if element else None)
        where = f"{self.file_name}, ligne {line}" if line else self.file_name
        raise ParseError(f"{where} : {message}")

    def _date(self, element: _Element, attribute: str) -> date | None:
        value = element.get(attribute.lower())
        if not value:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            self.fail(
                element, f'<{element.tag} {attribute}="{value}"> n\'est pas une date AAAA-MM-JJ.'
            )

    def _int(self, element: _Element, attribute: str) -> int:
        value = element.get(attribute.lower())
        try:
            number = int(value)
        except ValueError:
            self.fail(
                element, f'<{element.tag} {attribute}="{value}"> n\'est pas un nombre entier.'
            )
        if number < 0:
            self.fail(element, f'<{element.tag} {attribute}="{value}"> est négatif.')
        return number

    def _mask(self, element: _Element, attribute: str) -> int:
        """A week mask: an unsigned 64-bit integer (xs:unsignedLong)."""
        mask = self._int(element, attribute)
        if mask >= 2**64:
            self.fail(
                element,
                f'<{element.tag} {attribute}="{mask}"> dépasse 64 bits : '
                "ce n'est pas un masque de semaines.",
            )
        return mask

    def _time(self, element: _Element, attribute: str) -> time:
        value = element.get(attribute.lower())
        try:
            return time.fromisoformat(value)
        except ValueError:
            self.fail(element, f'<{element.tag} {attribute}="{value}"> n\'est pas une heure.')

    # -- Reading ---------------------------------------------------------------------

    def parse(self, data: bytes) -> SourceTimetable:
        stream = io.BytesIO(decode_xml_bytes(data))
        path: list[str] = []
        children: list[list[_Element]] = []
        try:
            for event, element in etree.iterparse(
                stream,
                events=("start", "end"),
                resolve_entities=False,
                no_network=True,
                huge_tree=True,
                remove_comments=True,
            ):
                if event == "start":
                    path.append(local_name(element.tag))
                    children.append([])
                    if len(path) == 1:
                        if path[0] != "exportemploidutemps":
                            self.fail(
                                _Element(element),
                                f"l'élément racine <{element.tag}> n'est pas "
                                "<ExportEmploiDuTemps> : ce n'est pas un export EDT.",
                            )
                        self.out.uai = _Element(element).get("uai") or None
                    continue
                item = _Element(element)
                own_children = children.pop()
                path.pop()
                if children:
                    children[-1].append(item)
                self._handle(tuple(path), item, own_children)
                if len(path) <= 2:
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    if parent is not None:
                        while element.getprevious() is not None:
                            del parent[0]
        except etree.XMLSyntaxError as error:
            raise ParseError(
                f"{self.file_name}, ligne {error.lineno} : XML invalide ou tronqué ({error.msg})."
            ) from error
        if self.first_monday is None:
            self.fail(
                None,
                "<AnneeScolaire DatePremierJourSemaine1=…> manque : "
                "impossible de dater les semaines.",
            )
        self._check_references()
        for course, items in self.pending_courses:
            self._course(course, items)
        self.out.metadata = {
            "first_monday": self.first_monday.isoformat(),
            "places": {
                str(n): [a.isoformat(), b.isoformat()] for n, (a, b) in sorted(self.places.items())
            },
        }
        return self.out

    def _check_references(self) -> None:
        """Groups and pupils may name objects defined further down the file: check once
        everything is read."""
        for group in self.out.groups:
            for kind, keys in (
                (CLASS_PART, group.class_part_keys),
                (DIVISION, group.division_keys),
                (PUPIL, group.pupil_keys),
            ):
                for key in keys:
                    if key not in self.idents[kind]:
                        element = {CLASS_PART: "PartieDeClasse", DIVISION: "Classe"}.get(
                            kind, "Eleve"
                        )
                        self.fail(
                            None,
                            f"le groupe « {group.name} » (Ident {group.key}) cite "
                            f'<{element} Ident="{key}">, qui n\'est défini nulle part.',
                            line=self.group_lines.get(group.key),
                        )
        # Pupils in a class part no <Classe> declares: real exports do it. The membership
        # cannot be placed in a division, so it is left out and reported.
        unknown: dict[tuple[str, str], list[str]] = {}
        for index, pupil in enumerate(self.out.pupils):
            kept = []
            for membership in pupil.memberships:
                if membership.key in self.idents[membership.kind]:
                    kept.append(membership)
                else:
                    unknown.setdefault((membership.kind, membership.key), []).append(
                        pupil.person.key
                    )
            if len(kept) != len(pupil.memberships):
                self.out.pupils[index] = replace(pupil, memberships=tuple(kept))
        for (kind, key), pupils in sorted(unknown.items()):
            element = "Classe" if kind == DIVISION else "PartieDeClasse"
            self.out.problems.append(
                SourceProblem(
                    code="unknown_membership",
                    where=f'<Eleve><{element} Ident="{key}">',
                    message=f"{len(pupils)} élève(s) rattaché(s) à un Ident {key} qu'aucune classe "
                    f"ne déclare (élèves {', '.join(pupils[:10])}) : rattachement ignoré.",
                )
            )

    def _handle(self, parent: tuple[str, ...], item: _Element, items: list[_Element]) -> None:
        depth = len(parent)
        section = parent[1] if depth > 1 else None
        if depth == 1 and item.name == "anneescolaire":
            self.out.first_day = self._date(item, "DateDebut")
            self.out.last_day = self._date(item, "DateFin")
            self.first_monday = self._date(item, "DatePremierJourSemaine1")
        elif (
            depth == 3 and parent[1:] == ("grillehoraire", "placesparjour") and item.name == "place"
        ):
            start, end = self._time(item, "LibelleHeureDebut"), self._time(item, "LibelleHeureFin")
            if end <= start:
                self.fail(
                    item,
                    f'<Place LibelleHeureDebut="{start:%H:%M:%S}" LibelleHeureFin="{end:%H:%M:%S}">'
                    " : la place finit avant de commencer.",
                )
            self.places[self._int(item, "Numero")] = (start, end)
        elif depth != 2:
            return
        elif section == "matieres" and item.name == "matiere":
            self._ident(item, "subject")
            self.out.subjects.append(
                SourceSubject(
                    key=item.get("ident"), code=item.get("code"), label=item.get("libelle")
                )
            )
        elif section == "professeurs" and item.name == "professeur":
            self._ident(item, TEACHER)
            identifiers = {"edt": item.get("ident")}
            if item.get("idsts"):
                identifiers["sts"] = item.get("idsts")
            self.out.teachers.append(
                SourcePerson(
                    key=item.get("ident"),
                    last_name=item.get("nom"),
                    first_name=item.get("prenom"),
                    birth_date=self._date(item, "DateNaissance"),
                    identifiers=identifiers,
                    civility=CIVILITIES.get(item.get("civilite").lower(), ""),
                    postal_code=item.get("codepostal"),
                )
            )
        elif section == "classes" and item.name == "classe":
            self._ident(item, DIVISION)
            parts = [child.get("ident") for child in items if child.name == "partiedeclasse"]
            for part in parts:
                self._ident_value(child_of(items, part), CLASS_PART, part)
                self.part_division[part] = item.get("ident")
                self.out.class_parts.append(
                    SourceClassPart(key=part, name=f"Partie {part}", division_key=item.get("ident"))
                )
            self.out.divisions.append(
                SourceDivision(
                    key=item.get("ident"), name=item.get("nom"), class_part_keys=tuple(parts)
                )
            )
        elif section == "groupes" and item.name == "groupe":
            self._ident(item, GROUP)
            self.group_lines[item.get("ident")] = item.line
            self.out.groups.append(
                SourceGroup(
                    key=item.get("ident"),
                    name=item.get("nom"),
                    class_part_keys=tuple(
                        c.get("ident") for c in items if c.name == "partiedeclasse"
                    ),
                    division_keys=tuple(c.get("ident") for c in items if c.name == "classe"),
                    pupil_keys=tuple(c.get("ident") for c in items if c.name == "eleve"),
                )
            )
        elif section == "salles" and item.name == "salle":
            self._ident(item, ROOM)
            self.out.rooms.append(SourceRoom(key=item.get("ident"), name=item.get("nom")))
        elif section == "eleves" and item.name == "eleve":
            self._pupil(item, items)
        elif section == "cours" and item.name == "cours":
            self.pending_courses.append((item, items))

    def _ident(self, item: _Element, kind: str) -> None:
        self._ident_value(item, kind, item.get("ident"))

    def _ident_value(self, item: _Element, kind: str, value: str) -> None:
        if not value:
            self.fail(item, f"<{item.tag}> sans Ident.")
        self.idents[kind].add(value)

    def _pupil(self, item: _Element, items: list[_Element]) -> None:
        self._ident(item, PUPIL)
        identifiers = {"edt": item.get("ident")}
        if item.get("numeronational"):
            identifiers["ine"] = item.get("numeronational")
        if item.get("idsconet"):
            identifiers["siecle"] = item.get("idsconet")
        sex = item.get("sexe").lower()
        person = SourcePerson(
            key=item.get("ident"),
            last_name=item.get("nom"),
            first_name=item.get("prenom"),
            birth_date=self._date(item, "DateNaissance"),
            identifiers=identifiers,
            civility="MME" if sex.startswith("f") else ("M" if sex.startswith("m") else ""),
            postal_code=item.get("codepostal"),
        )
        memberships, guardians = [], []
        for child in items:
            if child.name in ("classe", "partiedeclasse"):
                start, end = self._date(child, "DateEntree"), self._date(child, "DateSortie")
                if start and end and end < start:
                    self.fail(
                        child,
                        f'<{child.tag} DateEntree="{start}" DateSortie="{end}"> : '
                        "la sortie précède l'entrée.",
                    )
                memberships.append(
                    SourceMembership(
                        kind=DIVISION if child.name == "classe" else CLASS_PART,
                        key=child.get("ident"),
                        start=start,
                        end=end,
                    )
                )
            elif child.name == "responsable":
                civility = child.get("civilite").split(",")[0].strip().lower()
                guardians.append(
                    SourceGuardianship(
                        guardian=SourcePerson(
                            key=child.get("ident"),
                            last_name=child.get("nom"),
                            first_name=child.get("prenom"),
                            identifiers={"edt": child.get("ident")},
                            civility=CIVILITIES.get(civility, ""),
                            email=child.get("email"),
                            address_line1=child.get("adresse1"),
                            postal_code=child.get("codepostal"),
                            city=child.get("ville"),
                        ),
                        level=1 if child.get("resplegal") in ("1", "2", "true", "oui") else 2,
                    )
                )
        self.out.pupils.append(
            SourcePupil(person=person, memberships=tuple(memberships), guardians=tuple(guardians))
        )

    def _course(self, course: _Element, items: list[_Element]) -> None:
        day = self._int(course, "Jour")
        if not 1 <= day <= 7:
            self.fail(course, f'<Cours Jour="{day}"> : le jour doit aller de 1 (lundi) à 7.')
        first = self._int(course, "NumeroPlaceDebut")
        count = self._int(course, "NombrePlaces")
        last = first + count - 1
        if count < 1 or first not in self.places or last not in self.places:
            self.fail(
                course,
                f'<Cours NumeroPlaceDebut="{first}" NombrePlaces="{count}"> : '
                f"les places {first} à {last} ne sont pas toutes dans la grille horaire.",
            )
        subjects = [child.get("ident") for child in items if child.name == "matiere"]
        for subject in subjects:
            if subject not in self.idents["subject"]:
                self.fail(course, f'<Matiere Ident="{subject}"> n\'est pas dans <Matieres>.')
        resources, described = [], []
        for child in items:
            if "semaines" not in child.attributes:
                continue
            mask = self._mask(child, "Semaines")
            kind = COURSE_RESOURCES.get(child.name, OTHER)
            ident = child.get("ident")
            if kind != OTHER and ident not in self.idents[kind]:
                self.fail(
                    child,
                    f'<{child.tag} Ident="{ident}"> (dans un cours) n\'est défini nulle part.',
                )
            resources.append(
                SourceResource(
                    kind=kind,
                    key=ident or child.name,
                    weeks=mondays_of_mask(mask, self.first_monday),
                )
            )
            described.append({"element": child.name, "ident": ident, "semaines": str(mask)})
        cancelled = frozenset()
        if course.get("semainesannulation"):
            cancelled = mondays_of_mask(self._mask(course, "SemainesAnnulation"), self.first_monday)
        audience = sorted(
            (r.kind, r.key) for r in resources if r.kind in (DIVISION, GROUP, CLASS_PART, PUPIL)
        )
        identity = json.dumps([day, first, count, subjects, audience])
        base = hashlib.sha1(identity.encode(), usedforsecurity=False).hexdigest()[:16]
        self.course_keys[base] += 1
        key = base if self.course_keys[base] == 1 else f"{base}-{self.course_keys[base]}"
        self.out.courses.append(
            SourceCourse(
                key=key,
                weekday=day,
                start=self.places[first][0],
                end=self.places[last][1],
                subject_key=subjects[0] if subjects else None,
                resources=tuple(resources),
                cancelled_weeks=cancelled,
                occurrence_key=base,
                provenance={
                    "ligne": course.line,
                    "jour": day,
                    "place": first,
                    "places": count,
                    "matiere": subjects,
                    "ressources": described,
                    **(
                        {"annulation": course.get("semainesannulation")}
                        if course.get("semainesannulation")
                        else {}
                    ),
                },
            )
        )


def child_of(items: list[_Element], ident: str) -> _Element:
    return next(item for item in items if item.get("ident") == ident)


def parse_edt(data: bytes, *, file_name: str) -> SourceTimetable:
    return EdtParser(file_name).parse(data)


def read(path, options) -> SourceTimetable:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(f"{path} : lecture impossible ({error.strerror}).") from error
    return parse_edt(data, file_name=path.name)
