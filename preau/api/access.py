"""How the caller of a `/pupils/{id}/…` endpoint is linked to the pupil: the first of
their links (`portal.access.pupil_links`, the links the pages use), for the account
django-ninja authenticated (`request.auth`, a session or a personal token). None: no
link, which each endpoint answers with a logged 404."""

from preau.core.selectors import today
from preau.portal.access import PupilLink, pupil_links


def pupil_link(request, pupil_id: int, *, staff: bool = True) -> PupilLink | None:
    """The caller's link to the pupil; `staff=False` ignores staff roles (an endpoint
    that answers only the pupil and their family)."""
    person_id = request.auth.person_id
    if person_id is None:
        return None
    links = pupil_links(person_id, pupil_id, today(), request.person_spaces, staff=staff)
    return next(links, None)
