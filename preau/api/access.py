"""How the caller of a `/pupils/{id}/…` endpoint is linked to the pupil — the same
links the pages use: the pupil themself (pupil space), a guardian or contact (family
space, with their SIECLE level), or a staff member of an establishment where the pupil
is one they may see (`structure.selectors.visible_pupils`). None: no link, which each
endpoint answers with a logged 404."""

from dataclasses import dataclass

from preau.core.access import StaffScope
from preau.core.models import Guardianship, ResponsibilityLevel
from preau.core.selectors import today
from preau.portal.spaces import PUPIL, STAFF
from preau.structure.selectors import visible_pupils

OWN = "own"
LEGAL = "legal"
CONTACT = "contact"
STAFF_LINK = "staff"


@dataclass(frozen=True)
class PupilLink:
    kind: str
    establishment_id: int
    scope: StaffScope | None = None

    @property
    def family(self) -> bool:
        return self.kind in (OWN, LEGAL, CONTACT)


def pupil_link(request, pupil_id: int, *, staff: bool = True) -> PupilLink | None:
    """The caller's link to the pupil; `staff=False` ignores staff roles (an endpoint
    that answers only the pupil and their family)."""
    person_id = request.auth.person_id
    if person_id is None:
        return None
    spaces = request.person_spaces
    if person_id == pupil_id:
        space = next((s for s in spaces.spaces if s.kind == PUPIL), None)
        if space is not None:
            return PupilLink(OWN, space.establishment_id)
    child = next((c for c in spaces.children if c.id == pupil_id), None)
    if child is not None:
        kind = LEGAL if child.level == ResponsibilityLevel.LEGAL else CONTACT
        return PupilLink(kind, child.establishment_id)
    if not staff:
        return None
    day = today()
    for space in spaces.spaces:
        if space.kind != STAFF:
            continue
        scope = space.staff_scope(person_id)
        if visible_pupils(scope, day).filter(pk=pupil_id).exists():
            return PupilLink(STAFF_LINK, space.establishment_id, scope)
    return None


def objected(request, pupil_id: int) -> bool:
    """Whether the pupil, of age, objected to this guardian seeing grades and report
    cards (absences stay visible)."""
    return Guardianship.objects.filter(
        guardian_id=request.auth.person_id, pupil_id=pupil_id, adult_objection_at__isnull=False
    ).exists()
