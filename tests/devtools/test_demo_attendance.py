"""The demo's attendance (`seed_demo --small`): roll calls only where a held occurrence
expected the pupil, absences exactly as the services would have left them (entries,
states, dated history, audit), pupils above the L131-8 threshold last month computed
with the half-day engine, the demo children's cases, and the roll calls not taken
today — seeded at the real time (whatever the day and hour the suite runs) and at a
fixed Tuesday morning."""

import itertools
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from preau.accounts.models import Account
from preau.attendance import engine, reports, services
from preau.attendance.models import (
    UNJUSTIFIED_STATES,
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceNotice,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
    AttendancePolicy,
    EventKind,
    FollowUp,
    Mark,
    RollCall,
    RollCallEntry,
    SchoolEvent,
)
from preau.audit.models import AuditEvent
from preau.core.models import Establishment, Role, RoleKind, SchoolYear
from preau.devtools.demo import COLLEGE_UAI, DEMO_UAIS, build_demo
from preau.devtools.demo_attendance import GRACE, previous_month
from preau.structure.models import Enrolment
from preau.timetable.checks import members_by_unit
from preau.timetable.models import NOT_HELD, Occurrence, OccurrenceStatus

PARIS = ZoneInfo("Europe/Paris")
# The real time, and a school-day morning when some of the day's roll calls are taken
# and Mme Schmitt has taught (she teaches on Tuesday mornings and is away another day).
MOMENTS = {
    "now": None,
    "tuesday-10h40": datetime(2026, 11, 24, 10, 40, tzinfo=PARIS),
}


@pytest.fixture(scope="module", params=list(MOMENTS))
def demo(request, django_db_setup, django_db_blocker):
    """The small demo, seeded once per moment and rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = build_demo(small=True, now=MOMENTS[request.param])
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def now(demo, db):
    return demo.now


def _expected(occurrences) -> dict[int, set[int]]:
    """The pupils each occurrence expects on its date (timetable.md: the members of
    its audience's units that day)."""
    members = {}
    for year in SchoolYear.objects.filter(establishment__uai__in=DEMO_UAIS):
        members.update(members_by_unit(year))
    expected = {}
    for occurrence in occurrences:
        pupils = set()
        for unit in occurrence.audience.all():
            if unit.pupil_id:
                pupils.add(unit.pupil_id)
                continue
            kind, pk = next(
                (kind, getattr(unit, f"{kind}_id"))
                for kind in ("division", "group", "class_part")
                if getattr(unit, f"{kind}_id")
            )
            pupils |= {
                p for p, span in members.get((kind, pk), ()) if span.contains(occurrence.date)
            }
        expected[occurrence.pk] = pupils
    return expected


def _held(queryset):
    return queryset.filter(withdrawn_in__isnull=True).exclude(
        status__in=[*NOT_HELD, OccurrenceStatus.TEACHER_ABSENT]
    )


def test_each_establishment_has_its_policy_and_reason_catalogue(now):
    for uai in DEMO_UAIS:
        establishment = Establishment.objects.get(uai=uai)
        assert AttendancePolicy.objects.filter(establishment=establishment).exists()
        codes = set(
            AbsenceReason.objects.filter(establishment=establishment).values_list("code", flat=True)
        )
        assert codes == {code for code, *_ in services.DEFAULT_REASONS}


def test_roll_calls_only_for_held_occurrences_expecting_their_pupils(now):
    calls = RollCall.objects.select_related("occurrence").prefetch_related(
        "occurrence__teachers", "occurrence__audience", "entries"
    )
    assert calls.exists()
    expected = _expected(call.occurrence for call in calls)
    desk = set(
        Role.objects.filter(kind__in=[RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT]).values_list(
            "person_id", flat=True
        )
    )
    for call in calls:
        occurrence = call.occurrence
        assert occurrence.is_held
        assert occurrence.status != OccurrenceStatus.TEACHER_ABSENT
        assert occurrence.withdrawn_in_id is None
        assert occurrence.start <= call.taken_at <= call.updated_at <= now
        teachers = {t.pk for t in occurrence.teachers.all()}
        assert call.taken_by_id in teachers | desk
        for entry in call.entries.all():
            assert entry.pupil_id in expected[occurrence.pk], (occurrence, entry.pupil_id)
            assert call.taken_at <= entry.entered_at <= call.updated_at
    # Every held occurrence of the days before today has its roll call.
    today = now.astimezone(PARIS).date()
    untaken = _held(Occurrence.objects.filter(date__lt=today, roll_call__isnull=True))
    assert not untaken.exists()
    # And most record nobody absent.
    with_entries = calls.filter(entries__isnull=False).distinct().count()
    assert with_entries < calls.count() / 2


def test_every_absence_from_a_roll_call_has_its_entry_and_was_expected(now):
    absences = Absence.objects.select_related(
        "occurrence", "roll_call_entry__roll_call"
    ).prefetch_related("occurrence__audience")
    expected = _expected({a.occurrence for a in absences if a.occurrence})
    kinds = Counter()
    for absence in absences:
        kinds[(absence.source, absence.kind)] += 1
        if absence.source != AbsenceSource.ROLL_CALL:
            assert absence.source == AbsenceSource.DESK
            assert absence.occurrence is None
            assert absence.roll_call_entry is None
            continue
        entry = absence.roll_call_entry
        if absence.voided_at is not None:
            # Put back to present by the teacher: the entry's link passed on (services).
            assert entry is None
            entry = RollCallEntry.objects.get(
                roll_call__occurrence=absence.occurrence, pupil=absence.pupil
            )
        assert entry is not None
        assert entry.pupil_id == absence.pupil_id
        assert entry.roll_call.occurrence_id == absence.occurrence_id
        assert absence.pupil_id in expected[absence.occurrence_id]
        assert absence.created_by_id == entry.entered_by_id
        if absence.kind == AbsenceKind.LATENESS:
            assert entry.mark == Mark.LATE
            assert absence.minutes_late == entry.minutes_late
            assert absence.end - absence.start == timedelta(minutes=entry.minutes_late)
        else:
            # Absent, or corrected to present by the teacher: then the absence is voided.
            assert entry.mark == (Mark.ABSENT if absence.voided_at is None else Mark.PRESENT)
            assert (absence.start, absence.end) == (
                absence.occurrence.start,
                absence.occurrence.end,
            )
    assert kinds[(AbsenceSource.ROLL_CALL, AbsenceKind.ABSENCE)] > 0
    assert kinds[(AbsenceSource.ROLL_CALL, AbsenceKind.LATENESS)] > 0
    assert kinds[(AbsenceSource.DESK, AbsenceKind.ABSENCE)] > 0


def test_each_mark_produced_what_the_services_produce(now):
    """An absent mark produces an absence unless a period of the vie scolaire already
    covers the course; a late mark a lateness; infirmary and exclusion a school event."""
    periods = defaultdict(list)
    for absence in Absence.objects.filter(source=AbsenceSource.DESK, voided_at__isnull=True):
        periods[absence.pupil_id].append(absence)
    products = {a.roll_call_entry_id: a for a in Absence.objects.filter(source="roll_call")}
    events = {e.roll_call_entry_id: e for e in SchoolEvent.objects.exclude(roll_call_entry=None)}
    for entry in RollCallEntry.objects.select_related("roll_call__occurrence"):
        occurrence = entry.roll_call.occurrence
        produced = products.get(entry.pk)
        if entry.mark == Mark.ABSENT:
            covering = [
                p
                for p in periods[entry.pupil_id]
                if p.start <= occurrence.start
                and p.end >= occurrence.end
                and p.created_at <= entry.entered_at
            ]
            assert (produced is None) == bool(covering), entry
        elif entry.mark == Mark.LATE:
            assert produced.kind == AbsenceKind.LATENESS
        elif entry.mark == Mark.PRESENT:
            # Corrected: what the absent mark produced is voided and no longer linked.
            assert produced is None
            voided = Absence.objects.get(occurrence=occurrence, pupil_id=entry.pupil_id)
            assert voided.voided_at is not None
        else:
            event = events[entry.pk]
            kind = EventKind.EXCLUSION if entry.mark == Mark.EXCLUDED else EventKind.INFIRMARY
            assert (event.kind, event.occurrence_id) == (kind, occurrence.pk)


def test_history_is_dated_in_order_and_ends_in_the_current_state(now):
    audit = defaultdict(list)
    for event in AuditEvent.objects.filter(object_type="attendance.absence"):
        audit[int(event.object_id)].append(event)
    changes = defaultdict(list)
    for change in AbsenceChange.objects.order_by("at", "pk"):
        changes[change.absence_id].append(change)
    actions = Counter()
    for absence in Absence.objects.all():
        history = changes[absence.pk]
        assert history[0].action == "created"
        assert (history[0].at, history[0].actor_id) == (absence.created_at, absence.created_by_id)
        assert history[0].state == AbsenceState.UNJUSTIFIED
        assert [c.at for c in history] == sorted(c.at for c in history)
        assert history[-1].at == absence.updated_at <= now
        last = history[-1]
        assert (last.state, last.reason_id, last.voided, last.end) == (
            absence.state,
            absence.reason_id,
            absence.voided_at is not None,
            absence.end,
        )
        assert absence.version == len(history)
        trail = sorted(audit[absence.pk], key=lambda e: (e.at, e.pk))
        assert [e.at for e in trail] == [c.at for c in history]
        assert trail[0].action == f"absence.created.{absence.source}"
        assert trail[-1].after["state"] == absence.state
        actions.update(c.action for c in history)
        if absence.state == AbsenceState.PENDING:
            assert absence.family_comment
            assert absence.reason_id
    # Justified the day after, decided two days later: the steps of a real term.
    assert {"created", "justified", "accepted", "rejected", "voided"} <= set(actions)
    # The families of a past term were told at the time: nothing is queued.
    assert not AbsenceNotice.objects.exists()


def test_roll_calls_are_audited_when_they_were_taken(now):
    taken = dict(RollCall.objects.values_list("pk", "taken_at"))
    events = AuditEvent.objects.filter(action="roll_call.taken")
    assert {int(pk): at for pk, at in events.values_list("object_id", "at")} == taken


def _month_lists(establishment: Establishment, start, end, as_of=None) -> dict[int, int]:
    """Unjustified half-days per pupil for the month, with the engine (raw count, the
    demo's policy), states as they stood `as_of` (None: now)."""
    zone = ZoneInfo(establishment.timezone)
    held = (
        Occurrence.objects.filter(establishment=establishment, date__gte=start, date__lte=end)
        .filter(withdrawn_in__isnull=True)
        .exclude(status__in=NOT_HELD)
        .prefetch_related("audience")
    )
    expected = _expected(held)
    scheduled = defaultdict(list)
    for occurrence in held:
        for pupil in expected[occurrence.pk]:
            scheduled[pupil].append(
                engine.Scheduled(occurrence.start.astimezone(zone), occurrence.end.astimezone(zone))
            )
    missed = defaultdict(list)
    absences = Absence.objects.filter(establishment=establishment, kind=AbsenceKind.ABSENCE)
    states = defaultdict(list)
    for change in AbsenceChange.objects.filter(absence__in=absences).order_by("at", "pk"):
        states[change.absence_id].append(change)
    for absence in absences:
        if as_of is None:
            state, voided = absence.state, absence.voided_at is not None
        else:
            then = [c for c in states[absence.pk] if c.at <= as_of]
            if not then:
                continue
            state, voided = then[-1].state, then[-1].voided
        if not voided:
            missed[absence.pupil_id].append(
                engine.Missed(
                    absence.start.astimezone(zone),
                    absence.end.astimezone(zone),
                    state in UNJUSTIFIED_STATES,
                )
            )
    return {
        pupil: engine.totals(items, missed[pupil]).unjustified_half_days
        for pupil, items in scheduled.items()
    }


def test_pupils_above_the_referral_threshold_in_the_previous_month(now):
    start, end = previous_month(now.astimezone(PARIS).date())
    for uai in DEMO_UAIS:
        establishment = Establishment.objects.get(uai=uai)
        days = set(
            Occurrence.objects.filter(
                establishment=establishment, date__gte=start, date__lte=end
            ).values_list("date", flat=True)
        )
        if len(days) < 12:
            pytest.skip(f"{start:%B %Y} has {len(days)} school days: no monthly list to show")
        policy = services.policy_for(establishment)
        counts = _month_lists(establishment, start, end)
        above = [p for p, n in counts.items() if n >= policy.referral_threshold]
        assert 3 <= len(above) <= len(counts) // 5, uai
        # The list the legal pages show (reports.py) is the same.
        listed = {f.pupil_id: f.unjustified_half_days for f in reports.l131_8(establishment, start)}
        assert listed == {p: counts[p] for p in above}
        assert any(n >= policy.heavy_threshold for n in counts.values()), uai
        # The list as of the month's end is not today's: absences justified since.
        month_end = datetime.combine(end, time(23, 59), tzinfo=PARIS)
        then = _month_lists(establishment, start, end, as_of=month_end)
        listed_then = {p for p, n in then.items() if n >= policy.referral_threshold}
        assert listed_then != set(above), uai
        # The family of one of them had a letter, with the figures of that day.
        letter = FollowUp.objects.get(establishment=establishment, month=start)
        assert letter.pupil_id in above
        assert letter.made_at <= now
        assert (
            letter.unjustified_half_days
            == _month_lists(establishment, start, end, as_of=letter.made_at)[letter.pupil_id]
        )


def test_a_pupil_whose_absences_rise_month_after_month(now):
    """The dropout watch's profile: in each establishment, a pupil absent on more
    half-days every month of the demo's past (months with at least five school days)."""
    for uai in DEMO_UAIS:
        past = _held(Occurrence.objects.filter(establishment__uai=uai, start__lt=now))
        days = Counter((d.year, d.month) for d in set(past.values_list("date", flat=True)))
        months = sorted(month for month, n in days.items() if n >= 5)
        if len(months) < 2:
            pytest.skip("fewer than two months of classes so far")
        halves = defaultdict(set)
        for pupil, start in Absence.objects.filter(
            establishment__uai=uai, kind=AbsenceKind.ABSENCE, voided_at__isnull=True
        ).values_list("pupil_id", "start"):
            local = start.astimezone(PARIS)
            halves[pupil].add((local.date(), local.hour >= 12))
        rising = []
        for missed in halves.values():
            counts = [
                sum(1 for day, _ in missed if (day.year, day.month) == month) for month in months
            ]
            if all(a < b for a, b in itertools.pairwise(counts)):
                rising.append(counts)
        assert rising, uai


def test_emma_can_justify_online_and_waits_for_a_decision(now):
    emma = Account.objects.get(login="eleve").person
    parent = Account.objects.get(login="parent")
    absences = Absence.objects.filter(pupil=emma, voided_at__isnull=True)
    assert absences.count() >= 2
    pending = absences.get(state=AbsenceState.PENDING)
    assert pending.family_comment
    assert pending.changes.last().actor_id == parent.person_id
    waiting = absences.filter(state=AbsenceState.UNJUSTIFIED, kind=AbsenceKind.ABSENCE).first()
    assert waiting is not None
    # Her mother justifies it through the service the family pages use.
    reason = AbsenceReason.objects.get(establishment=waiting.establishment, code="RDVMED")
    justified = services.absence_justify(
        actor=parent, absence=waiting, reason=reason, comment="Rendez-vous médical."
    )
    assert justified.state == AbsenceState.PENDING
    assert justified.changes.last().at > waiting.created_at


def test_lucas_is_often_late_and_theo_justifies_himself(now):
    lucas = Account.objects.get(login="lyceen").person
    late = Absence.objects.filter(pupil=lucas, kind=AbsenceKind.LATENESS)
    assert late.count() >= 3
    assert all(5 <= a.minutes_late <= 20 for a in late)
    theo = Account.objects.get(login="majeur").person
    mine = AbsenceChange.objects.filter(absence__pupil=theo, action="justified")
    assert mine.exists()
    assert set(mine.values_list("actor_id", flat=True)) == {theo.pk}


def test_school_events_a_trip_an_exemption_an_exclusion_and_infirmary_visits(now):
    trip = SchoolEvent.objects.filter(kind=EventKind.TRIP)
    assert trip.exists()
    day = trip[0].start.astimezone(PARIS).date()
    division = {
        Enrolment.objects.get(pupil_id=pupil).division.name
        for pupil in trip.values_list("pupil_id", flat=True)
    }
    assert division == {"5B"}
    # Out with the school: no mark at all for them that day.
    assert not RollCallEntry.objects.filter(
        pupil_id__in=trip.values("pupil_id"), roll_call__occurrence__date=day
    ).exists()
    exemption = SchoolEvent.objects.get(kind=EventKind.EXEMPTION)
    assert exemption.subject.code == "EPS"
    assert exemption.attendance_required
    assert SchoolEvent.objects.filter(kind=EventKind.EXCLUSION).count() == len(DEMO_UAIS)
    assert SchoolEvent.objects.filter(kind=EventKind.INFIRMARY).exists()


def test_half_days_missed_are_a_few_percent(now):
    """About 4 % of half-days have an absence (more in the small demo, whose profiles
    weigh on a few dozen pupils)."""
    zone = PARIS
    held = _held(Occurrence.objects.filter(start__lt=now)).prefetch_related("audience")
    expected = _expected(held)
    scheduled = defaultdict(list)
    for occurrence in held:
        for pupil in expected[occurrence.pk]:
            scheduled[pupil].append(
                engine.Scheduled(occurrence.start.astimezone(zone), occurrence.end.astimezone(zone))
            )
    missed = defaultdict(list)
    for absence in Absence.objects.filter(kind=AbsenceKind.ABSENCE, voided_at__isnull=True):
        missed[absence.pupil_id].append(
            engine.Missed(absence.start.astimezone(zone), absence.end.astimezone(zone), True)
        )
    total = absent = 0
    for pupil, items in scheduled.items():
        totals = engine.totals(items, missed[pupil])
        total += len(totals.days)
        absent += totals.half_days
    assert 0.02 <= absent / total <= 0.09


def test_roll_calls_not_taken_today_only_among_started_occurrences(now):
    """Today, roll calls are taken a few minutes after the start, except a few left for
    the "Appels non faits" list, Mme Schmitt's among them when she has taught today."""
    local = now.astimezone(PARIS)
    today = _held(Occurrence.objects.filter(date=local.date())).prefetch_related("teachers")
    started = [o for o in today if o.start <= now - timedelta(minutes=GRACE)]
    taken = set(
        RollCall.objects.filter(occurrence__date=local.date()).values_list(
            "occurrence_id", flat=True
        )
    )
    missing = [o for o in started if o.pk not in taken]
    assert not RollCall.objects.filter(occurrence__date=local.date(), taken_at__gt=now).exists()
    assert not RollCall.objects.filter(occurrence__start__gt=now).exists()
    if now == MOMENTS["tuesday-10h40"]:
        # A school-day morning: courses have started, Mme Schmitt's among them.
        prof = Account.objects.get(login="prof").person
        assert any(prof in o.teachers.all() for o in started)
    if not started:
        assert not missing
        return
    prof = Account.objects.get(login="prof").person
    college_started = [o for o in started if o.establishment.uai == COLLEGE_UAI]
    assert 1 <= len(missing) <= 4
    if college_started:
        assert any(o.establishment.uai == COLLEGE_UAI for o in missing)
    if any(prof in o.teachers.all() for o in started):
        assert any(prof in o.teachers.all() for o in missing)
    assert any(prof not in o.teachers.all() for o in missing)
