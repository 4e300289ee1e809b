"""Whose marks an evaluation holds: the pupils of a service during a period."""

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from preau.core.models import GradingPeriod, Person
from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    GroupMembership,
    TeachingService,
)


def _overlapping(start: date, end: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": end}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": start})
    )


def service_pupils(service: TeachingService, start: date, end: date) -> QuerySet[Person]:
    """The pupils who follow `service` at some time between `start` and `end`: the
    division's pupils, or the group's through a whole division, a class part or a
    direct membership. Sorted by name; one query."""
    if service.division_id:
        condition = Q(
            Exists(
                Enrolment.objects.filter(
                    _overlapping(start, end), pupil=OuterRef("pk"), division_id=service.division_id
                )
            )
        )
    else:
        group = service.group_id
        condition = (
            Q(
                Exists(
                    Enrolment.objects.filter(
                        _overlapping(start, end), pupil=OuterRef("pk"), division__groups=group
                    )
                )
            )
            | Q(
                Exists(
                    ClassPartMembership.objects.filter(
                        _overlapping(start, end), pupil=OuterRef("pk"), class_part__groups=group
                    )
                )
            )
            | Q(
                Exists(
                    GroupMembership.objects.filter(
                        _overlapping(start, end), pupil=OuterRef("pk"), group_id=group
                    )
                )
            )
        )
    return Person.objects.filter(condition).order_by("last_name", "first_name", "pk")


def service_pupil_ids(service: TeachingService, period: GradingPeriod) -> set[int]:
    return set(
        service_pupils(service, period.start_date, period.end_date).values_list("pk", flat=True)
    )


def service_divisions(service: TeachingService) -> QuerySet[Division]:
    """The divisions a service draws on: its own, or those of its group — whole, through
    class parts, or through the pupils who are members themselves (Latin, a
    spécialité)."""
    if service.division_id:
        return Division.objects.filter(pk=service.division_id)
    return Division.objects.filter(
        Q(groups=service.group_id)
        | Q(class_parts__groups=service.group_id)
        | Q(enrolments__pupil__group_memberships__group=service.group_id)
    ).distinct()


def division_pupils(division: Division, start: date, end: date) -> QuerySet[Person]:
    """The pupils enrolled in the division at some time between `start` and `end`."""
    return Person.objects.filter(
        Exists(
            Enrolment.objects.filter(
                _overlapping(start, end), pupil=OuterRef("pk"), division=division
            )
        )
    ).order_by("last_name", "first_name", "pk")
