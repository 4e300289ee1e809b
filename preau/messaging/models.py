"""Messages, who they went to, and the establishment's rules (docs/messaging.md).

A message is stored once, whatever the number of its recipients; each recipient has a
`Recipient` row carrying their own state: read, archived, and the delivery of their
e-mail notification. What the sender chose ("all guardians of 4B") is kept as
`MessageAudience` rows beside the resolved list.
"""

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, Person
from preau.structure.models import Division


class MessageKind(models.TextChoices):
    INFORMATION = "information", _("Information")
    DISCUSSION = "discussion", _("Discussion")


class AudienceType(models.TextChoices):
    DIVISION_GUARDIANS = "division_guardians", _("Responsables d'une classe")
    DIVISION_PUPILS = "division_pupils", _("Élèves d'une classe")
    DIVISION_TEACHERS = "division_teachers", _("Équipe pédagogique d'une classe")
    LEVEL_GUARDIANS = "level_guardians", _("Responsables d'un niveau")
    ESTABLISHMENT_GUARDIANS = "establishment_guardians", _("Tous les responsables")
    ESTABLISHMENT_STAFF = "establishment_staff", _("Tous les personnels")
    GROUP_PUPILS = "group_pupils", _("Élèves d'un groupe")


class Message(models.Model):
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sent_messages")
    subject = models.CharField(_("objet"), max_length=200)
    # Sanitised HTML (core.richtext.clean_html); `body_text` is its text, for search and
    # previews. Any length up to the technical cap PREAU_MESSAGE_MAX_BYTES.
    body = models.TextField(_("message"))
    body_text = models.TextField(_("texte du message"), blank=True)
    kind = models.CharField(
        _("type"), max_length=12, choices=MessageKind.choices, default=MessageKind.DISCUSSION
    )
    read_receipt = models.BooleanField(_("accusé de lecture"), default=False)
    concerns = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages_concerning",
        verbose_name=_("élève concerné"),
    )
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_("Réservé à la direction : notifié même pendant les heures de silence."),
    )
    # The first message of the thread (empty on the first message itself), and the
    # message this one answers.
    thread = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="thread_messages"
    )
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    recipient_count = models.PositiveIntegerField(_("nombre de destinataires"), default=0)
    sender_archived_at = models.DateTimeField(_("archivé par l'expéditeur le"), null=True)
    reminded_at = models.DateTimeField(_("dernier rappel le"), null=True, blank=True)
    created_at = models.DateTimeField(_("envoyé le"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="message_sender_date"),
            models.Index(
                fields=["establishment", "-created_at"], name="message_establishment_date"
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def root_id(self) -> int:
        """The id of the conversation's first message."""
        return self.thread_id or self.pk


class MessageAudience(models.Model):
    """An audience the sender chose, as they saw it, with the number of people it
    named when the message left."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="audiences")
    type = models.CharField(_("type"), max_length=30, choices=AudienceType.choices)
    # The division or group id, the level code (3E), or empty for the establishment.
    target = models.CharField(_("cible"), max_length=40, blank=True)
    label = models.CharField(_("libellé"), max_length=200)
    resolved_count = models.PositiveIntegerField(_("personnes"), default=0)

    class Meta:
        verbose_name = _("destinataires choisis")
        verbose_name_plural = _("destinataires choisis")

    def __str__(self) -> str:
        return self.label


class NotifyState(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    DEFERRED = "deferred", _("différée (heures de silence)")
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyée")
    FAILED = "failed", _("en échec")
    SKIPPED = "skipped", _("sans objet")


class Recipient(models.Model):
    """One person a message went to, with their own reading and delivery state. Nothing
    is deleted: a recipient archives."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="received_messages")
    read_at = models.DateTimeField(_("lu le"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)
    notify_state = models.CharField(
        _("notification"),
        max_length=10,
        choices=NotifyState.choices,
        default=NotifyState.PENDING,
        db_default=NotifyState.PENDING,
    )
    notify_attempts = models.PositiveSmallIntegerField(
        _("tentatives d'envoi"), default=0, db_default=0
    )
    # When a deferred or failed notification is next due (end of the quiet hours, or
    # the next attempt); while `sending`, when the claim lapses.
    notify_after = models.DateTimeField(_("à notifier après"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notifié le"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=255, blank=True, db_default="")

    class Meta:
        verbose_name = _("destinataire")
        verbose_name_plural = _("destinataires")
        constraints = [
            models.UniqueConstraint(fields=["message", "person"], name="recipient_unique"),
        ]
        indexes = [
            models.Index(fields=["person", "archived_at"], name="recipient_person_folder"),
            models.Index(
                fields=["notify_state", "notify_after"],
                name="recipient_notify_due",
                condition=Q(notify_state__in=["pending", "deferred", "sending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.message}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"messaging/{instance.message.created_at:%Y/%m}/{filename}"


class Attachment(models.Model):
    """A file sent with a message; served only to its sender and recipients."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=255)
    name = models.CharField(_("nom"), max_length=255)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    content_type = models.CharField(_("type"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class MessagingPolicy(models.Model):
    """The establishment's communication matrix and safeguards (one row, the defaults
    of messaging.md until saved). Direction and vie scolaire may always write to
    everybody; these switches settle the others."""

    establishment = models.OneToOneField(
        Establishment, on_delete=models.CASCADE, related_name="messaging_policy"
    )
    teachers_to_guardians = models.BooleanField(
        _("les enseignants écrivent aux responsables des élèves qu'ils ont en classe"),
        default=True,
    )
    teachers_to_pupils = models.BooleanField(
        _("les enseignants écrivent aux élèves qu'ils ont en classe"), default=True
    )
    guardians_to_teachers = models.BooleanField(
        _("les responsables écrivent aux enseignants de leurs enfants"), default=True
    )
    guardians_to_vie_scolaire = models.BooleanField(
        _("les responsables écrivent à la vie scolaire"), default=True
    )
    guardians_to_direction = models.BooleanField(
        _("les responsables écrivent à la direction et au secrétariat"), default=True
    )
    delegates_to_guardians = models.BooleanField(
        _("les parents délégués écrivent aux responsables de leur classe"), default=False
    )
    pupils_to_teachers = models.BooleanField(
        _("les élèves écrivent à leurs enseignants"), default=True
    )
    pupils_to_vie_scolaire = models.BooleanField(
        _("les élèves écrivent à la vie scolaire"), default=True
    )
    pupils_to_direction = models.BooleanField(
        _("les élèves écrivent à la direction et au secrétariat"), default=False
    )
    pupils_to_pupils = models.BooleanField(
        _("les élèves écrivent aux élèves de leur classe"), default=False
    )
    contacts_included = models.BooleanField(
        _("les personnes en charge et les contacts (niveaux 2 et 3) écrivent et reçoivent "
          "comme les responsables légaux"),
        default=False,
    )  # fmt: skip
    quiet_hours = models.BooleanField(
        _("heures de silence des notifications aux familles et aux élèves"), default=True
    )
    quiet_start = models.TimeField(_("début des heures de silence"), default=time(20, 0))
    quiet_end = models.TimeField(_("fin des heures de silence"), default=time(7, 0))
    emergency_staff_only = models.BooleanField(
        _("mode urgence : seuls les personnels écrivent"), default=False
    )
    emergency_set_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    emergency_set_at = models.DateTimeField(null=True, blank=True)
    messages_per_hour = models.PositiveSmallIntegerField(
        _("messages par heure (familles et élèves)"), default=20
    )
    recipients_per_day = models.PositiveIntegerField(
        _("destinataires par 24 heures (familles et élèves)"), default=200
    )

    class Meta:
        verbose_name = _("règles de la messagerie")
        verbose_name_plural = _("règles de la messagerie")

    def __str__(self) -> str:
        return f"{self.establishment}"


class GuardianDelegate(models.Model):
    """A parent elected delegate of a division (délégué des parents), who may write to
    the division's guardians when the establishment allows it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    division = models.ForeignKey(
        Division, on_delete=models.CASCADE, related_name="guardian_delegates"
    )

    class Meta:
        verbose_name = _("parent délégué")
        verbose_name_plural = _("parents délégués")
        constraints = [
            models.UniqueConstraint(fields=["person", "division"], name="guardian_delegate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.division}"
