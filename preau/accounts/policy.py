"""How long a session lasts (access.md, "Getting in"). Pure: no request, no database."""

from dataclasses import dataclass
from datetime import timedelta


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
