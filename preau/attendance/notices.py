"""Notices of absences and lateness to families: both legal guardians, the same day,
by e-mail through the background worker and in the family space, respecting the
establishment's quiet hours for what is not urgent. `schedule` is called inside the
transaction that records the absence; the notices are created after its commit.

The rules, decided here:

- **Who.** Every legal guardian of the pupil (SIECLE level 1), both separated parents
  alike, each with their own rows; "reçoit le courrier" concerns postal letters, not
  these notices. An adult pupil's guardians are still told (absences stay visible to
  them, access.md). Levels 2 and 3 are not notified.
- **Channels.** One `AbsenceNotice` per absence, guardian and channel: the family space
  always, e-mail when the guardian's person has an address (`Person.email`, which is
  also what `Account.email` reads).
- **Choices.** A guardian who turned off the "absences et retards" e-mails
  (`accounts.NotificationPreference`) gets no e-mail for a lateness nor for a
  decision on a justification; an *absence* is e-mailed whatever they chose (the
  school must tell the family of every absence without delay: L131-8, circulaire
  2014-159), and the family-space notice is recorded for everything.
- **When.** `due_at` is now, or the end of the quiet hours when now is inside them and
  the notice is not urgent. Quiet hours are the establishment's daily window
  (`AttendancePolicy.quiet_hours_start`–`quiet_hours_end`, 20:00–07:30 by default) and
  the weekend, from Saturday to Monday at the window's end (messaging.md: nothing is
  pushed to families from Friday evening to Monday morning).
- **Urgent** means the family may not know where the child is right now: an *absence*
  (never a lateness: the pupil is at school) going on at the moment it is recorded. An
  evening roll call at the boarding house, or a first roll call before 07:30, is told
  at once; an absence entered in advance, or after it ended (the morning's absence
  entered by the office at 21:00), waits for the end of the quiet hours.
- **Sending** is idempotent: a notice is sent once (`sent_at`), whatever the number of
  tasks or workers that run `send_due_notices`; a pupil's same-day absences due at once
  go to each guardian in one e-mail. A voided absence is never notified; notices older
  than `STALE_AFTER` are no longer sent (news of an old absence is a letter's job).
- **Decisions.** When the vie scolaire accepts or rejects a justification, each legal
  guardian with an address is told by e-mail, with the explanation the vie scolaire
  wrote (`staff_comment`), which the family pages show too (`schedule_decision`). A
  decision is never urgent: it waits for the end of the quiet hours. One notice per
  decision (`AbsenceNotice.decision`) and guardian: deciding again makes new notices,
  scheduling the same decision again makes none. A decision no longer standing when
  its notice falls due (decided again, justified again, voided) is not sent: the
  family is told the latest one only.
"""

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from preau.accounts.models import NotificationKind
from preau.accounts.selectors import email_turned_off
from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceNotice,
    AbsenceState,
    AttendancePolicy,
    NoticeChannel,
)
from preau.core.models import Guardianship

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=14)
SEND_LIMIT = 2000


# -- When a notice is due (pure) -----------------------------------------------------------


def _in_window(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def release_at(moment: datetime, start: time, end: time) -> datetime:
    """The first instant from `moment` (aware, in the establishment's zone) outside the
    quiet hours: the daily window [start, end), which may span midnight, and the
    weekend up to Monday at `end`."""
    zone = moment.tzinfo
    for _step in range(4):
        day = moment.date()
        if day.weekday() >= 5:
            monday = day + timedelta(days=7 - day.weekday())
            moment = datetime.combine(monday, end, tzinfo=zone)
            continue
        if _in_window(moment.time(), start, end):
            ends_tomorrow = start > end and moment.time() >= start
            moment = datetime.combine(day + timedelta(days=ends_tomorrow), end, tzinfo=zone)
            continue
        break
    return moment


def is_urgent(absence: Absence, now: datetime) -> bool:
    """An absence going on now: the family may not know where the child is."""
    return absence.kind == AbsenceKind.ABSENCE and absence.start <= now < absence.end


def due_at(absence: Absence, now: datetime, policy: AttendancePolicy, zone: ZoneInfo) -> datetime:
    if is_urgent(absence, now):
        return now
    local = timezone.localtime(now, zone)
    released = release_at(local, policy.quiet_hours_start, policy.quiet_hours_end)
    return now if released == local else released


# -- Scheduling: after the commit, in bulk ------------------------------------------------


class _Batch:
    """The absences recorded in one transaction, whose notices are created together
    once it commits (a roll call records many absences at once)."""

    def __init__(self):
        self.ids: list[int] = []
        self.done = False

    def __call__(self):
        self.done = True
        create_notices(self.ids)


_pending = threading.local()


def schedule(absence: Absence) -> None:
    """Queue the notices of `absence` once the transaction commits."""
    if absence.voided_at is not None:
        return
    connection = transaction.get_connection()
    batch = getattr(_pending, "batch", None)
    # A batch serves while its callback waits in this transaction; after a commit or a
    # rollback the callback is gone and a new batch starts.
    waiting = (
        batch is not None
        and not batch.done
        and any(callback is batch for _sids, callback, _robust in connection.run_on_commit)
    )
    if waiting:
        batch.ids.append(absence.pk)
        return
    batch = _Batch()
    batch.ids.append(absence.pk)
    _pending.batch = batch
    # Robust: a failure here must not turn a recorded roll call into an error page; the
    # absence is committed and the desk still sees it.
    transaction.on_commit(batch, robust=True)


def _policies(establishment_ids) -> dict[int, AttendancePolicy]:
    found = {
        policy.establishment_id: policy
        for policy in AttendancePolicy.objects.filter(establishment_id__in=establishment_ids)
    }
    return {pk: found.get(pk) or AttendancePolicy(establishment_id=pk) for pk in establishment_ids}


def create_notices(absence_ids: list[int], now: datetime | None = None) -> list[AbsenceNotice]:
    """One notice per absence, legal guardian and channel (four queries whatever the
    number), then the sending task, at each distinct due time. Running it again
    creates nothing new."""
    now = now or timezone.now()
    absences = list(
        Absence.objects.filter(pk__in=absence_ids, voided_at__isnull=True).select_related(
            "establishment"
        )
    )
    if not absences:
        return []
    policies = _policies({a.establishment_id for a in absences})
    guardians: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    for pupil_id, guardian_id, email, turned_off in (
        Guardianship.objects.legal()
        .filter(pupil_id__in={a.pupil_id for a in absences})
        .annotate(turned_off=email_turned_off(NotificationKind.ABSENCES, "guardian_id"))
        .values_list("pupil_id", "guardian_id", "guardian__email", "turned_off")
    ):
        guardians[pupil_id].append((guardian_id, email.strip(), turned_off))
    notices = []
    for absence in absences:
        zone = ZoneInfo(absence.establishment.timezone)
        due = due_at(absence, now, policies[absence.establishment_id], zone)
        # An absence is always e-mailed; a lateness as the guardian chose.
        optional = absence.kind != AbsenceKind.ABSENCE
        for guardian_id, email, turned_off in guardians[absence.pupil_id]:
            by_email = email and not (optional and turned_off)
            channels = [NoticeChannel.SPACE] + ([NoticeChannel.EMAIL] if by_email else [])
            notices += [
                AbsenceNotice(
                    absence=absence,
                    guardian_id=guardian_id,
                    channel=channel,
                    queued_at=now,
                    due_at=due,
                )
                for channel in channels
            ]
    with transaction.atomic():
        AbsenceNotice.objects.bulk_create(notices, ignore_conflicts=True, batch_size=500)
        for due in sorted({notice.due_at for notice in notices}):
            transaction.on_commit(lambda due=due: _enqueue(due, now))
    return notices


def _enqueue(due: datetime, now: datetime) -> None:
    # Imported here: the tasks module imports this one.
    from preau.attendance.tasks import send_due_absence_notices

    try:
        if due <= now:
            send_due_absence_notices.delay()
        else:
            send_due_absence_notices.apply_async(eta=due)
    except Exception:
        # A broker away, whatever its library raises. The rows are kept: the next run
        # of `send_due_notices` (any later task, or a worker's periodic run) sends them.
        logger.exception("absence notices due at %s could not be queued", due)


# -- Decisions on justifications ----------------------------------------------------------

# The `AbsenceChange.action`s that are a decision of the vie scolaire (services.absence_decide).
DECISIONS = ("accepted", "rejected")


def schedule_decision(absence: Absence) -> None:
    """Queue the e-mails telling the legal guardians of the vie scolaire's latest
    decision on `absence`, once the transaction commits (at once outside one). Safe to
    call more than once for the same decision."""
    absence_id = absence.pk
    # Robust, as for absences: the decision is committed whatever happens to its notice.
    transaction.on_commit(lambda: create_decision_notices([absence_id]), robust=True)


def _latest_decisions(absence_ids) -> dict[int, AbsenceChange]:
    latest: dict[int, AbsenceChange] = {}
    for change in AbsenceChange.objects.filter(
        absence_id__in=absence_ids, action__in=DECISIONS
    ).order_by("absence_id", "-at", "-pk"):
        latest.setdefault(change.absence_id, change)
    return latest


def create_decision_notices(
    absence_ids: list[int], now: datetime | None = None
) -> list[AbsenceNotice]:
    """One e-mail notice per absence's standing decision and legal guardian with an
    address (four reads and one insert whatever the number), then the sending task. A decision is
    never urgent: due now, or at the end of the quiet hours. Running it again creates
    nothing new."""
    now = now or timezone.now()
    absences = list(
        Absence.objects.filter(
            pk__in=absence_ids,
            voided_at__isnull=True,
            state__in=(AbsenceState.ACCEPTED, AbsenceState.REJECTED),
        ).select_related("establishment")
    )
    if not absences:
        return []
    decisions = _latest_decisions([a.pk for a in absences])
    policies = _policies({a.establishment_id for a in absences})
    guardians: dict[int, list[int]] = defaultdict(list)
    for pupil_id, guardian_id, email, turned_off in (
        Guardianship.objects.legal()
        .filter(pupil_id__in={a.pupil_id for a in absences})
        .annotate(turned_off=email_turned_off(NotificationKind.ABSENCES, "guardian_id"))
        .values_list("pupil_id", "guardian_id", "guardian__email", "turned_off")
    ):
        # Decisions follow the guardian's choice of "absences et retards" e-mails.
        if email.strip() and not turned_off:
            guardians[pupil_id].append(guardian_id)
    notices = []
    for absence in absences:
        decision = decisions.get(absence.pk)
        # A state reached by a correction rather than a decision is not announced.
        if decision is None or decision.state != absence.state:
            continue
        policy = policies[absence.establishment_id]
        local = timezone.localtime(now, ZoneInfo(absence.establishment.timezone))
        released = release_at(local, policy.quiet_hours_start, policy.quiet_hours_end)
        due = now if released == local else released
        notices += [
            AbsenceNotice(
                absence=absence,
                decision=decision,
                guardian_id=guardian_id,
                channel=NoticeChannel.EMAIL,
                queued_at=now,
                due_at=due,
            )
            for guardian_id in guardians[absence.pupil_id]
        ]
    with transaction.atomic():
        AbsenceNotice.objects.bulk_create(notices, ignore_conflicts=True, batch_size=500)
        for due in sorted({notice.due_at for notice in notices}):
            transaction.on_commit(lambda due=due: _enqueue(due, now))
    return notices


# -- Sending -----------------------------------------------------------------------------


class NoticeDeliveryFailed(OSError):
    """Some e-mails could not be sent; they stay unsent and the task is retried."""


@dataclass(frozen=True)
class _Item:
    kind: str
    when: str
    course: str
    lateness: bool


def site_url() -> str:
    """Where the links of e-mails lead (the address families use to reach Préau)."""
    return settings.PREAU_SITE_URL.rstrip("/")


def _item(absence: Absence, zone: ZoneInfo) -> _Item:
    start = timezone.localtime(absence.start, zone)
    end = timezone.localtime(absence.end, zone)
    course = ""
    if absence.occurrence_id is not None:
        occurrence = absence.occurrence
        course = occurrence.subject.label if occurrence.subject_id else occurrence.label
    if absence.kind == AbsenceKind.LATENESS:
        return _Item(
            kind=translation.gettext("Retard de %(minutes)s min")
            % {"minutes": absence.minutes_late or 0},
            when=translation.gettext("à %(time)s") % {"time": formats.time_format(start, "H:i")},
            course=course,
            lateness=True,
        )
    if start.date() == end.date():
        when = translation.gettext("de %(start)s à %(end)s") % {
            "start": formats.time_format(start, "H:i"),
            "end": formats.time_format(end, "H:i"),
        }
    else:
        when = translation.gettext("du %(start)s au %(end)s") % {
            "start": formats.date_format(start, "l j F à H:i"),
            "end": formats.date_format(end, "l j F à H:i"),
        }
    return _Item(kind=translation.gettext("Absence"), when=when, course=course, lateness=False)


def render_notice(notices: list[AbsenceNotice], policy: AttendancePolicy) -> EmailMultiAlternatives:
    """The e-mail telling one guardian of one pupil's absences of one day."""
    first = notices[0].absence
    establishment = first.establishment
    zone = ZoneInfo(establishment.timezone)
    absences = sorted((notice.absence for notice in notices), key=lambda a: a.start)
    pupil = first.pupil
    day: date = timezone.localtime(first.start, zone).date()
    path = reverse("attendance:justify" if policy.families_may_justify else "attendance:mine")
    with translation.override("fr"), timezone.override(zone):
        items = [_item(absence, zone) for absence in absences]
        context = {
            "guardian": notices[0].guardian,
            "pupil": pupil,
            "establishment": establishment,
            "day": day,
            "items": items,
            "only_lateness": all(item.lateness for item in items),
            "several": len(items) > 1,
            "may_justify": policy.families_may_justify,
            "url": f"{site_url()}{path}?enfant={pupil.pk}",
        }
        subject = " ".join(render_to_string("attendance/email/notice_subject.txt", context).split())
        body = render_to_string("attendance/email/notice.txt", context)
        html = render_to_string("attendance/email/notice.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[notices[0].guardian.email.strip()],
        reply_to=[establishment.email] if establishment.email else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass(frozen=True)
class _Decision:
    day: str
    item: _Item
    accepted: bool
    explanation: str


def _decision_item(absence: Absence, zone: ZoneInfo) -> _Decision:
    start = timezone.localtime(absence.start, zone)
    return _Decision(
        day=formats.date_format(start, "l j F"),
        item=_item(absence, zone),
        accepted=absence.state == AbsenceState.ACCEPTED,
        explanation=absence.staff_comment.strip(),
    )


def render_decision(
    notices: list[AbsenceNotice], policy: AttendancePolicy
) -> EmailMultiAlternatives:
    """The e-mail telling one guardian of the vie scolaire's decisions on one pupil's
    justifications, each with its explanation."""
    first = notices[0].absence
    establishment = first.establishment
    zone = ZoneInfo(establishment.timezone)
    absences = sorted((notice.absence for notice in notices), key=lambda a: a.start)
    pupil = first.pupil
    rejected = any(a.state == AbsenceState.REJECTED for a in absences)
    may_justify = policy.families_may_justify and rejected
    path = reverse("attendance:justify" if may_justify else "attendance:mine")
    with translation.override("fr"), timezone.override(zone):
        decisions = [_decision_item(absence, zone) for absence in absences]
        context = {
            "guardian": notices[0].guardian,
            "pupil": pupil,
            "establishment": establishment,
            "decisions": decisions,
            "all_accepted": not rejected,
            "all_rejected": all(not d.accepted for d in decisions),
            "several": len(decisions) > 1,
            "may_justify": may_justify,
            "url": f"{site_url()}{path}?enfant={pupil.pk}",
        }
        subject = " ".join(
            render_to_string("attendance/email/decision_subject.txt", context).split()
        )
        body = render_to_string("attendance/email/decision.txt", context)
        html = render_to_string("attendance/email/decision.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[notices[0].guardian.email.strip()],
        reply_to=[establishment.email] if establishment.email else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_email_group(
    group: list[AbsenceNotice], policy: AttendancePolicy, now: datetime, render=render_notice
) -> int:
    """Send one e-mail for the group, claiming its notices first so that two workers
    never send it twice (rows locked by another worker are skipped; on SQLite the
    write transactions are serialised anyway)."""
    with transaction.atomic():
        claimed = set(
            AbsenceNotice.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[notice.pk for notice in group], sent_at__isnull=True)
            .values_list("pk", flat=True)
        )
        notices = [notice for notice in group if notice.pk in claimed]
        if not notices:
            return 0
        if not notices[0].guardian.email.strip():
            AbsenceNotice.objects.filter(pk__in=claimed).update(error="Aucune adresse électronique")
            return 0
        render(notices, policy).send()
        AbsenceNotice.objects.filter(pk__in=claimed).update(sent_at=now, error="")
    return len(notices)


def send_due_notices(now: datetime | None = None) -> int:
    """Send every notice due and not sent yet; return how many were sent. Safe to run
    at any time, as often as wanted, by several workers at once."""
    now = now or timezone.now()
    # A decision decided again, or justified again, since its notice was queued: the
    # family is told the latest decision only.
    later = AbsenceChange.objects.filter(
        absence_id=OuterRef("absence_id"), action__in=DECISIONS, pk__gt=OuterRef("decision_id")
    )
    standing = Q(decision__isnull=True) | (Q(absence__state=F("decision__state")) & ~Exists(later))
    due = list(
        AbsenceNotice.objects.filter(
            standing,
            sent_at__isnull=True,
            due_at__lte=now,
            due_at__gt=now - STALE_AFTER,
            absence__voided_at__isnull=True,
        )
        .select_related(
            "guardian", "absence__pupil", "absence__establishment", "absence__occurrence__subject"
        )
        .order_by("due_at", "pk")[:SEND_LIMIT]
    )
    if not due:
        return 0
    # The family space shows the absence as soon as it is recorded; its notice is the
    # signal that it was told, at the same moment as the e-mail.
    sent = AbsenceNotice.objects.filter(
        pk__in=[n.pk for n in due if n.channel == NoticeChannel.SPACE], sent_at__isnull=True
    ).update(sent_at=now)
    policies = _policies({notice.absence.establishment_id for notice in due})
    groups: dict[tuple, list[AbsenceNotice]] = defaultdict(list)
    for notice in due:
        if notice.channel != NoticeChannel.EMAIL:
            continue
        absence = notice.absence
        if notice.decision_id is not None:
            # The decisions of a pupil's justifications due at once: one e-mail.
            day = None
        else:
            zone = ZoneInfo(absence.establishment.timezone)
            day = timezone.localtime(absence.start, zone).date()
        groups[(notice.guardian_id, absence.pupil_id, absence.establishment_id, day)].append(notice)
    failed = 0
    for (_guardian, _pupil, establishment_id, day), group in groups.items():
        render = render_notice if day is not None else render_decision
        try:
            sent += _send_email_group(group, policies[establishment_id], now, render)
        except OSError as exc:
            failed += len(group)
            logger.warning("absence notice e-mail failed: %s", exc)
            AbsenceNotice.objects.filter(
                pk__in=[notice.pk for notice in group], sent_at__isnull=True
            ).update(error=str(exc)[:255])
    if failed:
        raise NoticeDeliveryFailed(f"{failed} avis d'absence n'ont pas pu être envoyés.")
    return sent
