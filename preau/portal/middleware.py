from preau.core.selectors import today
from preau.portal.spaces import FAMILY, PersonSpaces, spaces_of

SPACE_SESSION_KEY = "preau_space"
CHILD_SESSION_KEY = "preau_child"


class SpaceMiddleware:
    """Puts on each request the person's spaces, the active one, and in the family
    space the active child (three or four queries for a signed-in person, none for
    anybody else)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.person_spaces = _person_spaces(request)
        request.space = _active_space(request)
        request.child = _active_child(request)
        _follow_requested_child(request)
        return self.get_response(request)


def _follow_requested_child(request) -> None:
    """`?enfant=ID` (the links of e-mails to families) opens the family space on that
    child when the person follows them; any other value changes nothing."""
    wanted = request.GET.get("enfant")
    if not wanted or not wanted.isdigit():
        return
    children = request.person_spaces.children
    child = next((c for c in children if c.id == int(wanted)), None)
    family = next((s for s in request.person_spaces.spaces if s.kind == FAMILY), None)
    if child is None or family is None:
        return
    request.session[CHILD_SESSION_KEY] = child.id
    request.session[SPACE_SESSION_KEY] = family.key
    request.space = family
    request.child = child


def _person_spaces(request) -> PersonSpaces:
    user = request.user
    if not user.is_authenticated or user.person_id is None:
        return PersonSpaces(spaces=(), children=())
    return spaces_of(user.person, today())


def _active_space(request):
    spaces = request.person_spaces
    chosen = spaces.find(request.session.get(SPACE_SESSION_KEY))
    return chosen or (spaces.spaces[0] if spaces.spaces else None)


def _active_child(request):
    space = request.space
    if space is None or space.kind != FAMILY:
        return None
    children = request.person_spaces.children
    wanted = request.session.get(CHILD_SESSION_KEY)
    return next((child for child in children if child.id == wanted), children[0])
