"""The messaging tests run at a known moment: a Wednesday at 10:00 in Paris (outside
the quiet hours) within the factories' school year, unless a test moves the clock."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")


def weekday_at(weekday: int, hour: int, minute: int = 0) -> datetime:
    """This week's `weekday` (0 Monday) at `hour`, Paris time (aware)."""
    day = (
        timezone.localdate()
        - timedelta(days=timezone.localdate().weekday())
        + timedelta(days=weekday)
    )
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta) -> None:
        self.moment = self.moment + timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """`timezone.now()` answers the clock's moment (Wednesday 10:00 by default)."""
    frozen = Clock(weekday_at(2, 10))
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen
