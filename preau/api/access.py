"""How the caller of a `/pupils/{id}/…` endpoint is linked to the pupil — the same
links the pages use: the pupil themself (pupil space), a guardian or contact (family
space, with their SIECLE level), or a staff member of an establishment where the pupil
is one they may see (`structure.selectors.visible_pupils`). None: no link, which each
endpoint answers with a logged 404."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from preau.core.access import StaffScope
from preau.core.models import Guardianship, ResponsibilityLevel
from preau.core.selectors import today
from preau.portal.spaces import PUPIL, STAFF, PersonSpaces
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
    links = pupil_links(person_id, pupil_id, today(), request.person_spaces, staff=staff)
    return next(links, None)


def pupil_links(
    person_id: int, pupil_id: int, day: date, spaces: PersonSpaces, *, staff: bool = True
) -> Iterator[PupilLink]:
    """Every link of the person (with `spaces`, their spaces on `day`) to the pupil, in
    the order `pupil_link` tries them, most generous first: themself, a legal guardian,
    each staff space where the pupil is one they may see (a query per staff space, run
    only when the caller asks for the next link), then a contact. The access explainer
    reads them all."""
    if person_id == pupil_id:
        space = next((s for s in spaces.spaces if s.kind == PUPIL), None)
        if space is not None:
            yield PupilLink(OWN, space.establishment_id)
    child = next((c for c in spaces.children if c.id == pupil_id), None)
    legal = child is not None and child.level == ResponsibilityLevel.LEGAL
    if legal:
        yield PupilLink(LEGAL, child.establishment_id)
    if staff:
        for space in spaces.spaces:
            if space.kind != STAFF:
                continue
            scope = space.staff_scope(person_id)
            if visible_pupils(scope, day).filter(pk=pupil_id).exists():
                yield PupilLink(STAFF_LINK, space.establishment_id, scope)
    # A contact (levels 2 and 3) sees least: a contact who also works with the pupil
    # is answered as staff.
    if child is not None and not legal:
        yield PupilLink(CONTACT, child.establishment_id)


def objected(request, pupil_id: int) -> bool:
    """Whether the pupil, of age, objected to the caller seeing grades and report
    cards (absences stay visible)."""
    return objected_for(request.auth.person_id, pupil_id)


def objected_for(person_id: int, pupil_id: int) -> bool:
    """Whether the pupil, of age, objected to this guardian seeing grades and report
    cards (absences stay visible)."""
    return Guardianship.objects.filter(
        guardian_id=person_id, pupil_id=pupil_id, adult_objection_at__isnull=False
    ).exists()
