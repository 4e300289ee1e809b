"""Who reads and writes a session's cahier de textes (`homework.access`)."""

from datetime import timedelta

import pytest

from preau.core.access import StaffScope
from preau.core.models import RoleKind
from preau.homework.access import (
    CONTACT,
    LEGAL,
    OWN,
    concerns,
    family_sees,
    in_own_services,
    services_q,
    staff_reads,
    staff_writes,
)
from preau.timetable.models import Occurrence
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    GroupFactory,
    group_service,
)
from tests.homework.support import School


@pytest.mark.parametrize(
    ("link", "setting", "sees"),
    [
        (OWN, True, True),
        (OWN, False, True),
        (LEGAL, True, True),
        (LEGAL, False, True),
        (CONTACT, True, True),
        (CONTACT, False, False),
    ],
)
def test_families(link, setting, sees):
    assert family_sees(link=link, contacts_see_homework=setting) is sees


def scope(school: School, account, *roles) -> StaffScope:
    return StaffScope(
        person_id=account.person_id,
        establishment_id=school.establishment.pk,
        roles=frozenset(roles or {RoleKind.TEACHER}),
    )


@pytest.mark.django_db
def test_staff():
    school = School()
    session = school.session
    table = [
        (scope(school, school.teacher), True, True),
        (scope(school, school.colleague), True, False),  # same service, not this session
        (scope(school, school.stranger), False, False),
        (scope(school, school.cpe, RoleKind.CPE), True, False),
        (scope(school, school.secretariat, RoleKind.SECRETARIAT), True, False),
        (scope(school, school.direction, RoleKind.DIRECTION), True, False),
    ]
    for reader, reads, writes in table:
        assert staff_reads(reader, session) is reads, reader
        assert staff_writes(reader, session) is writes, reader
    elsewhere = StaffScope(
        person_id=school.teacher.person_id,
        establishment_id=school.elsewhere.person.roles.get().establishment_id,
        roles=frozenset({RoleKind.TEACHER, RoleKind.DIRECTION}),
    )
    assert not staff_reads(elsewhere, session)
    assert not staff_writes(elsewhere, session)


@pytest.mark.django_db
def test_the_sessions_of_a_service_include_its_class_parts_and_groups():
    school = School()
    part = ClassPartFactory(division=school.division, name="Groupe 1")
    half = school.occurrence(school.day)
    half.audience.all().delete()
    half.audience.create(class_part=part)
    group = GroupFactory(school_year=school.year, establishment=school.establishment)
    latin = group_service(group, school.colleague.person, subject=school.french)
    in_group = school.occurrence(
        school.day, subject=school.french, teachers=[school.teacher.person]
    )
    in_group.audience.all().delete()
    in_group.audience.create(group=group)
    of_service = set(
        Occurrence.objects.filter(services_q([school.service])).values_list("pk", flat=True)
    )
    assert of_service == {
        school.session.pk,
        school.next_session.pk,
        school.later_session.pk,
        half.pk,
    }
    assert set(Occurrence.objects.filter(services_q([latin])).values_list("pk", flat=True)) == {
        in_group.pk
    }
    assert in_own_services(scope(school, school.colleague), in_group)
    assert not in_own_services(scope(school, school.stranger), in_group)


@pytest.mark.django_db
def test_concerns_follows_dated_memberships():
    school = School()
    part = ClassPartFactory(division=school.division, name="Groupe 2")
    ClassPartMembershipFactory(
        pupil=school.emma, class_part=part, end_date=school.day + timedelta(days=1)
    )
    session = school.occurrence(school.day)
    session.audience.all().delete()
    session.audience.create(class_part=part)
    assert concerns(session, [school.emma.pk], [school.day])
    assert not concerns(session, [school.emma.pk], [school.day + timedelta(days=2)])
    assert not concerns(session, [school.lucas.pk, school.zoe.pk], [school.day])
    assert not concerns(session, [], [school.day])
