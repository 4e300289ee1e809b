"""Limits on failed logins, per account and per client address.

Counting is done by django-ratelimit in the shared cache (Redis in production), over
fixed windows. Only failures count: a successful login never brings a person closer to
being locked out. When the cache cannot be reached, logins go on unthrottled (and the
fact is logged) rather than nobody being able to sign in.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from preau.accounts.models import normalise_login

logger = logging.getLogger("preau.accounts")

GROUP_ACCOUNT = "login-failures-account"
GROUP_ADDRESS = "login-failures-address"


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
    try:
        for group, key, rate in checks:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
            if usage is not None:
                usages.append(usage)
    except Exception:  # any cache failure: Redis down, timeout, refused connection
        logger.exception("login throttling unavailable: the shared cache cannot be reached")
        return []
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


def password_reset_throttle(request: HttpRequest) -> bool:
    """Whether this client has asked for too many password-reset e-mails lately (each
    request counts, successful or not: the answer never tells whether it matched)."""
    try:
        usage = get_usage(
            request,
            group="password-reset-address",
            key="ip",
            rate=settings.PREAU_PASSWORD_RESETS_PER_ADDRESS,
            increment=True,
        )
    except Exception:
        logger.exception("password-reset throttling unavailable")
        return False
    return usage is not None and usage["should_limit"]
