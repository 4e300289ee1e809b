"""Telling families a report card is in their space: one e-mail per recipient, sent
after the commit by a worker, retried while the mail server is away, never twice.

The e-mail says only that the card is there (access.md: notifications never carry
confidential content); reading it takes signing in. Recipients are those who may see
the card (`access.family_grades_access`): both legal guardians, separated or not,
unless the pupil, of age, objected; persons in charge and contacts when the
establishment shows them grades. A recipient who turned off the "notes et bulletins"
e-mails (`accounts.NotificationPreference`) gets no notice: the card is in their space
all the same.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from preau.accounts.models import NotificationKind
from preau.accounts.selectors import email_turned_off
from preau.core.models import Guardianship, ResponsibilityLevel
from preau.grades.access import CONTACT, LEGAL, family_grades_access, policy_of
from preau.grades.models import ReportCard, ReportCardNotice


def create_notices(cards: list[ReportCard]) -> list[ReportCardNotice]:
    """The notices of newly issued cards (call inside the issuing transaction)."""
    if not cards:
        return []
    policy = policy_of(cards[0].establishment_id)
    by_pupil: dict[int, list[ReportCard]] = {}
    for card in cards:
        by_pupil.setdefault(card.pupil_id, []).append(card)
    notices = []
    links = Guardianship.objects.filter(pupil_id__in=list(by_pupil)).annotate(
        turned_off=email_turned_off(NotificationKind.GRADES, "guardian_id")
    )
    for link in links:
        if link.turned_off:
            continue
        access = family_grades_access(
            link=LEGAL if link.level == ResponsibilityLevel.LEGAL else CONTACT,
            objection=link.adult_objection_at is not None,
            policy=policy,
        )
        if not access.may_see:
            continue
        notices += [
            ReportCardNotice(report_card=card, recipient_id=link.guardian_id)
            for card in by_pupil[link.pupil_id]
        ]
    ReportCardNotice.objects.bulk_create(notices, ignore_conflicts=True)
    return notices


def schedule() -> None:
    """Queue the sending after the commit of the issuing."""
    from preau.grades import tasks

    transaction.on_commit(lambda: tasks.send_report_card_notices.delay())


class NoticeDeliveryFailed(OSError):
    """Some e-mails could not be sent; they stay unsent and the task is retried."""


def render(notice: ReportCardNotice) -> EmailMessage:
    card = notice.report_card
    path = reverse("grades:report_cards")
    context = {
        "recipient": notice.recipient,
        "pupil": card.pupil,
        "period": card.period,
        "establishment": card.establishment,
        "url": f"{settings.PREAU_SITE_URL.rstrip('/')}{path}?enfant={card.pupil_id}",
    }
    with translation.override("fr"):
        subject = " ".join(
            render_to_string("grades/email/report_card_subject.txt", context).split()
        )
        body = render_to_string("grades/email/report_card.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        to=[notice.recipient.email.strip()],
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_pending() -> int:
    """Send every notice not sent yet; return how many went. Each is claimed in its
    own transaction (rows another worker holds are skipped), so none goes twice."""
    sent = 0
    failed = 0
    pending = list(
        ReportCardNotice.objects.filter(sent_at__isnull=True, error="").values_list("pk", flat=True)
    )
    for pk in pending:
        with transaction.atomic():
            notice = (
                ReportCardNotice.objects.select_for_update(skip_locked=True)
                .select_related(
                    "recipient",
                    "report_card__pupil",
                    "report_card__period",
                    "report_card__establishment",
                )
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if notice is None:
                continue
            if not notice.recipient.email.strip():
                notice.error = "Aucune adresse électronique"
                notice.save(update_fields=["error"])
                continue
            try:
                render(notice).send()
            except OSError:
                failed += 1
                continue
            notice.sent_at = timezone.now()
            notice.save(update_fields=["sent_at"])
            sent += 1
    if failed:
        raise NoticeDeliveryFailed(f"{failed} avis de bulletin non envoyés")
    return sent
