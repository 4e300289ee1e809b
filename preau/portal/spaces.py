"""The spaces a person works in, and the children a guardian follows.

A space is what the shell shows at one time: the staff space of one establishment
(with every staff role held there), the family space (every child, whatever their
establishment), a pupil's own space, or the regional administration. A person with
several switches between them without signing in again.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import F
from django.utils.translation import gettext as _

from preau.core.access import StaffScope
from preau.core.models import STAFF_ROLES, Person, ResponsibilityLevel, Role, RoleKind
from preau.structure.models import Division

STAFF = "staff"
FAMILY = "family"
PUPIL = "pupil"
REGION = "region"
KIND_ORDER = {STAFF: 0, REGION: 1, FAMILY: 2, PUPIL: 3}


@dataclass(frozen=True)
class Space:
    key: str
    kind: str
    roles: frozenset[str] = frozenset()
    establishment_id: int | None = None
    establishment_name: str = ""
    uai: str = ""
    head_teacher: bool = False

    @property
    def label(self) -> str:
        if self.kind == FAMILY:
            return _("Espace famille")
        if self.kind == REGION:
            return _("Administration régionale")
        if self.kind == PUPIL:
            return _("Espace élève — %(name)s") % {"name": self.establishment_name}
        return _("%(name)s — %(roles)s") % {
            "name": self.establishment_name,
            "roles": ", ".join(str(RoleKind(role).label) for role in sorted(self.roles)),
        }

    def staff_scope(self, person_id: int) -> StaffScope | None:
        if self.kind != STAFF or self.establishment_id is None:
            return None
        return StaffScope(
            person_id=person_id, establishment_id=self.establishment_id, roles=self.roles
        )


@dataclass(frozen=True)
class Child:
    id: int
    first_name: str
    last_name: str
    establishment_id: int
    establishment_name: str
    uai: str
    # The person's SIECLE responsibility level for this child (1 legal guardian).
    level: int = ResponsibilityLevel.LEGAL

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class PersonSpaces:
    spaces: tuple[Space, ...]
    children: tuple[Child, ...]

    def find(self, key: str | None) -> Space | None:
        return next((space for space in self.spaces if space.key == key), None)


def spaces_of(person: Person | None, day: date) -> PersonSpaces:
    """Every space `person` may enter on `day` (two or three queries)."""
    if person is None:
        return PersonSpaces(spaces=(), children=())
    roles = list(Role.objects.current(day).filter(person=person).select_related("establishment"))
    staff: dict[int, list[Role]] = {}
    spaces: list[Space] = []
    for role in roles:
        if role.kind in STAFF_ROLES:
            staff.setdefault(role.establishment_id, []).append(role)
        elif role.kind == RoleKind.PUPIL:
            spaces.append(
                Space(
                    key=f"pupil:{role.establishment.uai}",
                    kind=PUPIL,
                    roles=frozenset({RoleKind.PUPIL}),
                    establishment_id=role.establishment_id,
                    establishment_name=role.establishment.name,
                    uai=role.establishment.uai,
                )
            )
        elif role.kind == RoleKind.REGION_ADMIN:
            spaces.append(Space(key="region", kind=REGION, roles=frozenset({role.kind})))
    head_of: set[int] = set()
    if any(role.kind == RoleKind.TEACHER for roles_ in staff.values() for role in roles_):
        head_of = set(
            Division.objects.filter(
                head_teachers=person,
                school_year__start_date__lte=day,
                school_year__end_date__gte=day,
            ).values_list("establishment_id", flat=True)
        )
    for establishment_id, held in staff.items():
        establishment = held[0].establishment
        spaces.append(
            Space(
                key=f"staff:{establishment.uai}",
                kind=STAFF,
                roles=frozenset(role.kind for role in held),
                establishment_id=establishment_id,
                establishment_name=establishment.name,
                uai=establishment.uai,
                head_teacher=establishment_id in head_of,
            )
        )
    children = tuple(
        Child(
            id=role.person_id,
            first_name=role.person.first_name,
            last_name=role.person.last_name,
            establishment_id=role.establishment_id,
            establishment_name=role.establishment.name,
            uai=role.establishment.uai,
            level=role.guardian_level,
        )
        for role in Role.objects.current(day)
        .filter(kind=RoleKind.PUPIL, person__guardianships__guardian=person)
        .annotate(guardian_level=F("person__guardianships__level"))
        .select_related("person", "establishment")
        .order_by("person__birth_date", "person__first_name", "establishment__name")
    )
    if children:
        legal = any(child.level == ResponsibilityLevel.LEGAL for child in children)
        spaces.append(
            Space(key="family", kind=FAMILY, roles=frozenset({"guardian" if legal else "contact"}))
        )
    spaces.sort(key=lambda space: (KIND_ORDER[space.kind], space.establishment_name))
    return PersonSpaces(spaces=tuple(spaces), children=children)
