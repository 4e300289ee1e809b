"""What Préau reads from a request whatever the domain."""

from django.conf import settings
from django.http import HttpRequest


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
