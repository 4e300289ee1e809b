"""Reads about establishments and people."""

import re
from datetime import date

from django.utils import timezone

from preau.core.models import (
    NATIONAL_SOURCES,
    STAFF_ROLES,
    Establishment,
    ExternalId,
    Person,
    Role,
    RoleKind,
    SchoolYear,
)


def today() -> date:
    return timezone.localdate()


def person_is_staff(person: Person | None, day: date | None = None) -> bool:
    """Whether the person holds, on `day`, a role that opens pupils' files to them."""
    if person is None:
        return False
    return (
        Role.objects.filter(person=person, kind__in=[*STAFF_ROLES, RoleKind.REGION_ADMIN])
        .current(day or today())
        .exists()
    )


class UnknownReference(LookupError):
    pass


def person_by_ref(
    ref: str, *, establishment: Establishment | None, kind: str | None = None
) -> Person:
    """The person a `SOURCE:ID` reference names (interfaces.md): `edt:1234`, `ine:…`,
    `siecle:…`, `sts:…`, `fet:<name>`; `kind` (pupil, teacher, guardian) settles
    sources that number each kind apart. Raises UnknownReference with a readable
    reason."""
    source, sep, value = ref.partition(":")
    source = source.strip().lower()
    # Names (FET) compare with runs of white space folded to one space.
    value = re.sub(r"\s+", " ", value).strip()
    if not sep or not source or not value:
        raise UnknownReference(
            f"« {ref} » n'est pas une référence SOURCE:ID (par exemple edt:1234)."
        )
    identifiers = ExternalId.objects.filter(source=source, value=value)
    if kind is not None:
        identifiers = identifiers.filter(kind__in=[kind, ""])
    if source in NATIONAL_SOURCES:
        identifiers = identifiers.filter(establishment__isnull=True)
    elif establishment is not None:
        identifiers = identifiers.filter(establishment=establishment)
    found = list({i.person_id: i for i in identifiers.select_related("person")[:3]}.values())
    if not found:
        raise UnknownReference(f"Aucune personne n'a l'identifiant {source}:{value}.")
    if len(found) > 1:
        raise UnknownReference(
            f"Plusieurs personnes ont l'identifiant {source}:{value} : précisez l'établissement."
        )
    return found[0].person


def school_year_containing(establishment, day: date) -> SchoolYear | None:
    """The school year whose dates hold `day` (None in the summer); `establishment`
    is an establishment or its id."""
    return SchoolYear.objects.filter(
        establishment=establishment, start_date__lte=day, end_date__gte=day
    ).first()


def school_year_on(establishment: Establishment, day: date) -> SchoolYear | None:
    """The school year in force on `day`, or the next one during the summer."""
    years = SchoolYear.objects.filter(establishment=establishment, end_date__gte=day)
    return years.order_by("start_date").first()
