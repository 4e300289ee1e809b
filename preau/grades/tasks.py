"""Background work of grades, queued after the commit of the request that asked for
it."""

from celery import shared_task

from preau.grades import notices


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
def send_report_card_notices() -> int:
    """Tell families their report cards are in their space; retried while the mail
    server is away (sending is idempotent)."""
    return notices.send_pending()
