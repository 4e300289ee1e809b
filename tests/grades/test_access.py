"""Who among a pupil's family sees their grades, and from when (access.md)."""

from datetime import date

import pytest

from preau.core.access import StaffScope
from preau.core.models import RoleKind
from preau.grades.access import (
    CONTACT,
    LEGAL,
    OWN,
    GradesAccess,
    family_grades_access,
    is_direction,
    policy_of,
    reads_report_cards,
)
from preau.grades.models import GradesPolicy
from tests.factories import EstablishmentFactory

OBJECTION = "s'est opposé"
NOT_CONTACTS = "qu'aux responsables légaux"


# (link, objection, contacts_see_grades, delay) → (may_see, delay_days, why_not contains)
CASES = [
    # The pupil sees their own marks from the publication date, whatever the settings.
    (OWN, False, False, 0, True, 0, ""),
    (OWN, False, False, 3, True, 0, ""),
    (OWN, True, False, 3, True, 0, ""),
    (OWN, False, True, 5, True, 0, ""),
    # Legal guardians, after the parent delay, unless the adult pupil objected.
    (LEGAL, False, False, 0, True, 0, ""),
    (LEGAL, False, False, 3, True, 3, ""),
    (LEGAL, False, True, 3, True, 3, ""),
    (LEGAL, True, False, 0, False, 0, OBJECTION),
    (LEGAL, True, True, 3, False, 0, OBJECTION),
    # Persons in charge and contacts only when the establishment enables it.
    (CONTACT, False, False, 0, False, 0, NOT_CONTACTS),
    (CONTACT, False, False, 3, False, 0, NOT_CONTACTS),
    (CONTACT, False, True, 0, True, 0, ""),
    (CONTACT, False, True, 4, True, 4, ""),
    (CONTACT, True, True, 4, False, 0, OBJECTION),
    (CONTACT, True, False, 4, False, 0, OBJECTION),
]


@pytest.mark.parametrize(
    ("link", "objection", "contacts", "delay", "may_see", "delay_days", "why"), CASES
)
def test_family_grades_access(link, objection, contacts, delay, may_see, delay_days, why):
    policy = GradesPolicy(contacts_see_grades=contacts, parent_delay_days=delay)
    access = family_grades_access(link=link, objection=objection, policy=policy)
    assert access.may_see is may_see
    assert access.delay_days == delay_days
    if why:
        assert why in access.why_not
    else:
        assert access.why_not == ""


@pytest.mark.parametrize(
    ("delay", "day", "published_on", "visible"),
    [
        (0, date(2026, 3, 10), date(2026, 3, 10), True),
        (0, date(2026, 3, 10), date(2026, 3, 11), False),
        (0, date(2026, 3, 10), date(2026, 1, 5), True),
        (2, date(2026, 3, 10), date(2026, 3, 8), True),
        (2, date(2026, 3, 10), date(2026, 3, 9), False),
        (2, date(2026, 3, 10), date(2026, 3, 10), False),
        # Across a month's end.
        (3, date(2026, 3, 2), date(2026, 2, 27), True),
        (3, date(2026, 3, 2), date(2026, 2, 28), False),
    ],
)
def test_cutoff_and_visible(delay, day, published_on, visible):
    access = GradesAccess(True, delay_days=delay)
    assert access.cutoff(day) == date.fromordinal(day.toordinal() - delay)
    assert access.visible(published_on, day) is visible


def test_nothing_is_visible_without_access():
    access = GradesAccess(False, why_not="non")
    assert not access.visible(date(2020, 1, 1), date(2026, 1, 1))


def test_a_guardian_sees_a_mark_the_delay_after_the_pupil():
    policy = GradesPolicy(parent_delay_days=2)
    pupil = family_grades_access(link=OWN, objection=False, policy=policy)
    guardian = family_grades_access(link=LEGAL, objection=False, policy=policy)
    published = date(2026, 5, 4)
    assert pupil.visible(published, date(2026, 5, 4))
    assert not guardian.visible(published, date(2026, 5, 5))
    assert guardian.visible(published, date(2026, 5, 6))


@pytest.mark.django_db
def test_policy_of_gives_the_defaults_without_writing(django_assert_num_queries):
    establishment = EstablishmentFactory()
    with django_assert_num_queries(1):
        policy = policy_of(establishment.pk)
    assert policy.pk is None
    assert (policy.parent_delay_days, policy.contacts_see_grades) == (0, False)
    assert policy.appraisal_max_length == 400
    assert not GradesPolicy.objects.exists()
    saved = GradesPolicy.objects.create(establishment=establishment, parent_delay_days=3)
    with django_assert_num_queries(1):
        assert policy_of(establishment.pk) == saved


def test_staff_roles():
    direction = StaffScope(1, 1, frozenset({RoleKind.DIRECTION}))
    teacher = StaffScope(2, 1, frozenset({RoleKind.TEACHER}))
    secretariat = StaffScope(3, 1, frozenset({RoleKind.SECRETARIAT}))
    cpe = StaffScope(4, 1, frozenset({RoleKind.CPE}))
    assert is_direction(direction)
    assert not is_direction(teacher)
    assert not is_direction(secretariat)
    assert reads_report_cards(direction)
    assert reads_report_cards(secretariat)
    assert reads_report_cards(cpe)
    assert not reads_report_cards(teacher)
