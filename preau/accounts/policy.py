"""How long a session, an activation code and a personal token last (access.md,
"Getting in"). Pure: no request, no database."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SessionLifetime:
    # Seconds without activity after which the session ends.
    idle_seconds: int
    # Whether the cookie outlives the browser (kept on a personal device).
    persistent: bool


def session_lifetime(
    *, staff: bool, remember: bool, remember_days: int, idle_hours: int
) -> SessionLifetime:
    """Families and pupils who ask to stay signed in keep their session `remember_days`
    after their last visit. Staff never do, whatever they tick: their sessions end
    after `idle_hours` of inactivity or when the browser closes, because they open
    pupils' files on shared computers."""
    if remember and not staff:
        return SessionLifetime(
            idle_seconds=int(timedelta(days=remember_days).total_seconds()), persistent=True
        )
    return SessionLifetime(
        idle_seconds=int(timedelta(hours=idle_hours).total_seconds()), persistent=False
    )


# Activation codes printed on letters are valid this many days (a letter handed out at
# the rentrée may be opened after the Toussaint holidays).
ACTIVATION_CODE_DAYS = 60


@dataclass(frozen=True)
class TokenLifetime:
    key: str
    label: object  # a lazy translation
    days: int | None


TOKEN_LIFETIMES = (
    TokenLifetime("30", _("30 jours"), 30),
    TokenLifetime("90", _("90 jours"), 90),
    TokenLifetime("365", _("1 an"), 365),
    TokenLifetime("never", _("Sans date de fin"), None),
)


def token_lifetimes(*, staff: bool) -> tuple[TokenLifetime, ...]:
    """How long a new personal token may live. A token is a key to the person's data
    that no idle timeout closes: staff, who open pupils' files, always give theirs an
    end (a year at most); families and pupils may keep one without."""
    if staff:
        return tuple(lifetime for lifetime in TOKEN_LIFETIMES if lifetime.days is not None)
    return TOKEN_LIFETIMES
