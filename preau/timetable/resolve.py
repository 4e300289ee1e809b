"""Finding, or creating, the Préau objects a timetable file names.

Each kind is matched first by the identifier the source gives (`edt:<Ident>`,
`sts:<ID>`, INE…), then by name, and created when nothing matches. Everything is read
in a fixed number of queries per kind and written in bulk: an import of a whole
establishment stays well under ten seconds.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from preau.core.models import (
    NATIONAL_SOURCES,
    Establishment,
    EstablishmentKind,
    ExternalId,
    Guardianship,
    IdentifiedAs,
    Person,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.structure.models import (
    ClassPart,
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    Level,
    Subject,
)
from preau.timetable.models import Room
from preau.timetable.source import (
    CLASS_PART,
    DIVISION,
    SourcePerson,
    SourceTimetable,
)

BATCH = 1000


def _by_dates(row: tuple) -> tuple:
    """Memberships in order: by start, an open end last."""
    return (row[0], row[1] or date.max)


def fold(name: str) -> str:
    """Names compare with runs of white space folded to one space, trimmed, without
    case (interfaces.md: FET names carry tabs and padding)."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def guess_level(division_name: str) -> str:
    """The level a division's name suggests (6A → 6e, 2nde 4 → 2de, T3 → Terminale)."""
    name = fold(division_name)
    for prefix, level in (
        ("6", Level.SIXIEME),
        ("5", Level.CINQUIEME),
        ("4", Level.QUATRIEME),
        ("3", Level.TROISIEME),
        ("2", Level.SECONDE),
        ("1", Level.PREMIERE),
        ("t", Level.TERMINALE),
    ):
        if name.startswith(prefix):
            return level
    return Level.OTHER


def guess_kind(division_names: list[str]) -> str:
    """Collège, lycée or cité scolaire, from the levels of the divisions."""
    levels = {guess_level(name) for name in division_names}
    college = bool(levels & {Level.SIXIEME, Level.CINQUIEME, Level.QUATRIEME, Level.TROISIEME})
    lycee = bool(levels & {Level.SECONDE, Level.PREMIERE, Level.TERMINALE})
    if college and lycee:
        return EstablishmentKind.CITE_SCOLAIRE
    return EstablishmentKind.LYCEE if lycee else EstablishmentKind.COLLEGE


@dataclass
class Resolved:
    """Source keys → Préau objects, and what had to be created."""

    subjects: dict[str, Subject] = field(default_factory=dict)
    teachers: dict[str, Person] = field(default_factory=dict)
    rooms: dict[str, Room] = field(default_factory=dict)
    divisions: dict[str, Division] = field(default_factory=dict)
    class_parts: dict[str, ClassPart] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    pupils: dict[str, Person] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    matched: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Resolver:
    def __init__(
        self,
        *,
        source: SourceTimetable,
        establishment: Establishment,
        school_year: SchoolYear,
        today: date,
    ):
        self.source = source
        self.establishment = establishment
        self.year = school_year
        self.today = today
        self.result = Resolved()
        self.identifiers: list[ExternalId] = []

    def resolve(self) -> Resolved:
        self._subjects()
        self._rooms()
        self._teachers()
        self._divisions()
        self._class_parts()
        self._pupils()
        self._groups()
        ExternalId.objects.bulk_create(self.identifiers, batch_size=BATCH, ignore_conflicts=True)
        return self.result

    # -- Helpers --------------------------------------------------------------------

    def _scope(self, source: str) -> Establishment | None:
        return None if source in NATIONAL_SOURCES else self.establishment

    def _by_identifier(self, people: list[SourcePerson], kind: str) -> dict[str, Person]:
        """Persons already known under an identifier one of `people` carries (one query
        per identifier source)."""
        values: dict[str, set[str]] = defaultdict(set)
        for person in people:
            for source, value in person.identifiers.items():
                values[source].add(value)
        found: dict[tuple[str, str], Person] = {}
        for source, wanted in values.items():
            identifiers = ExternalId.objects.filter(
                source=source, kind__in=[kind, ""], establishment=self._scope(source)
            ).select_related("person")
            if len(wanted) < 500:
                identifiers = identifiers.filter(value__in=wanted)
            for identifier in identifiers:
                if identifier.value in wanted:
                    found[(source, identifier.value)] = identifier.person
        matches = {}
        for person in people:
            for source, value in person.identifiers.items():
                if (source, value) in found:
                    matches[person.key] = found[(source, value)]
                    break
        return matches

    def _remember_identifiers(self, source_person: SourcePerson, person: Person, kind: str) -> None:
        for source, value in source_person.identifiers.items():
            self.identifiers.append(
                ExternalId(
                    person=person,
                    source=source,
                    kind=kind,
                    value=value,
                    establishment=self._scope(source),
                )
            )

    def _new_person(self, source: SourcePerson) -> Person:
        return Person(
            last_name=source.last_name or source.key,
            first_name=source.first_name,
            birth_date=source.birth_date,
            civility=source.civility,
            email=source.email,
            address_line1=source.address_line1,
            postal_code=source.postal_code,
            city=source.city,
        )

    # -- Kinds ----------------------------------------------------------------------

    def _subjects(self) -> None:
        existing = {
            fold(s.code): s for s in Subject.objects.filter(establishment=self.establishment)
        }
        new = []
        for subject in self.source.subjects:
            code = (subject.code or subject.label or subject.key)[:20]
            match = existing.get(fold(code))
            if match is None:
                match = Subject(
                    establishment=self.establishment,
                    code=code.upper(),
                    label=(subject.label or subject.code)[:100],
                )
                existing[fold(code)] = match
                new.append(match)
                self.result.created["subjects"] += 1
            else:
                self.result.matched["subjects"] += 1
            self.result.subjects[subject.key] = match
        Subject.objects.bulk_create(new, batch_size=BATCH)

    def _rooms(self) -> None:
        existing = {fold(r.name): r for r in Room.objects.filter(establishment=self.establishment)}
        new = []
        for room in self.source.rooms:
            match = existing.get(fold(room.name))
            if match is None:
                match = Room(establishment=self.establishment, name=room.name.strip()[:60])
                existing[fold(room.name)] = match
                new.append(match)
                self.result.created["rooms"] += 1
            else:
                self.result.matched["rooms"] += 1
            self.result.rooms[room.key] = match
        Room.objects.bulk_create(new, batch_size=BATCH)

    def _teachers(self) -> None:
        teachers = self.source.teachers
        matches = self._by_identifier(teachers, IdentifiedAs.TEACHER)
        by_name: dict[tuple[str, str], list[Person]] = defaultdict(list)
        for role in Role.objects.filter(
            establishment=self.establishment, kind=RoleKind.TEACHER
        ).select_related("person"):
            by_name[(fold(role.person.last_name), fold(role.person.first_name))].append(role.person)
        new = []
        for teacher in teachers:
            person = matches.get(teacher.key)
            if person is None:
                candidates = by_name.get((fold(teacher.last_name), fold(teacher.first_name)), [])
                person = candidates[0] if len(candidates) == 1 else None
            if person is None:
                person = self._new_person(teacher)
                new.append(person)
                self.result.created["teachers"] += 1
            else:
                self.result.matched["teachers"] += 1
            self.result.teachers[teacher.key] = person
        Person.objects.bulk_create(new, batch_size=BATCH)
        has_role = set(
            Role.objects.filter(
                establishment=self.establishment,
                kind=RoleKind.TEACHER,
                person__in=list(self.result.teachers.values()),
            ).values_list("person_id", flat=True)
        )
        Role.objects.bulk_create(
            [
                Role(person=person, establishment=self.establishment, kind=RoleKind.TEACHER)
                for person in {p.pk: p for p in self.result.teachers.values()}.values()
                if person.pk not in has_role
            ],
            batch_size=BATCH,
        )
        for teacher in teachers:
            self._remember_identifiers(
                teacher, self.result.teachers[teacher.key], IdentifiedAs.TEACHER
            )

    def _divisions(self) -> None:
        existing = {fold(d.name): d for d in Division.objects.filter(school_year=self.year)}
        new = []
        for division in self.source.divisions:
            match = existing.get(fold(division.name))
            if match is None:
                match = Division(
                    establishment=self.establishment,
                    school_year=self.year,
                    name=re.sub(r"\s+", " ", division.name).strip()[:40],
                    level=guess_level(division.name),
                )
                existing[fold(division.name)] = match
                new.append(match)
                self.result.created["divisions"] += 1
            else:
                self.result.matched["divisions"] += 1
            self.result.divisions[division.key] = match
        Division.objects.bulk_create(new, batch_size=BATCH)

    def _class_parts(self) -> None:
        divisions = {d.pk for d in self.result.divisions.values()}
        existing = {
            (part.division_id, fold(part.name)): part
            for part in ClassPart.objects.filter(division_id__in=divisions)
        }
        new = []
        for part in self.source.class_parts:
            division = self.result.divisions.get(part.division_key)
            if division is None:
                continue
            key = (division.pk, fold(part.name))
            match = existing.get(key)
            if match is None:
                match = ClassPart(division=division, name=part.name[:60])
                existing[key] = match
                new.append(match)
                self.result.created["class_parts"] += 1
            else:
                self.result.matched["class_parts"] += 1
            self.result.class_parts[part.key] = match
        ClassPart.objects.bulk_create(new, batch_size=BATCH)

    def _groups(self) -> None:
        existing = {fold(g.name): g for g in Group.objects.filter(school_year=self.year)}
        new = []
        for group in self.source.groups:
            match = existing.get(fold(group.name))
            if match is None:
                match = Group(
                    establishment=self.establishment,
                    school_year=self.year,
                    name=re.sub(r"\s+", " ", group.name).strip()[:60],
                )
                existing[fold(group.name)] = match
                new.append(match)
                self.result.created["groups"] += 1
            else:
                self.result.matched["groups"] += 1
            self.result.groups[group.key] = match
        Group.objects.bulk_create(new, batch_size=BATCH)
        parts_through = Group.class_parts.through
        divisions_through = Group.divisions.through
        group_ids = [g.pk for g in self.result.groups.values()]
        have_parts = set(
            parts_through.objects.filter(group_id__in=group_ids).values_list(
                "group_id", "classpart_id"
            )
        )
        have_divisions = set(
            divisions_through.objects.filter(group_id__in=group_ids).values_list(
                "group_id", "division_id"
            )
        )
        new_parts, new_divisions, new_members = set(), set(), []
        members = set(
            GroupMembership.objects.filter(group_id__in=group_ids).values_list(
                "group_id", "pupil_id"
            )
        )
        for group in self.source.groups:
            target = self.result.groups[group.key]
            for key in group.class_part_keys:
                part = self.result.class_parts.get(key)
                if part and (target.pk, part.pk) not in have_parts:
                    new_parts.add((target.pk, part.pk))
            for key in group.division_keys:
                division = self.result.divisions.get(key)
                if division and (target.pk, division.pk) not in have_divisions:
                    new_divisions.add((target.pk, division.pk))
            for key in group.pupil_keys:
                pupil = self.result.pupils.get(key)
                if pupil and (target.pk, pupil.pk) not in members:
                    members.add((target.pk, pupil.pk))
                    new_members.append(
                        GroupMembership(group=target, pupil=pupil, start_date=self.year.start_date)
                    )
        parts_through.objects.bulk_create(
            [parts_through(group_id=g, classpart_id=p) for g, p in new_parts], batch_size=BATCH
        )
        divisions_through.objects.bulk_create(
            [divisions_through(group_id=g, division_id=d) for g, d in new_divisions],
            batch_size=BATCH,
        )
        GroupMembership.objects.bulk_create(new_members, batch_size=BATCH)

    def _pupils(self) -> None:
        pupils = [pupil.person for pupil in self.source.pupils]
        if not pupils:
            return
        matches = self._by_identifier(pupils, IdentifiedAs.PUPIL)
        by_name: dict[tuple[str, str, date | None], list[Person]] = defaultdict(list)
        for role in Role.objects.filter(
            establishment=self.establishment, kind=RoleKind.PUPIL
        ).select_related("person"):
            person = role.person
            by_name[(fold(person.last_name), fold(person.first_name), person.birth_date)].append(
                person
            )
        new = []
        for pupil in pupils:
            person = matches.get(pupil.key)
            if person is None:
                candidates = by_name.get(
                    (fold(pupil.last_name), fold(pupil.first_name), pupil.birth_date), []
                )
                person = candidates[0] if len(candidates) == 1 else None
            if person is None:
                person = self._new_person(pupil)
                new.append(person)
                self.result.created["pupils"] += 1
            else:
                self.result.matched["pupils"] += 1
            self.result.pupils[pupil.key] = person
        Person.objects.bulk_create(new, batch_size=BATCH)
        registered = set(
            Role.objects.filter(
                establishment=self.establishment,
                kind=RoleKind.PUPIL,
                person__in=list(self.result.pupils.values()),
            ).values_list("person_id", flat=True)
        )
        Role.objects.bulk_create(
            [
                Role(person=person, establishment=self.establishment, kind=RoleKind.PUPIL)
                for person in {p.pk: p for p in self.result.pupils.values()}.values()
                if person.pk not in registered
            ],
            batch_size=BATCH,
        )
        for pupil in pupils:
            self._remember_identifiers(pupil, self.result.pupils[pupil.key], IdentifiedAs.PUPIL)
        self._memberships()
        self._guardians()

    def _memberships(self) -> None:
        """Dated memberships as the file gives them: who is in which division and class
        part on which day is what the file says (timetable.md §6), so that each pupil
        follows the timetable the file describes, and a newer export that moves a pupil
        moves them. For the divisions and class parts the file describes, each pupil it
        lists keeps the rows that agree with it, has the others corrected, added or
        removed; rows in divisions the file does not describe (another source's) and
        pupils it does not list are left alone."""
        for kind, model, column, targets in (
            (DIVISION, Enrolment, "division_id", self.result.divisions),
            (CLASS_PART, ClassPartMembership, "class_part_id", self.result.class_parts),
        ):
            wanted: dict[tuple[int, int], list[tuple]] = defaultdict(list)
            listed = set()
            for pupil in self.source.pupils:
                person = self.result.pupils[pupil.person.key]
                listed.add(person.pk)
                for membership in pupil.memberships:
                    target = targets.get(membership.key) if membership.kind == kind else None
                    start = membership.start or self.year.start_date
                    if target is not None and (membership.end is None or membership.end >= start):
                        wanted[(person.pk, target.pk)].append((start, membership.end))
            have: dict[tuple[int, int], list[tuple]] = defaultdict(list)
            for pk, pupil_id, target_id, start, end in model.objects.filter(
                pupil_id__in=listed,
                **{f"{column}__in": [target.pk for target in targets.values()]},
            ).values_list("pk", "pupil_id", column, "start_date", "end_date"):
                have[(pupil_id, target_id)].append((start, end, pk))
            new, changed, removed, kept = [], [], [], 0
            for key in wanted.keys() | have.keys():
                want = sorted(set(wanted.get(key, [])), key=_by_dates)
                rows = sorted(have.get(key, []), key=_by_dates)
                for (start, end), (old_start, old_end, pk) in zip(want, rows, strict=False):
                    if (start, end) == (old_start, old_end):
                        kept += 1
                    else:
                        changed.append(model(pk=pk, start_date=start, end_date=end))
                pupil_id, target_id = key
                new += [
                    model(pupil_id=pupil_id, start_date=start, end_date=end, **{column: target_id})
                    for start, end in want[len(rows) :]
                ]
                removed += [pk for _, _, pk in rows[len(want) :]]
            model.objects.filter(pk__in=removed).delete()
            model.objects.bulk_update(changed, ["start_date", "end_date"], batch_size=BATCH)
            model.objects.bulk_create(new, batch_size=BATCH)
            name = "enrolments" if kind == DIVISION else "class_part_memberships"
            self.result.created[name] += len(new)
            self.result.matched[name] += kept
            if changed or removed:
                self.result.created[f"{name}_changed"] += len(changed) + len(removed)

    def _guardians(self) -> None:
        links = [
            (pupil.person.key, link) for pupil in self.source.pupils for link in pupil.guardians
        ]
        if not links:
            return
        guardians = {link.guardian.key: link.guardian for _, link in links}
        matches = self._by_identifier(list(guardians.values()), IdentifiedAs.GUARDIAN)
        new = []
        for key, guardian in guardians.items():
            if key not in matches:
                matches[key] = self._new_person(guardian)
                new.append(matches[key])
                self.result.created["guardians"] += 1
            else:
                self.result.matched["guardians"] += 1
        Person.objects.bulk_create(new, batch_size=BATCH)
        for key, guardian in guardians.items():
            self._remember_identifiers(guardian, matches[key], IdentifiedAs.GUARDIAN)
        existing = set(
            Guardianship.objects.filter(pupil__in=list(self.result.pupils.values())).values_list(
                "guardian_id", "pupil_id"
            )
        )
        new_links = []
        for pupil_key, link in links:
            guardian, pupil = matches[link.guardian.key], self.result.pupils[pupil_key]
            if (guardian.pk, pupil.pk) not in existing and guardian.pk != pupil.pk:
                existing.add((guardian.pk, pupil.pk))
                new_links.append(
                    Guardianship(
                        guardian=guardian,
                        pupil=pupil,
                        level=link.level if link.level in (1, 2, 3) else 1,
                    )
                )
        Guardianship.objects.bulk_create(new_links, batch_size=BATCH)
        self.result.created["guardianships"] += len(new_links)
