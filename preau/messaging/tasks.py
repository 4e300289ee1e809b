"""Background work of messaging, queued after the commit of the sending (notices.py
says how delivery, quiet hours and retries work)."""

from celery import shared_task

from preau.messaging import notices


@shared_task
def notify_message(message_id: int) -> int:
    """Fan a message's notifications out in chunks (one task each)."""
    return notices.fan_out(message_id)


@shared_task
def send_notifications(recipient_ids: list[int]) -> int:
    """Send one chunk of notifications; failures are recorded per recipient and
    retried by the sweep with a back-off, so the task itself does not retry."""
    return notices.deliver(recipient_ids)


@shared_task
def sweep_notifications() -> int:
    """Run by beat every minute: what the quiet hours deferred, failed attempts due
    again, lapsed claims, and anything a lost task left."""
    return notices.sweep()
