"""What the messaging pages share: who reads, where they write from, pages of
results, rendering."""

from dataclasses import dataclass

from django.utils.http import urlencode

from preau.core.access import refuse
from preau.core.http import as_int, render_page  # noqa: F401 - the views' helpers
from preau.core.models import RoleKind
from preau.portal.spaces import FAMILY, REGION, STAFF

PER_PAGE = 20


def reader_of(request) -> int:
    """The person whose messages the page shows: anybody signed in with a person and a
    space, except the regional administration (a logged 404)."""
    person_id = getattr(request.user, "person_id", None)
    space = request.space
    if person_id is None or space is None or space.kind == REGION:
        raise refuse(request, "page", request.path)
    return person_id


@dataclass(frozen=True)
class Place:
    """The establishment a person writes in: the active staff or pupil space's, or in
    the family space the active child's."""

    establishment_id: int
    name: str
    child_name: str = ""


def place_of(request) -> Place:
    space = request.space
    if space.kind == FAMILY:
        child = request.child
        return Place(child.establishment_id, child.establishment_name, child.first_name)
    return Place(space.establishment_id, space.establishment_name)


def directs(request) -> bool:
    """Whether the active space is the direction's (the settings and the emergency
    switch)."""
    space = request.space
    return space is not None and space.kind == STAFF and RoleKind.DIRECTION in space.roles


def page_number(request) -> int:
    number = as_int(request.GET.get("page"))
    return number if number and number > 0 else 1


def search_of(request) -> str:
    return " ".join(request.GET.get("q", "").split())[:200]


def page_links(page, **params) -> dict:
    """The query strings of the previous and next pages, keeping the other
    parameters."""
    kept = {key: value for key, value in params.items() if value}

    def link(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    return {
        "previous": link(page.number - 1) if page.has_previous else "",
        "next": link(page.number + 1) if page.has_next else "",
    }
