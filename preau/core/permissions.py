"""Permission checks shared by the services of every domain."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from preau.core.models import Establishment, Role, RoleKind


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
