from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
def send_account_email(*, subject: str, body: str, to: str, html: str | None = None) -> None:
    """Account e-mails (password reset) leave through the worker, after the commit of
    the request that asked for them, and are retried while the mail server is away."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
