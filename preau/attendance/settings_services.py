"""Writes of the attendance settings: the establishment's reason catalogue and its
attendance policy. The direction and the CPE decide them; every change is audited and
a reason is never deleted (absences and their history point to it): it is withdrawn
from use instead."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from preau.attendance.models import AbsenceReason, AttendancePolicy
from preau.audit.services import audit_record
from preau.core.models import Establishment, Role, RoleKind

SETTINGS_ROLES = frozenset({RoleKind.DIRECTION, RoleKind.CPE})
REASON_FIELDS = (
    "label",
    "legitimate",
    "justifies",
    "health",
    "family_selectable",
    "on_report_card",
    "position",
)
POLICY_FIELDS = (
    "half_day_boundary",
    "count_mode",
    "family_alert_threshold",
    "referral_threshold",
    "heavy_threshold",
    "roll_call_grace_minutes",
    "quiet_hours_start",
    "quiet_hours_end",
    "families_may_justify",
    "contacts_see_absences",
)


def may_edit_settings(actor, establishment_id: int) -> bool:
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    return (
        Role.objects.current(timezone.localdate())
        .filter(
            person_id=getattr(actor, "person_id", None),
            establishment_id=establishment_id,
            kind__in=SETTINGS_ROLES,
        )
        .exists()
    )


def require_settings(actor, establishment_id: int) -> None:
    if not may_edit_settings(actor, establishment_id):
        raise PermissionDenied(
            "Seuls la direction et le CPE règlent la vie scolaire de l'établissement."
        )


def _reason_snapshot(reason: AbsenceReason) -> dict:
    return {
        "code": reason.code,
        "active": reason.active,
        **{name: getattr(reason, name) for name in REASON_FIELDS},
    }


def _policy_snapshot(policy: AttendancePolicy) -> dict:
    snapshot = {}
    for name in POLICY_FIELDS:
        value = getattr(policy, name)
        snapshot[name] = value.isoformat(timespec="minutes") if hasattr(value, "hour") else value
    return snapshot


@transaction.atomic
def reason_create(*, actor, establishment: Establishment, code: str, label: str, **flags):
    require_settings(actor, establishment.pk)
    unknown = set(flags) - set(REASON_FIELDS)
    if unknown:
        raise ValueError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    code = code.strip().upper()
    if not code or not label.strip():
        raise ValidationError("Un motif a un code et un libellé.")
    if AbsenceReason.objects.filter(establishment=establishment, code=code).exists():
        raise ValidationError("Un motif porte déjà ce code.")
    if flags.get("legitimate") and not flags.get("justifies", True):
        raise ValidationError("Un motif légitime justifie l'absence une fois accepté.")
    reason = AbsenceReason.objects.create(
        establishment=establishment, code=code, label=label.strip(), **flags
    )
    audit_record(
        actor=actor,
        action="absence_reason.created",
        target=reason,
        establishment=establishment,
        after=_reason_snapshot(reason),
    )
    return reason


@transaction.atomic
def reason_update(*, actor, reason: AbsenceReason, **changes) -> AbsenceReason:
    """Change a reason's label, flags or order (its code stays: exports name it)."""
    require_settings(actor, reason.establishment_id)
    unknown = set(changes) - set(REASON_FIELDS)
    if unknown:
        raise ValueError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    current = AbsenceReason.objects.select_for_update().get(pk=reason.pk)
    before = _reason_snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if current.legitimate and not current.justifies:
        raise ValidationError("Un motif légitime justifie l'absence une fois accepté.")
    if not current.label.strip():
        raise ValidationError("Un motif a un libellé.")
    after = _reason_snapshot(current)
    if after == before:
        return current
    current.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="absence_reason.changed",
        target=current,
        establishment=current.establishment,
        before=before,
        after=after,
    )
    return current


@transaction.atomic
def reason_set_active(*, actor, reason: AbsenceReason, active: bool) -> AbsenceReason:
    """Withdraw a reason from use (it stays on the absences that have it) or bring it
    back. There is no deletion."""
    require_settings(actor, reason.establishment_id)
    current = AbsenceReason.objects.select_for_update().get(pk=reason.pk)
    if current.active == active:
        return current
    before = _reason_snapshot(current)
    current.active = active
    current.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="absence_reason.activated" if active else "absence_reason.deactivated",
        target=current,
        establishment=current.establishment,
        before=before,
        after=_reason_snapshot(current),
    )
    return current


@transaction.atomic
def policy_update(*, actor, establishment: Establishment, **changes) -> AttendancePolicy:
    require_settings(actor, establishment.pk)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    AttendancePolicy.objects.get_or_create(establishment=establishment)
    policy = AttendancePolicy.objects.select_for_update().get(establishment=establishment)
    before = _policy_snapshot(policy)
    for name, value in changes.items():
        setattr(policy, name, value)
    if not (
        1 <= policy.family_alert_threshold <= policy.referral_threshold <= policy.heavy_threshold
    ):
        raise ValidationError(
            "Les seuils vont en croissant : alerte de la famille, signalement, absentéisme lourd."
        )
    after = _policy_snapshot(policy)
    if after == before:
        return policy
    policy.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="attendance_policy.changed",
        target=policy,
        establishment=establishment,
        before=before,
        after=after,
    )
    return policy
