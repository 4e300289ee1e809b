"""The cahier de textes (docs/homework.md): what was done in each session (séance) and
the work given for later, with attachments, the pupils' "fait" ticks, and the
direction's visas.

The pupils who must do a homework are the pupils of the audience of the session it
was given in (division, group, class part or single pupil), on its due date. Nothing
is ever deleted: a homework is withdrawn (`withdrawn_at`), attachments stay in the
trail.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, Person
from preau.structure.models import Subject, TeachingService
from preau.timetable.models import Occurrence


class HomeworkPolicy(models.Model):
    """The establishment's settings for the cahier de textes (the defaults until
    saved)."""

    establishment = models.OneToOneField(
        Establishment, on_delete=models.CASCADE, related_name="homework_policy"
    )
    # access.md: levels 2 and 3 see the homework by default.
    contacts_see_homework = models.BooleanField(
        _("les personnes en charge et les contacts (niveaux 2 et 3) voient le travail à faire"),
        default=True,
    )
    attachment_max_mb = models.PositiveSmallIntegerField(
        _("taille maximale d'une pièce jointe (Mo)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    daily_workload_minutes = models.PositiveSmallIntegerField(
        _("charge quotidienne signalée au-delà de (minutes)"),
        default=90,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
    )
    daily_items = models.PositiveSmallIntegerField(
        _("nombre de travaux par jour signalé au-delà de"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )

    class Meta:
        verbose_name = _("réglages du cahier de textes")
        verbose_name_plural = _("réglages du cahier de textes")

    def __str__(self) -> str:
        return f"{self.establishment}"


class Kind(models.TextChoices):
    TASK = "task", _("Travail à faire")
    LESSON = "lesson", _("Leçon à apprendre")
    HAND_IN = "hand_in", _("Devoir à rendre")
    TEST = "test", _("Évaluation annoncée")


class SessionContent(models.Model):
    """What was done in one session (contenu de séance)."""

    occurrence = models.OneToOneField(
        Occurrence, on_delete=models.CASCADE, related_name="session_content"
    )
    body = models.TextField(_("contenu"), blank=True)
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: a save carries the version it was typed on.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("contenu de séance")
        verbose_name_plural = _("contenus de séance")

    def __str__(self) -> str:
        return f"{self.occurrence}"


class Homework(models.Model):
    """Work given in one session for a later day."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="homework"
    )
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="homework")
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    instructions = models.TextField(_("consignes"))
    due_date = models.DateField(_("pour le"))
    due_occurrence = models.ForeignKey(
        Occurrence,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homework_due",
        verbose_name=_("pour la séance"),
    )
    estimated_minutes = models.PositiveSmallIntegerField(
        _("temps estimé (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.TASK)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("travail à faire")
        verbose_name_plural = _("travail à faire")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["establishment", "due_date"]),
            models.Index(fields=["occurrence", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.occurrence.title} — {self.due_date:%d/%m/%Y}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Stored under homework/ with a random name: the original name is kept in the row,
    never in the path (which no page ever shows)."""
    return f"homework/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file joined to a homework or to a session's content (exactly one), served
    only by an access-checked view."""

    homework = models.ForeignKey(
        Homework, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    content = models.ForeignKey(
        SessionContent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("nom"), max_length=200)
    size = models.PositiveIntegerField(_("taille (octets)"))
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(homework__isnull=False) & Q(content__isnull=True))
                | (Q(homework__isnull=True) & Q(content__isnull=False)),
                name="attachment_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HomeworkDone(models.Model):
    """A pupil ticked "fait"."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="done_marks")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("travail fait")
        verbose_name_plural = _("travaux faits")
        constraints = [
            models.UniqueConstraint(fields=["homework", "pupil"], name="homework_done_once"),
        ]
        indexes = [models.Index(fields=["pupil", "homework"])]

    def __str__(self) -> str:
        return f"{self.pupil_id} → {self.homework_id}"


class Visa(models.Model):
    """The direction reviewed a teaching service's cahier de textes up to a date."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="homework_visas"
    )
    service = models.ForeignKey(TeachingService, on_delete=models.CASCADE, related_name="visas")
    up_to = models.DateField(_("jusqu'au"))
    comment = models.TextField(_("commentaire"), blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visa")
        verbose_name_plural = _("visas")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["service", "created_at"])]

    def __str__(self) -> str:
        return f"{self.service} — {self.up_to:%d/%m/%Y}"
