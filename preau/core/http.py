"""What Préau reads from a request whatever the domain."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers


def client_address(request: HttpRequest) -> str:
    """The address of the client, seen through `PREAU_TRUSTED_PROXIES` reverse proxies
    (each appends the address it received the request from to X-Forwarded-For)."""
    trusted = settings.PREAU_TRUSTED_PROXIES
    if trusted:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a key, not a bind


def as_int(raw) -> int | None:
    """A number from a query string or a form, or None."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def render_page(
    request, template: str, context: dict, *, zone: str = "Europe/Paris", status: int = 200
) -> HttpResponse:
    """A page with dates and times in the establishment's zone; it varies on htmx
    requests (a fragment or the whole page)."""
    with timezone.override(ZoneInfo(zone)):
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
