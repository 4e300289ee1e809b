"""The reads behind the teacher's pages: the workload of a set of pupils, who a session
is for on a day, the next sessions proposed as due dates, the copy targets, the
review's figures."""

from datetime import timedelta

import pytest

from preau.homework import selectors, services
from preau.homework.models import HomeworkPolicy
from preau.timetable.models import OccurrenceStatus
from tests.factories import GroupFactory, GroupMembershipFactory, pupil_in
from tests.homework.support import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def test_the_workload_is_that_of_the_most_loaded_pupil(school):
    group = GroupFactory(school_year=school.year, establishment=school.establishment)
    GroupMembershipFactory(pupil=school.emma, group=group)
    latin = school.occurrence(school.day, hour=15, subject=school.french)
    latin.audience.all().delete()
    latin.audience.create(group=group)
    whole = school.give(estimated_minutes=30)
    only_latin = school.give(occurrence=latin, due_occurrence_id=school.next_session.pk,
                             estimated_minutes=40)  # fmt: skip
    unestimated = school.give(occurrence=latin, due_occurrence_id=school.next_session.pk)
    policy = HomeworkPolicy(establishment=school.establishment, daily_items=2)
    day = school.next_session.date

    loads = selectors.workload(
        [school.emma.pk, school.lucas.pk], school.day, day + timedelta(days=1), policy
    )

    load = loads[day]
    assert sorted((item.pk, n) for item, n in load.items) == sorted(
        [(whole.pk, 2), (only_latin.pk, 1), (unestimated.pk, 1)]
    )
    assert (load.most_items, load.most_minutes, load.unestimated) == (3, 70, 1)
    assert (load.too_many, load.too_long, load.warned) == (True, False, True)
    assert loads[day + timedelta(days=1)].items == []
    assert list(loads) == [school.day + timedelta(days=n) for n in range(4)]


def test_the_audience_of_a_session_on_a_day(school):
    late = pupil_in(school.division)
    enrolment = late.enrolments.get()
    enrolment.start_date = school.day + timedelta(days=1)
    enrolment.save()
    assert set(selectors.audience_pupils(school.session, school.day)) == {
        school.emma.pk,
        school.lucas.pk,
    }
    assert late.pk in selectors.audience_pupils(school.session, school.day + timedelta(days=1))


def test_next_sessions_are_those_of_the_same_subject_and_audience(school):
    school.occurrence(school.day + timedelta(days=1), subject=school.french)
    cancelled = school.occurrence(school.day + timedelta(days=3))
    cancelled.status = OccurrenceStatus.CANCELLED
    cancelled.save()
    assert selectors.next_sessions(school.session) == [school.next_session, school.later_session]
    assert selectors.next_sessions(school.other_session) == []


def test_copy_targets_are_the_teachers_other_sessions_same_subject_first(school):
    french = school.occurrence(school.day + timedelta(days=1), hour=8, subject=school.french)
    targets = selectors.copy_targets(school.teacher.person_id, school.session)
    assert targets == [school.other_session, school.next_session, school.later_session, french]


def test_review_rows_count_sessions_contents_and_homework_per_service(school):
    past = school.occurrence(school.day - timedelta(days=2))
    services.content_set(actor=school.teacher, occurrence_id=past.pk, body="<p>Vu</p>")
    services.content_set(actor=school.teacher, occurrence_id=school.session.pk, body="")
    school.give(occurrence=past, due_date=school.day)
    school.give()
    visa = services.visa_create(
        actor=school.direction, service_id=school.service.pk, up_to=school.day
    )
    rows = {
        row.service.pk: row
        for row in selectors.review_rows(
            school.establishment.pk, school.year, school.year.start_date, school.day
        )
    }
    row = rows[school.service.pk]
    assert (row.sessions, row.with_content, row.without_content, row.homework) == (2, 1, 1, 2)
    assert row.visa == visa
    assert rows[school.other_service.pk].sessions == 0
    only = selectors.review_rows(
        school.establishment.pk,
        school.year,
        school.year.start_date,
        school.day,
        teacher_id=school.colleague.person_id,
    )
    assert [r.service.pk for r in only] == [school.service.pk]
