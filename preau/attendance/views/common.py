"""What the staff pages of attendance share: the desk's audience, the active
establishment, rendering in the establishment's zone."""

from zoneinfo import ZoneInfo

from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from preau.attendance import services
from preau.core.access import StaffScope
from preau.core.models import Establishment


def is_desk(scope: StaffScope) -> bool:
    """CPE, assistants d'éducation, direction, secretariat (services.DESK_ROLES)."""
    return bool(scope.roles & services.DESK_ROLES)


def establishment_of(scope: StaffScope) -> Establishment:
    return Establishment.objects.get(pk=scope.establishment_id)


def render_page(request, template: str, context: dict, establishment: Establishment, status=200):
    """Dates and times are shown in the establishment's zone."""
    with timezone.override(ZoneInfo(establishment.timezone)):
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
