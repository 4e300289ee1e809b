"""Reads about divisions, groups, services and the pupils in them, on a given day."""

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from preau.core.access import StaffScope
from preau.core.models import Person, Role, RoleKind
from preau.structure.models import (
    LEVEL_ORDER,
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    TeachingService,
    in_force_on,
)


def divisions_with_counts(*, establishment_id: int, day: date) -> list[Division]:
    """The divisions of the school year running on `day`, in the order of schooling,
    with `pupil_count` (pupils enrolled that day)."""
    divisions = (
        Division.objects.filter(
            establishment_id=establishment_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        )
        .annotate(
            pupil_count=Count(
                "enrolments",
                filter=in_force_on(day, prefix="enrolments__", school_year="division__school_year"),
            )
        )
        .prefetch_related("head_teachers")
    )
    return sorted(divisions, key=lambda d: (LEVEL_ORDER.get(d.level, 99), d.name))


def divisions_for_scope(scope: StaffScope, day: date) -> list[Division]:
    """Every division for the vie scolaire and the direction; for a teacher, those
    they are head teacher of or teach, wholly or through a group."""
    divisions = divisions_with_counts(establishment_id=scope.establishment_id, day=day)
    if scope.sees_whole_establishment:
        return divisions
    person = scope.person_id
    mine = set(
        Division.objects.filter(
            Q(head_teachers=person)
            | Q(services__teachers=person)
            | Q(groups__services__teachers=person)
            | Q(class_parts__groups__services__teachers=person),
            establishment_id=scope.establishment_id,
        ).values_list("pk", flat=True)
    )
    return [division for division in divisions if division.pk in mine]


def pupils_in_division(division: Division, day: date) -> QuerySet[Person]:
    return Person.objects.filter(
        Exists(Enrolment.objects.on(day).filter(pupil=OuterRef("pk"), division=division))
    ).order_by("last_name", "first_name")


def _group_member_q(groups: QuerySet[Group], day: date) -> Q:
    """Pupils who on `day` belong to one of `groups`: through a whole division, a class
    part, or a direct membership (timetable.md §6)."""
    return (
        Q(
            Exists(
                Enrolment.objects.on(day).filter(pupil=OuterRef("pk"), division__groups__in=groups)
            )
        )
        | Q(
            Exists(
                ClassPartMembership.objects.on(day).filter(
                    pupil=OuterRef("pk"), class_part__groups__in=groups
                )
            )
        )
        | Q(Exists(GroupMembership.objects.on(day).filter(pupil=OuterRef("pk"), group__in=groups)))
    )


def pupils_in_group(group: Group, day: date) -> QuerySet[Person]:
    return Person.objects.filter(_group_member_q(Group.objects.filter(pk=group.pk), day)).order_by(
        "last_name", "first_name"
    )


def visible_pupils(scope: StaffScope, day: date) -> QuerySet[Person]:
    """The pupils a staff member may see in their establishment on `day`: all of them
    for the direction, secretariat and vie scolaire; for a teacher, the pupils of the
    divisions and groups they teach and of the divisions they are head teacher of."""
    registered = Role.objects.current(day).filter(
        person=OuterRef("pk"), establishment_id=scope.establishment_id, kind=RoleKind.PUPIL
    )
    pupils = Person.objects.filter(Exists(registered))
    if scope.sees_whole_establishment:
        return pupils
    if not scope.teaches:
        return pupils.none()
    services = TeachingService.objects.filter(
        establishment_id=scope.establishment_id, teachers=scope.person_id
    )
    divisions = Division.objects.filter(
        Q(services__in=services) | Q(head_teachers=scope.person_id),
        establishment_id=scope.establishment_id,
    )
    groups = Group.objects.filter(services__in=services)
    in_divisions = Q(
        Exists(Enrolment.objects.on(day).filter(pupil=OuterRef("pk"), division__in=divisions))
    )
    return pupils.filter(in_divisions | _group_member_q(groups, day))


def current_divisions(pupil_ids: list[int], day: date) -> dict[int, Division]:
    """The division each pupil is enrolled in on `day` (one query)."""
    enrolments = Enrolment.objects.on(day).filter(pupil_id__in=pupil_ids).select_related("division")
    return {enrolment.pupil_id: enrolment.division for enrolment in enrolments}


def teacher_services(*, person_id: int, establishment_id: int, day: date) -> list[TeachingService]:
    """A teacher's services in the school year running on `day`, with their audience."""
    services = (
        TeachingService.objects.filter(
            establishment_id=establishment_id,
            teachers=person_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        )
        .select_related("subject", "division", "group")
        .prefetch_related("teachers")
    )
    return sorted(services, key=lambda s: (s.audience_name, s.subject.label))


def division_services(division: Division) -> list[TeachingService]:
    """Services taught to the whole division or to groups drawing on it."""
    services = (
        TeachingService.objects.filter(
            Q(division=division)
            | Q(group__divisions=division)
            | Q(group__class_parts__division=division)
        )
        .select_related("subject", "division", "group")
        .prefetch_related("teachers")
        .distinct()
    )
    return sorted(services, key=lambda s: s.subject.label)
