"""Audiences — "all guardians of 4B", "the pupils of the Latin group" — and the links
between people that the rules ask about, resolved on a given day with set-based
queries: the number of queries never depends on the number of people.

Memberships are dated (structure.models.in_force_on): the guardians of a division are
those of the pupils enrolled in it on the day the message leaves. Guardians are the
legal guardians (SIECLE level 1), and the persons in charge and contacts (levels 2 and
3) when the establishment includes them (`MessagingPolicy.contacts_included`).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from preau.core.models import STAFF_ROLES, Guardianship, Person, ResponsibilityLevel, Role
from preau.messaging import policy
from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    Level,
    TeachingService,
)


class UnknownAudience(LookupError):
    """An audience that names nothing of the establishment this year."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Audience:
    type: str
    target: str = ""  # division or group id, level code, "" for the establishment
    label: str = ""
    division_id: int | None = None
    group_id: int | None = None


def guardian_levels(include_contacts: bool) -> list[int]:
    if include_contacts:
        return list(ResponsibilityLevel.values)
    return [ResponsibilityLevel.LEGAL]


def _enrolled(establishment_id: int, day: date, **division) -> QuerySet:
    return Enrolment.objects.on(day).filter(division__establishment_id=establishment_id, **division)


def _guardians_of(enrolments: QuerySet, levels: list[int]) -> QuerySet:
    """Ids of the guardians (of `levels`) of the pupils of `enrolments`."""
    return Guardianship.objects.filter(
        Exists(enrolments.filter(pupil_id=OuterRef("pupil_id"))), level__in=levels
    ).values_list("guardian_id", flat=True)


def group_member_q(groups: QuerySet, day: date, pupil: str = "pk") -> Q:
    """Pupils (`pupil` names their id in the outer query) who on `day` belong to one of
    `groups`: through a whole division, a class part, or a direct membership."""
    return (
        Q(
            Exists(
                Enrolment.objects.on(day).filter(
                    pupil_id=OuterRef(pupil), division__groups__in=groups
                )
            )
        )
        | Q(
            Exists(
                ClassPartMembership.objects.on(day).filter(
                    pupil_id=OuterRef(pupil), class_part__groups__in=groups
                )
            )
        )
        | Q(
            Exists(
                GroupMembership.objects.on(day).filter(pupil_id=OuterRef(pupil), group__in=groups)
            )
        )
    )


def members(
    audience: Audience, *, establishment_id: int, day: date, include_contacts: bool
) -> QuerySet:
    """The person ids an audience reaches on `day` (a lazy one-column query)."""
    levels = guardian_levels(include_contacts)
    kind = audience.type
    if kind == policy.DIVISION_GUARDIANS:
        return _guardians_of(
            _enrolled(establishment_id, day, division_id=audience.division_id), levels
        )
    if kind == policy.LEVEL_GUARDIANS:
        return _guardians_of(
            _enrolled(establishment_id, day, division__level=audience.target), levels
        )
    if kind == policy.ESTABLISHMENT_GUARDIANS:
        return _guardians_of(_enrolled(establishment_id, day), levels)
    if kind == policy.DIVISION_PUPILS:
        return _enrolled(establishment_id, day, division_id=audience.division_id).values_list(
            "pupil_id", flat=True
        )
    if kind == policy.GROUP_PUPILS:
        groups = Group.objects.filter(pk=audience.group_id)
        return (
            Role.objects.current(day)
            .filter(
                group_member_q(groups, day, pupil="person_id"),
                establishment_id=establishment_id,
                kind="pupil",
            )
            .values_list("person_id", flat=True)
        )
    if kind == policy.DIVISION_TEACHERS:
        return division_teacher_ids(audience.division_id, establishment_id, day)
    if kind == policy.ESTABLISHMENT_STAFF:
        return staff_ids(establishment_id, day)
    raise UnknownAudience("Type de destinataires inconnu.")


def _teaches_q(services: QuerySet, divisions_headed: Q) -> Q:
    """Role rows (`person_id`) of people teaching one of `services`, or head teacher of
    the divisions `divisions_headed` selects on the head-teacher link table."""
    return Q(
        Exists(
            TeachingService.teachers.through.objects.filter(
                person_id=OuterRef("person_id"), teachingservice__in=services
            )
        )
    ) | Q(
        Exists(
            Division.head_teachers.through.objects.filter(divisions_headed).filter(
                person_id=OuterRef("person_id")
            )
        )
    )


def division_teacher_ids(division_id: int, establishment_id: int, day: date) -> QuerySet:
    """Teachers of the services of a division or of groups drawing on it, and its
    head teachers."""
    services = TeachingService.objects.filter(
        Q(division_id=division_id)
        | Q(group__divisions=division_id)
        | Q(group__class_parts__division=division_id),
        establishment_id=establishment_id,
    )
    return (
        Role.objects.current(day)
        .filter(
            _teaches_q(services, Q(division_id=division_id)),
            establishment_id=establishment_id,
            kind="teacher",
        )
        .values_list("person_id", flat=True)
    )


def staff_ids(establishment_id: int, day: date) -> QuerySet:
    return (
        Role.objects.current(day)
        .filter(establishment_id=establishment_id, kind__in=STAFF_ROLES)
        .values_list("person_id", flat=True)
        .distinct()
    )


def describe(
    requested: list[tuple[str, object]], *, establishment_id: int, day: date
) -> list[Audience]:
    """Check what the sender asked for — (type, id) pairs — against the establishment's
    divisions and groups of the school year running on `day`, and label each (at most
    two queries). Raises UnknownAudience with a French reason."""
    division_ids, group_ids = set(), set()
    for kind, target in requested:
        if kind not in policy.AUDIENCE_CATEGORY:
            raise UnknownAudience(f"« {kind} » n'est pas un type de destinataires connu.")
        if kind in (policy.DIVISION_GUARDIANS, policy.DIVISION_PUPILS, policy.DIVISION_TEACHERS):
            division_ids.add(_int(target, "classe"))
        elif kind == policy.GROUP_PUPILS:
            group_ids.add(_int(target, "groupe"))
    running = {
        "establishment_id": establishment_id,
        "school_year__start_date__lte": day,
        "school_year__end_date__gte": day,
    }
    divisions = (
        {d.pk: d for d in Division.objects.filter(pk__in=division_ids, **running)}
        if division_ids
        else {}
    )
    groups = (
        {g.pk: g for g in Group.objects.filter(pk__in=group_ids, **running)} if group_ids else {}
    )
    audiences: list[Audience] = []
    for kind, target in requested:
        if kind in (policy.DIVISION_GUARDIANS, policy.DIVISION_PUPILS, policy.DIVISION_TEACHERS):
            division = divisions.get(_int(target, "classe"))
            if division is None:
                raise UnknownAudience("Cette classe n'existe pas dans l'établissement cette année.")
            label = {
                policy.DIVISION_GUARDIANS: "Responsables des élèves de {}",
                policy.DIVISION_PUPILS: "Élèves de {}",
                policy.DIVISION_TEACHERS: "Équipe pédagogique de {}",
            }[kind].format(division.name)
            audiences.append(Audience(kind, str(division.pk), label, division_id=division.pk))
        elif kind == policy.GROUP_PUPILS:
            group = groups.get(_int(target, "groupe"))
            if group is None:
                raise UnknownAudience("Ce groupe n'existe pas dans l'établissement cette année.")
            audiences.append(
                Audience(kind, str(group.pk), f"Élèves du groupe {group.name}", group_id=group.pk)
            )
        elif kind == policy.LEVEL_GUARDIANS:
            code = str(target or "").upper()
            if code not in Level.values:
                raise UnknownAudience(f"« {target} » n'est pas un niveau connu.")
            label = f"Responsables des élèves de {Level(code).label}"
            audiences.append(Audience(kind, code, label))
        elif kind == policy.ESTABLISHMENT_GUARDIANS:
            audiences.append(Audience(kind, "", "Tous les responsables de l'établissement"))
        else:
            audiences.append(Audience(kind, "", "Tous les personnels de l'établissement"))
    return list(dict.fromkeys(audiences))


def _int(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UnknownAudience(f"Identifiant de {what} invalide : « {value} ».") from None


def resolve(
    audiences: list[Audience], *, establishment_id: int, day: date, include_contacts: bool
) -> list[int]:
    """Every person the audiences reach, without duplicates (one query)."""
    if not audiences:
        return []
    queries = [
        members(a, establishment_id=establishment_id, day=day, include_contacts=include_contacts)
        for a in audiences
    ]
    if len(queries) == 1:
        return list(set(queries[0]))
    # Each member query unordered: SQLite refuses ORDER BY inside a compound SELECT.
    first, *others = (query.order_by() for query in queries)
    return list(first.union(*others))


# -- Links between the sender and the people they write to ---------------------------------


def taught_division_ids(person_id: int, establishment_id: int, day: date) -> set[int]:
    """Divisions of the running year a teacher teaches (wholly or through a group) or
    is head teacher of (one query)."""
    return set(
        Division.objects.filter(
            Q(head_teachers=person_id)
            | Q(services__teachers=person_id)
            | Q(groups__services__teachers=person_id)
            | Q(class_parts__groups__services__teachers=person_id),
            establishment_id=establishment_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        ).values_list("pk", flat=True)
    )


def taught_group_ids(person_id: int, establishment_id: int, day: date) -> set[int]:
    return set(
        Group.objects.filter(
            services__teachers=person_id,
            establishment_id=establishment_id,
            school_year__start_date__lte=day,
            school_year__end_date__gte=day,
        ).values_list("pk", flat=True)
    )


def pupils_taught_query(teacher_id: int, establishment_id: int, day: date) -> QuerySet:
    """Ids of the pupils a teacher teaches on `day`: in a division they teach or
    head, or in a group they teach (a lazy query)."""
    services = TeachingService.objects.filter(
        establishment_id=establishment_id, teachers=teacher_id
    )
    divisions = Division.objects.filter(
        Q(services__in=services) | Q(head_teachers=teacher_id), establishment_id=establishment_id
    )
    groups = Group.objects.filter(services__in=services)
    in_divisions = Q(
        Exists(Enrolment.objects.on(day).filter(pupil_id=OuterRef("pk"), division__in=divisions))
    )
    return Person.objects.filter(in_divisions | group_member_q(groups, day)).values_list(
        "pk", flat=True
    )


def pupils_taught_among(
    teacher_id: int, pupil_ids: set[int], establishment_id: int, day: date
) -> set[int]:
    """Which of `pupil_ids` the teacher teaches on `day` (one query)."""
    if not pupil_ids:
        return set()
    return set(
        pupils_taught_query(teacher_id, establishment_id, day).filter(pk__in=list(pupil_ids))
    )


def teachers_of_query(pupil_ids: set[int], establishment_id: int, day: date) -> QuerySet:
    """Ids of the teachers who teach (or are head teacher of) one of `pupil_ids` on
    `day` (a lazy query)."""
    pupil_ids = list(pupil_ids)
    divisions = Division.objects.filter(
        Exists(
            Enrolment.objects.on(day).filter(division_id=OuterRef("pk"), pupil_id__in=pupil_ids)
        ),
        establishment_id=establishment_id,
    )
    groups = Group.objects.filter(
        Q(
            Exists(
                Enrolment.objects.on(day).filter(
                    division__groups=OuterRef("pk"), pupil_id__in=pupil_ids
                )
            )
        )
        | Q(
            Exists(
                ClassPartMembership.objects.on(day).filter(
                    class_part__groups=OuterRef("pk"), pupil_id__in=pupil_ids
                )
            )
        )
        | Q(
            Exists(
                GroupMembership.objects.on(day).filter(group=OuterRef("pk"), pupil_id__in=pupil_ids)
            )
        ),
        establishment_id=establishment_id,
    )
    services = TeachingService.objects.filter(Q(division__in=divisions) | Q(group__in=groups))
    return (
        Role.objects.current(day)
        .filter(
            _teaches_q(services, Q(division__in=divisions)),
            establishment_id=establishment_id,
            kind="teacher",
        )
        .values_list("person_id", flat=True)
    )


def teachers_of_among(
    pupil_ids: set[int], teacher_ids: set[int], establishment_id: int, day: date
) -> set[int]:
    """Which of `teacher_ids` teach one of `pupil_ids` on `day` (one query)."""
    if not pupil_ids or not teacher_ids:
        return set()
    return set(
        teachers_of_query(pupil_ids, establishment_id, day).filter(person_id__in=list(teacher_ids))
    )


def enrolled_in_among(division_ids: set[int], pupil_ids: set[int], day: date) -> set[int]:
    """Which of `pupil_ids` are enrolled on `day` in one of `division_ids` (one query)."""
    if not division_ids or not pupil_ids:
        return set()
    return set(
        Enrolment.objects.on(day)
        .filter(division_id__in=division_ids, pupil_id__in=pupil_ids)
        .values_list("pupil_id", flat=True)
    )
