"""Writes about establishments and people. Views, the API, commands, importers and the
demo all go through these functions.

`actor` is the account acting, or None for the system itself (an import run by an
administrator on the server, the demo seeding).
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from preau.audit.services import audit_record
from preau.core import calendar
from preau.core.domain import ACADEMY_BY_CODE, public_calendar_for_uai, uai_is_well_formed
from preau.core.models import (
    NATIONAL_SOURCES,
    Establishment,
    ExternalId,
    GradingPeriod,
    Guardianship,
    IdentifierSource,
    PeriodScheme,
    Person,
    ResponsibilityLevel,
    Role,
    RoleKind,
    SchoolYear,
)
from preau.core.permissions import require_administrator


@transaction.atomic
def establishment_create(
    *,
    actor,
    uai: str,
    name: str,
    kind: str,
    academy: str,
    holiday_zone: str | None = None,
    public_holidays: str | None = None,
    city: str = "",
    **fields,
) -> Establishment:
    """Create an establishment. The holiday zone follows from the académie and the
    public-holiday calendar from the département unless given."""
    require_administrator(actor, None)
    uai = uai.strip().upper()
    if not uai_is_well_formed(uai):
        raise ValidationError({"uai": f"« {uai} » n'est pas un UAI (7 chiffres et une lettre)."})
    if academy not in ACADEMY_BY_CODE:
        raise ValidationError({"academy": f"Académie inconnue : « {academy} »."})
    establishment = Establishment(
        uai=uai,
        name=name,
        kind=kind,
        academy=academy,
        holiday_zone=holiday_zone or ACADEMY_BY_CODE[academy].holiday_zone,
        public_holidays=public_holidays or public_calendar_for_uai(uai),
        city=city,
        **fields,
    )
    establishment.full_clean()
    establishment.save()
    audit_record(
        actor=actor,
        action="establishment.create",
        target=establishment,
        establishment=establishment,
        after={"uai": uai, "name": name},
    )
    return establishment


def default_period_bounds(
    *, rules: calendar.CalendarRules, start: date, end: date
) -> dict[str, list[tuple[str, date, date]]]:
    """Grading periods most establishments use, from the calendar: trimesters ending
    with the Christmas and spring holidays, semesters split at the end of January."""

    def last_day_before(holiday_name: str, fallback: date) -> date:
        days = [
            day
            for day, name in calendar.school_holidays(rules.holiday_zone, start, end).items()
            if holiday_name in name
        ]
        return (min(days) - timedelta(days=1)) if days else fallback

    christmas = last_day_before("Noël", date(start.year, 12, 19))
    spring = last_day_before("printemps", date(end.year, 4, 10))
    january_end = date(end.year, 1, 31)
    return {
        PeriodScheme.TRIMESTERS: _within(
            [
                ("1er trimestre", start, christmas),
                ("2e trimestre", christmas + timedelta(days=1), spring),
                ("3e trimestre", spring + timedelta(days=1), end),
            ],
            start,
            end,
        ),
        PeriodScheme.SEMESTERS: _within(
            [
                ("1er semestre", start, january_end),
                ("2d semestre", january_end + timedelta(days=1), end),
            ],
            start,
            end,
        ),
        PeriodScheme.YEAR: [("Année", start, end)],
    }


def _within(
    periods: list[tuple[str, date, date]], start: date, end: date
) -> list[tuple[str, date, date]]:
    """Consecutive periods cut to the year, which may be shorter than usual (a timetable
    imported for a few weeks): a period left without two days goes to its neighbour."""
    kept: list[tuple[str, date, date]] = []
    for label, _, last in periods:
        first = kept[-1][2] + timedelta(days=1) if kept else start
        last = min(last, end)
        if last > first:
            kept.append((label, first, last))
        elif kept and last >= first:
            kept[-1] = (kept[-1][0], kept[-1][1], last)
    if not kept:
        return [(periods[0][0], start, end)]
    kept[-1] = (kept[-1][0], kept[-1][1], end)
    # Numbered from the first again: a short year starts with its "1er trimestre".
    return [(periods[n][0], first, last) for n, (_, first, last) in enumerate(kept)]


@transaction.atomic
def school_year_create(
    *, actor, establishment: Establishment, start_date: date, end_date: date
) -> SchoolYear:
    """Create a school year with its trimesters, semesters and whole-year period; each
    division then follows one of the three schemes."""
    require_administrator(actor, establishment)
    year = SchoolYear(
        establishment=establishment,
        label=f"{start_date.year}-{end_date.year}",
        start_date=start_date,
        end_date=end_date,
    )
    year.full_clean()
    year.save()
    bounds = default_period_bounds(
        rules=establishment.calendar_rules(), start=start_date, end=end_date
    )
    GradingPeriod.objects.bulk_create(
        GradingPeriod(
            school_year=year,
            scheme=scheme,
            number=number,
            label=label,
            start_date=period_start,
            end_date=period_end,
        )
        for scheme, periods in bounds.items()
        for number, (label, period_start, period_end) in enumerate(periods, start=1)
    )
    audit_record(
        actor=actor,
        action="school_year.create",
        target=year,
        establishment=establishment,
        after={"label": year.label},
    )
    return year


@transaction.atomic
def person_create(*, actor, establishment: Establishment | None = None, **fields) -> Person:
    require_administrator(actor, establishment)
    person = Person(**fields)
    person.full_clean()
    person.save()
    audit_record(
        actor=actor,
        action="person.create",
        target=person,
        establishment=establishment,
        after={"name": person.sort_name},
    )
    return person


@transaction.atomic
def external_id_set(
    *,
    actor,
    person: Person,
    source: str,
    value: str,
    establishment: Establishment | None,
    kind: str = "",
) -> ExternalId:
    """Record the identifier a source gives a person (idempotent); `kind` says whether
    the source identifies a pupil, a teacher or a guardian (see IdentifiedAs)."""
    require_administrator(actor, establishment)
    if source not in IdentifierSource.values:
        raise ValidationError({"source": f"Source d'identifiant inconnue : « {source} »."})
    scope = None if source in NATIONAL_SOURCES else establishment
    identifier, created = ExternalId.objects.get_or_create(
        source=source, kind=kind, value=value, establishment=scope, defaults={"person": person}
    )
    if identifier.person_id != person.pk:
        raise ValidationError(
            f"L'identifiant {source}:{value} appartient déjà à {identifier.person}."
        )
    if created:
        audit_record(
            actor=actor,
            action="external_id.create",
            target=person,
            establishment=establishment,
            after={"identifier": f"{source}:{value}"},
        )
    return identifier


@transaction.atomic
def role_grant(
    *,
    actor,
    person: Person,
    establishment: Establishment | None,
    kind: str,
    title: str = "",
    start_date: date | None = None,
) -> Role:
    require_administrator(actor, establishment)
    role = Role.objects.filter(person=person, establishment=establishment, kind=kind).first()
    if role is None:
        # Validated before it is written: a bad role is a ValidationError that names the
        # fault, not an IntegrityError from the database.
        role = Role(
            person=person,
            establishment=establishment,
            kind=kind,
            title=title,
            start_date=start_date,
        )
        role.full_clean()
        role.save()
        audit_record(
            actor=actor,
            action="role.grant",
            target=role,
            establishment=establishment,
            after={"person": person.pk, "kind": kind},
        )
    elif role.end_date is not None:
        before = {"end_date": role.end_date.isoformat()}
        role.end_date = None
        role.save(update_fields=["end_date"])
        audit_record(
            actor=actor,
            action="role.restore",
            target=role,
            establishment=establishment,
            before=before,
            after={"end_date": None},
        )
    return role


@transaction.atomic
def role_end(*, actor, role: Role, end_date: date) -> Role:
    """A role ends on a date; it is never deleted, so that history stays readable."""
    require_administrator(actor, role.establishment)
    before = {"end_date": role.end_date.isoformat() if role.end_date else None}
    role.end_date = end_date
    role.full_clean()
    role.save(update_fields=["end_date"])
    audit_record(
        actor=actor,
        action="role.end",
        target=role,
        establishment=role.establishment,
        before=before,
        after={"end_date": end_date.isoformat()},
    )
    return role


GUARDIANSHIP_FIELDS = ("level", "relationship", "parental_authority", "receives_mail")


@transaction.atomic
def guardianship_set(
    *,
    actor,
    guardian: Person,
    pupil: Person,
    establishment: Establishment | None = None,
    level: int = ResponsibilityLevel.LEGAL,
    relationship: str = "90",
    parental_authority: bool = True,
    receives_mail: bool = True,
) -> Guardianship:
    """Create or update the link between a pupil and a responsible adult, keeping the
    previous values in the trail."""
    require_administrator(actor, establishment)
    values = {
        "level": level,
        "relationship": relationship,
        "parental_authority": parental_authority,
        "receives_mail": receives_mail,
    }
    link = Guardianship.objects.filter(guardian=guardian, pupil=pupil).first()
    if link is None:
        link = Guardianship(guardian=guardian, pupil=pupil, **values)
        link.full_clean()
        link.save()
        audit_record(
            actor=actor,
            action="guardianship.create",
            target=link,
            establishment=establishment,
            after=values,
        )
        return link
    before = {field: getattr(link, field) for field in GUARDIANSHIP_FIELDS}
    if before != values:
        for field, value in values.items():
            setattr(link, field, value)
        link.full_clean()
        link.save()
        audit_record(
            actor=actor,
            action="guardianship.update",
            target=link,
            establishment=establishment,
            before=before,
            after=values,
        )
    return link


@transaction.atomic
def adult_objection_set(*, actor, pupil: Person, objects: bool) -> int:
    """An adult pupil objects (or stops objecting) to their guardians seeing their
    grades and report cards (access.md). Absences stay visible to the guardians."""
    day = timezone.localdate()
    if objects and not pupil.is_adult_on(day):
        raise ValidationError(
            "Seul un élève majeur peut s'opposer à la communication de ses notes."
        )
    if actor is not None and not actor.is_superuser and actor.person_id != pupil.pk:
        establishments = (
            Role.objects.current(day)
            .filter(person=pupil, kind=RoleKind.PUPIL)
            .values("establishment")
        )
        if (
            not Role.objects.current(day)
            .filter(
                person_id=actor.person_id,
                establishment__in=establishments,
                kind__in=[RoleKind.DIRECTION, RoleKind.SECRETARIAT, RoleKind.CPE],
            )
            .exists()
        ):
            raise PermissionDenied("Seuls l'élève et la vie scolaire peuvent enregistrer ce choix.")
    links = Guardianship.objects.filter(pupil=pupil)
    value = timezone.now() if objects else None
    changed = 0
    for link in links:
        if (link.adult_objection_at is not None) != objects:
            before = {
                "adult_objection_at": link.adult_objection_at
                and link.adult_objection_at.isoformat()
            }
            link.adult_objection_at = value
            link.save(update_fields=["adult_objection_at"])
            audit_record(
                actor=actor,
                action="guardianship.adult_objection",
                target=link,
                before=before,
                after={"adult_objection_at": value and value.isoformat()},
            )
            changed += 1
    return changed
