"""Which pupils a staff member sees (access.md): the whole establishment for the
direction, the secretariat and the vie scolaire; for a teacher, the pupils of the
divisions and groups they teach and of the divisions they are head teacher of; nothing
of an establishment where they hold no role."""

from datetime import timedelta

import pytest

from preau.core.access import StaffScope
from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.structure.selectors import teacher_services, visible_pupils
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    GroupFactory,
    GroupMembershipFactory,
    PersonFactory,
    RoleFactory,
    SchoolYearFactory,
    division_service,
    group_service,
    pupil_in,
)

pytestmark = pytest.mark.django_db


class College:
    """A collège with 3A, 3B and 3C; a Spanish group made of half of 3B; a Latin group
    with one pupil of 3C listed directly; and a lycée next door with its own pupil."""

    def __init__(self):
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.a3 = DivisionFactory(school_year=self.year, name="3A")
        self.b3 = DivisionFactory(school_year=self.year, name="3B")
        self.c3 = DivisionFactory(school_year=self.year, name="3C")
        self.pupils = {
            "anna": pupil_in(self.a3, last_name="Anna"),
            "basile": pupil_in(self.b3, last_name="Basile"),
            "berthe": pupil_in(self.b3, last_name="Berthe"),
            "cyril": pupil_in(self.c3, last_name="Cyril"),
            "clara": pupil_in(self.c3, last_name="Clara"),
        }
        half = ClassPartFactory(division=self.b3, name="3B espagnol")
        ClassPartMembershipFactory(pupil=self.pupils["basile"], class_part=half)
        self.spanish = GroupFactory(school_year=self.year, name="ESP", class_parts=[half])
        self.latin = GroupFactory(school_year=self.year, name="LAT")
        GroupMembershipFactory(pupil=self.pupils["clara"], group=self.latin)
        lycee_division = DivisionFactory()
        self.lycee = lycee_division.establishment
        self.lycee_pupil = pupil_in(lycee_division, last_name="Lycéen")

    def scope(self, person, *kinds, establishment=None) -> StaffScope:
        establishment = establishment or self.establishment
        for kind in kinds:
            RoleFactory(person=person, establishment=establishment, kind=kind)
        return StaffScope(
            person_id=person.pk, establishment_id=establishment.pk, roles=frozenset(kinds)
        )


@pytest.fixture
def college():
    return College()


def seen(scope) -> list[str]:
    return sorted(p.last_name for p in visible_pupils(scope, today()))


@pytest.mark.parametrize(
    "kind",
    [RoleKind.DIRECTION, RoleKind.SECRETARIAT, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT],
)
def test_direction_secretariat_and_vie_scolaire_see_every_pupil(college, kind):
    scope = college.scope(PersonFactory(), kind)
    assert seen(scope) == ["Anna", "Basile", "Berthe", "Clara", "Cyril"]


def test_a_teacher_sees_the_pupils_of_the_divisions_they_teach(college):
    teacher = PersonFactory()
    division_service(college.a3, teacher)
    assert seen(college.scope(teacher, RoleKind.TEACHER)) == ["Anna"]


def test_a_teacher_of_a_group_sees_its_members_not_their_whole_divisions(college):
    teacher = PersonFactory()
    group_service(college.spanish, teacher)
    group_service(college.latin, teacher)
    assert seen(college.scope(teacher, RoleKind.TEACHER)) == ["Basile", "Clara"]


def test_a_head_teacher_sees_their_whole_division(college):
    teacher = PersonFactory()
    college.c3.head_teachers.add(teacher)
    assert seen(college.scope(teacher, RoleKind.TEACHER)) == ["Clara", "Cyril"]


def test_a_teacher_with_no_service_sees_nobody(college):
    assert seen(college.scope(PersonFactory(), RoleKind.TEACHER)) == []


def test_a_co_teacher_sees_the_same_pupils(college):
    first, second = PersonFactory(), PersonFactory()
    division_service(college.a3, first, second)
    assert seen(college.scope(first, RoleKind.TEACHER)) == ["Anna"]
    assert seen(college.scope(second, RoleKind.TEACHER)) == ["Anna"]


def test_a_teacher_of_another_establishment_sees_none_of_these_pupils(college):
    teacher = PersonFactory()
    division_service(college.a3, teacher)
    # In the lycée, where they also teach, they see nobody of the collège.
    lycee_scope = college.scope(teacher, RoleKind.TEACHER, establishment=college.lycee)
    assert seen(lycee_scope) == []
    # And a lycée teacher pretending to act in the collège sees nobody there.
    lycee_teacher = PersonFactory()
    division_service(college.lycee_pupil.enrolments.get().division, lycee_teacher)
    RoleFactory(person=lycee_teacher, establishment=college.lycee, kind=RoleKind.TEACHER)
    pretended = StaffScope(
        person_id=lycee_teacher.pk,
        establishment_id=college.establishment.pk,
        roles=frozenset({RoleKind.TEACHER}),
    )
    assert seen(pretended) == []


def test_the_direction_of_the_lycee_sees_only_the_lycee(college):
    scope = college.scope(PersonFactory(), RoleKind.DIRECTION, establishment=college.lycee)
    assert seen(scope) == ["Lycéen"]


def test_a_pupil_who_left_the_establishment_is_no_longer_seen(college):
    anna = college.pupils["anna"]
    anna.roles.update(end_date=today() - timedelta(days=1))
    scope = college.scope(PersonFactory(), RoleKind.DIRECTION)
    assert "Anna" not in seen(scope)


def test_a_pupil_who_changed_division_is_seen_by_the_new_teachers_only(college):
    old_teacher, new_teacher = PersonFactory(), PersonFactory()
    division_service(college.a3, old_teacher)
    division_service(college.b3, new_teacher)
    enrolment = college.pupils["anna"].enrolments.get()
    enrolment.end_date = today() - timedelta(days=1)
    enrolment.save()
    pupil_in_b3 = college.pupils["anna"]
    pupil_in_b3.enrolments.create(division=college.b3, start_date=today())
    assert "Anna" not in seen(college.scope(old_teacher, RoleKind.TEACHER))
    assert "Anna" in seen(college.scope(new_teacher, RoleKind.TEACHER))


def test_a_teachers_services_are_those_of_the_current_year_in_that_establishment(college):
    teacher = PersonFactory()
    mine = division_service(college.a3, teacher)
    group = group_service(college.latin, teacher)
    division_service(college.b3, PersonFactory())  # a colleague's
    division_service(college.lycee_pupil.enrolments.get().division, teacher)  # elsewhere
    found = teacher_services(
        person_id=teacher.pk, establishment_id=college.establishment.pk, day=today()
    )
    assert found == [mine, group]  # sorted by audience: "3A" before "LAT"


def test_last_years_teacher_no_longer_sees_a_pupil_who_moved_up(college):
    day = today()
    last_year = SchoolYearFactory(
        establishment=college.establishment,
        start_date=day - timedelta(days=450),
        end_date=day - timedelta(days=150),
        label="last",
    )
    old_division = DivisionFactory(school_year=last_year, name="4A")
    anna = college.pupils["anna"]
    anna.enrolments.create(division=old_division, start_date=last_year.start_date)
    last_years_teacher = PersonFactory()
    division_service(old_division, last_years_teacher)
    assert seen(college.scope(last_years_teacher, RoleKind.TEACHER)) == []
