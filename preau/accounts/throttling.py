"""Limits on failed logins, per account and per client address.

Counting is done by django-ratelimit in the shared cache (Redis in production), over
fixed windows. Only failures count: a successful login never brings a person closer to
being locked out.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from preau.accounts.models import normalise_login

GROUP_ACCOUNT = "login-failures-account"
GROUP_ADDRESS = "login-failures-address"


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


@dataclass(frozen=True)
class Throttle:
    locked: bool
    seconds_left: int


def _usage(request: HttpRequest, login: str, *, increment: bool) -> list[dict]:
    checks = [
        (GROUP_ADDRESS, "ip", settings.PREAU_LOGIN_FAILURES_PER_ADDRESS),
        (
            GROUP_ACCOUNT,
            lambda group, request: normalise_login(login),
            settings.PREAU_LOGIN_FAILURES_PER_ACCOUNT,
        ),
    ]
    if not login.strip():
        checks = checks[:1]
    usages = []
    for group, key, rate in checks:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
        if usage is not None:
            usages.append(usage)
    return usages


def login_throttle(request: HttpRequest, login: str) -> Throttle:
    """Whether a login attempt for `login` from this client must be refused now."""
    usages = [
        usage
        for usage in _usage(request, login, increment=False)
        if usage["count"] >= usage["limit"]
    ]
    if not usages:
        return Throttle(locked=False, seconds_left=0)
    return Throttle(locked=True, seconds_left=max(usage["time_left"] for usage in usages))


def login_failed(request: HttpRequest, login: str) -> None:
    _usage(request, login, increment=True)
