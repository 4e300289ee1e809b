"""What of an absence each reader may see (access.md): health reasons are confidential,
shown to the vie scolaire, the direction and the family, never to teachers, who see
"absence justifiée" instead."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from preau.attendance.models import Absence, AbsenceState
from preau.core.models import RoleKind

# access.md names the vie scolaire (CPE, assistants d'éducation) and the direction, and
# nobody else on the staff: not the teachers, nor the secretariat, which works at the
# desk (entering absences, completing a roll call) but reads no health reason and opens
# no document of an absence given one.
SEES_HEALTH_REASONS = frozenset({RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT, RoleKind.DIRECTION})


def sees_health_reasons(roles: Iterable[str]) -> bool:
    """Whether a staff member holding `roles` in the establishment reads health reasons."""
    return not SEES_HEALTH_REASONS.isdisjoint(roles)


def is_confidential(absence: Absence) -> bool:
    """Whether the absence's reason is a health reason (confidential)."""
    return absence.reason_id is not None and absence.reason.health


def reason_label(absence: Absence, *, sees_confidential: bool) -> str:
    """The reason as this reader may see it ("" when there is none)."""
    if absence.reason_id is None:
        return ""
    if absence.reason.health and not sees_confidential:
        if absence.state == AbsenceState.ACCEPTED:
            return _("Absence justifiée")
        return _("Motif confidentiel")
    return absence.reason.label
