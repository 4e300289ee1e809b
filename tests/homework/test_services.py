"""The writes of the cahier de textes: who may, what is kept, what is refused, and the
trail each leaves."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from preau.audit.models import AuditEvent
from preau.homework import services
from preau.homework.models import (
    Attachment,
    Homework,
    HomeworkDone,
    HomeworkPolicy,
    Kind,
    SessionContent,
    Visa,
)
from tests.homework.support import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# -- Contents --------------------------------------------------------------------------------


def test_the_teacher_writes_the_content_sanitised_and_audited(school):
    content = services.content_set(
        actor=school.teacher,
        occurrence_id=school.session.pk,
        body='<p onclick="x()">Les fractions</p><script>alert(1)</script>',
    )
    assert content.body == "<p>Les fractions</p>"
    assert (content.version, content.author_id) == (1, school.teacher.person_id)
    again = services.content_set(
        actor=school.teacher, occurrence_id=school.session.pk, body="<p>Bis</p>", version=1
    )
    assert again.version == 2
    assert SessionContent.objects.get().body == "<p>Bis</p>"
    first, second = events("homework.content_set")
    assert (first.before, first.after["body"]) == (None, "<p>Les fractions</p>")
    assert (second.before["body"], second.after["body"]) == ("<p>Les fractions</p>", "<p>Bis</p>")
    assert second.actor == school.teacher
    assert second.establishment == school.establishment


def test_a_save_started_on_an_older_version_is_refused_with_what_is_there(school):
    services.content_set(actor=school.teacher, occurrence_id=school.session.pk, body="<p>A</p>")
    with pytest.raises(services.Stale) as stale:
        services.content_set(actor=school.teacher, occurrence_id=school.session.pk, body="B")
    assert stale.value.current.body == "<p>A</p>"
    assert SessionContent.objects.get().body == "<p>A</p>"


@pytest.mark.parametrize("who", ["colleague", "stranger", "direction", "emma_account"])
def test_only_the_teachers_of_the_session_write_it(school, who):
    actor = school.emma.account if who == "emma_account" else getattr(school, who)
    with pytest.raises(PermissionDenied):
        services.content_set(actor=actor, occurrence_id=school.session.pk, body="x")
    with pytest.raises(PermissionDenied):
        services.homework_create(
            actor=actor,
            occurrence_id=school.session.pk,
            instructions="<p>x</p>",
            due_date=school.next_session.date,
        )
    assert not SessionContent.objects.exists()
    assert not Homework.objects.exists()


# -- Homework ---------------------------------------------------------------------------------


def test_homework_for_the_next_session_takes_its_date(school):
    homework = school.give(estimated_minutes=20, kind=Kind.HAND_IN)
    assert homework.due_date == school.next_session.date
    assert homework.due_occurrence == school.next_session
    assert homework.subject == school.maths
    assert homework.establishment == school.establishment
    assert homework.author_id == school.teacher.person_id
    (event,) = events("homework.create")
    assert event.after["due_date"] == school.next_session.date.isoformat()
    assert event.after["kind"] == "hand_in"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"instructions": "<p> </p>"}, "instructions"),
        ({"due_date": "before"}, "due_date"),
        ({"estimated_minutes": 0}, "estimated_minutes"),
        ({"estimated_minutes": 601}, "estimated_minutes"),
        ({"kind": "essay"}, "kind"),
        ({"due_date": "after_year"}, "due_date"),
    ],
)
def test_homework_rules(school, fields, field):
    if fields.get("due_date") == "before":
        fields["due_date"] = school.day - timedelta(days=1)
    if fields.get("due_date") == "after_year":
        fields["due_date"] = school.year.end_date + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        school.give(**fields)
    assert field in error.value.message_dict
    assert not Homework.objects.exists()


def test_a_homework_cannot_be_due_for_the_session_it_is_given_in(school):
    with pytest.raises(ValidationError) as error:
        school.give(due_occurrence_id=school.session.pk)
    assert "due_occurrence" in error.value.message_dict


def test_update_checks_the_version_and_keeps_the_trail(school):
    homework = school.give()
    services.homework_update(
        actor=school.teacher,
        homework_id=homework.pk,
        version=1,
        instructions="<p>Exercice 4</p>",
        due_date=school.later_session.date,
        estimated_minutes=15,
        kind=Kind.LESSON,
    )
    homework.refresh_from_db()
    assert (homework.instructions, homework.due_date, homework.version) == (
        "<p>Exercice 4</p>",
        school.later_session.date,
        2,
    )
    assert homework.due_occurrence is None
    with pytest.raises(services.Stale):
        services.homework_update(
            actor=school.teacher, homework_id=homework.pk, version=1, instructions="<p>old</p>",
            due_date=school.later_session.date,
        )  # fmt: skip
    (event,) = events("homework.update")
    assert event.before["instructions"] == "<p>Exercices 1 à 3 page 45</p>"
    assert event.after["kind"] == "lesson"


def test_withdraw_by_the_teacher_or_the_direction_never_deletes(school):
    first, second = school.give(), school.give()
    services.homework_withdraw(actor=school.teacher, homework_id=first.pk)
    services.homework_withdraw(actor=school.direction, homework_id=second.pk)
    assert Homework.objects.filter(withdrawn_at__isnull=False).count() == 2
    assert len(events("homework.withdraw")) == 2
    with pytest.raises(PermissionDenied):
        services.homework_withdraw(actor=school.colleague, homework_id=school.give().pk)
    with pytest.raises(PermissionDenied):
        services.homework_withdraw(actor=school.elsewhere, homework_id=school.give().pk)


def test_copy_to_another_division_with_its_attachments(school):
    homework = school.give(estimated_minutes=25, kind=Kind.TASK)
    school.attach(homework)
    following = school.occurrence(
        school.other_session.date + timedelta(days=3), division=school.other_division
    )
    copy = services.homework_copy(
        actor=school.teacher, homework_id=homework.pk, occurrence_id=school.other_session.pk
    )
    assert copy.occurrence == school.other_session
    assert copy.copied_from == homework
    assert (copy.due_date, copy.due_occurrence) == (following.date, following)
    assert (copy.instructions, copy.estimated_minutes) == (homework.instructions, 25)
    (original_file,) = homework.attachments.all()
    (copied_file,) = copy.attachments.all()
    assert (copied_file.name, copied_file.file.name) == (
        original_file.name,
        original_file.file.name,
    )
    (event,) = events("homework.copy")
    assert event.after["copied_from"] == homework.pk


def test_copy_without_a_next_session_keeps_the_same_delay(school):
    homework = school.give()  # due two days after the session
    copy = services.homework_copy(
        actor=school.teacher, homework_id=homework.pk, occurrence_id=school.other_session.pk
    )
    assert copy.due_date == school.other_session.date + timedelta(days=2)


def test_copy_only_to_a_session_of_ones_own(school):
    theirs = school.occurrence(school.day + timedelta(days=1), teachers=[school.colleague.person])
    with pytest.raises(PermissionDenied):
        services.homework_copy(
            actor=school.teacher, homework_id=school.give().pk, occurrence_id=theirs.pk
        )


# -- "Fait" -----------------------------------------------------------------------------------


def test_the_pupil_ticks_and_unticks(school):
    homework = school.give()
    services.homework_done_set(actor=school.emma.account, homework_id=homework.pk, done=True)
    services.homework_done_set(actor=school.emma.account, homework_id=homework.pk, done=True)
    assert HomeworkDone.objects.filter(homework=homework, pupil=school.emma).count() == 1
    services.homework_done_set(actor=school.emma.account, homework_id=homework.pk, done=False)
    assert not HomeworkDone.objects.exists()
    assert [e.after["done"] for e in AuditEvent.objects.filter(action__startswith="homework.")
            .exclude(action="homework.create").order_by("pk")] == [True, False]  # fmt: skip


@pytest.mark.parametrize("who", ["zoe", "mother", "teacher"])
def test_only_a_pupil_who_must_do_it_ticks(school, who):
    actor = {"zoe": school.zoe.account, "mother": school.mother, "teacher": school.teacher}[who]
    with pytest.raises(PermissionDenied):
        services.homework_done_set(actor=actor, homework_id=school.give().pk, done=True)
    assert not HomeworkDone.objects.exists()


# -- Attachments ------------------------------------------------------------------------------


def test_attachments_keep_their_name_and_respect_the_size_limit(school):
    homework = school.give()
    attachment = school.attach(homework, name="../../Fiche n°3.pdf")
    assert attachment.name == "Fiche n°3.pdf"
    assert attachment.file.name.startswith("homework/")
    assert "Fiche" not in attachment.file.name
    assert (attachment.size, attachment.content_type) == (14, "application/pdf")
    HomeworkPolicy.objects.create(establishment=school.establishment, attachment_max_mb=1)
    big = SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError) as error:
        services.attachment_add(actor=school.teacher, upload=big, homework_id=homework.pk)
    assert "1 Mo" in error.value.message_dict["file"][0]
    assert Attachment.objects.count() == 1
    (event,) = events("homework.attachment_add")
    assert event.after["name"] == "Fiche n°3.pdf"
    services.attachment_remove(actor=school.teacher, attachment_id=attachment.pk)
    assert not Attachment.objects.exists()
    assert events("homework.attachment_remove")[0].before["name"] == "Fiche n°3.pdf"


def test_a_colleague_cannot_attach_or_remove(school):
    homework = school.give()
    attachment = school.attach(homework)
    with pytest.raises(PermissionDenied):
        services.attachment_add(
            actor=school.colleague,
            upload=SimpleUploadedFile("a.pdf", b"abc"),
            homework_id=homework.pk,
        )
    with pytest.raises(PermissionDenied):
        services.attachment_remove(actor=school.colleague, attachment_id=attachment.pk)
    assert Attachment.objects.count() == 1


# -- Visas and settings -----------------------------------------------------------------------


def test_the_direction_visas_a_service(school):
    visa = services.visa_create(
        actor=school.direction, service_id=school.service.pk, up_to=school.day, comment="Bien."
    )
    assert (visa.person_id, visa.actor, visa.comment) == (
        school.direction.person_id,
        school.direction,
        "Bien.",
    )
    (event,) = events("homework.visa")
    assert event.after == {"service": school.service.pk, "up_to": school.day.isoformat(),
                           "comment": "Bien."}  # fmt: skip
    with pytest.raises(ValidationError):
        services.visa_create(
            actor=school.direction,
            service_id=school.service.pk,
            up_to=school.day + timedelta(days=1),
        )
    for actor in (school.teacher, school.cpe, school.secretariat, school.elsewhere):
        with pytest.raises(PermissionDenied):
            services.visa_create(actor=actor, service_id=school.service.pk, up_to=school.day)
    assert Visa.objects.count() == 1


def test_settings_by_the_direction_only(school):
    policy = services.policy_update(
        actor=school.direction,
        establishment_id=school.establishment.pk,
        contacts_see_homework=False,
        daily_items=4,
    )
    assert (policy.contacts_see_homework, policy.daily_items, policy.daily_workload_minutes) == (
        False,
        4,
        90,
    )
    (event,) = events("homework.policy_update")
    assert (event.before, event.after) == (
        {"contacts_see_homework": True, "daily_items": 3},
        {"contacts_see_homework": False, "daily_items": 4},
    )
    with pytest.raises(ValidationError):
        services.policy_update(
            actor=school.direction, establishment_id=school.establishment.pk, daily_items=0
        )
    with pytest.raises(PermissionDenied):
        services.policy_update(
            actor=school.teacher, establishment_id=school.establishment.pk, daily_items=5
        )


# -- Two writes at once ------------------------------------------------------------------------


def test_two_first_contents_at_once_the_second_is_told_not_lost(school, monkeypatch):
    """Given a colleague saved the first content of the session while this teacher was
    typing theirs (so that, read before that save, there was none), when the teacher
    saves, then the save is refused with the colleague's text, never a server error."""
    first = services.content_set(
        actor=school.teacher, occurrence_id=school.session.pk, body="<p>Le sien</p>"
    )
    # What the second writer read: no content yet.
    monkeypatch.setattr(SessionContent.objects, "select_for_update", SessionContent.objects.none)

    with pytest.raises(services.Stale) as stale:
        services.content_set(
            actor=school.teacher, occurrence_id=school.session.pk, body="<p>Le mien</p>"
        )

    assert stale.value.current == first
    assert SessionContent.objects.get().body == "<p>Le sien</p>"


def test_a_tick_sent_twice_at_once_is_one_tick(school, monkeypatch):
    """Given the pupil's first tick landed while the second was on its way (a double
    click), when the second arrives, then it changes nothing and fails nothing."""
    homework = school.give()
    services.homework_done_set(actor=school.emma.account, homework_id=homework.pk, done=True)
    real_filter = HomeworkDone.objects.filter
    # What the second request read: no tick yet.
    monkeypatch.setattr(
        HomeworkDone.objects, "filter", lambda **kw: real_filter(**kw) & HomeworkDone.objects.none()
    )

    assert services.homework_done_set(actor=school.emma.account, homework_id=homework.pk, done=True)

    assert HomeworkDone.objects.count() == 1
    assert len(events("homework.done")) == 1
