"""Review of the grades release: a write or a read that reached a pupil outside the
reader's rights."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from preau.grades import services
from preau.grades.models import Appraisal, AppraisalKind
from tests.conftest import log_in
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    GroupFactory,
    SubjectFactory,
    group_service,
)
from tests.grades.test_report_cards_support import Lycee

pytestmark = pytest.mark.django_db


@pytest.fixture
def lycee():
    return Lycee(absences=False)


def spanish_for_emma(lycee):
    """Spanish taught by M. Durand to a class part of 2de 3 that Emma belongs to, not
    Hugo."""
    part = ClassPartFactory(division=lycee.division, name="Espagnol")
    ClassPartMembershipFactory(pupil=lycee.emma, class_part=part)
    group = GroupFactory(school_year=lycee.year, name="2de 3 Espagnol", class_parts=[part])
    return group_service(
        group,
        lycee.stranger.person,
        subject=SubjectFactory(establishment=lycee.establishment, label="Espagnol"),
    )


def test_a_class_part_teacher_writes_no_appraisal_for_a_pupil_outside_the_part(client, lycee):
    # Given Spanish taught to a class part of 2de 3 that Emma belongs to, not Hugo
    spanish = spanish_for_emma(lycee)
    log_in(client, lycee.stranger)
    url = reverse("grades:appraisal_save", args=[spanish.pk])

    # When the Spanish teacher posts an appraisal for Emma, then for Hugo
    mine = client.post(url, {"periode": lycee.period.pk, "pupil": lycee.emma.pk, "text": "Bien."})
    other = client.post(url, {"periode": lycee.period.pk, "pupil": lycee.hugo.pk, "text": "Non."})

    # Then Emma's is kept, Hugo's is refused (404) and nothing is written for him
    assert mine.status_code == 302
    assert Appraisal.objects.filter(pupil=lycee.emma, service=spanish).exists()
    assert other.status_code == 404
    assert not Appraisal.objects.filter(pupil=lycee.hugo).exists()


def test_the_service_refuses_a_subject_appraisal_for_a_pupil_not_following_it(lycee):
    # Given Spanish taught to a class part of 2de 3 that Hugo is not in
    spanish = spanish_for_emma(lycee)

    # When its teacher writes Hugo's appraisal through the service (API, command)
    # Then it is refused and nothing is written
    with pytest.raises(PermissionDenied):
        services.appraisal_set(
            actor=lycee.stranger,
            period=lycee.period,
            pupil=lycee.hugo,
            division=lycee.division,
            kind=AppraisalKind.SUBJECT,
            text="Non.",
            service=spanish,
        )
    assert not Appraisal.objects.exists()


def test_a_group_of_individually_listed_pupils_has_its_grid_and_periods(client):
    """Latin: a group linked to no division or class part, only to its members."""
    from tests.factories import (
        DivisionFactory,
        EvaluationFactory,
        GroupFactory,
        GroupMembershipFactory,
        grading_period,
        group_service,
        pupil_in,
        staff_account,
    )

    division = DivisionFactory()
    period = grading_period(division.school_year)
    teacher = staff_account(division.establishment)
    latinist = pupil_in(division)
    latin = GroupFactory(school_year=division.school_year, establishment=division.establishment)
    GroupMembershipFactory(pupil=latinist, group=latin)
    service = group_service(latin, teacher.person)
    EvaluationFactory(service=service, period=period)
    log_in(client, teacher)

    response = client.get(reverse("grades:entry_grid", args=[service.pk, period.pk]))

    assert response.status_code == 200
    assert latinist.sort_name in response.content.decode()
    assert list(services.service_divisions(service)) == [division]


def test_a_teacher_cannot_delete_an_evaluation_of_a_sealed_period(lycee):
    from tests.factories import EvaluationFactory

    evaluation = EvaluationFactory(service=lycee.maths, period=lycee.period)
    services.period_seal(actor=lycee.direction, division=lycee.division, period=lycee.period)

    with pytest.raises(PermissionDenied):
        services.evaluation_delete(actor=lycee.maths_teacher, evaluation=evaluation)
    services.evaluation_delete(actor=lycee.direction, evaluation=evaluation)
