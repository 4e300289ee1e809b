"""`homework_due`: who must do a homework (the audience of the session it was given in,
on the due date), in a fixed number of queries whatever the number of pupils."""

from datetime import timedelta

import pytest
from django.utils import timezone

from preau.core.selectors import today
from preau.homework.access import families_see_homework
from preau.homework.models import Attachment, Homework, HomeworkDone, HomeworkPolicy, Kind
from preau.homework.selectors import homework_due
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    EstablishmentFactory,
    GroupFactory,
    OccurrenceFactory,
    PersonFactory,
    SubjectFactory,
    pupil_in,
)

pytestmark = pytest.mark.django_db


def give(occurrence, due, **fields):
    return Homework.objects.create(
        establishment=occurrence.establishment,
        occurrence=occurrence,
        subject=occurrence.subject,
        author=fields.pop("author", None) or PersonFactory(),
        instructions=fields.pop("instructions", "<p>Exercices 1 à 3</p>"),
        due_date=due,
        **fields,
    )


def test_each_pupil_gets_the_homework_of_their_own_audiences():
    division = DivisionFactory()
    other = DivisionFactory(school_year=division.school_year)
    part = ClassPartFactory(division=division, name="Groupe A")
    group = GroupFactory(school_year=division.school_year, establishment=division.establishment)
    group.class_parts.add(part)
    emma = pupil_in(division)
    lucas = pupil_in(division)
    zoe = pupil_in(other)
    ClassPartMembershipFactory(pupil=emma, class_part=part)
    day = today()
    whole = OccurrenceFactory(school_year=division.school_year, divisions=[division])
    in_group = OccurrenceFactory(school_year=division.school_year, groups=[group])
    alone = OccurrenceFactory(school_year=division.school_year, pupils=[lucas])
    elsewhere = OccurrenceFactory(school_year=division.school_year, divisions=[other])
    a = give(whole, day + timedelta(days=2), estimated_minutes=30)
    b = give(in_group, day + timedelta(days=1), kind=Kind.TEST)
    c = give(alone, day + timedelta(days=1))
    d = give(elsewhere, day + timedelta(days=1))
    give(whole, day + timedelta(days=30))  # outside the range
    give(whole, day + timedelta(days=1), withdrawn_at=timezone.now())  # withdrawn

    due = homework_due([emma.pk, lucas.pk, zoe.pk], day, day + timedelta(days=7))

    assert [item.id for item in due[emma.pk]] == [b.pk, a.pk]
    assert [item.id for item in due[lucas.pk]] == [c.pk, a.pk]
    assert [item.id for item in due[zoe.pk]] == [d.pk]
    first = due[emma.pk][0]
    assert (first.kind, first.kind_label) == (Kind.TEST, "Évaluation annoncée")
    assert first.summary == "Exercices 1 à 3"
    assert first.subject == in_group.subject.label
    assert due[emma.pk][1].estimated_minutes == 30


def test_done_attachments_summary_and_subject_order():
    division = DivisionFactory()
    emma = pupil_in(division)
    lucas = pupil_in(division)
    day = today()
    french = SubjectFactory(establishment=division.establishment, label="Français")
    maths = SubjectFactory(establishment=division.establishment, label="Mathématiques")
    m = OccurrenceFactory(school_year=division.school_year, subject=maths, divisions=[division])
    f = OccurrenceFactory(school_year=division.school_year, subject=french, divisions=[division])
    long_text = "<p>" + "mot " * 100 + "</p>"
    hm = give(m, day, instructions=long_text)
    hf = give(f, day)
    HomeworkDone.objects.create(homework=hm, pupil=emma)
    for n in range(2):
        Attachment.objects.create(
            homework=hf, file=f"homework/x{n}", name=f"x{n}.pdf", size=10, uploaded_by=emma
        )

    due = homework_due([emma.pk, lucas.pk], day, day)

    assert [item.subject for item in due[emma.pk]] == ["Français", "Mathématiques"]
    assert [item.done for item in due[emma.pk]] == [False, True]
    assert [item.done for item in due[lucas.pk]] == [False, False]
    assert [item.attachments for item in due[emma.pk]] == [2, 0]
    summary = due[emma.pk][1].summary
    assert len(summary) <= 200
    assert summary.endswith("…")


def test_a_pupil_who_left_the_division_no_longer_has_its_homework():
    division = DivisionFactory()
    day = today()
    emma = pupil_in(division)
    enrolment = emma.enrolments.get()
    enrolment.end_date = day
    enrolment.save()
    session = OccurrenceFactory(school_year=division.school_year, divisions=[division])
    today_work = give(session, day)
    give(session, day + timedelta(days=1))

    assert [item.id for item in homework_due([emma.pk], day, day + timedelta(days=5))[emma.pk]] == [
        today_work.pk
    ]


@pytest.mark.parametrize("pupils", [1, 12])
def test_the_number_of_queries_does_not_depend_on_the_pupils(pupils, django_assert_num_queries):
    division = DivisionFactory()
    day = today()
    people = [pupil_in(division) for _ in range(pupils)]
    for n in range(pupils):
        session = OccurrenceFactory(school_year=division.school_year, divisions=[division])
        give(session, day + timedelta(days=n % 5))
    with django_assert_num_queries(8):
        due = homework_due([p.pk for p in people], day, day + timedelta(days=7))
    assert all(len(items) == pupils for items in due.values())


def test_no_pupil_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert homework_due([], today(), today()) == {}


def test_families_see_homework_by_default_and_as_set():
    on, off = EstablishmentFactory(), EstablishmentFactory()
    HomeworkPolicy.objects.create(establishment=off, contacts_see_homework=False)
    assert families_see_homework([on.pk, off.pk]) == {on.pk: True, off.pk: False}
    assert families_see_homework([]) == {}
