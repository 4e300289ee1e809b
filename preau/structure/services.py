"""Writes about divisions, groups, subjects, services and enrolments."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from preau.audit.services import audit_record
from preau.core.models import Establishment, Person, SchoolYear
from preau.core.permissions import require_administrator
from preau.structure.models import (
    ClassPart,
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    Subject,
    TeachingService,
)


def _same_year(school_year: SchoolYear, establishment: Establishment) -> None:
    if school_year.establishment_id != establishment.pk:
        raise ValidationError("L'année scolaire n'appartient pas à cet établissement.")


def _created(actor, target, establishment: Establishment, **after) -> None:
    audit_record(
        actor=actor,
        action=f"{target._meta.model_name}.create",
        target=target,
        establishment=establishment,
        after={key: str(value) for key, value in after.items()},
    )


@transaction.atomic
def division_create(
    *,
    actor,
    school_year: SchoolYear,
    name: str,
    level: str,
    period_scheme: str = "trimesters",
    head_teachers: Iterable[Person] = (),
) -> Division:
    establishment = school_year.establishment
    require_administrator(actor, establishment)
    division = Division(
        establishment=establishment,
        school_year=school_year,
        name=name.strip(),
        level=level,
        period_scheme=period_scheme,
    )
    division.full_clean()
    division.save()
    division.head_teachers.set(head_teachers)
    _created(actor, division, establishment, name=division.name, level=level)
    return division


@transaction.atomic
def class_part_create(*, actor, division: Division, name: str) -> ClassPart:
    require_administrator(actor, division.establishment)
    part = ClassPart(division=division, name=name.strip())
    part.full_clean()
    part.save()
    _created(actor, part, division.establishment, division=division.name, name=part.name)
    return part


@transaction.atomic
def group_create(
    *,
    actor,
    school_year: SchoolYear,
    name: str,
    class_parts: Iterable[ClassPart] = (),
    divisions: Iterable[Division] = (),
) -> Group:
    establishment = school_year.establishment
    require_administrator(actor, establishment)
    group = Group(establishment=establishment, school_year=school_year, name=name.strip())
    group.full_clean()
    group.save()
    parts = list(class_parts)
    whole = list(divisions)
    if any(part.division.school_year_id != school_year.pk for part in parts) or any(
        division.school_year_id != school_year.pk for division in whole
    ):
        raise ValidationError(f"Le groupe {name} mêle des classes de plusieurs années scolaires.")
    group.class_parts.set(parts)
    group.divisions.set(whole)
    _created(
        actor,
        group,
        establishment,
        name=group.name,
        class_parts=", ".join(str(part) for part in parts),
        divisions=", ".join(division.name for division in whole),
    )
    return group


@transaction.atomic
def subject_create(
    *,
    actor,
    establishment: Establishment,
    code: str,
    label: str,
    national_code: str = "",
    short_label: str = "",
) -> Subject:
    require_administrator(actor, establishment)
    subject = Subject(
        establishment=establishment,
        code=code.strip().upper(),
        label=label.strip(),
        national_code=national_code,
        short_label=short_label,
    )
    subject.full_clean()
    subject.save()
    _created(actor, subject, establishment, code=subject.code, label=subject.label)
    return subject


@transaction.atomic
def service_create(
    *,
    actor,
    school_year: SchoolYear,
    subject: Subject,
    teachers: Iterable[Person],
    division: Division | None = None,
    group: Group | None = None,
    weekly_hours=None,
) -> TeachingService:
    establishment = school_year.establishment
    require_administrator(actor, establishment)
    _same_year(school_year, subject.establishment)
    audience = division or group
    if audience is not None and audience.school_year_id != school_year.pk:
        raise ValidationError(f"{audience} n'appartient pas à l'année scolaire {school_year}.")
    service = TeachingService(
        establishment=establishment,
        school_year=school_year,
        subject=subject,
        division=division,
        group=group,
        weekly_hours=weekly_hours,
    )
    service.full_clean()
    service.save()
    teachers = list(teachers)
    service.teachers.set(teachers)
    _created(
        actor,
        service,
        establishment,
        subject=subject.code,
        audience=audience,
        teachers=", ".join(str(teacher.pk) for teacher in teachers),
    )
    return service


@transaction.atomic
def pupil_enrol(*, actor, pupil: Person, division: Division, start_date: date) -> Enrolment:
    """Put a pupil in a division from `start_date`. An enrolment still open in another
    division of the same year ends the day before: the pupil follows the old
    timetable until the change and the new one after (timetable.md §6)."""
    require_administrator(actor, division.establishment)
    current = (
        Enrolment.objects.select_for_update()
        .filter(pupil=pupil, division__school_year=division.school_year, end_date__isnull=True)
        .exclude(division=division)
    )
    for enrolment in current:
        if enrolment.start_date >= start_date:
            raise ValidationError(
                f"{pupil} est inscrit en {enrolment.division} depuis le "
                f"{enrolment.start_date:%d/%m/%Y} : le changement doit être postérieur."
            )
        enrolment.end_date = start_date - timedelta(days=1)
        enrolment.save(update_fields=["end_date"])
        audit_record(
            actor=actor,
            action="enrolment.end",
            target=enrolment,
            establishment=division.establishment,
            before={"end_date": None},
            after={"end_date": enrolment.end_date.isoformat()},
        )
    enrolment, created = Enrolment.objects.get_or_create(
        pupil=pupil, division=division, end_date=None, defaults={"start_date": start_date}
    )
    if created:
        audit_record(
            actor=actor,
            action="enrolment.start",
            target=enrolment,
            establishment=division.establishment,
            after={"division": division.name, "start_date": start_date.isoformat()},
        )
    return enrolment


@transaction.atomic
def class_part_join(
    *, actor, pupil: Person, class_part: ClassPart, start_date: date
) -> ClassPartMembership:
    require_administrator(actor, class_part.division.establishment)
    membership, created = ClassPartMembership.objects.get_or_create(
        pupil=pupil, class_part=class_part, end_date=None, defaults={"start_date": start_date}
    )
    if created:
        _created(
            actor,
            membership,
            class_part.division.establishment,
            pupil=pupil.pk,
            class_part=class_part,
            start_date=start_date,
        )
    return membership
