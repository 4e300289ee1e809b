"""Attendance in three layers (attendance.md): what was recorded (roll calls and their
entries, as the teacher typed them), what is processed (absences and lateness with a
reason and a state, corrected by the vie scolaire without losing the teacher's entry),
and what was sent (notices to families, letters and referrals). Nothing here is ever
deleted by a correction: an absence is voided, and every change of its state is a row
of `AbsenceChange`, so that a report can be reproduced as of any date."""

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, Person, SchoolYear
from preau.structure.models import Subject
from preau.timetable.models import Occurrence


class CountMode(models.TextChoices):
    RAW = "raw", _("Brut : une demi-journée compte dès une absence")
    COMPUTED = "computed", _("Calculé : la part du temps de cours manqué")


class AttendancePolicy(models.Model):
    """The establishment's settings for attendance (one row, created on first use with
    the defaults of attendance.md)."""

    establishment = models.OneToOneField(
        Establishment, on_delete=models.CASCADE, related_name="attendance_policy"
    )
    half_day_boundary = models.TimeField(_("limite matin / après-midi"), default=time(12, 0))
    count_mode = models.CharField(
        _("décompte des demi-journées"),
        max_length=10,
        choices=CountMode.choices,
        default=CountMode.RAW,
    )
    family_alert_threshold = models.PositiveSmallIntegerField(
        _("seuil d'alerte de la famille (demi-journées non justifiées par mois)"), default=2
    )
    referral_threshold = models.PositiveSmallIntegerField(
        _("seuil de signalement à la DASEN (demi-journées non justifiées par mois)"), default=4
    )
    heavy_threshold = models.PositiveSmallIntegerField(
        _("seuil d'absentéisme lourd (demi-journées non justifiées par mois)"), default=10
    )
    roll_call_grace_minutes = models.PositiveSmallIntegerField(
        _("délai avant qu'un appel soit signalé non fait (minutes)"), default=15
    )
    quiet_hours_start = models.TimeField(
        _("début des heures de silence des notifications"), default=time(20, 0)
    )
    quiet_hours_end = models.TimeField(
        _("fin des heures de silence des notifications"), default=time(7, 30)
    )
    families_may_justify = models.BooleanField(_("les familles justifient en ligne"), default=True)
    # access.md: levels 2 and 3 see only what the establishment enables, absences by
    # default.
    contacts_see_absences = models.BooleanField(
        _("les personnes en charge et les contacts (niveaux 2 et 3) voient les absences"),
        default=True,
    )

    class Meta:
        verbose_name = _("réglages de la vie scolaire")
        verbose_name_plural = _("réglages de la vie scolaire")
        constraints = [
            models.CheckConstraint(
                condition=Q(family_alert_threshold__lte=models.F("referral_threshold"))
                & Q(referral_threshold__lte=models.F("heavy_threshold")),
                name="attendance_policy_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.establishment}"


class AbsenceReason(models.Model):
    """A reason of the establishment's catalogue, with its flags (attendance.md)."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="absence_reasons"
    )
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("libellé"), max_length=120)
    legitimate = models.BooleanField(
        _("motif légitime (article L131-8)"),
        default=False,
        help_text=_("Maladie, réunion solennelle de famille, difficulté de transport…"),
    )
    justifies = models.BooleanField(_("justifie l'absence une fois accepté"), default=True)
    health = models.BooleanField(
        _("motif de santé (confidentiel : les enseignants voient « absence justifiée »)"),
        default=False,
    )
    family_selectable = models.BooleanField(
        _("proposé aux familles pour justifier en ligne"), default=True
    )
    on_report_card = models.BooleanField(_("figure sur le bulletin"), default=True)
    active = models.BooleanField(_("en usage"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("motif d'absence")
        verbose_name_plural = _("motifs d'absence")
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "code"], name="absence_reason_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class RollCall(models.Model):
    """The roll call (appel) of one occurrence. It exists once taken, even with nobody
    absent ("appel fait"): occurrences without one are the roll calls not taken."""

    occurrence = models.OneToOneField(
        Occurrence, on_delete=models.CASCADE, related_name="roll_call"
    )
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+")
    taken_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(_("appel fait le"))
    updated_at = models.DateTimeField(_("modifié le"))

    class Meta:
        verbose_name = _("appel")
        verbose_name_plural = _("appels")
        indexes = [models.Index(fields=["establishment", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.occurrence}"


class Mark(models.TextChoices):
    """What a roll call records for a pupil. No entry means present; an entry back to
    "present" is a mark the teacher corrected (its trail is kept)."""

    PRESENT = "present", _("Présent")
    ABSENT = "absent", _("Absent")
    LATE = "late", _("En retard")
    EXCLUDED = "excluded", _("Exclu de cours")
    INFIRMARY = "infirmary", _("À l'infirmerie")


class RollCallEntry(models.Model):
    """The teacher's entry for one pupil, as typed: it is never overwritten by the vie
    scolaire, whose corrections go to the absence the entry produced."""

    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="entries")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    mark = models.CharField(_("relevé"), max_length=10, choices=Mark.choices)
    minutes_late = models.PositiveSmallIntegerField(_("minutes de retard"), null=True, blank=True)
    note = models.CharField(_("remarque"), max_length=255, blank=True)
    entered_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("saisi le"))

    class Meta:
        verbose_name = _("relevé d'appel")
        verbose_name_plural = _("relevés d'appel")
        constraints = [
            models.UniqueConstraint(fields=["roll_call", "pupil"], name="roll_call_entry_unique"),
            models.CheckConstraint(
                condition=~Q(mark="late") | Q(minutes_late__isnull=False),
                name="roll_call_entry_late_has_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.mark}"


class AbsenceKind(models.TextChoices):
    ABSENCE = "absence", _("Absence")
    LATENESS = "lateness", _("Retard")


class AbsenceState(models.TextChoices):
    UNJUSTIFIED = "unjustified", _("Non justifiée")
    PENDING = "pending", _("Justification à examiner")
    ACCEPTED = "accepted", _("Justifiée")
    REJECTED = "rejected", _("Justification refusée")


# attendance.md: every state but "accepted" counts as unjustified.
UNJUSTIFIED_STATES = frozenset(
    {AbsenceState.UNJUSTIFIED, AbsenceState.PENDING, AbsenceState.REJECTED}
)


class AbsenceSource(models.TextChoices):
    ROLL_CALL = "roll_call", _("Appel")
    DESK = "desk", _("Vie scolaire")
    FAMILY = "family", _("Famille")
    IMPORT = "import", _("Import")


class Absence(models.Model):
    """An absence over a period (a course, half a day, several days) or a lateness,
    with its reason and state (layer 2). Never deleted: `voided_at` withdraws it (a roll
    call corrected to present, an entry made by mistake), and `AbsenceChange` keeps every
    state it went through. `version` increases with every write: two people editing it
    at once cannot overwrite each other unknowingly."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="absences"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="absences")
    kind = models.CharField(
        _("nature"), max_length=10, choices=AbsenceKind.choices, default=AbsenceKind.ABSENCE
    )
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    minutes_late = models.PositiveSmallIntegerField(_("minutes de retard"), null=True, blank=True)
    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.SET_NULL, null=True, blank=True, related_name="absences"
    )
    roll_call_entry = models.OneToOneField(
        RollCallEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="absence",
    )
    source = models.CharField(_("origine"), max_length=10, choices=AbsenceSource.choices)
    state = models.CharField(
        _("état"), max_length=12, choices=AbsenceState.choices, default=AbsenceState.UNJUSTIFIED
    )
    reason = models.ForeignKey(
        AbsenceReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    family_comment = models.TextField(_("explication de la famille"), blank=True)
    staff_comment = models.TextField(_("commentaire de la vie scolaire"), blank=True)
    document = models.FileField(_("justificatif"), upload_to="justificatifs/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("saisie le"))
    updated_at = models.DateTimeField(_("modifiée le"))
    voided_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    voided_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("absence ou retard")
        verbose_name_plural = _("absences et retards")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="absence_ends"),
        ]
        indexes = [
            models.Index(fields=["establishment", "start"]),
            models.Index(fields=["pupil", "start"]),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.kind} {self.start:%Y-%m-%d %H:%M}"

    @property
    def counts_as_unjustified(self) -> bool:
        return self.state in UNJUSTIFIED_STATES


class AbsenceChange(models.Model):
    """One state an absence stood in from `at` on: its whole processed content, so that
    the L131-8 list can be computed as of any date, and who made the change."""

    absence = models.ForeignKey(Absence, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(_("le"))
    actor = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    kind = models.CharField(max_length=10, choices=AbsenceKind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    state = models.CharField(max_length=12, choices=AbsenceState.choices)
    reason = models.ForeignKey(
        AbsenceReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voided = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("état d'une absence")
        verbose_name_plural = _("historique des absences")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["absence", "at"])]

    def __str__(self) -> str:
        return f"{self.absence_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class EventKind(models.TextChoices):
    """Events under the school's responsibility: never absences (attendance.md)."""

    INFIRMARY = "infirmary", _("Passage à l'infirmerie")
    EXCLUSION = "exclusion", _("Exclusion de cours")
    TRIP = "trip", _("Sortie ou voyage scolaire")
    EXEMPTION = "exemption", _("Dispense")
    OTHER = "other", _("Autre activité sous la responsabilité de l'établissement")


class SchoolEvent(models.Model):
    """An infirmary visit, an exclusion from a course, a school trip, an exemption:
    the pupil is not in the course but under the school's responsibility."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="school_events"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="school_events")
    kind = models.CharField(_("nature"), max_length=10, choices=EventKind.choices)
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    roll_call_entry = models.OneToOneField(
        RollCallEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="event"
    )
    subject = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Pour une dispense : la discipline dont l'élève est dispensé."),
    )
    attendance_required = models.BooleanField(
        _("présence en cours exigée"),
        default=True,
        help_text=_("Pour une dispense : l'élève reste en cours (sinon il est attendu ailleurs)."),
    )
    note = models.CharField(_("précision"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("saisi le"))
    voided_at = models.DateTimeField(_("annulé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement de vie scolaire")
        verbose_name_plural = _("événements de vie scolaire")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="school_event_ends"
            ),
        ]
        indexes = [models.Index(fields=["establishment", "start"])]

    def __str__(self) -> str:
        return f"{self.pupil} {self.kind} {self.start:%Y-%m-%d}"


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    SPACE = "space", _("Espace famille")


class AbsenceNotice(models.Model):
    """A notice of an absence or lateness to one legal guardian: one row per absence and
    guardian, so that both guardians are told and nobody is told twice. A notice of the
    vie scolaire's decision on a justification names that decision (`decision`): one row
    per decision and guardian, since an absence may be decided more than once (rejected,
    justified again, accepted)."""

    absence = models.ForeignKey(Absence, on_delete=models.CASCADE, related_name="notices")
    guardian = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=NoticeChannel.choices)
    decision = models.ForeignKey(
        AbsenceChange,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
        help_text=_("La décision dont l'avis informe ; vide pour l'avis de l'absence."),
    )
    queued_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text=_("Après les heures de silence si non urgent."))
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("avis d'absence")
        verbose_name_plural = _("avis d'absence")
        constraints = [
            models.UniqueConstraint(
                fields=["absence", "guardian", "channel"],
                condition=Q(decision__isnull=True),
                name="absence_notice_unique",
            ),
            models.UniqueConstraint(
                fields=["decision", "guardian", "channel"],
                condition=Q(decision__isnull=False),
                name="absence_notice_decision_unique",
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.absence_id} → {self.guardian_id}"


class FollowUpKind(models.TextChoices):
    FAMILY_LETTER = "family_letter", _("Courrier à la famille")
    REFERRAL = "referral", _("Signalement à la DASEN")
    MEETING = "meeting", _("Entretien avec la famille")


class FollowUp(models.Model):
    """A step of the legal follow-up of a pupil's absenteeism for a month: the letter to
    the family, the referral to the DASEN (L131-8), a meeting. The record of when it was
    made, by whom, and the figures it was made on."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="attendance_follow_ups"
    )
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois concerné."))
    kind = models.CharField(_("démarche"), max_length=20, choices=FollowUpKind.choices)
    made_at = models.DateTimeField(_("faite le"))
    made_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    half_days = models.PositiveSmallIntegerField(_("demi-journées d'absence"))
    unjustified_half_days = models.PositiveSmallIntegerField(_("demi-journées non justifiées"))
    note = models.TextField(_("observations"), blank=True)

    class Meta:
        verbose_name = _("suivi de l'absentéisme")
        verbose_name_plural = _("suivis de l'absentéisme")
        ordering = ["-made_at"]
        indexes = [models.Index(fields=["establishment", "month"])]

    def __str__(self) -> str:
        return f"{self.pupil} {self.kind} {self.month:%Y-%m}"
