"""Audiences resolved on the day, with dated memberships, in one query each whatever
their size; and the links the rules ask about."""

from datetime import timedelta

import pytest

from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.messaging import audiences
from preau.messaging.audiences import Audience, UnknownAudience, describe, members, resolve
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    GroupFactory,
    RoleFactory,
    group_service,
    pupil_in,
    staff_account,
)
from tests.messaging.support import School, guardians

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def who(school, kind, target="", *, contacts=False, day=None) -> set[int]:
    (audience,) = describe(
        [(kind, target)], establishment_id=school.establishment.pk, day=day or today()
    )
    return set(
        members(
            audience,
            establishment_id=school.establishment.pk,
            day=day or today(),
            include_contacts=contacts,
        )
    )


def ids(*accounts_or_people) -> set[int]:
    return {getattr(x, "person_id", None) or x.pk for x in accounts_or_people}


def test_guardians_of_a_division_a_level_the_establishment(school):
    assert who(school, "division_guardians", school.division.pk) == ids(
        school.mother, school.father, school.hugo_father
    )
    assert who(school, "division_guardians", school.division_b.pk) == ids(school.lea_mother)
    everybody = ids(school.mother, school.father, school.hugo_father, school.lea_mother)
    assert who(school, "level_guardians", "4E") == everybody
    assert who(school, "level_guardians", "3E") == set()
    assert who(school, "establishment_guardians") == everybody
    assert school.grandmother.person_id in who(school, "establishment_guardians", contacts=True)


def test_pupils_of_a_division_and_of_a_group(school):
    assert who(school, "division_pupils", school.division.pk) == ids(school.emma, school.hugo)
    assert who(school, "group_pupils", school.latin.pk) == ids(school.lea)


def test_a_group_draws_on_divisions_class_parts_and_direct_members(school):
    part = ClassPartFactory(division=school.division)
    ClassPartMembershipFactory(class_part=part, pupil=school.hugo)
    group = GroupFactory(
        school_year=school.year,
        establishment=school.establishment,
        class_parts=[part],
        divisions=[school.division_b],
    )

    assert who(school, "group_pupils", group.pk) == ids(school.hugo, school.lea)


def test_memberships_are_those_of_the_day(school):
    enrolment = school.hugo.enrolments.get()
    enrolment.end_date = today() - timedelta(days=1)
    enrolment.save()
    new = pupil_in(school.division)
    later = new.enrolments.get()
    later.start_date = today() + timedelta(days=1)
    later.save()

    assert who(school, "division_pupils", school.division.pk) == ids(school.emma)
    assert who(
        school, "division_pupils", school.division.pk, day=today() + timedelta(days=1)
    ) == ids(school.emma, new)
    assert who(school, "division_guardians", school.division.pk) == ids(
        school.mother, school.father
    )


def test_the_teachers_of_a_division(school):
    head = staff_account(school.establishment, last_name="Principal")
    school.division.head_teachers.add(head.person)
    group = GroupFactory(
        school_year=school.year, establishment=school.establishment, divisions=[school.division]
    )
    music = staff_account(school.establishment, last_name="Musique")
    group_service(group, music.person)

    assert who(school, "division_teachers", school.division.pk) == ids(school.teacher, head, music)
    assert who(school, "division_teachers", school.division_b.pk) == ids(school.other_teacher)


def test_the_staff_of_the_establishment(school):
    ended = staff_account(school.establishment, RoleKind.CPE)
    ended.person.roles.update(end_date=today() - timedelta(days=1))
    # A teacher elsewhere is not staff here.
    RoleFactory(person=school.mother.person, establishment=DivisionFactory().establishment)

    assert who(school, "establishment_staff") == ids(*school.staff)


def test_an_audience_must_name_something_of_the_establishment_this_year(school):
    elsewhere = DivisionFactory()
    with pytest.raises(UnknownAudience, match="classe"):
        describe(
            [("division_pupils", elsewhere.pk)],
            establishment_id=school.establishment.pk,
            day=today(),
        )
    with pytest.raises(UnknownAudience, match="groupe"):
        describe([("group_pupils", "abc")], establishment_id=school.establishment.pk, day=today())
    with pytest.raises(UnknownAudience, match="niveau"):
        describe(
            [("level_guardians", "12E")], establishment_id=school.establishment.pk, day=today()
        )


def test_audiences_are_labelled(school):
    found = describe(
        [
            ("division_guardians", school.division.pk),
            ("group_pupils", school.latin.pk),
            ("level_guardians", "4e"),
            ("establishment_staff", None),
        ],
        establishment_id=school.establishment.pk,
        day=today(),
    )

    assert [a.label for a in found] == [
        "Responsables des élèves de 4A",
        "Élèves du groupe Latin",
        "Responsables des élèves de 4e",
        "Tous les personnels de l'établissement",
    ]


@pytest.mark.parametrize("families", [2, 50])
def test_resolving_takes_one_query_per_audience(school, families, django_assert_num_queries):
    guardians(school.division, families)
    chosen = describe(
        [("establishment_guardians", None), ("division_pupils", school.division.pk)],
        establishment_id=school.establishment.pk,
        day=today(),
    )

    with django_assert_num_queries(1):
        found = resolve(
            chosen, establishment_id=school.establishment.pk, day=today(), include_contacts=False
        )

    assert len(found) == 4 + families + 2 + families


def test_links_between_teachers_and_pupils(school):
    day, establishment = today(), school.establishment.pk
    assert audiences.pupils_taught_among(
        school.teacher.person_id, ids(school.emma, school.hugo, school.lea), establishment, day
    ) == ids(school.emma, school.hugo, school.lea)
    assert audiences.pupils_taught_among(
        school.other_teacher.person_id, ids(school.emma, school.lea), establishment, day
    ) == ids(school.lea)
    assert audiences.teachers_of_among(
        ids(school.emma), ids(school.teacher, school.other_teacher), establishment, day
    ) == ids(school.teacher)
    assert audiences.taught_division_ids(school.teacher.person_id, establishment, day) == {
        school.division.pk
    }
    assert audiences.taught_group_ids(school.teacher.person_id, establishment, day) == {
        school.latin.pk
    }


def test_a_head_teacher_teaches_the_whole_division(school):
    head = staff_account(school.establishment, last_name="Principal")
    school.division_b.head_teachers.add(head.person)

    assert audiences.teachers_of_among(
        ids(school.lea), ids(head), school.establishment.pk, today()
    ) == ids(head)
    assert audiences.pupils_taught_among(
        head.person_id, ids(school.lea, school.emma), school.establishment.pk, today()
    ) == ids(school.lea)


def test_audience_values_are_hashable_and_deduplicated(school):
    found = describe(
        [("division_pupils", school.division.pk), ("division_pupils", str(school.division.pk))],
        establishment_id=school.establishment.pk,
        day=today(),
    )

    assert found == [
        Audience(
            "division_pupils",
            str(school.division.pk),
            "Élèves de 4A",
            division_id=school.division.pk,
        )
    ]
