"""Reads about accounts: notification choices, who may receive an activation letter
from an establishment, personal tokens."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from preau.accounts import codes
from preau.accounts.models import (
    Account,
    ActivationCode,
    NotificationKind,
    NotificationPreference,
    PersonalToken,
    normalise_login,
)
from preau.core.models import STAFF_ROLES, Guardianship, Person, Role, RoleKind
from preau.structure.models import Division, Enrolment
from preau.structure.selectors import current_divisions

# -- Notification preferences ----------------------------------------------------------


def wants_email(person_ids, kind: str) -> set[int]:
    """Those of `person_ids` who accept e-mails of `kind` (a `NotificationKind`): all
    but the people who turned it off (one query; none for an empty list). Whether they
    have an address is the sender's business."""
    kind = NotificationKind(kind)
    wanted = set(person_ids)
    if not wanted:
        return set()
    turned_off = NotificationPreference.objects.filter(
        person_id__in=wanted, **{kind.value: False}
    ).values_list("person_id", flat=True)
    return wanted - set(turned_off)


def email_turned_off(kind: str, person: str = "pk"):
    """An expression, true when the person at `person` (a field path of the outer
    query, "guardian_id" for a `Guardianship`) turned off e-mails of `kind`: for the
    senders that read the recipients in one query and must not add another."""
    kind = NotificationKind(kind)
    return Exists(
        NotificationPreference.objects.filter(person_id=OuterRef(person), **{kind.value: False})
    )


def preference_of(person: Person) -> NotificationPreference:
    """The person's choices; the defaults (everything on), unsaved, when they never
    chose."""
    found = NotificationPreference.objects.filter(person=person).first()
    return found or NotificationPreference(person=person)


# -- Activation letters ------------------------------------------------------------------


def _registered(establishment_id: int, day: date, pupil: str = "pk") -> Exists:
    return Exists(
        Role.objects.current(day).filter(
            person_id=OuterRef(pupil), establishment_id=establishment_id, kind=RoleKind.PUPIL
        )
    )


def holds_staff_role(day: date, person: str = "pk") -> Exists:
    """True when the person at `person` holds on `day` a staff or administrator role,
    in any establishment. Their accounts are never activated by a letter: a code would
    let whoever holds it (the secretariat printing it, to begin with) choose the
    password of an account that opens pupils' files, here or elsewhere."""
    return Exists(
        Role.objects.current(day).filter(
            person_id=OuterRef(person), kind__in=[*STAFF_ROLES, RoleKind.REGION_ADMIN]
        )
    )


def establishment_families(establishment_id: int, day: date) -> QuerySet[Person]:
    """The pupils registered in the establishment on `day` and the adults responsible
    for one of them (any level): the people whose accounts its secretariat and
    direction may activate."""
    return Person.objects.filter(
        Q(_registered(establishment_id, day))
        | Q(
            Exists(
                Guardianship.objects.filter(guardian_id=OuterRef("pk")).filter(
                    _registered(establishment_id, day, pupil="pupil_id")
                )
            )
        )
    )


def letter_person(establishment_id: int, person_id: int, day: date) -> Person | None:
    """The person, with their account, if they are a pupil of the establishment or
    responsible for one; None otherwise (one query). `holds_staff_role`: whether they
    are staff too (no letter then)."""
    return (
        establishment_families(establishment_id, day)
        .filter(pk=person_id)
        .annotate(holds_staff_role=holds_staff_role(day))
        .select_related("account")
        .first()
    )


@dataclass(frozen=True)
class Ward:
    """A child a guardian follows, as an activation letter names them."""

    name: str
    division: str


def wards_in(establishment_id: int, guardian_ids, day: date) -> dict[int, list[Ward]]:
    """For each guardian, their children registered in the establishment, with their
    division (two queries)."""
    links = list(
        Guardianship.objects.filter(guardian_id__in=list(guardian_ids))
        .filter(_registered(establishment_id, day, pupil="pupil_id"))
        .select_related("pupil")
        .order_by("pupil__first_name")
    )
    divisions = current_divisions([link.pupil_id for link in links], day)
    wards: dict[int, list[Ward]] = {}
    for link in links:
        division = divisions.get(link.pupil_id)
        wards.setdefault(link.guardian_id, []).append(
            Ward(name=link.pupil.display_name, division=division.name if division else "")
        )
    return wards


def not_activated(accounts: QuerySet[Account]) -> QuerySet[Account]:
    return accounts.filter(activated_at__isnull=True, is_active=True)


def division_letter_people(
    division: Division, day: date, *, guardians: bool = True, pupils: bool = False
) -> list[Person]:
    """The people of the division whose account is not activated: the adults
    responsible for its pupils (any level, each once) and, when asked, the pupils;
    in the order of the class list, each pupil's legal guardians first (one query
    each). Staff and administrators are left out (`holds_staff_role`)."""
    enrolled = Enrolment.objects.on(day).filter(division=division)
    people: list[Person] = []
    if pupils:
        people += list(
            Person.objects.filter(
                Exists(enrolled.filter(pupil_id=OuterRef("pk"))),
                ~holds_staff_role(day),
                account__activated_at__isnull=True,
                account__is_active=True,
                account__is_staff=False,
                account__is_superuser=False,
            )
            .select_related("account")
            .order_by("last_name", "first_name")
        )
    if guardians:
        links = (
            Guardianship.objects.filter(
                Exists(enrolled.filter(pupil_id=OuterRef("pupil_id"))),
                ~holds_staff_role(day, "guardian_id"),
                guardian__account__activated_at__isnull=True,
                guardian__account__is_active=True,
                guardian__account__is_staff=False,
                guardian__account__is_superuser=False,
            )
            .select_related("guardian__account")
            .order_by("pupil__last_name", "pupil__first_name", "level", "guardian__last_name")
        )
        seen: set[int] = set()
        for link in links:
            if link.guardian_id not in seen:
                seen.add(link.guardian_id)
                people.append(link.guardian)
    return people


def activation_code_matching(login: str, typed: str) -> ActivationCode | None:
    """The code of the account `login` that `typed` is, whatever its state (used,
    replaced, expired: the caller says which), or None (one query; none for what
    cannot be a code)."""
    code = codes.code_normalise(typed)
    if not codes.code_well_formed(code) or not login.strip():
        return None
    return (
        ActivationCode.objects.filter(
            account__login=normalise_login(login), code_hash=codes.code_hash(code)
        )
        .select_related("account__person")
        .order_by("-created_at", "-pk")
        .first()
    )


# -- Personal tokens ---------------------------------------------------------------------


def tokens_of(account: Account) -> list[PersonalToken]:
    """The account's tokens, revoked ones included (the page shows when), newest
    first (one query)."""
    return list(PersonalToken.objects.filter(account=account).order_by("-created_at", "-pk"))
