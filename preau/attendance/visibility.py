"""What of an absence each reader may see (access.md): health reasons are confidential,
shown to the vie scolaire, the direction and the family, never to teachers, who see
"absence justifiée" instead."""

from django.utils.translation import gettext as _

from preau.attendance.models import Absence, AbsenceState


def reason_label(absence: Absence, *, sees_confidential: bool) -> str:
    """The reason as this reader may see it ("" when there is none)."""
    if absence.reason_id is None:
        return ""
    if absence.reason.health and not sees_confidential:
        if absence.state == AbsenceState.ACCEPTED:
            return _("Absence justifiée")
        return _("Motif confidentiel")
    return absence.reason.label
