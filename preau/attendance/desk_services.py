"""Writes of the vie scolaire's desk that services.py does not hold: school events for
many pupils at once (a trip of a whole division), written in bulk and audited one
event per pupil, as `services.school_event_create` does for one."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from preau.attendance.models import EventKind, SchoolEvent
from preau.attendance.services import _check_period, _person_id, _school_year, require_desk
from preau.audit.models import AuditEvent
from preau.core.models import Establishment, Person

BATCH = 500


@transaction.atomic
def school_events_create(
    *,
    actor,
    establishment: Establishment,
    pupils: Sequence[Person],
    kind: str,
    start: datetime,
    end: datetime,
    note: str = "",
    subject=None,
    attendance_required: bool = True,
) -> list[SchoolEvent]:
    """One event per pupil over the same period, in one transaction. The caller
    chooses the pupils among those of the establishment (selectors)."""
    require_desk(actor, establishment.pk)
    if kind not in EventKind.values:
        raise ValidationError(f"Nature d'événement inconnue : {kind}.")
    if not pupils:
        raise ValidationError("Choisissez au moins un élève.")
    if subject is not None and subject.establishment_id != establishment.pk:
        raise ValidationError("Cette discipline n'est pas une discipline de l'établissement.")
    _check_period(start, end)
    year = _school_year(establishment.pk, start)
    now = timezone.now()
    unique = list({pupil.pk: pupil for pupil in pupils}.values())
    events = SchoolEvent.objects.bulk_create(
        [
            SchoolEvent(
                establishment=establishment,
                school_year=year,
                pupil=pupil,
                kind=kind,
                start=start,
                end=end,
                note=note,
                subject=subject,
                attendance_required=attendance_required,
                created_by_id=_person_id(actor),
                created_at=now,
            )
            for pupil in unique
        ],
        batch_size=BATCH,
    )
    after = {"kind": kind, "start": start.isoformat(), "end": end.isoformat(), "note": note}
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if getattr(actor, "pk", None) else None,
                establishment=establishment,
                action=f"school_event.created.{kind}",
                object_type=SchoolEvent._meta.label_lower,
                object_id=str(event.pk),
                after={**after, "pupil": event.pupil_id},
            )
            for event in events
        ],
        batch_size=BATCH,
    )
    return events
