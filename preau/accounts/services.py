"""Writes about accounts: opening and closing sessions, passwords."""

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from preau.accounts.models import Account
from preau.accounts.policy import session_lifetime
from preau.audit.services import audit_record
from preau.core.selectors import person_is_staff

SESSION_POLICY_KEY = "_preau_idle"
SESSION_TOUCHED_KEY = "_preau_touched"


def session_apply_policy(*, request: HttpRequest, account: Account, remember: bool) -> None:
    lifetime = session_lifetime(
        staff=account.is_staff or account.is_superuser or person_is_staff(account.person),
        remember=remember,
        remember_days=settings.PREAU_REMEMBER_ME_DAYS,
        idle_hours=settings.PREAU_IDLE_TIMEOUT_HOURS,
    )
    # Persistent: the cookie and the server-side session both last `idle_seconds` past
    # the last refresh. Otherwise the cookie dies with the browser and the server-side
    # session after SESSION_COOKIE_AGE (the idle timeout) without activity.
    request.session.set_expiry(lifetime.idle_seconds if lifetime.persistent else 0)
    request.session[SESSION_POLICY_KEY] = lifetime.idle_seconds
    request.session[SESSION_TOUCHED_KEY] = int(timezone.now().timestamp())


@transaction.atomic
def session_start(
    *, request: HttpRequest, account: Account, remember: bool, method: str = "password"
) -> None:
    """Sign `account` in on this request. Every way in (password today, SSO later)
    ends here, so that session lifetime and the trail are the same for all."""
    auth_login(request, account, backend="preau.accounts.backends.LoginBackend")
    session_apply_policy(request=request, account=account, remember=remember)
    if account.activated_at is None:
        account.activated_at = timezone.now()
        account.save(update_fields=["activated_at"])
    audit_record(
        actor=account,
        action="account.login",
        target=account,
        after={"method": method, "remember": remember},
    )


@transaction.atomic
def session_end(*, request: HttpRequest) -> None:
    account = request.user if request.user.is_authenticated else None
    if account is not None:
        audit_record(actor=account, action="account.logout", target=account)
    auth_logout(request)


@transaction.atomic
def password_changed(*, account: Account, by_reset: bool) -> None:
    """Record a password change made by Django's forms (change or reset by e-mail)."""
    if account.activated_at is None:
        account.activated_at = timezone.now()
        account.save(update_fields=["activated_at"])
    audit_record(
        actor=account,
        action="account.password_reset" if by_reset else "account.password_change",
        target=account,
    )
