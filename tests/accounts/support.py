"""A collège for the accounts tests: a division with a pupil whose father's account
was imported and never activated, her mother's activated one, the staff of the
collège, and a second collège with its own secretariat and families."""

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from preau.core.models import Relationship, ResponsibilityLevel, RoleKind
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    GuardianshipFactory,
    PersonFactory,
    pupil_in,
    staff_account,
)


def imported_account(person=None, **fields):
    """An account as the SIECLE import leaves it: no usable password, not activated."""
    return AccountFactory(
        person=person or PersonFactory(**fields), password=make_password(None), activated_at=None
    )


def imported_guardian(*children, level=ResponsibilityLevel.LEGAL, **fields):
    account = imported_account(**fields)
    for child in children:
        GuardianshipFactory(
            guardian=account.person, pupil=child, level=level, relationship=Relationship.FATHER
        )
    return account


def activated_guardian(*children, **fields):
    account = AccountFactory(person=PersonFactory(**fields), activated_at=timezone.now())
    for child in children:
        GuardianshipFactory(guardian=account.person, pupil=child)
    return account


class School:
    def __init__(self):
        self.division = DivisionFactory(
            name="4B",
            school_year__establishment__name="Collège des Tilleuls",
            school_year__establishment__address="12 rue des Tilleuls",
            school_year__establishment__postal_code="57070",
            school_year__establishment__city="Metz",
        )
        self.establishment = self.division.establishment
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.emma = pupil_in(self.division, first_name="Emma", last_name="Roche")
        self.emma_account = imported_account(self.emma)
        self.father = imported_guardian(
            self.emma,
            civility="M",
            first_name="Julien",
            last_name="Roche",
            email="julien.roche@exemple.fr",
            address_line1="21 avenue de Nancy",
            postal_code="57950",
            city="Montigny-lès-Metz",
        )
        self.mother = activated_guardian(self.emma, first_name="Sophie", last_name="Lambert")
        # A grandmother in charge (level 2), imported too.
        self.grandmother = imported_guardian(self.emma, level=ResponsibilityLevel.IN_CHARGE)
        self.hugo = pupil_in(self.division, first_name="Hugo")
        self.hugo_parent = imported_guardian(self.hugo)

        self.elsewhere = DivisionFactory(name="3A")
        self.other_secretariat = staff_account(self.elsewhere.establishment, RoleKind.SECRETARIAT)
        self.stranger_pupil = pupil_in(self.elsewhere)
        self.stranger = imported_guardian(self.stranger_pupil)
