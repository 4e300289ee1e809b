"""Permission checks shared by the services of every domain."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from preau.core.models import Establishment, Role, RoleKind


def actor_person_id(actor) -> int | None:
    """The person acting (None for the system or an account without a person)."""
    return getattr(actor, "person_id", None)


def is_system(actor) -> bool:
    """Commands, the demo and superusers act without a role."""
    return actor is None or getattr(actor, "is_superuser", False)


def roles_in(actor, establishment_id: int) -> set[str]:
    """The roles the actor holds today in the establishment (one query)."""
    return set(
        Role.objects.current(timezone.localdate())
        .filter(person_id=actor_person_id(actor), establishment_id=establishment_id)
        .values_list("kind", flat=True)
    )


def directs(actor, establishment_id: int) -> bool:
    """The system, or a member of the establishment's direction."""
    return is_system(actor) or RoleKind.DIRECTION in roles_in(actor, establishment_id)


def require_administrator(actor, establishment: Establishment | None) -> None:
    """Direction and secretariat administer their establishment; superusers and
    region administrators administer all."""
    if actor is None or actor.is_superuser:
        return
    roles = Role.objects.filter(person_id=actor.person_id).current(timezone.localdate())
    if roles.filter(kind=RoleKind.REGION_ADMIN).exists():
        return
    if (
        establishment is not None
        and roles.filter(
            establishment=establishment, kind__in=[RoleKind.DIRECTION, RoleKind.SECRETARIAT]
        ).exists()
    ):
        return
    raise PermissionDenied("Seules la direction et le secrétariat administrent l'établissement.")
