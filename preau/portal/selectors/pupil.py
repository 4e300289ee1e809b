"""What the pupil's home page adds to their card: the teachers of their subjects."""

from datetime import date

from django.db.models import Q

from preau.structure.models import (
    ClassPartMembership,
    Division,
    GroupMembership,
    TeachingService,
)


def pupil_services(pupil_id: int, division: Division, day: date) -> list[TeachingService]:
    """Services taught to the pupil's division or to a group the pupil is in (two
    queries: the services, their teachers)."""
    part_ids = ClassPartMembership.objects.on(day).filter(pupil_id=pupil_id).values("class_part")
    direct_group_ids = GroupMembership.objects.on(day).filter(pupil_id=pupil_id).values("group")
    services = (
        TeachingService.objects.filter(school_year_id=division.school_year_id)
        .filter(
            Q(division=division)
            | Q(group__divisions=division)
            | Q(group__class_parts__in=part_ids)
            | Q(group__in=direct_group_ids)
        )
        .select_related("subject", "group", "division")
        .prefetch_related("teachers")
        .distinct()
    )
    return sorted(services, key=lambda service: service.subject.label)
