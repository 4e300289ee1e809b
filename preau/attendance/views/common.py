"""What the staff pages of attendance share: the desk's audience, the active
establishment, rendering in the establishment's zone."""

from preau.attendance import services
from preau.core.access import StaffScope
from preau.core.http import render_page as core_render_page
from preau.core.models import Establishment


def is_desk(scope: StaffScope) -> bool:
    """CPE, assistants d'éducation, direction, secretariat (services.DESK_ROLES)."""
    return bool(scope.roles & services.DESK_ROLES)


def establishment_of(scope: StaffScope) -> Establishment:
    return Establishment.objects.get(pk=scope.establishment_id)


def render_page(request, template: str, context: dict, establishment: Establishment, status=200):
    """Dates and times are shown in the establishment's zone."""
    return core_render_page(request, template, context, zone=establishment.timezone, status=status)
