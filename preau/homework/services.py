"""Every write of the cahier de textes: session contents, homework (given, changed,
withdrawn, copied), attachments, the pupils' "fait" ticks, the direction's visas and
the establishment's settings.

Rules kept here, whoever calls (the pages, the demo, commands):
- only the teachers of a session write its content and its homework; the direction
  may withdraw a homework (nothing is deleted: `withdrawn_at` is set);
- rich text is sanitised before it is stored (`core.richtext.clean_html`);
- two teachers of a co-taught session typing at once never overwrite each other
  unseen: a change names the version it started from and fails with `Stale` otherwise;
- a homework is due on or after the day it is given, in the same school year;
- only the pupil ticks their own "fait", for a homework they must do;
- every write is audited (`audit.services.audit_record`) with its before and after.
"""

import mimetypes
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.core.models import Role, RoleKind
from preau.core.permissions import actor_person_id as _person_id
from preau.core.permissions import directs, roles_in
from preau.core.permissions import is_system as _system
from preau.core.richtext import clean_html, plain_text
from preau.homework.access import concerns, policy_of
from preau.homework.models import (
    Attachment,
    Homework,
    HomeworkDone,
    HomeworkPolicy,
    Kind,
    SessionContent,
    Visa,
)
from preau.homework.selectors import next_sessions
from preau.structure.models import TeachingService
from preau.timetable.models import Occurrence

MAX_NAME = 150


class Stale(Exception):
    """The row changed since the writer read it; `current` is what is there now."""

    def __init__(self, current):
        super().__init__("stale")
        self.current = current


# -- Permissions ------------------------------------------------------------------------


def teaches_occurrence(actor, occurrence: Occurrence) -> bool:
    """The actor is one of the session's teachers and holds a teacher role in its
    establishment."""
    if _system(actor):
        return True
    person_id = _person_id(actor)
    if person_id is None:
        return False
    if not occurrence.teachers.filter(pk=person_id).exists():
        return False
    return RoleKind.TEACHER in roles_in(actor, occurrence.establishment_id)


def require_teacher(actor, occurrence: Occurrence) -> None:
    if not teaches_occurrence(actor, occurrence):
        raise PermissionDenied(
            _("Seuls les enseignants de la séance écrivent son cahier de textes.")
        )


def _author_id(actor, occurrence: Occurrence) -> int:
    """Who is named as the author: the actor's person, or for the system (the demo, a
    command) the session's first teacher."""
    person_id = _person_id(actor)
    if person_id is not None:
        return person_id
    teacher = occurrence.teachers.order_by("pk").first()
    if teacher is None:
        raise ValidationError(_("La séance n'a pas d'enseignant."))
    return teacher.pk


# -- Session contents ---------------------------------------------------------------------


def _content_snapshot(content: SessionContent | None) -> dict | None:
    if content is None:
        return None
    return {"body": content.body, "version": content.version, "author": content.author_id}


@transaction.atomic
def content_set(*, actor, occurrence_id: int, body: str, version: int = 0) -> SessionContent:
    """Write what was done in the session. `version` is the one the teacher started
    from (0 when there was none); `Stale` when somebody saved in between."""
    occurrence = Occurrence.objects.select_related("establishment").get(pk=occurrence_id)
    require_teacher(actor, occurrence)
    content = SessionContent.objects.select_for_update().filter(occurrence=occurrence).first()
    current = content.version if content else 0
    if version != current:
        raise Stale(content)
    before = _content_snapshot(content)
    cleaned = clean_html(body)
    if content is None:
        try:
            # Nothing to lock yet: two teachers saving the first content at once meet on
            # the unique occurrence, and the second is told, as for a later change.
            with transaction.atomic():
                content = SessionContent.objects.create(
                    occurrence=occurrence, body=cleaned, author_id=_author_id(actor, occurrence)
                )
        except IntegrityError:
            raise Stale(SessionContent.objects.filter(occurrence=occurrence).first()) from None
    else:
        content.body = cleaned
        content.author_id = _author_id(actor, occurrence)
        content.version += 1
        content.save()
    audit_record(
        actor=actor,
        action="homework.content_set",
        target=content,
        establishment=occurrence.establishment,
        before=before,
        after=_content_snapshot(content),
    )
    return content


# -- Homework -----------------------------------------------------------------------------

FIELDS = ("instructions", "due_date", "due_occurrence", "estimated_minutes", "kind")


def _snapshot(homework: Homework) -> dict:
    return {
        "occurrence": homework.occurrence_id,
        "instructions": homework.instructions,
        "due_date": homework.due_date.isoformat(),
        "due_occurrence": homework.due_occurrence_id,
        "estimated_minutes": homework.estimated_minutes,
        "kind": homework.kind,
        "version": homework.version,
        "withdrawn_at": homework.withdrawn_at.isoformat() if homework.withdrawn_at else None,
        "copied_from": homework.copied_from_id,
    }


def _check(homework: Homework, occurrence: Occurrence) -> None:
    """The rules of a homework's fields, with the field at fault."""
    errors = {}
    if not plain_text(homework.instructions):
        errors["instructions"] = _("Indiquez le travail à faire.")
    if homework.kind not in Kind.values:
        errors["kind"] = _("Type de travail inconnu.")
    if homework.due_date < occurrence.date:
        errors["due_date"] = _("Le travail est à faire pour le jour de la séance ou après.")
    else:
        year = occurrence.school_year
        if homework.due_date > year.end_date:
            errors["due_date"] = _("La date est après la fin de l'année scolaire.")
    if homework.estimated_minutes is not None and not 1 <= homework.estimated_minutes <= 600:
        errors["estimated_minutes"] = _("Le temps estimé va de 1 à 600 minutes.")
    due = homework.due_occurrence
    if due is not None and (
        due.establishment_id != occurrence.establishment_id
        or due.date < occurrence.date
        or due.pk == occurrence.pk
    ):
        errors["due_occurrence"] = _("Choisissez une séance qui suit celle-ci.")
    if errors:
        raise ValidationError(errors)


def _due(due_date: date | None, due_occurrence_id: int | None) -> tuple[date, Occurrence | None]:
    due_occurrence = None
    if due_occurrence_id is not None:
        due_occurrence = Occurrence.objects.filter(pk=due_occurrence_id).first()
        if due_occurrence is None:
            raise ValidationError({"due_occurrence": _("Séance inconnue.")})
        if due_date is None:
            due_date = due_occurrence.date
    if due_date is None:
        raise ValidationError({"due_date": _("Indiquez pour quand le travail est à faire.")})
    return due_date, due_occurrence


@transaction.atomic
def homework_create(
    *,
    actor,
    occurrence_id: int,
    instructions: str,
    due_date: date | None = None,
    due_occurrence_id: int | None = None,
    estimated_minutes: int | None = None,
    kind: str = Kind.TASK,
    copied_from: Homework | None = None,
) -> Homework:
    """Give a homework in a session, due on `due_date` or for the session
    `due_occurrence_id` (its date when no date is given)."""
    occurrence = Occurrence.objects.select_related("establishment", "school_year").get(
        pk=occurrence_id
    )
    require_teacher(actor, occurrence)
    due_date, due_occurrence = _due(due_date, due_occurrence_id)
    homework = Homework(
        establishment=occurrence.establishment,
        occurrence=occurrence,
        subject_id=occurrence.subject_id,
        author_id=_author_id(actor, occurrence),
        instructions=clean_html(instructions),
        due_date=due_date,
        due_occurrence=due_occurrence,
        estimated_minutes=estimated_minutes,
        kind=kind,
        copied_from=copied_from,
    )
    _check(homework, occurrence)
    homework.save()
    audit_record(
        actor=actor,
        action="homework.copy" if copied_from else "homework.create",
        target=homework,
        establishment=occurrence.establishment,
        after=_snapshot(homework),
    )
    return homework


def _locked(homework_id: int) -> Homework:
    return (
        Homework.objects.select_for_update()
        .select_related("occurrence", "occurrence__school_year", "establishment")
        .get(pk=homework_id)
    )


@transaction.atomic
def homework_update(
    *,
    actor,
    homework_id: int,
    version: int,
    instructions: str,
    due_date: date | None = None,
    due_occurrence_id: int | None = None,
    estimated_minutes: int | None = None,
    kind: str = Kind.TASK,
) -> Homework:
    """Change a homework; `Stale` when somebody changed it since `version`."""
    homework = _locked(homework_id)
    require_teacher(actor, homework.occurrence)
    if homework.withdrawn_at is not None:
        raise ValidationError(_("Ce travail a été retiré."))
    if homework.version != version:
        raise Stale(homework)
    before = _snapshot(homework)
    due_date, due_occurrence = _due(due_date, due_occurrence_id)
    homework.instructions = clean_html(instructions)
    homework.due_date = due_date
    homework.due_occurrence = due_occurrence
    homework.estimated_minutes = estimated_minutes
    homework.kind = kind
    _check(homework, homework.occurrence)
    homework.version += 1
    homework.save()
    audit_record(
        actor=actor,
        action="homework.update",
        target=homework,
        establishment=homework.establishment,
        before=before,
        after=_snapshot(homework),
    )
    return homework


@transaction.atomic
def homework_withdraw(*, actor, homework_id: int) -> Homework:
    """Withdraw a homework (kept, no longer shown to pupils and families): its
    session's teachers, or the direction."""
    homework = _locked(homework_id)
    if not (
        teaches_occurrence(actor, homework.occurrence) or directs(actor, homework.establishment_id)
    ):
        raise PermissionDenied(
            _("Seuls les enseignants de la séance et la direction retirent un travail.")
        )
    if homework.withdrawn_at is not None:
        return homework
    before = _snapshot(homework)
    homework.withdrawn_at = timezone.now()
    homework.version += 1
    homework.save(update_fields=["withdrawn_at", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="homework.withdraw",
        target=homework,
        establishment=homework.establishment,
        before=before,
        after=_snapshot(homework),
    )
    return homework


@transaction.atomic
def homework_copy(
    *, actor, homework_id: int, occurrence_id: int, due_date: date | None = None
) -> Homework:
    """Give the same homework in another session (typically the same teacher's session
    of another division), with its attachments. Due, unless told, for the next session
    of the same subject and audience after the target session, else as many days
    after it as the original."""
    original = Homework.objects.select_related("occurrence").get(pk=homework_id)
    if original.withdrawn_at is not None:
        raise ValidationError(_("Ce travail a été retiré."))
    require_teacher(actor, original.occurrence)
    target = Occurrence.objects.prefetch_related("audience").get(pk=occurrence_id)
    require_teacher(actor, target)
    if target.pk == original.occurrence_id:
        raise ValidationError({"occurrence": _("Choisissez une autre séance.")})
    due_occurrence_id = None
    if due_date is None:
        following = next_sessions(target, limit=1)
        if following:
            due_occurrence_id = following[0].pk
        else:
            due_date = target.date + (original.due_date - original.occurrence.date)
    copy = homework_create(
        actor=actor,
        occurrence_id=target.pk,
        instructions=original.instructions,
        due_date=due_date,
        due_occurrence_id=due_occurrence_id,
        estimated_minutes=original.estimated_minutes,
        kind=original.kind,
        copied_from=original,
    )
    Attachment.objects.bulk_create(
        Attachment(
            homework=copy,
            file=attachment.file.name,
            name=attachment.name,
            size=attachment.size,
            content_type=attachment.content_type,
            uploaded_by_id=copy.author_id,
        )
        for attachment in original.attachments.all()
    )
    return copy


# -- "Fait" ---------------------------------------------------------------------------------


@transaction.atomic
def homework_done_set(*, actor, homework_id: int, done: bool) -> bool:
    """The pupil ticks (or unticks) "fait" for a homework they must do."""
    person_id = _person_id(actor)
    homework = (
        Homework.objects.select_related("occurrence", "establishment")
        .prefetch_related("occurrence__audience")
        .get(pk=homework_id)
    )
    may = (
        person_id is not None
        and homework.withdrawn_at is None
        and RoleKind.PUPIL in roles_in(actor, homework.establishment_id)
        and concerns(homework.occurrence, [person_id], [homework.due_date])
    )
    if not may:
        raise PermissionDenied(_("Seul l'élève concerné indique qu'il a fait ce travail."))
    mark = HomeworkDone.objects.filter(homework=homework, pupil_id=person_id).first()
    if done and mark is None:
        try:
            with transaction.atomic():
                HomeworkDone.objects.create(homework=homework, pupil_id=person_id)
        except IntegrityError:  # ticked at the same moment (a double click): done already
            return done
    elif not done and mark is not None:
        mark.delete()
    else:
        return done
    audit_record(
        actor=actor,
        action="homework.done" if done else "homework.undone",
        target=homework,
        establishment=homework.establishment,
        before={"pupil": person_id, "done": not done},
        after={"pupil": person_id, "done": done},
    )
    return done


# -- Attachments ----------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME]
    return name or "piece-jointe"


@transaction.atomic
def attachment_add(
    *, actor, upload, homework_id: int | None = None, content_id: int | None = None
) -> Attachment:
    """Join a file to a homework or to a session's content (exactly one), within the
    establishment's size limit."""
    if (homework_id is None) == (content_id is None):
        raise ValueError("an attachment belongs to a homework or a content, not both")
    if homework_id is not None:
        owner = Homework.objects.select_related("occurrence__establishment").get(pk=homework_id)
        if owner.withdrawn_at is not None:
            raise ValidationError(_("Ce travail a été retiré."))
    else:
        owner = SessionContent.objects.select_related("occurrence__establishment").get(
            pk=content_id
        )
    occurrence = owner.occurrence
    require_teacher(actor, occurrence)
    policy = policy_of(occurrence.establishment_id)
    limit = policy.attachment_max_mb * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("Le fichier dépasse la taille permise (%(mb)d Mo).")
                % {"mb": policy.attachment_max_mb}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("Le fichier est vide.")})
    name = _clean_name(upload.name or "")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = Attachment(
        homework=owner if homework_id is not None else None,
        content=owner if content_id is not None else None,
        name=name,
        size=upload.size,
        content_type=content_type,
        uploaded_by_id=_author_id(actor, occurrence),
    )
    attachment.file.save(name, File(upload), save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="homework.attachment_add",
        target=attachment,
        establishment=occurrence.establishment,
        after={
            "name": name,
            "size": upload.size,
            "homework": homework_id,
            "content": content_id,
        },
    )
    return attachment


@transaction.atomic
def attachment_remove(*, actor, attachment_id: int) -> None:
    """Take a file off (the row goes; the trail keeps its name and size)."""
    attachment = Attachment.objects.select_related(
        "homework__occurrence__establishment", "content__occurrence__establishment"
    ).get(pk=attachment_id)
    owner = attachment.homework or attachment.content
    occurrence = owner.occurrence
    require_teacher(actor, occurrence)
    before = {
        "name": attachment.name,
        "size": attachment.size,
        "homework": attachment.homework_id,
        "content": attachment.content_id,
    }
    audit_record(
        actor=actor,
        action="homework.attachment_remove",
        target=attachment,
        establishment=occurrence.establishment,
        before=before,
    )
    attachment.delete()


# -- Visas and settings ---------------------------------------------------------------------


@transaction.atomic
def visa_create(*, actor, service_id: int, up_to: date, comment: str = "") -> Visa:
    """The direction has reviewed the service's cahier de textes up to `up_to`."""
    service = TeachingService.objects.select_related("establishment", "school_year").get(
        pk=service_id
    )
    if not directs(actor, service.establishment_id):
        raise PermissionDenied(_("Seule la direction vise les cahiers de textes."))
    if up_to > timezone.localdate():
        raise ValidationError({"up_to": _("Un visa ne porte pas sur des jours à venir.")})
    if up_to < service.school_year.start_date:
        raise ValidationError({"up_to": _("La date est avant le début de l'année scolaire.")})
    person_id = _person_id(actor)
    if person_id is None:
        person_id = (
            Role.objects.filter(establishment_id=service.establishment_id, kind=RoleKind.DIRECTION)
            .values_list("person_id", flat=True)
            .order_by("pk")
            .first()
        )
    visa = Visa.objects.create(
        establishment=service.establishment,
        service=service,
        up_to=up_to,
        comment=plain_text(comment)[:2000],
        person_id=person_id,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="homework.visa",
        target=visa,
        establishment=service.establishment,
        after={"service": service.pk, "up_to": up_to.isoformat(), "comment": visa.comment},
    )
    return visa


POLICY_FIELDS = (
    "contacts_see_homework",
    "attachment_max_mb",
    "daily_workload_minutes",
    "daily_items",
)


@transaction.atomic
def policy_update(*, actor, establishment_id: int, **fields) -> HomeworkPolicy:
    if not directs(actor, establishment_id):
        raise PermissionDenied(_("Seule la direction règle le cahier de textes."))
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    policy, _created = HomeworkPolicy.objects.select_for_update().get_or_create(
        establishment_id=establishment_id
    )
    before = {name: getattr(policy, name) for name in fields}
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    audit_record(
        actor=actor,
        action="homework.policy_update",
        target=policy,
        establishment=policy.establishment,
        before=before,
        after=dict(fields),
    )
    return policy
