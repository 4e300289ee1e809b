"""Timetables: rooms, import runs, versions, the annual courses of each version and
their dated occurrences.

An occurrence (séance) outlives versions: re-importing a newer export keeps the rows
of the occurrences that still exist (so that roll calls and homework stay attached),
creates the new ones and marks the others as withdrawn, never deleting anything.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, Person, SchoolYear
from preau.structure.models import ClassPart, Division, Group, Subject


class Room(models.Model):
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("nom"), max_length=60)

    class Meta:
        verbose_name = _("salle")
        verbose_name_plural = _("salles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["establishment", "name"], name="room_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportFormat(models.TextChoices):
    EDT = "edt", _("EDT (Index Éducation)")
    FET = "fet", _("FET")
    STS = "sts", _("STS-Web (emp_sts)")
    UDT = "udt", _("UnDeuxTemps")
    DEMO = "demo", _("Démonstration")


class ImportRun(models.Model):
    """One import of a timetable file, previewed or applied, with its report."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("aperçu")
        APPLIED = "applied", _("appliqué")

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="timetable_imports"
    )
    format = models.CharField(_("format"), max_length=8, choices=ImportFormat.choices)
    file_name = models.CharField(_("fichier"), max_length=255)
    file_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    seconds = models.FloatField(_("durée (s)"), default=0)
    report = models.JSONField(_("rapport"), default=dict)

    class Meta:
        verbose_name = _("import d'emploi du temps")
        verbose_name_plural = _("imports d'emploi du temps")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} — {self.file_name} ({self.started_at:%d/%m/%Y %H:%M})"


class TimetableVersion(models.Model):
    """The timetable of a school year as one import gave it."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="timetable_versions"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.CASCADE, related_name="timetable_versions"
    )
    number = models.PositiveIntegerField(_("version"))
    import_run = models.OneToOneField(
        ImportRun, on_delete=models.PROTECT, related_name="version", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(_("en vigueur"), default=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("version d'emploi du temps")
        verbose_name_plural = _("versions d'emploi du temps")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "school_year", "number"], name="version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["establishment", "school_year"],
                condition=Q(is_current=True),
                name="one_current_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_year} v{self.number}"


class Course(models.Model):
    """One placed item of the annual timetable of a version (cours)."""

    version = models.ForeignKey(TimetableVersion, on_delete=models.CASCADE, related_name="courses")
    source_key = models.CharField(_("clé dans la source"), max_length=64)
    weekday = models.PositiveSmallIntegerField(_("jour"))  # 1 = Monday
    start_time = models.TimeField(_("début"))
    end_time = models.TimeField(_("fin"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True)
    provenance = models.JSONField(_("provenance"), default=dict)

    class Meta:
        verbose_name = _("cours")
        verbose_name_plural = _("cours")
        constraints = [
            models.UniqueConstraint(fields=["version", "source_key"], name="course_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or '—'} ({self.weekday}, {self.start_time:%H:%M})"


class OccurrenceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("prévu")
    CANCELLED = "cancelled", _("annulé")
    TEACHER_ABSENT = "teacher_absent", _("enseignant absent")
    ROOM_CHANGED = "room_changed", _("changement de salle")
    MOVED = "moved", _("déplacé")
    REPLACED = "replaced", _("remplacé")
    EXCEPTIONAL = "exceptional", _("exceptionnel")


# Statuses under which the occurrence does not take place as planned.
NOT_HELD = frozenset(
    {OccurrenceStatus.CANCELLED, OccurrenceStatus.MOVED, OccurrenceStatus.REPLACED}
)


class Occurrence(models.Model):
    """A dated session (séance) of a course, or an exceptional session added by staff."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="occurrences"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    # Stable across versions and exports: the source course and the date.
    uid = models.CharField(_("identifiant"), max_length=80)
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences"
    )
    first_version = models.ForeignKey(
        TimetableVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_in = models.ForeignKey(
        TimetableVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="withdrawn_occurrences",
        help_text=_("La version à partir de laquelle la source ne contient plus cette séance."),
    )
    date = models.DateField(_("date"))
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True)
    label = models.CharField(_("intitulé"), max_length=120, blank=True)
    status = models.CharField(
        _("état"),
        max_length=16,
        choices=OccurrenceStatus.choices,
        default=OccurrenceStatus.SCHEDULED,
    )
    note = models.CharField(_("précision"), max_length=255, blank=True)
    # The source itself cancels this week (EDT SemainesAnnulation), as opposed to staff.
    cancelled_in_source = models.BooleanField(default=False)
    # The occurrence this one was moved from or replaces.
    origin = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="successors"
    )
    teachers = models.ManyToManyField(
        Person, through="OccurrenceTeacher", related_name="taught_occurrences"
    )
    rooms = models.ManyToManyField(Room, through="OccurrenceRoom", related_name="occurrences")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["establishment", "uid"], name="occurrence_uid_unique"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="occurrence_ends"),
        ]
        indexes = [
            models.Index(fields=["establishment", "date"]),
            models.Index(fields=["date", "start"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.label} {self.start:%d/%m/%Y %H:%M}"

    @property
    def is_held(self) -> bool:
        return self.status not in NOT_HELD

    @property
    def title(self) -> str:
        """What pages and calendars call the session: its subject, else its label."""
        if self.subject_id:
            return self.subject.label
        return self.label or str(_("Séance"))


class OccurrenceTeacher(models.Model):
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "person"], name="occurrence_teacher_once"
            ),
        ]
        indexes = [models.Index(fields=["person", "occurrence"])]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.occurrence_id}"


class OccurrenceRoom(models.Model):
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "room"], name="occurrence_room_once"),
        ]
        indexes = [models.Index(fields=["room", "occurrence"])]

    def __str__(self) -> str:
        return f"{self.room_id} → {self.occurrence_id}"


class OccurrenceAudience(models.Model):
    """One unit of who is expected (timetable.md §6): a whole division, a group, a
    class part or a pupil. Exactly one of the four is set."""

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="audience")
    division = models.ForeignKey(Division, on_delete=models.CASCADE, null=True, blank=True)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True)
    class_part = models.ForeignKey(ClassPart, on_delete=models.CASCADE, null=True, blank=True)
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        division__isnull=False,
                        group__isnull=True,
                        class_part__isnull=True,
                        pupil__isnull=True,
                    )
                    | Q(
                        division__isnull=True,
                        group__isnull=False,
                        class_part__isnull=True,
                        pupil__isnull=True,
                    )
                    | Q(
                        division__isnull=True,
                        group__isnull=True,
                        class_part__isnull=False,
                        pupil__isnull=True,
                    )
                    | Q(
                        division__isnull=True,
                        group__isnull=True,
                        class_part__isnull=True,
                        pupil__isnull=False,
                    )
                ),
                name="audience_one_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["division", "occurrence"]),
            models.Index(fields=["group", "occurrence"]),
            models.Index(fields=["class_part", "occurrence"]),
            models.Index(fields=["pupil", "occurrence"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        unit = self.division or self.group or self.class_part or self.pupil
        return str(unit)


class CalendarToken(models.Model):
    """A private, revocable address at which a person's phone calendar subscribes to
    their timetable (or a guardian's to a child's)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="calendar_tokens")
    subject_person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Celui dont l'emploi du temps est publié (soi-même ou un enfant)."),
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement d'agenda")
        verbose_name_plural = _("abonnements d'agenda")

    def __str__(self) -> str:
        return f"{self.person} → {self.subject_person}"
