"""Reads of the legal follow-up: the month's list of pupils at or above the family-alert
threshold with their division and the steps already made, the detail of a pupil's
month for letters and referrals, the absenteeism rates and the dropout watch list.

The figures come from `attendance.reports` (one computation for pages, documents and
commands); this module adds who the pupils are, always within one establishment.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.attendance import engine, reports
from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceState,
    AttendancePolicy,
    FollowUp,
    FollowUpKind,
)
from preau.attendance.visibility import reason_label
from preau.core.models import (
    Establishment,
    ExternalId,
    Guardianship,
    IdentifierSource,
    Person,
    ResponsibilityLevel,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.structure.models import LEVEL_ORDER, Division, Enrolment, Level

HEAVY, REFERRAL, FAMILY_ALERT = "heavy", "referral", "family_alert"
# The order of the page: the most serious first.
LEVELS = (HEAVY, REFERRAL, FAMILY_ALERT)
LEVEL_LABELS = {
    HEAVY: _("Absentéisme lourd"),
    REFERRAL: _("Signalement à la DASEN"),
    FAMILY_ALERT: _("Alerte à la famille"),
}


# -- Months and moments --------------------------------------------------------------


def previous_month(day: date) -> date:
    """The previous complete month of `day` (its first day)."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def as_of_moment(establishment: Establishment, as_of: date, today: date) -> datetime | None:
    """The moment a list "as of" a day is computed at: the end of that day in the
    establishment's time zone, or None (now) for today."""
    if as_of >= today:
        return None
    zone = ZoneInfo(establishment.timezone)
    return datetime.combine(as_of, time.max, tzinfo=zone)


# -- The month's list ----------------------------------------------------------------


@dataclass
class LegalRow:
    pupil: Person
    division: Division | None
    figures: object  # reports.PupilMonth
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def level(self) -> str | None:
        return self.figures.level

    @property
    def referral(self) -> FollowUp | None:
        """The month's referral to the DASEN, once made."""
        return next((f for f in self.follow_ups if f.kind == FollowUpKind.REFERRAL), None)

    @property
    def may_be_referred(self) -> bool:
        return self.level in (HEAVY, REFERRAL) and self.referral is None


@dataclass
class LegalGroup:
    level: str
    label: str
    threshold: int
    rows: list[LegalRow]


@dataclass
class LegalList:
    establishment: Establishment
    policy: AttendancePolicy
    month: date
    as_of: date
    live: bool  # as of today: steps may be recorded
    groups: list[LegalGroup]

    @property
    def rows(self) -> list[LegalRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def thresholds(self) -> dict[str, int]:
        return thresholds_of(self.policy)


def thresholds_of(policy: AttendancePolicy) -> dict[str, int]:
    return {
        HEAVY: policy.heavy_threshold,
        REFERRAL: policy.referral_threshold,
        FAMILY_ALERT: policy.family_alert_threshold,
    }


def divisions_in_month(
    establishment_id: int, pupil_ids: list[int], month: date
) -> dict[int, Division]:
    """The division of each pupil in the month: the last one they were enrolled in
    during it (one query)."""
    first, last = reports.month_bounds(month)
    enrolments = (
        Enrolment.objects.filter(
            pupil_id__in=pupil_ids,
            division__establishment_id=establishment_id,
            start_date__lte=last,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .select_related("division")
        .order_by("start_date", "pk")
    )
    return {enrolment.pupil_id: enrolment.division for enrolment in enrolments}


def follow_ups_of(
    establishment_id: int, pupil_ids: list[int], month: date, until: datetime | None
) -> dict[int, list[FollowUp]]:
    """The steps made for the pupils and the month (up to `until`), oldest first."""
    follow_ups = FollowUp.objects.filter(
        establishment_id=establishment_id, pupil_id__in=pupil_ids, month=month.replace(day=1)
    ).select_related("made_by")
    if until is not None:
        follow_ups = follow_ups.filter(made_at__lte=until)
    result: dict[int, list[FollowUp]] = defaultdict(list)
    for follow_up in follow_ups.order_by("made_at", "pk"):
        result[follow_up.pupil_id].append(follow_up)
    return result


def legal_list(establishment: Establishment, *, month: date, as_of: date, today: date) -> LegalList:
    """The pupils at or above the family-alert threshold for `month`, as the absences
    stood at the end of `as_of`, grouped by level (four queries besides the figures)."""
    month = month.replace(day=1)
    moment = as_of_moment(establishment, as_of, today)
    period, month_rows = reports.month_detail(establishment, month, moment)
    policy = period.policy
    figures = [row for row in month_rows if row.level is not None]
    ids = [row.pupil_id for row in figures]
    people = Person.objects.in_bulk(ids)
    divisions = divisions_in_month(establishment.pk, ids, month)
    steps = follow_ups_of(establishment.pk, ids, month, moment)
    rows = [
        LegalRow(
            pupil=people[row.pupil_id],
            division=divisions.get(row.pupil_id),
            figures=row,
            follow_ups=steps.get(row.pupil_id, []),
        )
        for row in figures
        if row.pupil_id in people
    ]
    rows.sort(
        key=lambda r: (
            r.division.name if r.division else "",
            r.pupil.last_name.lower(),
            r.pupil.first_name.lower(),
            r.pupil.pk,
        )
    )
    thresholds = thresholds_of(policy)
    groups = [
        LegalGroup(
            level=level,
            label=str(LEVEL_LABELS[level]),
            threshold=thresholds[level],
            rows=[row for row in rows if row.level == level],
        )
        for level in LEVELS
    ]
    return LegalList(
        establishment=establishment,
        policy=policy,
        month=month,
        as_of=min(as_of, today),
        live=moment is None,
        groups=groups,
    )


def listed_pupil(establishment: Establishment, pupil_id: int) -> Person | None:
    """A pupil of the establishment (any date), or None: the documents' guard."""
    registered = Role.objects.filter(
        person_id=pupil_id, establishment=establishment, kind=RoleKind.PUPIL
    )
    return Person.objects.filter(pk=pupil_id, pk__in=registered.values("person_id")).first()


# -- A pupil's month in detail (letters, referrals) ----------------------------------


@dataclass(frozen=True)
class AbsenceLine:
    start: datetime
    end: datetime
    state: str
    state_label: str
    reason: str


@dataclass(frozen=True)
class HalfDayLine:
    day: date
    part: int  # engine.MORNING or engine.AFTERNOON
    unjustified: bool
    absences: tuple[AbsenceLine, ...]

    @property
    def part_label(self) -> str:
        return str(_("matin")) if self.part == engine.MORNING else str(_("après-midi"))


@dataclass
class PupilFile:
    """What a letter or a referral says of one pupil for one month."""

    pupil: Person
    division: Division | None
    figures: object  # reports.PupilMonth
    guardians: list[Guardianship]
    half_days: list[HalfDayLine]
    follow_ups: list[FollowUp]
    ine: str = ""
    # Every step made for the pupil up to this month (the referral tells them all).
    history: list[FollowUp] = field(default_factory=list)

    @property
    def unjustified_half_days(self) -> list[HalfDayLine]:
        return [line for line in self.half_days if line.unjustified]


@dataclass(frozen=True)
class _Standing:
    """An absence as it stood at a moment."""

    pupil_id: int
    start: datetime
    end: datetime
    state: str
    reason: object


def _absences_as_of(
    establishment_id: int, pupil_ids: list[int], start: datetime, end: datetime, moment
) -> dict[int, list[tuple[_Standing, Absence]]]:
    """The pupils' absences (not lateness) overlapping [start, end), each in the state
    it stood in at `moment` (now when None); withdrawn ones left out (two queries)."""
    absences = Absence.objects.filter(
        establishment_id=establishment_id,
        pupil_id__in=pupil_ids,
        start__lt=end + timedelta(days=1),
        end__gt=start - timedelta(days=1),
    ).select_related("reason")
    result: dict[int, list] = defaultdict(list)
    if moment is None:
        for absence in absences.filter(voided_at__isnull=True, kind=AbsenceKind.ABSENCE):
            if absence.start < end and absence.end > start:
                standing = _Standing(
                    absence.pupil_id, absence.start, absence.end, absence.state, absence.reason
                )
                result[absence.pupil_id].append((standing, absence))
        return result
    # The absences are chosen by the periods they had then, not by their current ones
    # (an absence moved to another month since still belongs to this list).
    absences = {
        a.pk: a
        for a in Absence.objects.filter(
            pk__in=AbsenceChange.objects.filter(
                absence__establishment_id=establishment_id,
                absence__pupil_id__in=pupil_ids,
                at__lte=moment,
                start__lt=end + timedelta(days=1),
                end__gt=start - timedelta(days=1),
            ).values("absence_id")
        ).select_related("reason")
    }
    latest: dict[int, AbsenceChange] = {}
    for change in (
        AbsenceChange.objects.filter(absence_id__in=list(absences), at__lte=moment)
        .select_related("reason")
        .order_by("at", "pk")
    ):
        latest[change.absence_id] = change
    for absence_id, change in latest.items():
        if change.voided or change.kind != AbsenceKind.ABSENCE:
            continue
        if not (change.start < end and change.end > start):
            continue
        absence = absences[absence_id]
        standing = _Standing(
            absence.pupil_id, change.start, change.end, change.state, change.reason
        )
        result[absence.pupil_id].append((standing, absence))
    return result


def month_with_days(
    establishment: Establishment, month: date, moment: datetime | None
) -> tuple[dict[int, object], dict[int, list[engine.HalfDay]], AttendancePolicy]:
    """The month's figures of every pupil and the half-days they were counted from.

    Letters and referrals list the half-days themselves, taken from the same
    computation (`reports.month_detail`), so that a letter's list and its count can
    never disagree."""
    first, last = reports.month_bounds(month)
    period, figures = reports.month_detail(establishment, first, moment)
    days = {
        pupil_id: [d for d in pupil.days if first <= d.day <= last and d.absent]
        for pupil_id, pupil in period.pupils.items()
    }
    return {row.pupil_id: row for row in figures}, days, period.policy


def month_half_days(
    establishment: Establishment,
    policy: AttendancePolicy,
    days: dict[int, list[engine.HalfDay]],
    pupil_ids: list[int],
    month: date,
    moment: datetime | None,
    *,
    sees_confidential: bool,
) -> dict[int, list[HalfDayLine]]:
    """Each pupil's half-days of absence in the month with the absences that made
    them, their state then and their reason as this reader may see it (two queries)."""
    zone = ZoneInfo(establishment.timezone)
    first, last = reports.month_bounds(month)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    standing = _absences_as_of(establishment.pk, pupil_ids, start, end, moment)
    result: dict[int, list[HalfDayLine]] = {}
    for pupil_id in pupil_ids:
        mine = [
            (s.start.astimezone(zone), s.end.astimezone(zone), s, absence)
            for s, absence in standing.get(pupil_id, [])
        ]
        lines = []
        for half in days.get(pupil_id, []):
            low, high = _half_bounds(half.day, half.part, policy.half_day_boundary, zone)
            # Each absence as much of it as falls in this half-day: a day's absence
            # reads 8:00–12:00 in the morning and 12:00–17:00 in the afternoon.
            in_half = tuple(
                AbsenceLine(
                    start=max(local_start, low),
                    end=min(local_end, high),
                    state=s.state,
                    state_label=str(AbsenceState(s.state).label),
                    reason=_reason_text(s, sees_confidential),
                )
                for local_start, local_end, s, absence in mine
                if local_start < high and local_end > low
            )
            lines.append(
                HalfDayLine(
                    day=half.day, part=half.part, unjustified=half.unjustified, absences=in_half
                )
            )
        result[pupil_id] = lines
    return result


def _half_bounds(day: date, part: int, boundary: time, zone) -> tuple[datetime, datetime]:
    if part == engine.MORNING:
        return datetime.combine(day, time.min, zone), datetime.combine(day, boundary, zone)
    return (
        datetime.combine(day, boundary, zone),
        datetime.combine(day + timedelta(days=1), time.min, zone),
    )


def _reason_text(standing: _Standing, sees_confidential: bool) -> str:
    """The reason the absence had then, in the state it had then, as this reader may
    see it."""
    if standing.reason is None:
        return ""
    shown = Absence(reason=standing.reason, state=standing.state)
    return reason_label(shown, sees_confidential=sees_confidential)


def legal_guardians(pupil_ids: list[int]) -> dict[int, list[Guardianship]]:
    """Each pupil's legal guardians (SIECLE level 1): both receive the letters."""
    result: dict[int, list[Guardianship]] = defaultdict(list)
    for link in (
        Guardianship.objects.filter(pupil_id__in=pupil_ids, level=ResponsibilityLevel.LEGAL)
        .select_related("guardian")
        .order_by("relationship", "guardian__last_name", "guardian__first_name", "pk")
    ):
        result[link.pupil_id].append(link)
    return result


def pupil_files(
    establishment: Establishment,
    pupil_ids: list[int],
    *,
    month: date,
    as_of: date,
    today: date,
    sees_confidential: bool,
    history: bool = False,
) -> list[PupilFile]:
    """What letters and referrals say of each pupil, in the order given; `history`
    adds the steps of the earlier months too."""
    month = month.replace(day=1)
    moment = as_of_moment(establishment, as_of, today)
    figures, days, policy = month_with_days(establishment, month, moment)
    people = Person.objects.in_bulk(pupil_ids)
    divisions = divisions_in_month(establishment.pk, pupil_ids, month)
    guardians = legal_guardians(pupil_ids)
    steps = follow_ups_of(establishment.pk, pupil_ids, month, moment)
    half_days = month_half_days(
        establishment, policy, days, pupil_ids, month, moment, sees_confidential=sees_confidential
    )
    ines = dict(
        ExternalId.objects.filter(person_id__in=pupil_ids, source=IdentifierSource.INE).values_list(
            "person_id", "value"
        )
    )
    earlier: dict[int, list[FollowUp]] = defaultdict(list)
    if history:
        steps_before = FollowUp.objects.filter(
            establishment=establishment, pupil_id__in=pupil_ids, month__lte=month
        ).select_related("made_by")
        if moment is not None:
            steps_before = steps_before.filter(made_at__lte=moment)
        for step in steps_before.order_by("month", "made_at", "pk"):
            earlier[step.pupil_id].append(step)
    return [
        PupilFile(
            pupil=people[pupil_id],
            division=divisions.get(pupil_id),
            figures=figures.get(pupil_id) or empty_figures(pupil_id),
            guardians=guardians.get(pupil_id, []),
            half_days=half_days.get(pupil_id, []),
            follow_ups=steps.get(pupil_id, []),
            ine=ines.get(pupil_id, ""),
            history=earlier.get(pupil_id, []),
        )
        for pupil_id in pupil_ids
        if pupil_id in people
    ]


def empty_figures(pupil_id: int):
    return reports.PupilMonth(
        pupil_id=pupil_id,
        half_days=0,
        unjustified_half_days=0,
        computed=Fraction(0),
        computed_unjustified=Fraction(0),
        lateness=0,
        level=None,
    )


# -- Rates ---------------------------------------------------------------------------


@dataclass
class RateSeries:
    """One line of the rates: the establishment, a level or a division, with its rate
    for each month of the year and the yearly figure."""

    key: str
    label: str
    months: list  # reports.Rate, in month order
    year: object | None  # reports.Rate with month None


@dataclass
class RatesTable:
    school_year: SchoolYear
    months: list[date]
    establishment: list[RateSeries]
    levels: list[RateSeries]
    divisions: list[RateSeries]


def _series(rates, months: list[date], order) -> list[RateSeries]:
    by_key: dict[str, RateSeries] = {}
    for rate in rates:
        series = by_key.setdefault(
            rate.key, RateSeries(key=rate.key, label=rate.label, months=[], year=None)
        )
        if rate.month is None:
            series.year = rate
        else:
            series.months.append(rate)
    for series in by_key.values():
        known = {rate.month.replace(day=1): rate for rate in series.months}
        series.months = [known.get(month) for month in months]
    return sorted(by_key.values(), key=order)


def school_years_of(establishment: Establishment) -> list[SchoolYear]:
    return list(SchoolYear.objects.filter(establishment=establishment).order_by("-start_date"))


def year_months(school_year: SchoolYear, today: date) -> list[date]:
    """The months of the school year up to the current one."""
    return reports.months(school_year.start_date, min(school_year.end_date, today))


def rates_table(establishment: Establishment, school_year: SchoolYear, today: date) -> RatesTable:
    """The rates of the year per month for the establishment, each level and each
    division, with the yearly figures."""
    # The year is gathered once for the three groupings.
    rates = reports.rates_by(establishment, school_year, by=("establishment", "level", "division"))
    months = sorted(
        {rate.month.replace(day=1) for rate in rates["establishment"] if rate.month is not None}
    ) or year_months(school_year, today)
    level_rank = {str(Level(value).label): rank for value, rank in LEVEL_ORDER.items()}
    return RatesTable(
        school_year=school_year,
        months=months,
        establishment=_series(rates["establishment"], months, lambda s: s.label),
        levels=_series(
            rates["level"],
            months,
            lambda s: (LEVEL_ORDER.get(s.key, level_rank.get(s.label, 99)), s.label),
        ),
        divisions=_series(rates["division"], months, lambda s: s.label),
    )


# -- Dropout watch -------------------------------------------------------------------


@dataclass
class WatchRow:
    pupil: Person
    division: Division | None
    score: int
    reasons: list[str]


def dropout_rows(
    establishment: Establishment, *, as_of: date, division_ids: set[int] | None = None
) -> list[WatchRow]:
    """The GPDS list, highest score first; `division_ids` narrows it to the divisions a
    head teacher is in charge of (two queries besides the scores)."""
    watched = reports.dropout_watch(establishment, as_of=as_of)
    ids = [watch.pupil_id for watch in watched]
    people = Person.objects.in_bulk(ids)
    divisions = {
        enrolment.pupil_id: enrolment.division
        for enrolment in Enrolment.objects.on(as_of)
        .filter(pupil_id__in=ids, division__establishment=establishment)
        .select_related("division")
    }
    rows = [
        WatchRow(
            pupil=people[watch.pupil_id],
            division=divisions.get(watch.pupil_id),
            score=watch.score,
            reasons=list(watch.reasons),
        )
        for watch in watched
        if watch.pupil_id in people
    ]
    if division_ids is not None:
        rows = [row for row in rows if row.division and row.division.pk in division_ids]
    rows.sort(key=lambda r: (-r.score, r.pupil.last_name.lower(), r.pupil.first_name.lower()))
    return rows


def headed_divisions(person_id: int, establishment_id: int, day: date) -> set[int]:
    return set(
        Division.objects.filter(
            head_teachers=person_id,
            establishment_id=establishment_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        ).values_list("pk", flat=True)
    )
