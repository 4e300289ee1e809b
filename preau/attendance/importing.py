"""Absences and lateness from a CSV file (interfaces.md, `import_absences`): another
tool's history, a vie scolaire's spreadsheet.

The file has the header `pupil,start,end,kind,state,reason`, in any order and case,
separated by commas or semicolons (what a French spreadsheet writes), in UTF-8 with or
without a byte-order mark (Windows-1252 is read too). `pupil` is a `REF` (`edt:…`,
`ine:…`, `siecle:…`); `start` and `end` are ISO 8601 times, local to the establishment
unless they carry an offset; `kind` is `absence` or `lateness`; `state` one of the four
states; `reason` an optional code of the establishment's catalogue.

All or nothing: every line is checked first, and the problems are reported together,
each naming the line and the column; then every absence is written in one transaction
with its history row (`AbsenceChange`) and its audit event, by bulk inserts. Importing
the same file again writes nothing new: a line matching an absence imported before
(same pupil, kind, start and end, not voided) is left as it is, even if its state
differs, since the vie scolaire may have processed it since. Families are not notified
of imported absences: they are history, not news.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from preau.attendance import services
from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
)
from preau.audit.models import AuditEvent
from preau.audit.services import audit_record
from preau.core.models import (
    NATIONAL_SOURCES,
    Establishment,
    ExternalId,
    IdentifiedAs,
    SchoolYear,
)
from preau.structure.models import Enrolment

COLUMNS = ("pupil", "start", "end", "kind", "state", "reason")
REQUIRED = ("pupil", "start", "end", "kind", "state")
MAX_PROBLEMS = 50
BATCH = 500


class AbsenceImportError(Exception):
    """The file cannot be imported: nothing was written. `problems` name the line and
    the column of each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        text = "\n".join(shown)
        if more:
            text += f"\n… et {more} autres problèmes."
        super().__init__(text)


@dataclass(frozen=True)
class Line:
    """A line of the file as read: its number in the file and its values by column."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class Planned:
    """A line checked: what it writes."""

    line: int
    pupil_ref: str
    pupil_id: int
    kind: str
    start: datetime
    end: datetime
    state: str
    reason: AbsenceReason | None
    minutes_late: int | None
    school_year_id: int

    def describe(self) -> str:
        reason = f" {self.reason.code}" if self.reason else ""
        return (
            f"ligne {self.line} : {self.pupil_ref} {self.kind} "
            f"{self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} {self.state}{reason}"
        )


@dataclass
class ImportResult:
    written: list[Planned] = field(default_factory=list)
    already_there: list[Planned] = field(default_factory=list)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "absences": sum(1 for p in self.written if p.kind == AbsenceKind.ABSENCE),
            "lateness": sum(1 for p in self.written if p.kind == AbsenceKind.LATENESS),
            "already_there": len(self.already_there),
        }


# -- Reading ------------------------------------------------------------------------


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # A spreadsheet saved "CSV (séparateur : point-virgule)" on Windows.
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        raise AbsenceImportError(
            [f"{name} : le fichier n'est ni en UTF-8 ni en Windows-1252 ({error})."]
        ) from error


def read_csv(path: Path) -> list[Line]:
    """The lines of the file, by column name; a missing column is refused here."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise AbsenceImportError([f"{path} : lecture impossible ({error.strerror})."]) from error
    text = _decode(raw, path.name)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise AbsenceImportError([f"{path.name} : le fichier est vide."])
    names = [name.strip().lower() for name in header]
    missing = [column for column in REQUIRED if column not in names]
    if missing:
        raise AbsenceImportError(
            [
                f"{path.name}, ligne 1 : colonnes manquantes : {', '.join(missing)} "
                f"(attendu : {','.join(COLUMNS)})."
            ]
        )
    lines, problems = [], []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(names):
            problems.append(
                f"{path.name}, ligne {reader.line_num} : {len(values)} valeurs pour "
                f"{len(names)} colonnes."
            )
            continue
        row = {name: value.strip() for name, value in zip(names, values, strict=False)}
        lines.append(Line(reader.line_num, row))
    if problems:
        raise AbsenceImportError(problems)
    return lines


# -- Checking -----------------------------------------------------------------------


def _pupils_by_ref(establishment: Establishment, refs: set[str]) -> dict[str, set[int]]:
    """The persons each `REF` names: one query per source met."""
    by_source: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        source, _sep, value = ref.partition(":")
        by_source[source.strip().lower()].add(value.strip())
    found: dict[str, set[int]] = defaultdict(set)
    for source, values in by_source.items():
        identifiers = ExternalId.objects.filter(
            source=source, value__in=values, kind__in=[IdentifiedAs.PUPIL, IdentifiedAs.ANY]
        )
        if source in NATIONAL_SOURCES:
            identifiers = identifiers.filter(establishment__isnull=True)
        else:
            identifiers = identifiers.filter(establishment=establishment)
        for value, person in identifiers.values_list("value", "person_id"):
            found[f"{source}:{value}"].add(person)
    return found


def _normal_ref(ref: str) -> str:
    source, _sep, value = ref.partition(":")
    return f"{source.strip().lower()}:{value.strip()}"


def _moment(text: str, zone: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _check(
    establishment: Establishment, lines: list[Line], name: str
) -> tuple[list[Planned], list[str]]:
    zone = ZoneInfo(establishment.timezone)
    reasons = {reason.code.upper(): reason for reason in services.reasons_ensure(establishment)}
    years = list(SchoolYear.objects.filter(establishment=establishment))
    refs = {_normal_ref(line.values.get("pupil", "")) for line in lines}
    pupils = _pupils_by_ref(establishment, refs)
    ids = {pk for persons in pupils.values() for pk in persons}
    enrolled = set(
        Enrolment.objects.filter(pupil_id__in=ids, division__establishment=establishment)
        .values_list("pupil_id", "division__school_year_id")
        .distinct()
    )
    planned, problems = [], []
    for line in lines:
        values = line.values

        def problem(column: str, text: str, line=line) -> None:
            problems.append(f"{name}, ligne {line.number}, colonne {column} : {text}")

        ref = values.get("pupil", "")
        persons = pupils.get(_normal_ref(ref), set())
        if not ref:
            problem("pupil", "l'élève manque.")
        elif ":" not in ref:
            problem("pupil", f"« {ref} » n'est pas une référence SOURCE:ID (par exemple edt:12).")
        elif not persons:
            problem("pupil", f"aucun élève de l'établissement n'a l'identifiant {ref}.")
        elif len(persons) > 1:
            problem("pupil", f"plusieurs élèves ont l'identifiant {ref}.")
        moments = {}
        for column in ("start", "end"):
            text = values.get(column, "")
            try:
                moments[column] = _moment(text, zone)
            except ValueError:
                problem(
                    column,
                    f"« {text} » n'est pas une date et heure ISO 8601 (AAAA-MM-JJTHH:MM).",
                )
        start, end = moments.get("start"), moments.get("end")
        if start and end and end <= start:
            problem("end", "la fin doit être après le début.")
        kind = values.get("kind", "").lower()
        if kind not in AbsenceKind.values:
            problem("kind", f"« {values.get('kind', '')} » : absence ou lateness attendu.")
        state = values.get("state", "").lower()
        if state not in AbsenceState.values:
            problem(
                "state",
                f"« {values.get('state', '')} » : {', '.join(AbsenceState.values)} attendu.",
            )
        code = values.get("reason", "")
        reason = reasons.get(code.upper()) if code else None
        if code and reason is None:
            problem(
                "reason",
                f"motif inconnu « {code} » (motifs de l'établissement : "
                f"{', '.join(sorted(reasons))}).",
            )
        elif reason and state == AbsenceState.ACCEPTED and not reason.justifies:
            problem(
                "reason", f"le motif {reason.code} ne justifie pas : l'état ne peut être accepted."
            )
        year = None
        if start:
            local_day = start.astimezone(zone).date()
            year = next((y for y in years if y.start_date <= local_day <= y.end_date), None)
            if year is None:
                problem(
                    "start",
                    f"le {local_day:%d/%m/%Y} n'appartient à aucune année scolaire de "
                    "l'établissement.",
                )
            elif len(persons) == 1 and (next(iter(persons)), year.pk) not in enrolled:
                problem(
                    "pupil", f"{ref} n'est inscrit dans aucune classe de l'établissement en {year}."
                )
        minutes = None
        if kind == AbsenceKind.LATENESS and start and end and end > start:
            minutes = max(1, round((end - start).total_seconds() / 60))
            if minutes > 32767:
                problem("end", "un retard de plus de 32 767 minutes : saisissez une absence.")
        if len(problems) > MAX_PROBLEMS:
            break
        if problems:
            continue
        planned.append(
            Planned(
                line=line.number,
                pupil_ref=ref,
                pupil_id=next(iter(persons)),
                kind=kind,
                start=start,
                end=end,
                state=state,
                reason=reason,
                minutes_late=minutes,
                school_year_id=year.pk,
            )
        )
    return planned, problems


# -- Writing ------------------------------------------------------------------------


def _already_there(establishment: Establishment, planned: list[Planned]) -> set[tuple]:
    if not planned:
        return set()
    return set(
        Absence.objects.filter(
            establishment=establishment,
            source=AbsenceSource.IMPORT,
            voided_at__isnull=True,
            pupil_id__in={p.pupil_id for p in planned},
            start__gte=min(p.start for p in planned),
            start__lte=max(p.start for p in planned),
        ).values_list("pupil_id", "kind", "start", "end")
    )


@transaction.atomic
def absences_import(
    *,
    actor,
    establishment: Establishment,
    lines: list[Line],
    name: str,
    dry_run: bool = False,
) -> ImportResult:
    """Check every line, then write the new absences with their history and audit, in
    bulk. Raises AbsenceImportError (nothing written) when a line is wrong. A dry run
    does everything, then rolls it back."""
    services.require_desk(actor, establishment.pk)
    planned, problems = _check(establishment, lines, name)
    if problems:
        raise AbsenceImportError(problems)
    result = ImportResult(dry_run=dry_run)
    seen = _already_there(establishment, planned)
    for item in planned:
        key = (item.pupil_id, item.kind, item.start, item.end)
        if key in seen:
            result.already_there.append(item)
        else:
            seen.add(key)
            result.written.append(item)
    now = timezone.now()
    person_id = getattr(actor, "person_id", None)
    absences = Absence.objects.bulk_create(
        [
            Absence(
                establishment=establishment,
                school_year_id=item.school_year_id,
                pupil_id=item.pupil_id,
                kind=item.kind,
                start=item.start,
                end=item.end,
                minutes_late=item.minutes_late,
                source=AbsenceSource.IMPORT,
                state=item.state,
                reason=item.reason,
                created_by_id=person_id,
                created_at=now,
                updated_at=now,
            )
            for item in result.written
        ],
        batch_size=BATCH,
    )
    if any(absence.pk is None for absence in absences):
        raise ValidationError("La base de données n'a pas rendu les identifiants créés.")
    AbsenceChange.objects.bulk_create(
        [
            AbsenceChange(
                absence=absence,
                at=now,
                actor_id=person_id,
                action="created",
                kind=absence.kind,
                start=absence.start,
                end=absence.end,
                state=absence.state,
                reason=absence.reason,
                voided=False,
            )
            for absence in absences
        ],
        batch_size=BATCH,
    )
    account = actor if getattr(actor, "pk", None) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=account,
                establishment=establishment,
                action=f"absence.created.{AbsenceSource.IMPORT}",
                object_type=Absence._meta.label_lower,
                object_id=str(absence.pk),
                after=services._snapshot(absence),
            )
            for absence in absences
        ],
        batch_size=BATCH,
    )
    audit_record(
        actor=actor,
        action="absence.import",
        establishment=establishment,
        after={"file": name, **result.counts()},
    )
    if dry_run:
        transaction.set_rollback(True)
    return result
