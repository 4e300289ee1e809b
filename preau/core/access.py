"""Who may see what, decided in one place (access.md).

Pages, the API and commands ask these questions; none of them filters by role on its
own. Anything not visible answers 404, and the refused attempt is logged.
"""

import logging
from dataclasses import dataclass

from django.http import Http404

from preau.core.http import client_address
from preau.core.models import RoleKind

logger = logging.getLogger("preau.access")

WHOLE_ESTABLISHMENT_ROLES = frozenset(
    {RoleKind.DIRECTION, RoleKind.SECRETARIAT, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT}
)
ADMINISTRATION_ROLES = frozenset({RoleKind.DIRECTION, RoleKind.SECRETARIAT})


@dataclass(frozen=True)
class StaffScope:
    """A staff member acting in one establishment with the roles they hold there."""

    person_id: int
    establishment_id: int
    roles: frozenset[str]

    @property
    def sees_whole_establishment(self) -> bool:
        return bool(self.roles & WHOLE_ESTABLISHMENT_ROLES)

    @property
    def administers(self) -> bool:
        return bool(self.roles & ADMINISTRATION_ROLES)

    @property
    def teaches(self) -> bool:
        return RoleKind.TEACHER in self.roles


# The longest identifier a refusal writes to the log (a query string may be long).
LOGGED_IDENTIFIER_LENGTH = 80


def loggable(identifier) -> str:
    """The identifier as one line of printable characters, cut to a reasonable length:
    what a URL or a form sent can neither forge another line of the log nor flood it."""
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(identifier))
    if len(text) > LOGGED_IDENTIFIER_LENGTH:
        return text[:LOGGED_IDENTIFIER_LENGTH] + "…"
    return text


def refuse(request, what: str, identifier) -> Http404:
    """The 404 for an object the person may not see (or that does not exist: both
    answer the same). The attempt is logged for the security team: what was asked and
    by which account, never what the object holds."""
    user = getattr(request, "user", None)
    logger.info(
        "refused %s %s to account %s from %s",
        what,
        loggable(identifier),
        getattr(user, "pk", None),
        client_address(request),
    )
    return Http404()
