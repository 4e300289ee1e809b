"""Writes about timetables: importing a file as a new version, and the changes staff
make to occurrences (cancel, move, change the room, mark a teacher absent, add an
exceptional session). Every change keeps its trail; nothing is deleted.
"""

import hashlib
import secrets
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from preau.audit.services import audit_record
from preau.core.domain import academy_for_uai
from preau.core.models import Establishment, Person, Role, SchoolYear
from preau.core.permissions import require_administrator
from preau.core.services import establishment_create, school_year_create
from preau.structure.models import Subject
from preau.timetable import engine
from preau.timetable.checks import import_checks
from preau.timetable.models import (
    Course,
    ImportRun,
    Occurrence,
    OccurrenceAudience,
    OccurrenceRoom,
    OccurrenceStatus,
    OccurrenceTeacher,
    Room,
    TimetableVersion,
)
from preau.timetable.resolve import Resolved, Resolver, guess_kind
from preau.timetable.source import (
    CLASS_PART,
    DIVISION,
    GROUP,
    OTHER,
    PUPIL,
    ROOM,
    TEACHER,
    SourceTimetable,
)

BATCH = 2000
DETAILS = 50  # items of each list kept in a report


class TimetableImportError(ValueError):
    """An import refused as a whole; the message names the file element at fault."""


class _DryRun(Exception):
    def __init__(self, report):
        self.report = report


@dataclass
class ImportReport:
    format: str
    file_name: str
    uai: str
    dry_run: bool
    version: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    courses_without_resources: list[dict] = field(default_factory=list)
    outside_year: int = 0
    unknown_names: list[str] = field(default_factory=list)
    pupils_without_division: list[str] = field(default_factory=list)
    overlaps: dict[str, dict] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    diff: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PlannedRow:
    """An occurrence as the new version has it, before it is matched to the database."""

    uid: str
    course_key: str
    day: date
    start: datetime
    end: datetime
    subject_id: int | None
    cancelled: bool
    teachers: frozenset[int]
    rooms: frozenset[int]
    audience: frozenset[tuple[str, int]]


def _source_establishment(source: SourceTimetable, uai: str | None, actor) -> Establishment:
    """The establishment the file is for; created from its UAI when Préau does not know
    it yet (the académie follows from the département, the type from the divisions)."""
    wanted = (uai or source.uai or "").strip().upper()
    if not wanted:
        raise TimetableImportError("Aucun UAI : le fichier n'en donne pas, précisez --uai.")
    establishment = Establishment.objects.filter(uai=wanted).first()
    if establishment is not None:
        return establishment
    academy = academy_for_uai(wanted)
    if academy is None:
        raise TimetableImportError(
            f"UAI {wanted} : le département ne correspond à aucune académie ; créez "
            "l'établissement avant d'importer."
        )
    return establishment_create(
        actor=actor,
        uai=wanted,
        name=source.establishment_name or f"Établissement {wanted}",
        kind=guess_kind([division.name for division in source.divisions]),
        academy=academy,
    )


def _school_year(
    establishment: Establishment,
    source: SourceTimetable,
    actor,
    start: date | None,
    end: date | None,
) -> SchoolYear:
    first, last = start or source.first_day, end or source.last_day
    day = first or timezone.localdate()
    year = SchoolYear.objects.filter(
        establishment=establishment, start_date__lte=day, end_date__gte=day
    ).first()
    if year is not None:
        return year
    if first is None or last is None:
        raise TimetableImportError(
            f"Aucune année scolaire de {establishment} ne contient le {day:%d/%m/%Y}, et le "
            "fichier ne donne pas ses dates : créez l'année scolaire ou précisez --from et --to."
        )
    return school_year_create(
        actor=actor, establishment=establishment, start_date=first, end_date=last
    )


def _uid(fmt: str, course_key: str, day: date) -> str:
    return f"{fmt}:{course_key}:{day.isoformat()}"[:80]


def _plan(
    source: SourceTimetable,
    resolved: Resolved,
    establishment: Establishment,
    year: SchoolYear,
    report: ImportReport,
) -> tuple[list[PlannedRow], dict[str, dict]]:
    """Every occurrence of the new version, with its resources as database ids."""
    zone = ZoneInfo(establishment.timezone)
    group_divisions = {
        group.key: frozenset(group.division_keys)
        | frozenset(
            part.division_key
            for part in source.class_parts
            if part.key in set(group.class_part_keys)
        )
        for group in source.groups
    }
    first = source.first_day or year.start_date
    last = source.last_day or year.end_date
    unknown = set()
    rows: list[PlannedRow] = []
    courses: dict[str, dict] = {}
    for course in source.courses:
        if not course.resources:
            report.courses_without_resources.append(course.provenance or {"key": course.key})
            continue
        plan = engine.plan_course(course, first_day=first, last_day=last)
        report.outside_year += plan.outside_year
        subject = resolved.subjects.get(course.subject_key) if course.subject_key else None
        if course.subject_key and subject is None:
            unknown.add(f"matière {course.subject_key}")
        courses[course.key] = {"course": course, "subject": subject}
        for planned in plan.occurrences:
            teachers, rooms, audience = set(), set(), set()
            for kind, key in planned.present:
                if kind == OTHER:
                    continue
                target = _lookup(resolved, kind, key)
                if target is None:
                    unknown.add(f"{kind} {key}")
                elif kind == TEACHER:
                    teachers.add(target.pk)
                elif kind == ROOM:
                    rooms.add(target.pk)
            for kind, key in engine.effective_audience(planned.present, group_divisions):
                target = _lookup(resolved, kind, key)
                if target is not None:
                    audience.add((kind, target.pk))
            start = datetime.combine(planned.day, course.start, tzinfo=zone)
            end = datetime.combine(planned.day, course.end, tzinfo=zone)
            if end <= start:
                raise TimetableImportError(
                    f"Cours {course.provenance or course.key} : la fin ({course.end:%H:%M}) "
                    f"n'est pas après le début ({course.start:%H:%M})."
                )
            rows.append(
                PlannedRow(
                    uid=_uid(source.format, course.key, planned.day),
                    course_key=course.key,
                    day=planned.day,
                    start=start,
                    end=end,
                    subject_id=subject.pk if subject else None,
                    cancelled=planned.cancelled,
                    teachers=frozenset(teachers),
                    rooms=frozenset(rooms),
                    audience=frozenset(audience),
                )
            )
    report.unknown_names = sorted(unknown)[:DETAILS]
    report.counts["unknown_names"] = len(unknown)
    report.counts["courses_without_resources"] = len(report.courses_without_resources)
    report.courses_without_resources = report.courses_without_resources[:DETAILS]
    return rows, courses


def _lookup(resolved: Resolved, kind: str, key: str):
    table = {
        TEACHER: resolved.teachers,
        ROOM: resolved.rooms,
        DIVISION: resolved.divisions,
        GROUP: resolved.groups,
        CLASS_PART: resolved.class_parts,
        PUPIL: resolved.pupils,
    }[kind]
    return table.get(key)


AUDIENCE_FIELD = {
    DIVISION: "division_id",
    GROUP: "group_id",
    CLASS_PART: "class_part_id",
    PUPIL: "pupil_id",
}


def _audience_of(row: OccurrenceAudience) -> tuple[str, int]:
    for kind, name in AUDIENCE_FIELD.items():
        value = getattr(row, name)
        if value is not None:
            return kind, value
    raise AssertionError("an audience row names one unit")


def _current(establishment: Establishment, year: SchoolYear) -> dict[str, dict]:
    """The occurrences the source gave so far (not withdrawn), by uid, with their
    resources: five queries whatever the size."""
    occurrences = {
        o.uid: {"object": o, "teachers": set(), "rooms": set(), "audience": set()}
        for o in Occurrence.objects.filter(
            establishment=establishment,
            school_year=year,
            withdrawn_in__isnull=True,
            course__isnull=False,
        )
    }
    by_id = {entry["object"].pk: entry for entry in occurrences.values()}
    ids = list(by_id)
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        for occurrence_id, person_id in OccurrenceTeacher.objects.filter(
            occurrence_id__in=part
        ).values_list("occurrence_id", "person_id"):
            by_id[occurrence_id]["teachers"].add(person_id)
        for occurrence_id, room_id in OccurrenceRoom.objects.filter(
            occurrence_id__in=part
        ).values_list("occurrence_id", "room_id"):
            by_id[occurrence_id]["rooms"].add(room_id)
        for row in OccurrenceAudience.objects.filter(occurrence_id__in=part):
            by_id[row.occurrence_id]["audience"].add(_audience_of(row))
    return occurrences


def _describe(row: PlannedRow) -> str:
    return f"{row.start:%d/%m/%Y %H:%M}–{row.end:%H:%M} ({row.course_key})"


def timetable_import(
    *,
    actor,
    source: SourceTimetable,
    file_name: str,
    content: bytes = b"",
    uai: str | None = None,
    dry_run: bool = False,
    start: date | None = None,
    end: date | None = None,
) -> ImportReport:
    """Apply a timetable read from a file as a new version of the establishment's
    school year, in one transaction: all of it or nothing. With `dry_run`, compute the
    same report and diff, then roll everything back."""
    try:
        with transaction.atomic():
            return _import(
                actor=actor,
                source=source,
                file_name=file_name,
                content=content,
                uai=uai,
                dry_run=dry_run,
                start=start,
                end=end,
            )
    except _DryRun as preview:
        return preview.report


def _import(*, actor, source, file_name, content, uai, dry_run, start, end) -> ImportReport:
    started = clock.monotonic()
    establishment = _source_establishment(source, uai, actor)
    require_administrator(actor, establishment)
    report = ImportReport(
        format=source.format, file_name=file_name, uai=establishment.uai, dry_run=dry_run
    )
    report.problems = [problem.__dict__ for problem in source.problems][:DETAILS]
    year = _school_year(establishment, source, actor, start, end)
    resolved = Resolver(
        source=source, establishment=establishment, school_year=year, today=timezone.localdate()
    ).resolve()
    report.created = dict(resolved.created)
    report.matched = dict(resolved.matched)
    rows, courses = _plan(source, resolved, establishment, year, report)
    existing = _current(establishment, year)

    previous = TimetableVersion.objects.filter(
        establishment=establishment, school_year=year, is_current=True
    ).first()
    number = (
        TimetableVersion.objects.filter(establishment=establishment, school_year=year).count() + 1
    )
    run = ImportRun.objects.create(
        establishment=establishment,
        format=source.format,
        file_name=file_name,
        file_sha256=hashlib.sha256(content).hexdigest() if content else "",
        status=ImportRun.Status.APPLIED,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    version = TimetableVersion.objects.create(
        establishment=establishment,
        school_year=year,
        number=number,
        import_run=run,
        metadata=source.metadata,
    )
    report.version = number
    course_rows = {
        key: Course(
            version=version,
            source_key=key[:64],
            weekday=entry["course"].weekday,
            start_time=entry["course"].start,
            end_time=entry["course"].end,
            subject=entry["subject"],
            provenance=entry["course"].provenance,
        )
        for key, entry in courses.items()
    }
    Course.objects.bulk_create(course_rows.values(), batch_size=BATCH)

    added, changed, unchanged = [], [], 0
    seen = set()
    to_create: list[tuple[Occurrence, PlannedRow]] = []
    to_update: list[Occurrence] = []
    relinked: list[tuple[int, int]] = []  # (course, occurrence) of unchanged occurrences
    replace_resources: list[tuple[Occurrence, PlannedRow]] = []
    for row in rows:
        if row.uid in seen:
            raise TimetableImportError(
                f"Deux cours identiques produisent la même séance {_describe(row)}."
            )
        seen.add(row.uid)
        course = course_rows[row.course_key]
        known = existing.get(row.uid)
        if known is None:
            occurrence = Occurrence(
                establishment=establishment,
                school_year=year,
                uid=row.uid,
                course=course,
                first_version=version,
                date=row.day,
                start=row.start,
                end=row.end,
                subject_id=row.subject_id,
                status=OccurrenceStatus.CANCELLED if row.cancelled else OccurrenceStatus.SCHEDULED,
                cancelled_in_source=row.cancelled,
            )
            to_create.append((occurrence, row))
            added.append(row)
            continue
        occurrence = known["object"]
        differences = _differences(known, row)
        occurrence.course = course
        if differences:
            changed.append({"occurrence": _describe(row), "changes": differences})
            occurrence.start, occurrence.end = row.start, row.end
            occurrence.subject_id = row.subject_id
            if row.cancelled != occurrence.cancelled_in_source:
                occurrence.cancelled_in_source = row.cancelled
                # A cancellation the source makes or lifts; staff changes are kept.
                if occurrence.status in (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CANCELLED):
                    occurrence.status = (
                        OccurrenceStatus.CANCELLED if row.cancelled else OccurrenceStatus.SCHEDULED
                    )
            if {"teachers", "rooms", "audience"} & set(differences):
                replace_resources.append((occurrence, row))
            to_update.append(occurrence)
        else:
            unchanged += 1
            relinked.append((course.pk, occurrence.pk))
    withdrawn = [entry["object"] for uid, entry in existing.items() if uid not in seen]
    for occurrence in withdrawn:
        occurrence.withdrawn_in = version

    Occurrence.objects.bulk_create([o for o, _ in to_create], batch_size=BATCH)
    Occurrence.objects.bulk_update(
        to_update,
        ["course", "start", "end", "subject", "status", "cancelled_in_source"],
        batch_size=BATCH,
    )
    update_rows(Occurrence, "course_id", relinked)
    update_rows(Occurrence, "withdrawn_in_id", [(version.pk, o.pk) for o in withdrawn])
    if replace_resources:
        ids = [o.pk for o, _ in replace_resources]
        OccurrenceTeacher.objects.filter(occurrence_id__in=ids).delete()
        OccurrenceRoom.objects.filter(occurrence_id__in=ids).delete()
        OccurrenceAudience.objects.filter(occurrence_id__in=ids).delete()
    _write_resources(to_create + replace_resources)

    report.counts.update(
        {
            "courses": len(source.courses),
            "occurrences": len(rows),
            "cancelled_in_source": sum(row.cancelled for row in rows),
            "teachers": len(source.teachers),
            "rooms": len(source.rooms),
            "divisions": len(source.divisions),
            "groups": len(source.groups),
            "pupils": len(source.pupils),
        }
    )
    report.diff = {
        "previous_version": previous.number if previous else None,
        "added": len(added),
        "changed": len(changed),
        "unchanged": unchanged,
        "withdrawn": len(withdrawn),
        "added_examples": [_describe(row) for row in added[:DETAILS]],
        "changed_examples": changed[:DETAILS],
        "withdrawn_examples": [f"{o.start:%d/%m/%Y %H:%M} ({o.uid})" for o in withdrawn[:DETAILS]],
    }
    import_checks(report=report, source=source, rows=rows, resolved=resolved, year=year)
    report.seconds = round(clock.monotonic() - started, 2)
    if dry_run:
        raise _DryRun(report)
    run.report = report.as_dict()
    run.seconds = report.seconds
    run.save(update_fields=["report", "seconds"])
    audit_record(
        actor=actor,
        action="timetable.import",
        target=version,
        establishment=establishment,
        after={"file": file_name, "format": source.format, **report.diff, "examples": None},
    )
    return report


def _differences(known: dict, row: PlannedRow) -> list[str]:
    occurrence = known["object"]
    found = []
    if occurrence.start != row.start or occurrence.end != row.end:
        found.append("horaire")
    if occurrence.subject_id != row.subject_id:
        found.append("matière")
    if known["teachers"] != set(row.teachers):
        found.append("teachers")
    if known["rooms"] != set(row.rooms):
        found.append("rooms")
    if known["audience"] != set(row.audience):
        found.append("audience")
    if occurrence.cancelled_in_source != row.cancelled:
        found.append("annulation")
    return found


def _write_resources(pairs: list[tuple[Occurrence, PlannedRow]]) -> None:
    """The teachers, rooms and audience of each occurrence: tens of thousands of rows
    for a whole year, inserted by plain executemany rather than model instances."""
    insert_rows(
        OccurrenceTeacher,
        ("occurrence_id", "person_id"),
        [(o.pk, p) for o, row in pairs for p in row.teachers],
    )
    insert_rows(
        OccurrenceRoom,
        ("occurrence_id", "room_id"),
        [(o.pk, r) for o, row in pairs for r in row.rooms],
    )
    for kind, column in AUDIENCE_FIELD.items():
        insert_rows(
            OccurrenceAudience,
            ("occurrence_id", column),
            [(o.pk, pk) for o, row in pairs for k, pk in row.audience if k == kind],
        )


def update_rows(model, column: str, rows: list[tuple]) -> None:
    """Set `column` to a value per row id: (value, id) pairs, by plain executemany."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    name = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 5):
            cursor.executemany(
                f"UPDATE {table} SET {name} = %s WHERE id = %s",  # noqa: S608 - names are ours
                rows[start : start + BATCH * 5],
            )


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 5):
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - names are ours
                rows[start : start + BATCH * 5],
            )


# -- Changes made by staff during the year -----------------------------------------------

EDITOR_ROLES = frozenset({"direction", "secretariat", "cpe"})


def require_timetable_editor(actor, establishment: Establishment) -> None:
    """The direction, the secretariat and the CPE change occurrences; the trail keeps
    who did what."""
    if actor is None or actor.is_superuser:
        return
    if (
        not Role.objects.current(timezone.localdate())
        .filter(person_id=actor.person_id, establishment=establishment, kind__in=EDITOR_ROLES)
        .exists()
    ):
        raise PermissionDenied(
            "Seules la direction, le secrétariat et la vie scolaire modifient l'emploi du temps."
        )


def _snapshot(occurrence: Occurrence) -> dict:
    return {
        "status": occurrence.status,
        "start": occurrence.start.isoformat(),
        "end": occurrence.end.isoformat(),
        "note": occurrence.note,
        "rooms": sorted(r.name for r in occurrence.rooms.all()),
        "teachers": sorted(t.pk for t in occurrence.teachers.all()),
    }


def _record(actor, action: str, occurrence: Occurrence, before: dict) -> None:
    audit_record(
        actor=actor,
        action=f"occurrence.{action}",
        target=occurrence,
        establishment=occurrence.establishment,
        before=before,
        after=_snapshot(occurrence),
    )


@transaction.atomic
def occurrence_set_status(
    *, actor, occurrence: Occurrence, status: str, note: str = ""
) -> Occurrence:
    """Cancel an occurrence, mark its teacher absent, or put it back as planned."""
    require_timetable_editor(actor, occurrence.establishment)
    if status not in (
        OccurrenceStatus.CANCELLED,
        OccurrenceStatus.TEACHER_ABSENT,
        OccurrenceStatus.SCHEDULED,
    ):
        raise ValidationError(f"État « {status} » : utilisez le déplacement ou le remplacement.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    occurrence.status, occurrence.note = status, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, status, occurrence, before)
    return occurrence


@transaction.atomic
def occurrence_change_room(
    *, actor, occurrence: Occurrence, rooms: list[Room], note: str = ""
) -> Occurrence:
    """Hold the occurrence in other rooms: a room change, not a cancellation."""
    require_timetable_editor(actor, occurrence.establishment)
    if any(room.establishment_id != occurrence.establishment_id for room in rooms):
        raise ValidationError("Une salle d'un autre établissement ne peut pas être choisie.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    OccurrenceRoom.objects.filter(occurrence=occurrence).delete()
    OccurrenceRoom.objects.bulk_create(OccurrenceRoom(occurrence=occurrence, room=r) for r in rooms)
    occurrence.status, occurrence.note = OccurrenceStatus.ROOM_CHANGED, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, "room_changed", occurrence, before)
    return occurrence


def _copy(occurrence: Occurrence, *, start: datetime, end: datetime, uid: str) -> Occurrence:
    copy = Occurrence.objects.create(
        establishment=occurrence.establishment,
        school_year=occurrence.school_year,
        uid=uid,
        date=timezone.localtime(start, ZoneInfo(occurrence.establishment.timezone)).date(),
        start=start,
        end=end,
        subject=occurrence.subject,
        label=occurrence.label,
        status=OccurrenceStatus.EXCEPTIONAL,
        origin=occurrence,
    )
    OccurrenceRoom.objects.bulk_create(
        OccurrenceRoom(occurrence=copy, room_id=r.pk) for r in occurrence.rooms.all()
    )
    OccurrenceAudience.objects.bulk_create(
        OccurrenceAudience(
            occurrence=copy,
            division_id=a.division_id,
            group_id=a.group_id,
            class_part_id=a.class_part_id,
            pupil_id=a.pupil_id,
        )
        for a in occurrence.audience.all()
    )
    return copy


@transaction.atomic
def occurrence_move(
    *,
    actor,
    occurrence: Occurrence,
    start: datetime,
    end: datetime,
    rooms: list[Room] | None = None,
    note: str = "",
) -> Occurrence:
    """Move an occurrence to another time: the original stays, marked moved, and links to
    the new session, which families see at once."""
    require_timetable_editor(actor, occurrence.establishment)
    if end <= start:
        raise ValidationError("La fin doit être après le début.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    moved = _copy(occurrence, start=start, end=end, uid=f"{occurrence.uid}>{start:%Y%m%d%H%M}"[:80])
    moved.teachers.set(occurrence.teachers.all())
    if rooms is not None:
        moved.rooms.set(rooms)
    moved.note = note
    moved.save(update_fields=["note"])
    occurrence.status, occurrence.note = OccurrenceStatus.MOVED, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, "moved", occurrence, before)
    _record(actor, "created", moved, {})
    return moved


@transaction.atomic
def occurrence_replace(
    *, actor, occurrence: Occurrence, teachers: list[Person], note: str = ""
) -> Occurrence:
    """Another teacher takes the session: the original is marked replaced and links to
    the replacing session, at the same time and place."""
    require_timetable_editor(actor, occurrence.establishment)
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    replacing = _copy(
        occurrence,
        start=occurrence.start,
        end=occurrence.end,
        uid=f"{occurrence.uid}>remplacement"[:80],
    )
    replacing.teachers.set(teachers)
    replacing.note = note
    replacing.save(update_fields=["note"])
    occurrence.status, occurrence.note = OccurrenceStatus.REPLACED, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, "replaced", occurrence, before)
    _record(actor, "created", replacing, {})
    return replacing


@transaction.atomic
def occurrence_add(
    *,
    actor,
    establishment: Establishment,
    start: datetime,
    end: datetime,
    subject: Subject | None = None,
    label: str = "",
    teachers=(),
    rooms=(),
    divisions=(),
    groups=(),
    note: str = "",
) -> Occurrence:
    """An exceptional session (an extra lesson, a test, an outing)."""
    require_timetable_editor(actor, establishment)
    if end <= start:
        raise ValidationError("La fin doit être après le début.")
    day = timezone.localtime(start, ZoneInfo(establishment.timezone)).date()
    year = SchoolYear.objects.filter(
        establishment=establishment, start_date__lte=day, end_date__gte=day
    ).first()
    if year is None:
        raise ValidationError(f"Le {day:%d/%m/%Y} n'est dans aucune année scolaire.")
    occurrence = Occurrence.objects.create(
        establishment=establishment,
        school_year=year,
        uid=f"manual:{secrets.token_hex(12)}",
        date=day,
        start=start,
        end=end,
        subject=subject,
        label=label,
        status=OccurrenceStatus.EXCEPTIONAL,
        note=note,
    )
    occurrence.teachers.set(teachers)
    occurrence.rooms.set(rooms)
    OccurrenceAudience.objects.bulk_create(
        [OccurrenceAudience(occurrence=occurrence, division=d) for d in divisions]
        + [OccurrenceAudience(occurrence=occurrence, group=g) for g in groups]
    )
    _record(actor, "created", occurrence, {})
    return occurrence
