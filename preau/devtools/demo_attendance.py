"""The demo establishments' attendance: a term of roll calls and absences, as the
vie scolaire of a real collège and lycée would have them on the day of seeding.

What is there (attendance.md, docs/demo.md):

- each establishment's policy and default reason catalogue (through the services);
- a roll call for every held occurrence from the rentrée up to now, taken by its
  teacher a few minutes after it started (a few completed later by the vie scolaire),
  most with nobody absent; today, a few that started are left without a roll call, one
  of them Mme Schmitt's (`prof`), for the "Appels non faits" list;
- illness spells of one to three days entered by the vie scolaire as periods (the
  roll calls of those days mark the pupil absent and produce no second absence),
  justified by the family online and accepted with reason MAL, the recent ones still
  pending; single-course and half-day absences from roll calls, mostly justified by the
  family and accepted, some rejected, some never justified; lateness (a few habitual
  late pupils); infirmary visits, one exclusion from a course per establishment, an EPS
  exemption, a school trip for a division;
- in the previous complete month, a handful of pupils per establishment at or above
  the L131-8 referral threshold and one heavy absentee, with a family letter recorded
  for one of them; one pupil whose absences were accepted only after the month ended
  (so the list as of the month's end differs from today's); one pupil per
  establishment whose absences rise month after month (dropout watch);
- the demo accounts' children: Emma (`eleve`) with an accepted illness day, a pending
  justification and a recent unjustified absence `parent` can justify; Lucas
  (`lyceen`) often late; Théo (`majeur`) justifies an absence himself.

The rows are bulk-inserted, but exactly as the services would write them
(`services.roll_call_record`, `absence_create`, `absence_justify`, `absence_decide`,
`absence_update`, `absence_void`, `school_event_create`): the same fields and states, an
`AbsenceChange` for every state an absence stood in, dated when the change happened
(created at the roll call, justified the next evening, decided two days later), and the
same audit events with the same snapshots, dated too. Nothing happens after `now`: a
justification or decision that would come later has not happened yet. No notices are
queued: the families of a past term were told at the time. Deterministic for a seed,
today and now.
"""

import bisect
import random
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from preau.accounts.models import Account
from preau.attendance import engine, services
from preau.attendance.models import (
    UNJUSTIFIED_STATES,
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceSource,
    AbsenceState,
    EventKind,
    FollowUp,
    FollowUpKind,
    Mark,
    RollCall,
    RollCallEntry,
    SchoolEvent,
)
from preau.audit.models import AuditEvent
from preau.core.models import (
    Establishment,
    Guardianship,
    ResponsibilityLevel,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.devtools.dated import dated_fields
from preau.structure.models import Division, Enrolment, Subject
from preau.timetable.checks import members_by_unit
from preau.timetable.models import (
    NOT_HELD,
    Occurrence,
    OccurrenceAudience,
    OccurrenceStatus,
    OccurrenceTeacher,
)

BATCH = 1000
# Minutes after its start when an occurrence without a roll call is "not taken"
# (attendance.md); the policy's default.
GRACE = 15
# Probabilities per pupil: of starting an illness spell on a school day, of missing a
# half-day, of missing one course, of being late to the first course of a half-day, of
# going to the infirmary during a course. With the propensities below, about 4 % of
# half-days have an absence, as in the national figures.
ILLNESS = 0.011
HALF_DAY = 0.0065
COURSE = 0.0035
LATE = 0.004
HABITUAL_LATE = 0.3
INFIRMARY = 0.0006
# Most pupils are seldom absent, a few often (a pupil's factor on the probabilities).
PROPENSITY = (0.3, 0.3, 0.5, 0.5, 0.8, 1.0, 1.0, 1.3, 2.0, 3.5)

TRIP_DIVISION = "5B"
TRIP_NOTE = "Sortie au musée de la Cour d'Or (Metz) avec la classe."
EXEMPTION_NOTE = (
    "Certificat médical : entorse de la cheville. Dispense d'EPS pour trois semaines, "
    "présence en cours demandée."
)
INFIRMARY_NOTES = (
    "Mal de tête.",
    "Maux de ventre.",
    "S'est fait mal à la main.",
    "Nausées.",
    "Saignement de nez.",
    "",
)
EXCLUSION_NOTE = "Refus de travailler et insolence : exclu, accompagné en vie scolaire."
PHONED = (
    "La famille a prévenu par téléphone.",
    "Appel de la mère à l'ouverture de la vie scolaire.",
    "Appel du père : l'enfant est malade.",
    "Message laissé sur le répondeur de la vie scolaire.",
)
ILL_COMMENTS = (
    "Gastro-entérite.",
    "Fièvre, consultation chez le médecin.",
    "Angine, certificat médical envoyé.",
    "Grippe, certificat médical joint.",
    "Forte fièvre depuis la veille.",
)
# Reasons families give for a course or a half-day, with their comments; the weights
# are how often each comes.
FAMILY_REASONS = (
    ("RDVMED", 10, ("Rendez-vous chez l'orthodontiste.", "Rendez-vous chez le médecin.")),
    ("FAM", 3, ("Mariage dans la famille.", "Obsèques de son grand-père.")),
    ("TRANSP", 3, ("Le bus n'est pas passé.", "Grève des transports, pas de bus.")),
    ("CONV", 1, ("Convocation à la préfecture pour sa carte d'identité.",)),
    ("EXAM", 1, ("Examen du conservatoire.",)),
    ("RELIG", 2, ("Fête religieuse.",)),
    ("PANNE", 3, ("Panne de réveil.",)),
    ("PERSO", 3, ("Raison personnelle.", "Il ne se sentait pas d'aller en cours.")),
)
LATE_REASONS = (
    ("TRANSP", 2, ("Bus en retard.", "Tramway en panne.")),
    ("PANNE", 1, ("Panne de réveil.",)),
)
PAPER_NOTE = "Justificatif papier remis à la vie scolaire (carnet de correspondance)."
REJECTED_NOTE = "Motif non recevable : l'absence reste non justifiée."


@dataclass
class AttendanceSummary:
    roll_calls: int = 0
    entries: int = 0
    absences: int = 0
    lateness: int = 0
    changes: int = 0
    events: int = 0
    audit_events: int = 0
    not_taken_today: int = 0
    seconds: float = 0.0
    # Per establishment UAI: the pupils planned above the referral threshold in the
    # previous month (the heavy absentee first), for the summary and the tests.
    referral: dict = field(default_factory=dict)
    referral_month: date | None = None
    dropout: dict = field(default_factory=dict)  # per UAI, the dropout-watch profile
    now: datetime | None = None


# -- What is planned ------------------------------------------------------------------


@dataclass(eq=False)
class Occ:
    """A held occurrence that started before now, as the planning sees it."""

    pk: int
    uid: str
    day: date
    start: datetime  # as read from the database (aware)
    end: datetime
    local: datetime  # its start on the establishment's clock
    half: tuple[date, int]
    subject_id: int | None
    teachers: tuple[int, ...]
    pupils: frozenset[int] = frozenset()
    taken_at: datetime | None = None
    taken_by: int | None = None


@dataclass(eq=False)
class Step:
    """One change of an absence after its creation: what `absence_justify`,
    `absence_decide`, `absence_update` or `absence_void` would write."""

    at: datetime
    actor: int | None  # a person
    action: str
    changes: dict


@dataclass(eq=False)
class EntryPlan:
    occ: Occ
    pupil: int
    # What the teacher typed, in order: (at, mark, minutes late, note); the last one
    # is the entry as it stands.
    typed: list[tuple[datetime, str, int | None, str]]
    by: int | None
    row: RollCallEntry | None = None


@dataclass(eq=False)
class AbsencePlan:
    pupil: int
    kind: str
    start: datetime
    end: datetime
    source: str
    created_at: datetime
    created_by: int | None
    occ: Occ | None = None
    entry: EntryPlan | None = None
    minutes_late: int | None = None
    staff_comment: str = ""
    steps: list[Step] = field(default_factory=list)
    row: Absence | None = None


@dataclass(eq=False)
class EventPlan:
    pupil: int
    kind: str
    start: datetime
    end: datetime
    created_at: datetime
    created_by: int | None
    note: str = ""
    occ: Occ | None = None
    entry: EntryPlan | None = None
    subject_id: int | None = None
    attendance_required: bool = True
    row: SchoolEvent | None = None


def first_course(occ: Occ) -> bool:
    """A course at 8:00, where lateness usually happens."""
    return (occ.local.hour, occ.local.minute) == (8, 0)


def previous_month(today: date) -> tuple[date, date]:
    """The first and last days of the month before `today`'s: the month of the L131-8
    list a vie scolaire prepares at the beginning of a month."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def reference_now(today: date, zone: ZoneInfo) -> datetime:
    """`now` for a demo seeded "as of" `today`: the real time when `today` is the real
    date, else 10:40 that day (some of its roll calls taken, others not yet)."""
    if today == timezone.localdate():
        return timezone.now()
    return datetime.combine(today, time(10, 40), tzinfo=zone)


def dated_audit():
    """Audit events written with the time the change happened rather than the time of
    seeding: `AuditEvent.at` is `auto_now_add`, which `bulk_create` would apply."""
    return dated_fields(AuditEvent._meta.get_field("at"))


# -- One establishment ------------------------------------------------------------------


class School:
    """One establishment's past term: its held occurrences up to now with their pupils,
    the people who act, and what is planned for it."""

    def __init__(self, builder: "AttendanceBuilder", establishment: Establishment, year):
        self.builder = builder
        self.establishment = establishment
        self.year: SchoolYear = year
        self.zone = ZoneInfo(establishment.timezone)
        self.rng = random.Random(f"{builder.seed}/attendance/{establishment.uai}")
        self.policy = services.policy_for(establishment)
        self.reasons = {r.code: r for r in services.reasons_ensure(establishment)}
        self.boundary = self.policy.half_day_boundary
        self.entries: dict[tuple[int, int], EntryPlan] = {}
        self.absences: list[AbsencePlan] = []
        self.events: list[EventPlan] = []
        # (pupil, day) covered by a period the vie scolaire entered, and what each
        # pupil already has planned, so that nothing overlaps.
        self.covered: set[tuple[int, date]] = set()
        self.busy: set[tuple[int, int]] = set()  # (pupil, occurrence pk)
        self.busy_days: set[tuple[int, date]] = set()
        self.not_taken: list[Occ] = []
        self.follow_ups: list[FollowUp] = []
        self.referral: list[int] = []
        self._halves: dict[int, list] = {}
        self._load()

    # Loading

    def _load(self) -> None:
        now = self.builder.now
        held = (
            Occurrence.objects.filter(
                establishment=self.establishment,
                school_year=self.year,
                withdrawn_in__isnull=True,
                start__lt=now,
            )
            # A session whose teacher is away has no roll call: nobody is there to take
            # it (the pupils are in the study room or at home).
            .exclude(status__in=[*NOT_HELD, OccurrenceStatus.TEACHER_ABSENT])
            .order_by("start", "pk")
        )
        teachers: dict[int, list[int]] = defaultdict(list)
        for occurrence, person in (
            OccurrenceTeacher.objects.filter(occurrence__in=held.values("pk"))
            .order_by("occurrence_id", "person_id")
            .values_list("occurrence_id", "person_id")
        ):
            teachers[occurrence].append(person)
        units: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for occurrence, division, group, part, pupil in OccurrenceAudience.objects.filter(
            occurrence__in=held.values("pk")
        ).values_list("occurrence_id", "division_id", "group_id", "class_part_id", "pupil_id"):
            if division:
                units[occurrence].append(("division", division))
            elif group:
                units[occurrence].append(("group", group))
            elif part:
                units[occurrence].append(("class_part", part))
            else:
                units[occurrence].append(("pupil", pupil))
        members = members_by_unit(self.year)
        cache: dict[tuple[tuple[str, int], date], frozenset[int]] = {}

        def audience(unit: tuple[str, int], day: date) -> frozenset[int]:
            if unit[0] == "pupil":
                return frozenset({unit[1]})
            key = (unit, day)
            if key not in cache:
                cache[key] = frozenset(
                    pupil for pupil, span in members.get(unit, ()) if span.contains(day)
                )
            return cache[key]

        self.occurrences: list[Occ] = []
        for pk, uid, day, start, end, subject in held.values_list(
            "pk", "uid", "date", "start", "end", "subject_id"
        ):
            local = start.astimezone(self.zone)
            pupils = frozenset().union(*(audience(unit, day) for unit in units.get(pk, ())))
            self.occurrences.append(
                Occ(
                    pk=pk,
                    uid=uid,
                    day=day,
                    start=start,
                    end=end,
                    local=local,
                    half=engine.half_day_of(local.replace(tzinfo=None), self.boundary),
                    subject_id=subject,
                    teachers=tuple(teachers.get(pk, ())),
                    pupils=pupils,
                )
            )
        self.school_days = sorted({occ.day for occ in self.occurrences})
        self.schedule: dict[int, list[Occ]] = defaultdict(list)
        for occ in self.occurrences:
            for pupil in sorted(occ.pupils):
                self.schedule[pupil].append(occ)
        self.pupils = sorted(self.schedule)
        roles = list(
            Role.objects.filter(
                establishment=self.establishment,
                kind__in=[RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT],
            )
            .order_by("pk")
            .values_list("person_id", "kind")
        )
        self.cpe = [p for p, kind in roles if kind == RoleKind.CPE]
        self.aed = [p for p, kind in roles if kind == RoleKind.EDUCATION_ASSISTANT] or self.cpe
        self.guardians: dict[int, list[int]] = defaultdict(list)
        for pupil, guardian in (
            Guardianship.objects.filter(
                pupil_id__in=self.pupils,
                level=ResponsibilityLevel.LEGAL,
                parental_authority=True,
            )
            .order_by("pupil_id", "guardian_id")
            .values_list("pupil_id", "guardian_id")
        ):
            self.guardians[pupil].append(guardian)
        # Pupils whose year is not a straight line (arriving, leaving, changing
        # division) are left out of the profiles that need a whole month.
        self.movers = set(
            Enrolment.objects.filter(division__school_year=self.year)
            .exclude(start_date=self.year.start_date, end_date__isnull=True)
            .values_list("pupil_id", flat=True)
        )
        self.eps = (
            Subject.objects.filter(establishment=self.establishment, code="EPS")
            .values_list("pk", flat=True)
            .first()
        )

    # Times

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def workday_after(self, moment: datetime, days: int, hour: int, spread: int) -> datetime:
        """`days` days after `moment`, on a school day (the vie scolaire is closed on
        weekends and in the holidays), at `hour` plus up to `spread` minutes: when the
        vie scolaire gets to it. After the last school day so far, the future."""
        day = moment.astimezone(self.zone).date() + timedelta(days=days)
        index = bisect.bisect_left(self.school_days, day)
        if index == len(self.school_days):
            day = max(day, self.builder.today + timedelta(days=1))
        else:
            day = self.school_days[index]
        return self.at(day, hour) + timedelta(minutes=self.rng.randint(0, spread))

    def evening(self, moment: datetime) -> datetime:
        """When a family justifies online: the evening of the day after, sometimes the
        same evening."""
        local = moment.astimezone(self.zone)
        day = local.date() + timedelta(days=0 if local.hour < 12 and self.rng.random() < 0.4 else 1)
        return self.at(day, 18, 30) + timedelta(minutes=self.rng.randint(0, 180))

    # Roll calls

    def take_roll_calls(self) -> None:
        """Who took each roll call and when; today, a few are left not taken."""
        now = self.builder.now
        today = self.builder.today
        for occ in self.occurrences:
            delay = timedelta(minutes=self.rng.randint(1, 8), seconds=self.rng.randint(0, 59))
            if occ.day < today and (not occ.teachers or self.rng.random() < 0.004):
                # Forgotten, completed by the vie scolaire at the end of the day.
                occ.taken_by = self.rng.choice(self.aed)
                occ.taken_at = self.at(occ.day, 17, 20) + delay
            else:
                occ.taken_by = occ.teachers[0] if occ.teachers else self.rng.choice(self.aed)
                occ.taken_at = occ.start + delay
            if occ.taken_at > now:
                occ.taken_at = None  # under way: the teacher has not taken it yet
        late = [
            occ
            for occ in self.occurrences
            if occ.day == today and occ.taken_at and occ.start <= now - timedelta(minutes=GRACE)
        ]
        prof = self.builder.people.get("prof")
        mine = [occ for occ in late if prof in occ.teachers]
        others = [occ for occ in late if prof not in occ.teachers and occ.teachers]
        chosen = mine[-1:]
        if others and (chosen or self.establishment.kind == "college"):
            chosen.append(others[-1])
        for occ in chosen:
            occ.taken_at = None
            self.not_taken.append(occ)

    def taken(self, occ: Occ) -> bool:
        return occ.taken_at is not None

    # Marks and what they produce

    def free(self, pupil: int, occ: Occ) -> bool:
        return (
            self.taken(occ)
            and (pupil, occ.pk) not in self.busy
            and (pupil, occ.day) not in self.covered
        )

    def entry(self, occ: Occ, pupil: int, mark: str, at: datetime, minutes=None, note=""):
        plan = EntryPlan(occ, pupil, [(at, mark, minutes, note)], occ.taken_by)
        self.entries[(occ.pk, pupil)] = plan
        self.busy.add((pupil, occ.pk))
        self.busy_days.add((pupil, occ.day))
        return plan

    def absent(self, pupil: int, occ: Occ, *, corrected: bool = False) -> AbsencePlan | None:
        """The teacher marks the pupil absent: an absence of the occurrence. With
        `corrected`, the pupil turns up a few minutes later and the teacher puts the
        mark back to present: the absence is voided, the entry keeps its trail."""
        if not self.free(pupil, occ):
            return None
        entry = self.entry(occ, pupil, Mark.ABSENT, occ.taken_at)
        absence = AbsencePlan(
            pupil=pupil,
            kind=AbsenceKind.ABSENCE,
            start=occ.start,
            end=occ.end,
            source=AbsenceSource.ROLL_CALL,
            created_at=occ.taken_at,
            created_by=occ.taken_by,
            occ=occ,
            entry=entry,
        )
        self.absences.append(absence)
        if corrected:
            at = occ.taken_at + timedelta(minutes=self.rng.randint(3, 9))
            if at <= self.builder.now:
                entry.typed.append((at, Mark.PRESENT, None, ""))
                absence.steps.append(
                    Step(
                        at,
                        occ.taken_by,
                        "voided",
                        {
                            "voided_at": at,
                            "voided_by_id": occ.taken_by,
                            "staff_comment": "Relevé d'appel corrigé par l'enseignant.",
                        },
                    )
                )
        return absence

    def late(self, pupil: int, occ: Occ, minutes: int) -> AbsencePlan | None:
        if not self.free(pupil, occ):
            return None
        # The pupil comes in after the roll call: the teacher adds the mark then.
        at = max(occ.taken_at, occ.start + timedelta(minutes=minutes, seconds=30))
        if at > self.builder.now:
            return None
        entry = self.entry(occ, pupil, Mark.LATE, at, minutes)
        absence = AbsencePlan(
            pupil=pupil,
            kind=AbsenceKind.LATENESS,
            start=occ.start,
            end=occ.start + timedelta(minutes=minutes),
            source=AbsenceSource.ROLL_CALL,
            created_at=at,
            created_by=occ.taken_by,
            occ=occ,
            entry=entry,
            minutes_late=minutes,
        )
        self.absences.append(absence)
        return absence

    def sent_out(self, pupil: int, occ: Occ, mark: str, note: str) -> EventPlan | None:
        """To the infirmary or excluded during the course: a school event, never an
        absence."""
        if not self.free(pupil, occ):
            return None
        at = max(occ.taken_at, occ.start + timedelta(minutes=self.rng.randint(10, 35)))
        if at > self.builder.now or at >= occ.end:
            return None
        entry = self.entry(occ, pupil, mark, at, note=note)
        event = EventPlan(
            pupil=pupil,
            kind=EventKind.EXCLUSION if mark == Mark.EXCLUDED else EventKind.INFIRMARY,
            start=occ.start,
            end=occ.end,
            created_at=at,
            created_by=occ.taken_by,
            note=note,
            occ=occ,
            entry=entry,
        )
        self.events.append(event)
        return event

    def period(
        self, pupil: int, days: list[date], *, extended_from: int | None = None
    ) -> AbsencePlan | None:
        """An absence over whole days entered by the vie scolaire when the family
        phones in the morning; the days' roll calls mark the pupil absent and, the
        period covering the sessions, produce no second absence. With `extended_from`
        (a number of days), it was first entered for fewer days and extended the next
        morning when the family called again."""
        if any((pupil, day) in self.busy_days or (pupil, day) in self.covered for day in days):
            return None
        first = self.at(days[0], 7, 40) + timedelta(minutes=self.rng.randint(0, 15))
        if first > self.builder.now:
            return None
        desk = self.rng.choice(self.aed)
        short = days[: extended_from or len(days)]
        absence = AbsencePlan(
            pupil=pupil,
            kind=AbsenceKind.ABSENCE,
            start=self.at(days[0], 8),
            end=self.at(short[-1], 17),
            source=AbsenceSource.DESK,
            created_at=first,
            created_by=desk,
            staff_comment=self.rng.choice(PHONED),
        )
        if extended_from:
            at = self.at(days[extended_from], 7, 45) + timedelta(minutes=self.rng.randint(0, 10))
            if at <= self.builder.now:
                absence.steps.append(Step(at, desk, "corrected", {"end": self.at(days[-1], 17)}))
            else:
                days = short
        self.absences.append(absence)
        end = absence.steps[-1].changes["end"] if absence.steps else absence.end
        for occ in self.schedule[pupil]:
            if absence.start <= occ.start and occ.end <= end and self.taken(occ):
                self.entry(occ, pupil, Mark.ABSENT, occ.taken_at)
        for day in days:
            self.covered.add((pupil, day))
        return absence

    # Processing: justification and decision

    def guardian(self, pupil: int) -> int | None:
        """A legal guardian of the pupil with an activated account (who can justify
        online), else None."""
        for person in self.guardians.get(pupil, ()):
            if person in self.builder.activated:
                return person
        return None

    def process(
        self,
        absences: list[AbsencePlan],
        fate: str,
        reason: str | None = None,
        comment: str = "",
        *,
        by: int | None = None,
    ) -> None:
        """What happens to absences after they are recorded, as far as now allows:
        "family" (justified online the next evening, decided by the vie scolaire two
        days later), "waiting" (justified online, not decided yet), "desk" (the family
        brought a note: the vie scolaire accepts or rejects directly) or "none"."""
        absences = [a for a in absences if not a.steps or a.steps[-1].action != "voided"]
        if not absences or fate == "none":
            return
        guardian = by or self.guardian(absences[0].pupil)
        if fate == "waiting" and guardian is None:
            return  # the family has not answered
        if fate == "family" and guardian is None:
            fate = "desk"  # a note on paper instead
        last = max(a.created_at for a in absences)
        for step in (s for a in absences for s in a.steps):
            last = max(last, step.at)
        code = reason or "RDVMED"
        justifies = self.reasons[code].justifies
        now = self.builder.now
        cpe = self.rng.choice(self.cpe or self.aed)
        if fate == "desk":
            # The note comes when the pupil is back.
            back = max(
                next((s.changes["end"] for s in reversed(a.steps) if "end" in s.changes), a.end)
                for a in absences
            )
            at = self.workday_after(max(last, back), 1, 8, 120)
            if at > now:
                return
            for n, absence in enumerate(absences):
                absence.steps.append(
                    Step(
                        at + timedelta(seconds=20 * n),
                        cpe,
                        "accepted" if justifies else "rejected",
                        {
                            "state": AbsenceState.ACCEPTED if justifies else AbsenceState.REJECTED,
                            "reason": self.reasons[code],
                            "staff_comment": PAPER_NOTE if justifies else REJECTED_NOTE,
                        },
                    )
                )
            return
        at = self.evening(last)
        if at > now:
            return
        for n, absence in enumerate(absences):
            absence.steps.append(
                Step(
                    at + timedelta(seconds=30 * n),
                    guardian,
                    "justified",
                    {
                        "state": AbsenceState.PENDING,
                        "reason": self.reasons[code],
                        "family_comment": comment,
                    },
                )
            )
        if fate == "waiting":
            return
        decided = self.workday_after(at, 2, 8, 180)
        if decided > now:
            return
        for n, absence in enumerate(absences):
            changes = {
                "state": AbsenceState.ACCEPTED if justifies else AbsenceState.REJECTED,
            }
            if not justifies:
                changes["staff_comment"] = REJECTED_NOTE
            absence.steps.append(
                Step(
                    decided + timedelta(seconds=20 * n),
                    cpe,
                    "accepted" if justifies else "rejected",
                    changes,
                )
            )

    def family_reason(self, table=FAMILY_REASONS) -> tuple[str, str]:
        code = self.rng.choices([c for c, _, _ in table], weights=[w for _, w, _ in table])[0]
        comments = next(comments for c, _, comments in table if c == code)
        return code, self.rng.choice(comments)

    def ordinary_fate(self, absences: list[AbsencePlan]) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            return  # never justified
        code, comment = self.family_reason()
        if roll < 0.35:
            self.process(absences, "desk", code)
        elif roll < 0.4:
            self.process(absences, "waiting", code, comment)
        else:
            self.process(absences, "family", code, comment)

    # Helpers over a pupil's schedule

    def halves(self, pupil: int) -> list[tuple[tuple[date, int], list[Occ]]]:
        """The pupil's half-days with a roll call taken, in order, with their
        occurrences (computed once: who took what is settled before planning)."""
        if pupil not in self._halves:
            halves: dict[tuple[date, int], list[Occ]] = defaultdict(list)
            for occ in self.schedule[pupil]:
                if occ.taken_at is not None:
                    halves[occ.half].append(occ)
            self._halves[pupil] = sorted(halves.items(), key=lambda item: item[0])
        return self._halves[pupil]

    def days_of(self, pupil: int, start: date | None = None, end: date | None = None):
        days = sorted({half[0] for half, _ in self.halves(pupil)})
        return [d for d in days if (start is None or d >= start) and (end is None or d <= end)]

    def halves_of(self, pupil: int, start: date, end: date) -> dict[tuple[date, int], list[Occ]]:
        return {half: occs for half, occs in self.halves(pupil) if start <= half[0] <= end}

    def miss_half(self, pupil: int, occs: list[Occ]) -> list[AbsencePlan]:
        return [a for occ in occs if (a := self.absent(pupil, occ))]


# -- The whole ----------------------------------------------------------------------


class AttendanceBuilder:
    def __init__(self, *, seed: int, today: date, now: datetime, small: bool):
        self.seed = seed
        self.today = today
        self.now = now
        self.small = small
        self.summary = AttendanceSummary()
        self.people = dict(
            Account.objects.filter(
                login__in=["prof", "eleve", "lyceen", "majeur", "parent", "cpe"]
            ).values_list("login", "person_id")
        )
        self.activated = set(
            Account.objects.filter(activated_at__isnull=False, person__isnull=False).values_list(
                "person_id", flat=True
            )
        )

    def build(self, schools: list[tuple[Establishment, SchoolYear]]) -> AttendanceSummary:
        started = clock.monotonic()
        planned = []
        for establishment, year in schools:
            school = School(self, establishment, year)
            school.take_roll_calls()
            self.plan(school)
            planned.append(school)
        self.write(planned)
        self.summary.now = self.now
        self.summary.seconds = clock.monotonic() - started
        return self.summary

    # Planning

    def plan(self, school: School) -> None:
        rng = school.rng
        month_start, month_end = previous_month(self.today)
        self.summary.referral_month = month_start
        special = {self.people.get(login) for login in ("eleve", "lyceen", "majeur")}
        candidates = [p for p in school.pupils if p not in special and p not in school.movers]
        # Profiles are drawn among pupils with enough scheduled time in the month: the
        # heavy absentee needs more than ten half-days of classes in it.
        rng.shuffle(candidates)
        wanted = 2 if self.small else 5
        heavy, referral, regularised, dropout = None, [], [], []
        for pupil in candidates:
            halves = len(school.halves_of(pupil, month_start, month_end))
            if heavy is None and halves >= 16:
                heavy = pupil
            elif halves >= 8 and len(referral) < wanted:
                referral.append(pupil)
            elif halves >= 8 and not regularised:
                regularised.append(pupil)
            elif halves >= 8 and not dropout:
                dropout.append(pupil)
            if heavy is not None and len(referral) == wanted and regularised and dropout:
                break
        profiles = {heavy, *referral, *regularised, *dropout} - {None}

        self.trip(school)
        self.exemption(school, profiles | special)
        if heavy is not None:
            self.above_threshold(school, heavy, month_start, month_end, rng.randint(12, 15))
            school.referral.append(heavy)
        for pupil in referral:
            self.above_threshold(school, pupil, month_start, month_end, rng.randint(4, 7))
            school.referral.append(pupil)
        for pupil in regularised:
            self.regularised(school, pupil, month_start, month_end)
        for pupil in dropout:
            self.dropout(school, pupil)
            self.summary.dropout[school.establishment.uai] = pupil
        self.demo_children(school)
        habitual = [p for p in candidates if p not in profiles]
        rng.shuffle(habitual)
        habitual = set(habitual[: max(2, len(candidates) // 100)])
        if self.people.get("lyceen") in school.schedule:
            habitual.add(self.people["lyceen"])
        for pupil in school.pupils:
            if pupil in special or pupil in profiles:
                if pupil in habitual:
                    self.lateness(school, pupil, habitual=True, at_least=3)
                continue
            self.ordinary(school, pupil, habitual=pupil in habitual)
        self.correction(school, [p for p in candidates if p not in profiles])
        if school.referral:
            self.family_letter(school, school.referral[0], month_start, month_end)
        self.summary.referral[school.establishment.uai] = list(school.referral)

    def ordinary(self, school: School, pupil: int, *, habitual: bool) -> None:
        rng = school.rng
        factor = rng.choice(PROPENSITY)
        days = school.days_of(pupil)
        index = 0
        while index < len(days):
            if rng.random() < ILLNESS * factor:
                length = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
                spell = days[index : index + length]
                extended = 1 if len(spell) > 1 and rng.random() < 0.15 else None
                absence = school.period(pupil, spell, extended_from=extended)
                if absence is not None:
                    self.illness_fate(school, absence)
                    index += len(spell)
                    continue
            index += 1
        for occs in school.halves_of(pupil, school.year.start_date, self.today).values():
            if rng.random() < HALF_DAY * factor:
                absences = school.miss_half(pupil, occs)
                school.ordinary_fate(absences)
                continue
            for occ in occs:
                roll = rng.random()
                if roll < COURSE * factor:
                    absence = school.absent(pupil, occ, corrected=rng.random() < 0.04)
                    if absence is not None:
                        school.ordinary_fate([absence])
                elif roll < COURSE * factor + INFIRMARY:
                    school.sent_out(pupil, occ, Mark.INFIRMARY, rng.choice(INFIRMARY_NOTES))
        self.lateness(school, pupil, habitual=habitual)

    def correction(self, school: School, pupils: list[int]) -> None:
        """At least once per establishment, a teacher who marked a pupil absent puts
        the mark back to present when the pupil turns up a few minutes later: the
        absence is voided, the entry keeps its trail."""
        for pupil in pupils:
            for _, occs in reversed(school.halves(pupil)):
                for occ in occs:
                    if occ.day < self.today and school.absent(pupil, occ, corrected=True):
                        return

    def illness_fate(self, school: School, absence: AbsencePlan) -> None:
        roll = school.rng.random()
        comment = school.rng.choice(ILL_COMMENTS)
        if roll < 0.7:
            school.process([absence], "family", "MAL", comment)
        elif roll < 0.8:
            school.process([absence], "waiting", "MAL", comment)
        else:
            school.process([absence], "desk", "MAL")

    def lateness(self, school: School, pupil: int, *, habitual: bool, at_least: int = 0) -> None:
        """Late to the first course of a half-day now and then; a habitual late pupil
        to the 8 o'clock course about one morning in three (at least `at_least`
        times, the latest mornings first)."""
        rng = school.rng
        halves = list(school.halves_of(pupil, school.year.start_date, self.today).values())
        late = []
        for occs in halves:
            first = occs[0]
            if habitual:
                if not first_course(first) or rng.random() >= HABITUAL_LATE:
                    continue
                minutes = rng.randint(5, 20)
            elif rng.random() < LATE:
                minutes = rng.randint(2, 15)
            else:
                continue
            late += [a for a in [school.late(pupil, first, minutes)] if a]
        for occs in reversed(halves):
            if len(late) >= at_least:
                break
            if first_course(occs[0]):
                late += [a for a in [school.late(pupil, occs[0], rng.randint(5, 20))] if a]
        for absence in late:
            if rng.random() < 0.2:
                code, comment = school.family_reason(LATE_REASONS)
                school.process([absence], "family", code, comment)

    def above_threshold(
        self, school: School, pupil: int, start: date, end: date, count: int
    ) -> None:
        """`count` unjustified half-days in the month: whole half-days or one or two
        courses, never justified, or justified with a reason that is refused, or
        waiting for a decision; an accepted absence or two besides."""
        rng = school.rng
        halves = list(school.halves_of(pupil, start, end).items())
        chosen = sorted(rng.sample(range(len(halves)), min(count + 1, len(halves))))
        for n, index in enumerate(chosen):
            _, occs = halves[index]
            if rng.random() < 0.6:
                absences = school.miss_half(pupil, occs)
            else:
                absences = [
                    a for occ in occs[: rng.randint(1, 2)] if (a := school.absent(pupil, occ))
                ]
            if n == len(chosen) - 1 and len(chosen) > count:
                # One more, justified and accepted: it does not count.
                school.process(absences, "family", "RDVMED", "Rendez-vous médical.")
                continue
            roll = rng.random()
            if roll < 0.15:
                school.process(absences, "family", "PERSO", "Raison personnelle.")
            elif roll < 0.25:
                school.process(absences, "waiting", "FAM", "Affaires de famille.")
        # Elsewhere in the term, more often absent than most.
        for occs in school.halves_of(pupil, school.year.start_date, self.today).values():
            if (occs[0].day < start or occs[0].day > end) and rng.random() < 0.04:
                school.ordinary_fate(school.miss_half(pupil, occs))

    def regularised(self, school: School, pupil: int, start: date, end: date) -> None:
        """Five half-days of the month unjustified at its end, justified with a medical
        certificate and accepted after it: on the list as of the month's end, not now."""
        rng = school.rng
        halves = list(school.halves_of(pupil, start, end).values())
        picked = sorted(rng.sample(range(len(halves)), min(5, len(halves))))
        absences = [a for i in picked for a in school.miss_half(pupil, halves[i])]
        if not absences:
            return
        guardian = school.guardian(pupil)
        first_day = end + timedelta(days=1)
        justified = school.at(first_day, 18, 45)
        decided = school.workday_after(justified, 1, 9, 60)
        if decided > self.now:
            # Too early in the month for both: they happened in the month's last days.
            justified = school.at(end, 18, 45) - timedelta(days=2)
            decided = school.at(end, 19, 30) - timedelta(days=1)
        cpe = rng.choice(school.cpe or school.aed)
        for n, absence in enumerate(absences):
            if guardian is not None:
                absence.steps.append(
                    Step(
                        justified + timedelta(seconds=30 * n),
                        guardian,
                        "justified",
                        {
                            "state": AbsenceState.PENDING,
                            "reason": school.reasons["MAL"],
                            "family_comment": "Certificat médical couvrant ces absences.",
                        },
                    )
                )
                changes = {"state": AbsenceState.ACCEPTED}
            else:
                changes = {
                    "state": AbsenceState.ACCEPTED,
                    "reason": school.reasons["MAL"],
                    "staff_comment": "Certificat médical remis à la vie scolaire.",
                }
            absence.steps.append(
                Step(decided + timedelta(seconds=20 * n), cpe, "accepted", changes)
            )

    def dropout(self, school: School, pupil: int) -> None:
        """Absences that rise month after month (a few half-days more each month, a
        share of the month's half-days that doubles), lateness too, infirmary visits
        and an exclusion from a course: the profile the early warning is for."""
        rng = school.rng
        months: dict[tuple[int, int], list] = defaultdict(list)
        for half, occs in school.halves_of(pupil, school.year.start_date, self.today).items():
            months[(half[0].year, half[0].month)].append(occs)
        before = 0
        for rank, key in enumerate(sorted(months)):
            halves = months[key][:]
            share = min(0.5, 0.05 * 2**rank)
            target = min(len(halves), max(before + 1, round(len(halves) * share)))
            rng.shuffle(halves)
            made = 0
            for occs in halves:
                if made < target:
                    absences = school.miss_half(pupil, occs)
                    made += bool(absences)
                    if absences and rng.random() < 0.2:
                        school.process(absences, "family", "PERSO", "Il refuse d'aller en cours.")
                elif first_course(occs[0]) and rng.random() < share / 2:
                    school.late(pupil, occs[0], rng.randint(5, 20))
            before = made
        halves = [occs for key in sorted(months) for occs in months[key]]
        recent = [occ for occs in halves[-20:] for occ in occs]
        for occ in rng.sample(recent, min(2, len(recent))):
            school.sent_out(pupil, occ, Mark.INFIRMARY, "Dit ne pas se sentir bien.")
        for occ in reversed(recent):
            if school.sent_out(pupil, occ, Mark.EXCLUDED, EXCLUSION_NOTE):
                break

    def trip(self, school: School) -> None:
        """A day out for the collège's 5B: a school event for each of its pupils, no
        absence; their roll calls that day record nobody absent."""
        if school.establishment.kind != "college":
            return
        division = Division.objects.filter(school_year=school.year, name=TRIP_DIVISION).first()
        if division is None:
            return
        pupils = set(Enrolment.objects.filter(division=division).values_list("pupil_id", flat=True))
        days: dict[date, int] = defaultdict(int)
        for occ in school.occurrences:
            if occ.day < self.today and occ.pupils & pupils and occ.local.hour < 12:
                days[occ.day] += 1
        candidates = sorted(day for day, n in days.items() if n >= 3)
        if not candidates:
            return
        earlier = [day for day in candidates if day <= self.today - timedelta(days=10)]
        day = (earlier or candidates)[-1 if earlier else 0]
        desk = school.cpe[0] if school.cpe else None
        created = school.at(day - timedelta(days=7), 14, 5)
        for pupil in sorted(pupils):
            if not any(occ.day == day for occ in school.schedule[pupil]):
                continue  # not in the division that day
            school.events.append(
                EventPlan(
                    pupil=pupil,
                    kind=EventKind.TRIP,
                    start=school.at(day, 8),
                    end=school.at(day, 17),
                    created_at=created,
                    created_by=desk,
                    note=TRIP_NOTE,
                )
            )
            school.covered.add((pupil, day))  # nobody marks them: they are out

    def exemption(self, school: School, avoid: set) -> None:
        """Three weeks without EPS for a collège pupil, who stays in class."""
        if school.establishment.kind != "college" or school.eps is None:
            return
        pupils = [
            p
            for p in school.pupils
            if p not in avoid and any(o.subject_id == school.eps for o in school.schedule[p])
        ]
        if not pupils:
            return
        pupil = school.rng.choice(pupils)
        days = school.days_of(pupil)
        start = days[max(0, len(days) - 12)]
        desk = school.cpe[0] if school.cpe else None
        if school.at(start, 8, 20) > self.now:
            return
        school.events.append(
            EventPlan(
                pupil=pupil,
                kind=EventKind.EXEMPTION,
                start=school.at(start, 8),
                end=school.at(start + timedelta(days=20), 18),
                created_at=school.at(start, 8, 20),
                created_by=desk,
                note=EXEMPTION_NOTE,
                subject_id=school.eps,
                attendance_required=True,
            )
        )

    def demo_children(self, school: School) -> None:
        emma = self.people.get("eleve")
        if emma in school.schedule:
            self.emma(school, emma)
        theo = self.people.get("majeur")
        if theo in school.schedule:
            days = school.days_of(theo, end=self.today - timedelta(days=1))
            if len(days) >= 4:
                halves = list(school.halves_of(theo, days[-4], days[-4]).values())
                absences = school.miss_half(theo, halves[-1])
                school.process(
                    absences,
                    "waiting",
                    "CONV",
                    "Convocation à la journée défense et citoyenneté (JDC).",
                    by=theo,
                )

    def emma(self, school: School, emma: int) -> None:
        """An illness day accepted some time ago, a course missed a few days ago that
        `parent` justified (waiting for the vie scolaire), and the last school day's
        unjustified absence `parent` can justify online."""
        days = school.days_of(emma, end=self.today - timedelta(days=1))
        if not days:
            return
        last = [occ for occ in school.schedule[emma] if occ.day == days[-1] and school.taken(occ)]
        school.absent(emma, last[len(last) // 2])
        parent = self.people.get("parent")
        if len(days) >= 4:
            occs = [occ for occ in school.schedule[emma] if occ.day == days[-4]]
            absence = school.absent(emma, occs[-1])
            if absence is not None:
                school.process(
                    [absence],
                    "waiting",
                    "RDVMED",
                    "Rendez-vous chez l'orthodontiste, je joins la convocation.",
                    by=parent,
                )
        if len(days) >= 10:
            absence = school.period(emma, [days[-10]])
            if absence is not None:
                school.process(
                    [absence],
                    "family",
                    "MAL",
                    "Gastro-entérite, elle est restée couchée.",
                    by=parent,
                )

    def family_letter(self, school: School, pupil: int, start: date, end: date) -> None:
        """The letter to the family of the month's heaviest absentee, sent by the CPE
        on the first school day of this month, with the figures of that day."""
        made = school.workday_after(school.at(end, 10), 1, 10, 30)
        made = min(made, self.now - timedelta(minutes=5))
        made = max(made, school.at(end + timedelta(days=1), 0))
        if made > self.now:
            return
        scheduled = [
            engine.Scheduled(occ.start.astimezone(school.zone), occ.end.astimezone(school.zone))
            for occ in school.schedule[pupil]
            if start <= occ.day <= end
        ]
        missed = []
        for absence in school.absences:
            if absence.pupil != pupil or absence.kind != AbsenceKind.ABSENCE:
                continue
            state, voided = AbsenceState.UNJUSTIFIED, False
            if absence.created_at > made:
                continue
            for step in absence.steps:
                if step.at <= made:
                    state = step.changes.get("state", state)
                    voided = voided or "voided_at" in step.changes
            if not voided:
                missed.append(
                    engine.Missed(
                        absence.start.astimezone(school.zone),
                        absence.end.astimezone(school.zone),
                        state in UNJUSTIFIED_STATES,
                    )
                )
        totals = engine.totals(scheduled, missed, boundary=school.boundary)
        cpe = school.cpe[0] if school.cpe else None
        school.follow_ups.append(
            FollowUp(
                establishment=school.establishment,
                pupil_id=pupil,
                month=start,
                kind=FollowUpKind.FAMILY_LETTER,
                made_at=made,
                made_by_id=cpe,
                half_days=totals.half_days,
                unjustified_half_days=totals.unjustified_half_days,
                note=(
                    "Courrier aux responsables légaux : rappel de l'obligation d'assiduité "
                    "et proposition d'un entretien avec la CPE."
                ),
            )
        )

    # Writing

    def write(self, schools: list[School]) -> None:
        accounts = dict(Account.objects.filter(person__isnull=False).values_list("person_id", "pk"))
        audit: list[AuditEvent] = []

        def record(at, actor, action, target, establishment, before=None, after=None):
            """What `audit_record` writes, dated when it happened."""
            audit.append(
                AuditEvent(
                    at=at,
                    actor_id=accounts.get(actor),
                    establishment=establishment,
                    action=action,
                    object_type=target._meta.label_lower,
                    object_id=str(target.pk),
                    before=before,
                    after=after,
                )
            )

        roll_calls: dict[int, RollCall] = {}
        for school in schools:
            for occ in school.occurrences:
                if occ.taken_at is not None:
                    roll_calls[occ.pk] = RollCall(
                        occurrence_id=occ.pk,
                        establishment=school.establishment,
                        taken_by_id=occ.taken_by,
                        taken_at=occ.taken_at,
                        updated_at=occ.taken_at,
                    )
            # A mark added or changed after the roll call was first saved updates it.
            for entry in school.entries.values():
                call = roll_calls[entry.occ.pk]
                for at, *_ in entry.typed:
                    if at > call.updated_at:
                        call.updated_at = at
            self.summary.not_taken_today += len(school.not_taken)
        RollCall.objects.bulk_create(roll_calls.values(), batch_size=BATCH)
        self.summary.roll_calls = len(roll_calls)

        entries: list[RollCallEntry] = []
        for school in schools:
            for plan in school.entries.values():
                at, mark, minutes, note = plan.typed[-1]
                plan.row = RollCallEntry(
                    roll_call=roll_calls[plan.occ.pk],
                    pupil_id=plan.pupil,
                    mark=mark,
                    minutes_late=minutes,
                    note=note,
                    entered_by_id=plan.by,
                    entered_at=at,
                )
                entries.append(plan.row)
        RollCallEntry.objects.bulk_create(entries, batch_size=BATCH)
        self.summary.entries = len(entries)

        # Each absence is created as `absence_create` leaves it, then its steps are
        # replayed on it: the row ends in its current state and version, and each step
        # gives the snapshots of its audit event and the state its AbsenceChange keeps.
        replays: list[tuple[AbsencePlan, dict, list[tuple[Step, dict, dict, tuple]]]] = []
        for school in schools:
            for plan in school.absences:
                row = plan.row = Absence(
                    establishment=school.establishment,
                    school_year=school.year,
                    pupil_id=plan.pupil,
                    kind=plan.kind,
                    start=plan.start,
                    end=plan.end,
                    minutes_late=plan.minutes_late,
                    occurrence_id=plan.occ.pk if plan.occ else None,
                    # The entry's link passes to what a corrected mark produces: an
                    # absence voided by the correction keeps none (roll_call_record).
                    roll_call_entry=plan.entry.row
                    if plan.entry and not any(s.action == "voided" for s in plan.steps)
                    else None,
                    source=plan.source,
                    state=AbsenceState.UNJUSTIFIED,
                    staff_comment=plan.staff_comment,
                    created_by_id=plan.created_by,
                    created_at=plan.created_at,
                    updated_at=plan.created_at,
                )
                created = services._snapshot(row)
                steps = []
                for step in plan.steps:
                    before = services._snapshot(row)
                    for name, value in step.changes.items():
                        setattr(row, name, value)
                    row.version += 1
                    row.updated_at = step.at
                    steps.append((step, before, services._snapshot(row), _state(row)))
                replays.append((plan, created, steps))
        Absence.objects.bulk_create([plan.row for plan, _, _ in replays], batch_size=BATCH)
        self.summary.absences = sum(1 for p, _, _ in replays if p.kind == AbsenceKind.ABSENCE)
        self.summary.lateness = len(replays) - self.summary.absences

        changes: list[AbsenceChange] = []
        for plan, _, steps in replays:
            first = (plan.kind, plan.start, plan.end, AbsenceState.UNJUSTIFIED, None, False)
            history = [(plan.created_at, plan.created_by, "created", first)]
            history += [(step.at, step.actor, step.action, state) for step, _, _, state in steps]
            for at, actor, action, (kind, start, end, state, reason, voided) in history:
                changes.append(
                    AbsenceChange(
                        absence=plan.row,
                        at=at,
                        actor_id=actor,
                        action=action,
                        kind=kind,
                        start=start,
                        end=end,
                        state=state,
                        reason_id=reason,
                        voided=voided,
                    )
                )
        AbsenceChange.objects.bulk_create(changes, batch_size=BATCH)
        self.summary.changes = len(changes)

        events: list[SchoolEvent] = []
        for school in schools:
            for plan in school.events:
                plan.row = SchoolEvent(
                    establishment=school.establishment,
                    school_year=school.year,
                    pupil_id=plan.pupil,
                    kind=plan.kind,
                    start=plan.start,
                    end=plan.end,
                    occurrence_id=plan.occ.pk if plan.occ else None,
                    roll_call_entry=plan.entry.row if plan.entry else None,
                    subject_id=plan.subject_id,
                    attendance_required=plan.attendance_required,
                    note=plan.note,
                    created_by_id=plan.created_by,
                    created_at=plan.created_at,
                )
                events.append(plan.row)
        SchoolEvent.objects.bulk_create(events, batch_size=BATCH)
        self.summary.events = len(events)
        follow_ups = [f for school in schools for f in school.follow_ups]
        FollowUp.objects.bulk_create(follow_ups)

        # The audit trail, as the services write it.
        for school in schools:
            for occ in school.occurrences:
                if occ.taken_at is not None:
                    record(
                        occ.taken_at,
                        occ.taken_by,
                        "roll_call.taken",
                        roll_calls[occ.pk],
                        school.establishment,
                        after={"occurrence": occ.uid},
                    )
            for plan in school.entries.values():
                before = None
                for at, mark, minutes, note in plan.typed:
                    after = {"mark": mark, "minutes_late": minutes, "note": note}
                    record(
                        at,
                        plan.by,
                        "roll_call.entry",
                        plan.row,
                        school.establishment,
                        before=before,
                        after=after,
                    )
                    before = after
            for plan in school.events:
                record(
                    plan.created_at,
                    plan.created_by,
                    f"school_event.created.{plan.kind}",
                    plan.row,
                    school.establishment,
                    after={
                        "kind": plan.kind,
                        "start": plan.start.isoformat(),
                        "end": plan.end.isoformat(),
                        "note": plan.note,
                    },
                )
            for follow_up in school.follow_ups:
                record(
                    follow_up.made_at,
                    follow_up.made_by_id,
                    f"attendance.follow_up.{follow_up.kind}",
                    follow_up,
                    school.establishment,
                    after={
                        "pupil": follow_up.pupil_id,
                        "month": follow_up.month.isoformat(),
                        "kind": follow_up.kind,
                        "half_days": follow_up.half_days,
                        "unjustified_half_days": follow_up.unjustified_half_days,
                    },
                )
        for plan, created, steps in replays:
            establishment = plan.row.establishment
            record(
                plan.created_at,
                plan.created_by,
                f"absence.created.{plan.source}",
                plan.row,
                establishment,
                after=created,
            )
            for step, before, after, _ in steps:
                record(
                    step.at,
                    step.actor,
                    f"absence.{step.action}",
                    plan.row,
                    establishment,
                    before=before,
                    after=after,
                )
        with dated_audit():
            AuditEvent.objects.bulk_create(audit, batch_size=BATCH)
        self.summary.audit_events = len(audit)


def _state(row: Absence) -> tuple:
    """What an `AbsenceChange` keeps of an absence."""
    return (row.kind, row.start, row.end, row.state, row.reason_id, row.voided_at is not None)


def build_demo_attendance(
    *,
    schools: list[tuple[Establishment, SchoolYear]],
    seed: int,
    today: date,
    small: bool,
    now: datetime | None = None,
) -> AttendanceSummary:
    """A term of roll calls and absences for the demo establishments, once their
    timetables are imported (see the module's docstring)."""
    zone = ZoneInfo(schools[0][0].timezone)
    return AttendanceBuilder(
        seed=seed, today=today, now=now or reference_now(today, zone), small=small
    ).build(schools)
