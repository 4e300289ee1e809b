"""Limits on failed logins and wrong activation codes, per account and per client
address.

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


def _checks(login: str, *, per_address: str, per_account: str, prefix: str) -> list:
    checks = [
        (f"{prefix}-address", "ip", per_address),
        (f"{prefix}-account", lambda group, request: normalise_login(login), per_account),
    ]
    return checks if login.strip() else checks[:1]


def _usage(request: HttpRequest, checks: list, *, increment: bool) -> list[dict]:
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


def _login_checks(login: str) -> list:
    return _checks(
        login,
        per_address=settings.PREAU_LOGIN_FAILURES_PER_ADDRESS,
        per_account=settings.PREAU_LOGIN_FAILURES_PER_ACCOUNT,
        prefix="login-failures",
    )


def _throttle(usages: list[dict]) -> Throttle:
    usages = [usage for usage in usages if usage["count"] >= usage["limit"]]
    if not usages:
        return Throttle(locked=False, seconds_left=0)
    return Throttle(locked=True, seconds_left=max(usage["time_left"] for usage in usages))


def login_throttle(request: HttpRequest, login: str) -> Throttle:
    """Whether a login attempt for `login` from this client must be refused now."""
    return _throttle(_usage(request, _login_checks(login), increment=False))


def login_failed(request: HttpRequest, login: str) -> None:
    _usage(request, _login_checks(login), increment=True)


# Activation codes (the letters of `accounts.letters`): wrong codes are counted per
# identifier typed and per client address, as login failures are, in groups of their
# own. A code has 2⁵⁴ values: ten tries an hour per identifier leave nothing to guess.
ACTIVATION_FAILURES_PER_ACCOUNT = "10/h"
ACTIVATION_FAILURES_PER_ADDRESS = "50/h"


def _activation_checks(login: str) -> list:
    return _checks(
        login,
        per_address=getattr(
            settings, "PREAU_ACTIVATION_FAILURES_PER_ADDRESS", ACTIVATION_FAILURES_PER_ADDRESS
        ),
        per_account=getattr(
            settings, "PREAU_ACTIVATION_FAILURES_PER_ACCOUNT", ACTIVATION_FAILURES_PER_ACCOUNT
        ),
        prefix="activation-failures",
    )


def activation_throttle(request: HttpRequest, login: str) -> Throttle:
    """Whether an activation attempt for `login` from this client must be refused now."""
    return _throttle(_usage(request, _activation_checks(login), increment=False))


def activation_failed(request: HttpRequest, login: str) -> None:
    _usage(request, _activation_checks(login), increment=True)


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
