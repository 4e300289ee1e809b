"""The writes of the legal follow-up of absenteeism (attendance.md, L131-8): recording a
letter to the family, a referral to the DASEN or a meeting for a pupil and a month.

A follow-up keeps the figures it was made on, computed here from the month's figures
as they stand when it is recorded (never taken from the page that asked for it), so
that the record says what the school knew when it acted.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone

from preau.attendance import reports
from preau.attendance.models import FollowUp, FollowUpKind
from preau.audit.services import audit_record
from preau.core.models import Establishment, Person, Role, RoleKind

# Who engages the establishment in the legal follow-up: the CPE and the direction
# (the assistants d'éducation read the list but do not record steps).
FOLLOW_UP_ROLES = frozenset({RoleKind.CPE, RoleKind.DIRECTION})


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def may_record_follow_ups(actor, establishment_id: int) -> bool:
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    roles = set(
        Role.objects.current(timezone.localdate())
        .filter(person_id=getattr(actor, "person_id", None), establishment_id=establishment_id)
        .values_list("kind", flat=True)
    )
    return bool(roles & FOLLOW_UP_ROLES)


def _is_pupil_of(pupil: Person, establishment: Establishment) -> bool:
    return Role.objects.filter(
        person=pupil, establishment=establishment, kind=RoleKind.PUPIL
    ).exists()


@transaction.atomic
def follow_up_record(
    *,
    actor,
    establishment: Establishment,
    pupil: Person,
    month: date,
    kind: str,
    note: str = "",
) -> FollowUp:
    """Record that a step of the follow-up was made today for `pupil` and `month`,
    with the month's half-days as they stand now. A referral is made once per pupil
    and month: a second one is refused (a double click, two people at once)."""
    if not may_record_follow_ups(actor, establishment.pk):
        raise PermissionDenied("Seuls le CPE et la direction enregistrent les démarches.")
    if kind not in FollowUpKind.values:
        raise ValidationError(f"Démarche inconnue : {kind}.")
    if not _is_pupil_of(pupil, establishment):
        raise ValidationError("Cet élève n'est pas un élève de l'établissement.")
    month = first_of_month(month)
    if month > timezone.localdate():
        raise ValidationError("Ce mois n'a pas encore commencé.")
    # Two people recording the same pupil's referral at once: the second waits here
    # and then sees the first one's row.
    Person.objects.select_for_update().filter(pk=pupil.pk).first()
    if kind == FollowUpKind.REFERRAL:
        earlier = (
            FollowUp.objects.filter(
                establishment=establishment, pupil=pupil, month=month, kind=kind
            )
            .order_by("made_at")
            .first()
        )
        if earlier is not None:
            made = formats.date_format(timezone.localtime(earlier.made_at), "d/m/Y")
            raise ValidationError(
                f"Le signalement de ce mois a déjà été enregistré le {made}.",
                code="already_referred",
            )
    figures = next(
        (row for row in reports.month_figures(establishment, month) if row.pupil_id == pupil.pk),
        None,
    )
    follow_up = FollowUp.objects.create(
        establishment=establishment,
        pupil=pupil,
        month=month,
        kind=kind,
        made_at=timezone.now(),
        made_by_id=getattr(actor, "person_id", None),
        half_days=figures.half_days if figures else 0,
        unjustified_half_days=figures.unjustified_half_days if figures else 0,
        note=note.strip(),
    )
    audit_record(
        actor=actor,
        action=f"attendance.follow_up.{kind}",
        target=follow_up,
        establishment=establishment,
        after={
            "pupil": pupil.pk,
            "month": month.isoformat(),
            "kind": kind,
            "half_days": follow_up.half_days,
            "unjustified_half_days": follow_up.unjustified_half_days,
            "lateness": figures.lateness if figures else 0,
            "level": figures.level if figures else None,
            "note": follow_up.note,
        },
    )
    return follow_up
