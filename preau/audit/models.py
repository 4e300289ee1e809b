"""The trail of who changed what: grades, absences, timetables, accounts, links.

Rows are only ever added. A correction is a new event whose `before` is the previous
state, so the history can always be replayed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment


class AuditEvent(models.Model):
    at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    establishment = models.ForeignKey(
        Establishment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("type d'objet"), max_length=60, blank=True)
    object_id = models.CharField(_("objet"), max_length=40, blank=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action} {self.object_type}:{self.object_id}"
