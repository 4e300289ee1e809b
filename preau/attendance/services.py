"""Every write of attendance: roll calls, absences and their processing, school events.

Rules kept here, whoever calls (pages, API, commands, the demo):
- a roll call entry is the teacher's record and is never overwritten by the office: the
  office corrects the absence it produced;
- an absence is never deleted: it is voided, and each state it stands in is an
  `AbsenceChange` row (the L131-8 list as of any date reads them), plus an audit event;
- two people editing the same absence cannot overwrite each other: every update names
  the version it read (`expected_version`) and fails with `StaleAbsence` otherwise;
- notices to families leave after the commit (`notices.schedule`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from preau.attendance import notices
from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
    AttendancePolicy,
    EventKind,
    Mark,
    RollCall,
    RollCallEntry,
    SchoolEvent,
)
from preau.attendance.visibility import sees_health_reasons
from preau.audit.services import audit_record
from preau.core.models import Establishment, Person, Role, RoleKind, SchoolYear
from preau.core.selectors import school_year_containing
from preau.timetable.models import Occurrence

# Who processes absences for the whole establishment.
DESK_ROLES = frozenset(
    {RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT, RoleKind.DIRECTION, RoleKind.SECRETARIAT}
)


class StaleAbsence(Exception):
    """The absence changed since the person read it: nothing was written."""

    def __init__(self, absence: Absence):
        super().__init__(
            "Cette absence vient d'être modifiée par quelqu'un d'autre : rechargez-la pour "
            "voir sa version actuelle avant de la modifier."
        )
        self.absence = absence


# The catalogue an establishment starts with (attendance.md: L131-8's legitimate reasons
# first); it edits it afterwards.
DEFAULT_REASONS = (
    # code, label, legitimate, justifies, health, family_selectable, on_report_card
    ("MAL", "Maladie", True, True, True, True, True),
    ("MALFAM", "Maladie contagieuse d'un membre de la famille", True, True, True, True, True),
    ("RDVMED", "Rendez-vous médical", False, True, True, True, True),
    ("FAM", "Réunion solennelle de famille", True, True, False, True, True),
    ("TRANSP", "Difficulté accidentelle de transport", True, True, False, True, True),
    (
        "ABSRL",
        "Absence temporaire des responsables (l'enfant les suit)",
        True,
        True,
        False,
        True,
        True,
    ),
    ("CONV", "Convocation administrative ou judiciaire", False, True, False, True, True),
    ("EXAM", "Examen ou concours", False, True, False, True, True),
    ("RELIG", "Fête religieuse", False, True, False, True, True),
    ("PANNE", "Panne de réveil", False, False, False, True, True),
    ("PERSO", "Raison personnelle", False, False, False, True, True),
    ("SANS", "Sans motif valable", False, False, False, False, True),
)


@dataclass(frozen=True)
class Entry:
    """What a teacher types for one pupil: a mark, or None for present."""

    mark: str | None
    minutes_late: int | None = None
    note: str = ""


def policy_for(establishment: Establishment) -> AttendancePolicy:
    policy, _created = AttendancePolicy.objects.get_or_create(establishment=establishment)
    return policy


def reasons_ensure(establishment: Establishment) -> list[AbsenceReason]:
    """The establishment's catalogue, created from the defaults the first time."""
    existing = list(AbsenceReason.objects.filter(establishment=establishment))
    if existing:
        return existing
    return AbsenceReason.objects.bulk_create(
        AbsenceReason(
            establishment=establishment,
            code=code,
            label=label,
            legitimate=legitimate,
            justifies=justifies,
            health=health,
            family_selectable=family,
            on_report_card=card,
            position=position,
        )
        for position, (code, label, legitimate, justifies, health, family, card) in enumerate(
            DEFAULT_REASONS
        )
    )


# -- Permissions --------------------------------------------------------------------


def _person_id(actor) -> int | None:
    return getattr(actor, "person_id", None)


def desk_roles(actor, establishment_id: int) -> set[str]:
    if actor is None:
        return set(DESK_ROLES)
    return set(
        Role.objects.current(timezone.localdate())
        .filter(person_id=_person_id(actor), establishment_id=establishment_id)
        .values_list("kind", flat=True)
    )


def require_desk(actor, establishment_id: int) -> None:
    """The vie scolaire, the direction and the secretariat process absences; `None` is
    the system (imports, the demo)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if not desk_roles(actor, establishment_id) & DESK_ROLES:
        raise PermissionDenied("Seules la vie scolaire et la direction traitent les absences.")


def require_health_reader(actor, absence: Absence, reason: AbsenceReason | None = None) -> None:
    """A health reason (the absence's, or the one being given) is processed only by
    those who may read it (visibility.SEES_HEALTH_REASONS): not the secretariat."""
    health = (absence.reason_id is not None and absence.reason.health) or (
        reason is not None and reason.health
    )
    if not health or actor is None or getattr(actor, "is_superuser", False):
        return
    if not sees_health_reasons(desk_roles(actor, absence.establishment_id)):
        raise PermissionDenied("Seules la vie scolaire et la direction traitent un motif de santé.")


def may_take_roll_call(actor, occurrence: Occurrence) -> bool:
    """The occurrence's teachers, and the vie scolaire and direction of its
    establishment (a forgotten roll call is completed by the office)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    person_id = _person_id(actor)
    if occurrence.teachers.filter(pk=person_id).exists():
        return True
    return bool(desk_roles(actor, occurrence.establishment_id) & DESK_ROLES)


# -- Snapshots and history -----------------------------------------------------------


def _snapshot(absence: Absence) -> dict:
    return {
        "kind": absence.kind,
        "start": absence.start.isoformat(),
        "end": absence.end.isoformat(),
        "minutes_late": absence.minutes_late,
        "state": absence.state,
        "reason": absence.reason.code if absence.reason_id else None,
        "family_comment": absence.family_comment,
        "staff_comment": absence.staff_comment,
        "voided": absence.voided_at is not None,
        "document": absence.document.name if absence.document else "",
    }


def _history(absence: Absence, *, actor, action: str, at: datetime) -> None:
    AbsenceChange.objects.create(
        absence=absence,
        at=at,
        actor_id=_person_id(actor),
        action=action,
        kind=absence.kind,
        start=absence.start,
        end=absence.end,
        state=absence.state,
        reason_id=absence.reason_id,
        voided=absence.voided_at is not None,
    )


def _school_year(establishment_id: int, moment: datetime) -> SchoolYear:
    day = timezone.localtime(moment).date()
    year = school_year_containing(establishment_id, day)
    if year is None:
        raise ValidationError(f"Le {day:%d/%m/%Y} n'appartient à aucune année scolaire.")
    return year


def _check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationError("La fin doit être après le début.")


# -- Absences ------------------------------------------------------------------------


@transaction.atomic
def absence_create(
    *,
    actor,
    establishment: Establishment,
    pupil: Person,
    start: datetime,
    end: datetime,
    kind: str = AbsenceKind.ABSENCE,
    minutes_late: int | None = None,
    state: str = AbsenceState.UNJUSTIFIED,
    reason: AbsenceReason | None = None,
    source: str = AbsenceSource.DESK,
    staff_comment: str = "",
    occurrence: Occurrence | None = None,
    roll_call_entry: RollCallEntry | None = None,
    notify: bool = True,
    at: datetime | None = None,
) -> Absence:
    """Record an absence over a period, or a lateness."""
    if source != AbsenceSource.ROLL_CALL:
        require_desk(actor, establishment.pk)
    _check_period(start, end)
    if reason is not None and reason.establishment_id != establishment.pk:
        raise ValidationError("Ce motif n'est pas un motif de l'établissement.")
    now = at or timezone.now()
    absence = Absence.objects.create(
        establishment=establishment,
        school_year=_school_year(establishment.pk, start),
        pupil=pupil,
        kind=kind,
        start=start,
        end=end,
        minutes_late=minutes_late,
        occurrence=occurrence,
        roll_call_entry=roll_call_entry,
        source=source,
        state=state,
        reason=reason,
        staff_comment=staff_comment,
        created_by_id=_person_id(actor),
        created_at=now,
        updated_at=now,
    )
    _history(absence, actor=actor, action="created", at=now)
    audit_record(
        actor=actor,
        action=f"absence.created.{source}",
        target=absence,
        establishment=establishment,
        after=_snapshot(absence),
    )
    if notify:
        notices.schedule(absence)
    return absence


def _locked(absence: Absence, expected_version: int | None) -> Absence:
    # Lock the absence row only: PostgreSQL refuses FOR UPDATE on the nullable side of
    # the outer join that the (optional) reason needs.
    current = (
        Absence.objects.select_for_update(of=("self",)).select_related("reason").get(pk=absence.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleAbsence(current)
    return current


def _save(current: Absence, before: dict, *, actor, action: str, fields: list[str]) -> Absence:
    now = timezone.now()
    current.version += 1
    current.updated_at = now
    current.save(update_fields=[*fields, "version", "updated_at"])
    _history(current, actor=actor, action=action, at=now)
    audit_record(
        actor=actor,
        action=f"absence.{action}",
        target=current,
        establishment=current.establishment,
        before=before,
        after=_snapshot(current),
    )
    return current


@transaction.atomic
def absence_update(*, actor, absence: Absence, expected_version: int | None, **changes) -> Absence:
    """The office's correction: period, kind, state, reason, comment. The roll call
    entry that produced the absence stays as the teacher typed it."""
    require_desk(actor, absence.establishment_id)
    allowed = {"start", "end", "kind", "minutes_late", "state", "reason", "staff_comment"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    current = _locked(absence, expected_version)
    if current.voided_at is not None:
        raise ValidationError("Cette absence a été annulée : rétablissez-la d'abord.")
    require_health_reader(actor, current, changes.get("reason"))
    before = _snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if current.reason_id and current.reason.establishment_id != current.establishment_id:
        raise ValidationError("Ce motif n'est pas un motif de l'établissement.")
    if current.state == AbsenceState.ACCEPTED and not (
        current.reason_id and current.reason.justifies
    ):
        raise ValidationError("Une absence n'est justifiée que par un motif qui la justifie.")
    _check_period(current.start, current.end)
    fields = ["reason" if name == "reason" else name for name in changes]
    return _save(current, before, actor=actor, action="corrected", fields=fields)


@transaction.atomic
def absence_decide(
    *,
    actor,
    absence: Absence,
    expected_version: int | None,
    accept: bool,
    reason: AbsenceReason | None = None,
    staff_comment: str | None = None,
) -> Absence:
    """The vie scolaire accepts or rejects a justification (a reason that does not
    justify is always a rejection, attendance.md)."""
    require_desk(actor, absence.establishment_id)
    current = _locked(absence, expected_version)
    if current.voided_at is not None:
        raise ValidationError("Cette absence a été annulée : rétablissez-la d'abord.")
    require_health_reader(actor, current, reason)
    before = _snapshot(current)
    if reason is not None:
        if reason.establishment_id != current.establishment_id:
            raise ValidationError("Ce motif n'est pas un motif de l'établissement.")
        current.reason = reason
    if accept and current.reason_id is None:
        raise ValidationError("Choisissez un motif pour accepter la justification.")
    justifies = current.reason.justifies if current.reason_id else False
    current.state = AbsenceState.ACCEPTED if accept and justifies else AbsenceState.REJECTED
    if staff_comment is not None:
        current.staff_comment = staff_comment
    decided = _save(
        current,
        before,
        actor=actor,
        action="accepted" if current.state == AbsenceState.ACCEPTED else "rejected",
        fields=["state", "reason", "staff_comment"],
    )
    # Both legal guardians are told by e-mail, after the commit, outside quiet hours.
    notices.schedule_decision(decided)
    return decided


@transaction.atomic
def absence_justify(
    *,
    actor,
    absence: Absence,
    reason: AbsenceReason,
    comment: str = "",
    document=None,
) -> Absence:
    """A legal guardian (or an adult pupil) gives a reason online: the absence waits for
    the vie scolaire's decision. Who may do it is the caller's check (access rules)."""
    current = _locked(absence, None)
    if current.voided_at is not None or current.state == AbsenceState.ACCEPTED:
        raise ValidationError("Cette absence n'attend pas de justification.")
    if reason.establishment_id != current.establishment_id or not reason.family_selectable:
        raise ValidationError("Ce motif ne peut pas être donné en ligne.")
    if not policy_for(current.establishment).families_may_justify:
        raise PermissionDenied("L'établissement ne permet pas la justification en ligne.")
    before = _snapshot(current)
    current.reason = reason
    current.state = AbsenceState.PENDING
    current.family_comment = comment
    fields = ["reason", "state", "family_comment"]
    if document is not None:
        current.document = document
        fields.append("document")
    return _save(current, before, actor=actor, action="justified", fields=fields)


@transaction.atomic
def absence_void(
    *, actor, absence: Absence, expected_version: int | None, note: str = "", system=False
) -> Absence:
    """Withdraw an absence entered by mistake; it stays in the history."""
    if not system:
        require_desk(actor, absence.establishment_id)
    current = _locked(absence, expected_version)
    if current.voided_at is not None:
        return current
    before = _snapshot(current)
    current.voided_at = timezone.now()
    current.voided_by_id = _person_id(actor)
    fields = ["voided_at", "voided_by"]
    if note:
        current.staff_comment = note
        fields.append("staff_comment")
    return _save(current, before, actor=actor, action="voided", fields=fields)


@transaction.atomic
def absence_restore(*, actor, absence: Absence, expected_version: int | None) -> Absence:
    require_desk(actor, absence.establishment_id)
    current = _locked(absence, expected_version)
    if current.voided_at is None:
        return current
    before = _snapshot(current)
    current.voided_at = None
    current.voided_by = None
    return _save(current, before, actor=actor, action="restored", fields=["voided_at", "voided_by"])


# -- School events -------------------------------------------------------------------


@transaction.atomic
def school_event_create(
    *,
    actor,
    establishment: Establishment,
    pupil: Person,
    kind: str,
    start: datetime,
    end: datetime,
    note: str = "",
    subject=None,
    attendance_required: bool = True,
    occurrence: Occurrence | None = None,
    roll_call_entry: RollCallEntry | None = None,
    from_roll_call: bool = False,
) -> SchoolEvent:
    if not from_roll_call:
        require_desk(actor, establishment.pk)
    _check_period(start, end)
    event = SchoolEvent.objects.create(
        establishment=establishment,
        school_year=_school_year(establishment.pk, start),
        pupil=pupil,
        kind=kind,
        start=start,
        end=end,
        note=note,
        subject=subject,
        attendance_required=attendance_required,
        occurrence=occurrence,
        roll_call_entry=roll_call_entry,
        created_by_id=_person_id(actor),
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=f"school_event.created.{kind}",
        target=event,
        establishment=establishment,
        after={"kind": kind, "start": start.isoformat(), "end": end.isoformat(), "note": note},
    )
    return event


@transaction.atomic
def school_event_void(*, actor, event: SchoolEvent, system: bool = False) -> SchoolEvent:
    if not system:
        require_desk(actor, event.establishment_id)
    if event.voided_at is None:
        event.voided_at = timezone.now()
        event.save(update_fields=["voided_at"])
        audit_record(
            actor=actor,
            action="school_event.voided",
            target=event,
            establishment=event.establishment,
            before={"voided": False},
            after={"voided": True},
        )
    return event


# -- Roll calls ----------------------------------------------------------------------


def _entry_snapshot(entry: RollCallEntry | None) -> dict | None:
    if entry is None:
        return None
    return {"mark": entry.mark, "minutes_late": entry.minutes_late, "note": entry.note}


def _covering_absence(pupil_id: int, occurrence: Occurrence) -> Absence | None:
    """An absence the office already recorded over the whole occurrence (a day, a
    week): the roll call confirms it rather than adding a second one."""
    return (
        Absence.objects.filter(
            pupil_id=pupil_id,
            establishment_id=occurrence.establishment_id,
            kind=AbsenceKind.ABSENCE,
            voided_at__isnull=True,
            start__lte=occurrence.start,
            end__gte=occurrence.end,
        )
        .exclude(roll_call_entry__roll_call__occurrence=occurrence)
        .first()
    )


def _withdraw_products(actor, entry: RollCallEntry, establishment_id: int) -> None:
    """What an earlier mark of the entry produced, voided (never deleted). Once the vie
    scolaire has processed the absence (a reason, a decision, a correction), only the
    vie scolaire may withdraw it: a teacher's late correction must not undo a decision
    or an absence a referral was made on."""
    absence = Absence.objects.filter(roll_call_entry=entry, voided_at__isnull=True).first()
    if absence is not None:
        processed = absence.version > 1 or absence.state != AbsenceState.UNJUSTIFIED
        if processed and actor is not None and not desk_roles(actor, establishment_id) & DESK_ROLES:
            raise ValidationError(
                "La vie scolaire a déjà traité cette absence : demandez-lui de la corriger."
            )
        absence_void(
            actor=actor,
            absence=absence,
            expected_version=None,
            note="Relevé d'appel corrigé par l'enseignant.",
            system=True,
        )
    event = SchoolEvent.objects.filter(roll_call_entry=entry, voided_at__isnull=True).first()
    if event is not None:
        school_event_void(actor=actor, event=event, system=True)
    # (B) The entry's one-to-one link passes to what its new mark produces (absent, then
    # late, then absent again): the voided products keep their occurrence, source and
    # history, and the entry's trail is in the audit events.
    Absence.objects.filter(roll_call_entry=entry).update(roll_call_entry=None)
    SchoolEvent.objects.filter(roll_call_entry=entry).update(roll_call_entry=None)


def _produce(actor, entry: RollCallEntry, occurrence: Occurrence, pupil: Person) -> None:
    establishment = occurrence.establishment
    if entry.mark == Mark.ABSENT:
        if _covering_absence(pupil.pk, occurrence) is None:
            absence_create(
                actor=actor,
                establishment=establishment,
                pupil=pupil,
                start=occurrence.start,
                end=occurrence.end,
                source=AbsenceSource.ROLL_CALL,
                occurrence=occurrence,
                roll_call_entry=entry,
            )
    elif entry.mark == Mark.LATE:
        minutes = max(1, entry.minutes_late or 1)
        absence_create(
            actor=actor,
            establishment=establishment,
            pupil=pupil,
            kind=AbsenceKind.LATENESS,
            start=occurrence.start,
            end=occurrence.start + timedelta(minutes=minutes),
            minutes_late=minutes,
            source=AbsenceSource.ROLL_CALL,
            occurrence=occurrence,
            roll_call_entry=entry,
        )
    elif entry.mark in (Mark.EXCLUDED, Mark.INFIRMARY):
        school_event_create(
            actor=actor,
            establishment=establishment,
            pupil=pupil,
            kind=EventKind.EXCLUSION if entry.mark == Mark.EXCLUDED else EventKind.INFIRMARY,
            start=occurrence.start,
            end=occurrence.end,
            note=entry.note,
            occurrence=occurrence,
            roll_call_entry=entry,
            from_roll_call=True,
        )


@transaction.atomic
def roll_call_record(
    *,
    actor,
    occurrence: Occurrence,
    entries: dict[int, Entry],
    audience: dict[int, Person],
) -> RollCall:
    """Record the roll call of an occurrence, or part of it: `entries` maps pupil ids to
    what was typed (a mark, or `Entry(None)` for present); pupils not in it keep what
    they had. `audience` is the occurrence's expected pupils (selectors): a mark for
    anyone else is refused. Saving twice the same entries changes nothing, so a page
    may resend what it typed after a dropped connection."""
    if not may_take_roll_call(actor, occurrence):
        raise PermissionDenied(
            "Seuls les enseignants de la séance et la vie scolaire font l'appel."
        )
    if not occurrence.is_held:
        raise ValidationError("Cette séance n'a pas lieu : pas d'appel.")
    strangers = set(entries) - set(audience)
    if strangers:
        raise ValidationError("Un élève ne fait pas partie de cette séance.")
    now = timezone.now()
    roll_call, created = RollCall.objects.select_for_update().get_or_create(
        occurrence=occurrence,
        defaults={
            "establishment_id": occurrence.establishment_id,
            "taken_by_id": _person_id(actor),
            "taken_at": now,
            "updated_at": now,
        },
    )
    if created:
        audit_record(
            actor=actor,
            action="roll_call.taken",
            target=roll_call,
            establishment=occurrence.establishment,
            after={"occurrence": occurrence.uid},
        )
    existing = {e.pupil_id: e for e in roll_call.entries.all()}
    changed = False
    for pupil_id, typed in entries.items():
        if typed.mark == Mark.PRESENT:
            typed = Entry(None, None, typed.note)
        if typed.mark is not None and typed.mark not in Mark.values:
            raise ValidationError(f"Relevé inconnu : {typed.mark}.")
        minutes = typed.minutes_late if typed.mark == Mark.LATE else None
        if typed.mark == Mark.LATE and not minutes:
            raise ValidationError("Indiquez les minutes de retard.")
        entry = existing.get(pupil_id)
        before = _entry_snapshot(entry)
        if entry is None and typed.mark is None:
            continue
        if entry is not None and (entry.mark, entry.minutes_late, entry.note) == (
            typed.mark or Mark.PRESENT,
            minutes,
            typed.note,
        ):
            continue
        if entry is not None:
            _withdraw_products(actor, entry, occurrence.establishment_id)
        if typed.mark is None:
            # Back to present: the entry keeps the trail, its products are voided.
            entry.mark, entry.minutes_late, entry.note = Mark.PRESENT, None, typed.note
        elif entry is None:
            entry = RollCallEntry(roll_call=roll_call, pupil_id=pupil_id)
            entry.mark, entry.minutes_late, entry.note = typed.mark, minutes, typed.note
        else:
            entry.mark, entry.minutes_late, entry.note = typed.mark, minutes, typed.note
        entry.entered_by_id = _person_id(actor)
        entry.entered_at = now
        entry.save()
        audit_record(
            actor=actor,
            action="roll_call.entry",
            target=entry,
            establishment=occurrence.establishment,
            before=before,
            after=_entry_snapshot(entry),
        )
        if entry.mark != Mark.PRESENT:
            _produce(actor, entry, occurrence, audience[pupil_id])
        changed = True
    if changed and not created:
        roll_call.updated_at = now
        roll_call.save(update_fields=["updated_at"])
    return roll_call
