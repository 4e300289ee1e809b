"""Dated memberships (timetable.md §6): a pupil who changes division mid-year follows
the old division until the day before the change and the new one from that day; a
group's pupils come from its class parts, its whole divisions and its direct members,
each on the dates of their membership."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from preau.audit.models import AuditEvent
from preau.core.models import RoleKind
from preau.structure.models import Enrolment
from preau.structure.selectors import (
    current_divisions,
    divisions_with_counts,
    pupils_in_division,
    pupils_in_group,
)
from preau.structure.services import class_part_join, group_create, pupil_enrol
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    EnrolmentFactory,
    GroupFactory,
    GroupMembershipFactory,
    PersonFactory,
    SchoolYearFactory,
    staff_account,
)

pytestmark = pytest.mark.django_db

START, CHANGE, END = date(2026, 9, 1), date(2027, 1, 11), date(2027, 7, 2)


@pytest.fixture
def year():
    return SchoolYearFactory(start_date=START, end_date=END, label="2026-2027")


def test_a_pupil_changing_division_follows_the_old_one_until_the_day_before(year):
    a3, b3 = DivisionFactory(school_year=year, name="3A"), DivisionFactory(school_year=year)
    pupil = PersonFactory()
    pupil_enrol(actor=None, pupil=pupil, division=a3, start_date=START)

    pupil_enrol(actor=None, pupil=pupil, division=b3, start_date=CHANGE)

    eve = CHANGE - timedelta(days=1)
    assert list(pupils_in_division(a3, eve)) == [pupil]
    assert list(pupils_in_division(b3, eve)) == []
    assert list(pupils_in_division(a3, CHANGE)) == []
    assert list(pupils_in_division(b3, CHANGE)) == [pupil]
    assert current_divisions([pupil.pk], eve) == {pupil.pk: a3}
    assert current_divisions([pupil.pk], CHANGE) == {pupil.pk: b3}
    old = Enrolment.objects.get(division=a3)
    assert (old.start_date, old.end_date) == (START, eve)
    ended = AuditEvent.objects.get(action="enrolment.end")
    assert (ended.before, ended.after) == ({"end_date": None}, {"end_date": eve.isoformat()})


def test_enrolling_twice_in_the_same_division_changes_nothing(year):
    division = DivisionFactory(school_year=year)
    pupil = PersonFactory()
    first = pupil_enrol(actor=None, pupil=pupil, division=division, start_date=START)
    again = pupil_enrol(actor=None, pupil=pupil, division=division, start_date=CHANGE)
    assert first.pk == again.pk
    assert again.start_date == START
    assert AuditEvent.objects.filter(action="enrolment.start").count() == 1


def test_a_change_must_come_after_the_current_enrolment_began(year):
    a3, b3 = DivisionFactory(school_year=year, name="3A"), DivisionFactory(school_year=year)
    pupil = PersonFactory()
    pupil_enrol(actor=None, pupil=pupil, division=a3, start_date=CHANGE)
    with pytest.raises(ValidationError) as refused:
        pupil_enrol(actor=None, pupil=pupil, division=b3, start_date=CHANGE)
    assert "3A" in refused.value.messages[0]
    assert "11/01/2027" in refused.value.messages[0]
    assert Enrolment.objects.get().end_date is None
    assert not Enrolment.objects.filter(division=b3).exists()


def test_an_enrolment_of_another_school_year_is_left_alone(year):
    next_year = SchoolYearFactory(
        establishment=year.establishment,
        start_date=date(2027, 9, 1),
        end_date=date(2028, 7, 1),
        label="2027-2028",
    )
    this, next_ = DivisionFactory(school_year=year), DivisionFactory(school_year=next_year)
    pupil = PersonFactory()
    pupil_enrol(actor=None, pupil=pupil, division=this, start_date=START)
    pupil_enrol(actor=None, pupil=pupil, division=next_, start_date=date(2027, 9, 1))
    assert Enrolment.objects.get(division=this).end_date is None


def test_only_the_administration_enrols_pupils(year):
    division = DivisionFactory(school_year=year)
    teacher = staff_account(year.establishment, RoleKind.TEACHER)
    with pytest.raises(PermissionDenied):
        pupil_enrol(actor=teacher, pupil=PersonFactory(), division=division, start_date=START)
    assert not Enrolment.objects.exists()


def test_division_counts_are_those_of_the_day(year):
    a3, b3 = DivisionFactory(school_year=year, name="3A"), DivisionFactory(school_year=year)
    leaving = PersonFactory()
    pupil_enrol(actor=None, pupil=leaving, division=a3, start_date=START)
    pupil_enrol(actor=None, pupil=PersonFactory(), division=a3, start_date=START)
    pupil_enrol(actor=None, pupil=leaving, division=b3, start_date=CHANGE)

    def counts(day):
        found = divisions_with_counts(establishment_id=year.establishment_id, day=day)
        return {division.name: division.pupil_count for division in found}

    assert counts(CHANGE - timedelta(days=1)) == {"3A": 2, b3.name: 0}
    assert counts(CHANGE) == {"3A": 1, b3.name: 1}
    assert counts(END + timedelta(days=1)) == {}  # no school year runs that day


def test_divisions_are_listed_in_the_order_of_schooling(year):
    for name, level in [("3A", "3E"), ("6B", "6E"), ("6A", "6E"), ("4A", "4E")]:
        DivisionFactory(school_year=year, name=name, level=level)
    found = divisions_with_counts(establishment_id=year.establishment_id, day=CHANGE)
    assert [division.name for division in found] == ["6A", "6B", "4A", "3A"]


# -- Groups -------------------------------------------------------------------------------


@pytest.fixture
def latin_and_spanish(year):
    """3A and 3B; Spanish is taught to half of 3A (a class part) and Latin to the whole of
    3B plus one pupil of 3A listed directly from January."""
    a3 = DivisionFactory(school_year=year, name="3A")
    b3 = DivisionFactory(school_year=year, name="3B")
    half = ClassPartFactory(division=a3, name="3A espagnol")
    spanish = GroupFactory(school_year=year, name="ESP 3A", class_parts=[half])
    latin = GroupFactory(school_year=year, name="LAT 3", divisions=[b3])
    pupils = {name: PersonFactory(last_name=name) for name in ["Alba", "Bruno", "Chloe", "Dina"]}
    EnrolmentFactory(pupil=pupils["Alba"], division=a3)
    EnrolmentFactory(pupil=pupils["Bruno"], division=a3)
    EnrolmentFactory(pupil=pupils["Chloe"], division=b3)
    ClassPartMembershipFactory(pupil=pupils["Alba"], class_part=half)
    GroupMembershipFactory(pupil=pupils["Bruno"], group=latin, start_date=CHANGE)
    return spanish, latin, pupils


def names(people) -> list[str]:
    return [person.last_name for person in people]


def test_a_group_holds_its_class_parts_whole_divisions_and_direct_members(latin_and_spanish):
    spanish, latin, _ = latin_and_spanish
    assert names(pupils_in_group(spanish, CHANGE)) == ["Alba"]
    assert names(pupils_in_group(latin, CHANGE)) == ["Bruno", "Chloe"]


def test_a_direct_member_belongs_to_the_group_from_their_start_date_only(latin_and_spanish):
    _, latin, _ = latin_and_spanish
    assert names(pupils_in_group(latin, CHANGE - timedelta(days=1))) == ["Chloe"]


def test_memberships_end_on_their_end_date(latin_and_spanish, year):
    spanish, latin, pupils = latin_and_spanish
    alba_part = pupils["Alba"].class_part_memberships.get()
    alba_part.end_date = CHANGE
    alba_part.save()
    chloe = Enrolment.objects.get(pupil=pupils["Chloe"])
    chloe.end_date = CHANGE
    chloe.save()
    assert names(pupils_in_group(spanish, CHANGE)) == ["Alba"]
    assert names(pupils_in_group(spanish, CHANGE + timedelta(days=1))) == []
    assert names(pupils_in_group(latin, CHANGE + timedelta(days=1))) == ["Bruno"]


def test_a_pupil_leaving_a_division_leaves_its_whole_division_groups(latin_and_spanish, year):
    _, latin, pupils = latin_and_spanish
    a3 = DivisionFactory(school_year=year, name="3C")
    pupil_enrol(actor=None, pupil=pupils["Chloe"], division=a3, start_date=date(2027, 3, 1))
    assert names(pupils_in_group(latin, date(2027, 2, 26))) == ["Bruno", "Chloe"]
    assert names(pupils_in_group(latin, date(2027, 3, 1))) == ["Bruno"]


def test_a_group_may_not_mix_school_years(year):
    other_year = SchoolYearFactory(
        establishment=year.establishment,
        start_date=date(2027, 9, 1),
        end_date=date(2028, 7, 1),
        label="2027-2028",
    )
    with pytest.raises(ValidationError) as refused:
        group_create(
            actor=None,
            school_year=year,
            name="LAT",
            divisions=[DivisionFactory(school_year=other_year)],
        )
    assert "LAT" in refused.value.messages[0]


def test_joining_a_class_part_twice_keeps_one_membership(year):
    part = ClassPartFactory(division=DivisionFactory(school_year=year))
    pupil = PersonFactory()
    first = class_part_join(actor=None, pupil=pupil, class_part=part, start_date=START)
    again = class_part_join(actor=None, pupil=pupil, class_part=part, start_date=CHANGE)
    assert first.pk == again.pk
    assert first.start_date == START


# -- From one school year to the next -----------------------------------------------------


def test_a_pupil_enrolled_for_the_new_year_has_left_last_years_division(year):
    next_year = SchoolYearFactory(
        establishment=year.establishment,
        start_date=date(2027, 9, 1),
        end_date=date(2028, 7, 1),
        label="2027-2028",
    )
    a6 = DivisionFactory(school_year=year, name="6A", level="6E")
    a5 = DivisionFactory(school_year=next_year, name="5A", level="5E")
    pupil = PersonFactory()
    pupil_enrol(actor=None, pupil=pupil, division=a6, start_date=START)
    pupil_enrol(actor=None, pupil=pupil, division=a5, start_date=date(2027, 9, 1))

    in_october = date(2027, 10, 4)
    assert list(pupils_in_division(a5, in_october)) == [pupil]
    assert list(pupils_in_division(a6, in_october)) == []
