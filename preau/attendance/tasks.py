"""Background work of attendance, queued after the commit of the request that asked
for it (architecture.md, "How background work flows")."""

from celery import shared_task

from preau.attendance import notices


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
def send_due_absence_notices() -> int:
    """Send the absence notices that are due. Queued with `eta` at the end of the quiet
    hours, and retried while the mail server is away: sending is idempotent, so a task
    delivered twice (a broker's visibility timeout on a long `eta`) sends nothing twice."""
    return notices.send_due_notices()
