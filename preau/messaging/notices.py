"""E-mail notifications of messages: one per recipient who wants it, sent by the
worker after the commit, in chunks, with a delivery state per recipient.

- **Content.** The e-mail says who wrote, where, and links to Préau; never the subject
  or the body (a message may be confidential: reading it takes signing in).
- **When.** `pending` rows go at once; `deferred` rows (families and pupils during
  the quiet hours) at `notify_after`. The sweep (`sweep`, run by beat every minute)
  sends what is due and what a lost task left behind.
- **Claims.** A chunk first claims its rows (`sending`, with a lease in
  `notify_after`) in a short transaction, sends outside any transaction, then records
  `sent` or `failed`. A worker that dies mid-chunk leaves `sending` rows whose lease
  lapses: the sweep sends them again (at least once, never lost).
- **Failures.** A failed attempt is retried with an exponential back-off (1, 2, 4…
  minutes, at most an hour), up to `policy.MAX_ATTEMPTS`; then the row stays `failed`
  with its last error, visible to the sender.
- **Who wants it.** `_wants_email`: every recipient with an address who has not turned
  off e-mails for messages (`accounts.NotificationPreference`). The others are
  `skipped`.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Case, F, Q, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from preau.accounts.models import NotificationKind
from preau.accounts.selectors import email_turned_off
from preau.core.models import Person
from preau.messaging import policy
from preau.messaging.models import NotifyState, Recipient

logger = logging.getLogger("preau.messaging")

CHUNK = 200
LEASE = timedelta(minutes=10)
# A `pending` row older than this was not picked up by its task (a broker away, or
# a backlog: a chunk sent twice is claimed once, so nothing goes twice).
LOST_AFTER = timedelta(minutes=5)
SWEEP_LIMIT = 20_000


def schedule(message_id: int) -> None:
    """Queue the notifications of a message once the transaction commits."""
    transaction.on_commit(lambda: enqueue_message(message_id), robust=True)


def enqueue_message(message_id: int) -> None:
    # Imported here: the tasks module imports this one.
    from preau.messaging.tasks import notify_message

    try:
        notify_message.delay(message_id)
    except Exception:
        # The broker away, whatever its library raises: the rows are kept `pending`,
        # and the sweep sends them when a worker runs.
        logger.exception("notifications of message %s could not be queued", message_id)


def _enqueue_chunks(ids: list[int]) -> int:
    from preau.messaging.tasks import send_notifications

    chunks = 0
    for start in range(0, len(ids), CHUNK):
        try:
            send_notifications.delay(ids[start : start + CHUNK])
        except Exception:
            logger.exception("a chunk of message notifications could not be queued")
            break
        chunks += 1
    return chunks


def fan_out(message_id: int, now: datetime | None = None) -> int:
    """Queue one task per chunk of the message's notifications due now; returns the
    number of chunks."""
    now = now or timezone.now()
    ids = list(
        Recipient.objects.filter(due_q(now), message_id=message_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return _enqueue_chunks(ids)


def due_q(now: datetime) -> Q:
    """Rows whose notification should be attempted now."""
    return (
        Q(notify_state=NotifyState.PENDING)
        | Q(notify_state=NotifyState.DEFERRED, notify_after__lte=now)
        | Q(
            notify_state=NotifyState.FAILED,
            notify_after__lte=now,
            notify_attempts__lt=policy.MAX_ATTEMPTS,
        )
        | Q(notify_state=NotifyState.SENDING, notify_after__lte=now)
    )


def sweep(now: datetime | None = None) -> int:
    """Queue what is due: deferred rows at the end of the quiet hours, failed rows at
    their next attempt, claims that lapsed, and pending rows a lost task left."""
    now = now or timezone.now()
    lost = Q(notify_state=NotifyState.PENDING, message__created_at__lte=now - LOST_AFTER) | Q(
        notify_state=NotifyState.PENDING, message__reminded_at__lte=now - LOST_AFTER
    )
    due = (due_q(now) & ~Q(notify_state=NotifyState.PENDING)) | lost
    ids = list(
        Recipient.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    return _enqueue_chunks(ids)


def _wants_email(person_ids: list[int]) -> set[int]:
    """Who among `person_ids` gets an e-mail for a new message: those with an address
    who did not turn message e-mails off (one query)."""
    return set(
        Person.objects.filter(pk__in=person_ids)
        .exclude(email="")
        .exclude(email_turned_off(NotificationKind.MESSAGES))
        .values_list("pk", flat=True)
    )


def message_url(message_id: int) -> str:
    """The address of the conversation holding the message (the inbox with
    `?message=` while the pages do not name a route `messaging:thread`)."""
    try:
        path = reverse("messaging:thread", args=[message_id])
    except NoReverseMatch:
        path = reverse("messaging:inbox") + f"?message={message_id}"
    return f"{settings.PREAU_SITE_URL.rstrip('/')}{path}"


def render(row: dict, url: str | None = None) -> EmailMessage:
    """The e-mail of one notification: who wrote and a link, nothing of the message."""
    sender = f"{row['message__sender__first_name']} {row['message__sender__last_name']}"
    reminder = row["message__reminded_at"] is not None
    if reminder:
        subject = f"Rappel : message de {sender} non lu dans Préau"
    else:
        subject = f"Nouveau message de {sender} dans Préau"
    name = f"{row['person__first_name']} {row['person__last_name']}"
    body = "\n".join(
        [
            f"Bonjour {name},",
            "",
            (
                f"{sender} vous a écrit dans Préau ({row['message__establishment__name']})"
                + (" et attend votre lecture." if reminder else ".")
            ),
            "Pour lire le message, connectez-vous à Préau :",
            url or message_url(row["message_id"]),
            "",
            "Ce courriel ne contient pas le message : seul Préau l'affiche, après connexion.",
            "",
            "-- ",
            "Préau — courriel automatique, merci de ne pas y répondre.",
        ]
    )
    return EmailMessage(
        subject=subject,
        body=body,
        to=[row["person__email"].strip()],
        headers={"Auto-Submitted": "auto-generated", "X-Preau-Message": str(row["message_id"])},
    )


def _claim(ids: list[int], now: datetime) -> list[int]:
    """Take the rows still due among `ids` (rows another worker holds are skipped)."""
    with transaction.atomic():
        claimed = list(
            Recipient.objects.select_for_update(skip_locked=True)
            .filter(due_q(now), pk__in=ids)
            .values_list("pk", flat=True)
        )
        if claimed:
            Recipient.objects.filter(pk__in=claimed).update(
                notify_state=NotifyState.SENDING,
                notify_after=now + LEASE,
                notify_attempts=F("notify_attempts") + 1,
            )
    return claimed


def _record_failures(failed: dict[str, list[int]], now: datetime) -> None:
    """Failed rows wait for their next attempt, by the number of attempts made."""
    backoff = Case(
        *[
            When(notify_attempts=attempts, then=now + policy.retry_delay(attempts))
            for attempts in range(1, policy.MAX_ATTEMPTS)
        ],
        default=None,
    )
    for error, ids in failed.items():
        Recipient.objects.filter(pk__in=ids).update(
            notify_state=NotifyState.FAILED, notify_after=backoff, last_error=error[:255]
        )


def deliver(ids: list[int], now: datetime | None = None) -> int:
    """Send the notifications of these recipient rows that are still due; returns how
    many e-mails went. Safe to run twice, or by several workers at once."""
    now = now or timezone.now()
    claimed = _claim(ids, now)
    if not claimed:
        return 0
    rows = list(
        Recipient.objects.filter(pk__in=claimed).values(
            "pk",
            "message_id",
            "person_id",
            "person__email",
            "person__first_name",
            "person__last_name",
            "message__sender__first_name",
            "message__sender__last_name",
            "message__establishment__name",
            "message__reminded_at",
        )
    )
    wanted = _wants_email([row["person_id"] for row in rows])
    skipped = [row["pk"] for row in rows if row["person_id"] not in wanted]
    if skipped:
        Recipient.objects.filter(pk__in=skipped).update(
            notify_state=NotifyState.SKIPPED,
            notify_after=None,
            last_error="Pas de notification par courriel (aucune adresse)",
        )
    to_send = [row for row in rows if row["person_id"] in wanted]
    sent: list[int] = []
    failed: dict[str, list[int]] = {}
    if to_send:
        mail = get_connection(fail_silently=False)
        try:
            mail.open()
        except OSError as error:
            failed[f"Serveur de courriel injoignable : {error}"] = [row["pk"] for row in to_send]
        else:
            try:
                urls: dict[int, str] = {}
                for row in to_send:
                    message_id = row["message_id"]
                    if message_id not in urls:
                        urls[message_id] = message_url(message_id)
                    try:
                        mail.send_messages([render(row, urls[message_id])])
                    except OSError as error:
                        failed.setdefault(str(error) or type(error).__name__, []).append(row["pk"])
                    else:
                        sent.append(row["pk"])
            finally:
                try:
                    mail.close()
                except OSError:
                    logger.warning("the mail server connection did not close cleanly")
    if sent:
        Recipient.objects.filter(pk__in=sent).update(
            notify_state=NotifyState.SENT,
            notified_at=timezone.now(),
            notify_after=None,
            last_error="",
        )
    if failed:
        _record_failures(failed, now)
        logger.warning(
            "message notifications failed for %d recipients: %s",
            sum(len(ids) for ids in failed.values()),
            "; ".join(failed)[:500],
        )
    return len(sent)
