"""Who may open a page, and how a person is linked to a pupil.

- `staff_page`: the guard of staff pages, which space and roles a page needs. What the
  person may see inside the space is decided by the selectors (preau.core.access).
- `pupil_links`: how a person is linked to a pupil — the same links the pages use:
  the pupil themself (pupil space), a guardian or contact (family space, with their
  SIECLE level), or a staff member of an establishment where the pupil is one they may
  see (`structure.selectors.visible_pupils`). The API (`api.access.pupil_link`) and
  the access explainer (`portal.explainer`) ask it; the domains' access rules
  (`grades.access.grades_access`, `attendance.access.absences_access`) take its links.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import wraps

from django.contrib.auth.decorators import login_required

from preau.core.access import StaffScope, refuse
from preau.core.models import Guardianship, ResponsibilityLevel
from preau.portal.spaces import PUPIL, STAFF, PersonSpaces
from preau.structure.selectors import visible_pupils


def staff_page(allowed: Callable[[StaffScope], bool] = lambda scope: True):
    """A page of the staff space; `allowed` narrows it to some roles. The view receives
    the staff scope as `scope`. Anybody else gets a 404, logged."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            space = request.space
            scope = space.staff_scope(request.user.person_id) if space is not None else None
            if scope is None or not allowed(scope):
                raise refuse(request, "page", request.path)
            return view(request, *args, scope=scope, **kwargs)

        return wrapper

    return decorator


# -- A person's links to a pupil -----------------------------------------------------------

# The kinds of link, named as grades and attendance name a family reader (own, legal,
# contact).
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


def pupil_links(
    person_id: int, pupil_id: int, day: date, spaces: PersonSpaces, *, staff: bool = True
) -> Iterator[PupilLink]:
    """Every link of the person (with `spaces`, their spaces on `day`) to the pupil, in
    the order `api.access.pupil_link` tries them, most generous first: themself, a legal
    guardian, each staff space where the pupil is one they may see (a query per staff
    space, run only when the caller asks for the next link), then a contact. The access
    explainer reads them all; `staff=False` leaves out the staff roles."""
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


def objected_for(person_id: int, pupil_id: int) -> bool:
    """Whether the pupil, of age, objected to this guardian seeing grades and report
    cards (absences stay visible)."""
    return Guardianship.objects.filter(
        guardian_id=person_id, pupil_id=pupil_id, adult_objection_at__isnull=False
    ).exists()
