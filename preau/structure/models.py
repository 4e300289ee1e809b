"""How an establishment organises its pupils for teaching: divisions, class parts,
groups that may draw on several divisions, subjects, and teaching services.

Memberships are dated: a pupil who changes division mid-year belongs to the old one
until the day before the change and to the new one from that day (timetable.md §6).
"""

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, PeriodScheme, Person, SchoolYear


class Level(models.TextChoices):
    """The year of study of a division, in the order of schooling."""

    SIXIEME = "6E", _("6e")
    CINQUIEME = "5E", _("5e")
    QUATRIEME = "4E", _("4e")
    TROISIEME = "3E", _("3e")
    SECONDE = "2NDE", _("2de")
    PREMIERE = "1RE", _("1re")
    TERMINALE = "TLE", _("Terminale")
    CAP1 = "CAP1", _("1re année de CAP")
    CAP2 = "CAP2", _("2e année de CAP")
    SECONDE_PRO = "2NDE_PRO", _("2de professionnelle")
    PREMIERE_PRO = "1RE_PRO", _("1re professionnelle")
    TERMINALE_PRO = "TLE_PRO", _("Terminale professionnelle")
    OTHER = "OTHER", _("Autre")


LEVEL_ORDER = {value: index for index, value in enumerate(Level.values)}


def in_force_on(day: date, *, prefix: str = "", school_year: str) -> Q:
    """A dated membership in force on `day`: started, not ended (an open end is allowed),
    and within the school year of what it is a membership of, so that an enrolment left
    open never carries over into the next year."""
    return Q(
        **{
            f"{prefix}start_date__lte": day,
            f"{prefix}{school_year}__start_date__lte": day,
            f"{prefix}{school_year}__end_date__gte": day,
        }
    ) & (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day}))


class DatedQuerySet(models.QuerySet):
    def on(self, day: date) -> "DatedQuerySet":
        """Rows in force on `day` (see `in_force_on`)."""
        return self.filter(in_force_on(day, school_year=self.model.SCHOOL_YEAR))


class Division(models.Model):
    """A class in the administrative sense (3A, 2de 4): every pupil belongs to one."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="divisions"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="divisions")
    name = models.CharField(_("nom"), max_length=40)
    level = models.CharField(_("niveau"), max_length=10, choices=Level.choices)
    mef_code = models.CharField(_("code MEF"), max_length=11, blank=True)
    period_scheme = models.CharField(
        _("périodes de notation"),
        max_length=12,
        choices=PeriodScheme.choices,
        default=PeriodScheme.TRIMESTERS,
    )
    head_teachers = models.ManyToManyField(
        Person,
        blank=True,
        related_name="head_of_divisions",
        verbose_name=_("professeurs principaux"),
    )

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "name"], name="division_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ClassPart(models.Model):
    """A subset of one division (half-class, LV2 choice), from which groups are built."""

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="class_parts")
    name = models.CharField(_("nom"), max_length=60)

    class Meta:
        verbose_name = _("partie de classe")
        verbose_name_plural = _("parties de classe")
        ordering = ["division", "name"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="class_part_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.division.name} — {self.name}"


class Group(models.Model):
    """A teaching group. Its pupils are those of its class parts and whole divisions,
    plus pupils listed directly, each on the dates of their membership."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="groups"
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("nom"), max_length=60)
    class_parts = models.ManyToManyField(
        ClassPart, blank=True, related_name="groups", verbose_name=_("parties de classe")
    )
    divisions = models.ManyToManyField(
        Division, blank=True, related_name="groups", verbose_name=_("divisions entières")
    )

    class Meta:
        verbose_name = _("groupe")
        verbose_name_plural = _("groupes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "name"], name="group_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """A pupil's membership of a division, between two dates."""

    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrolments")
    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="enrolments")
    start_date = models.DateField(_("entrée"))
    end_date = models.DateField(_("sortie"), null=True, blank=True)

    objects = DatedQuerySet.as_manager()
    SCHOOL_YEAR = "division__school_year"

    class Meta:
        verbose_name = _("inscription en division")
        verbose_name_plural = _("inscriptions en division")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="enrolment_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["division", "start_date"])]

    def __str__(self) -> str:
        return f"{self.pupil} — {self.division} ({self.start_date:%d/%m/%Y})"


class ClassPartMembership(models.Model):
    pupil = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="class_part_memberships"
    )
    class_part = models.ForeignKey(ClassPart, on_delete=models.CASCADE, related_name="memberships")
    start_date = models.DateField(_("entrée"))
    end_date = models.DateField(_("sortie"), null=True, blank=True)

    objects = DatedQuerySet.as_manager()
    SCHOOL_YEAR = "class_part__division__school_year"

    class Meta:
        verbose_name = _("appartenance à une partie de classe")
        verbose_name_plural = _("appartenances à une partie de classe")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="class_part_membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} — {self.class_part}"


class GroupMembership(models.Model):
    """A pupil listed directly in a group, outside any class part or division."""

    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="group_memberships")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    start_date = models.DateField(_("entrée"))
    end_date = models.DateField(_("sortie"), null=True, blank=True)

    objects = DatedQuerySet.as_manager()
    SCHOOL_YEAR = "group__school_year"

    class Meta:
        verbose_name = _("membre d'un groupe")
        verbose_name_plural = _("membres d'un groupe")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="group_membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} — {self.group}"


class Subject(models.Model):
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="subjects"
    )
    code = models.CharField(
        _("code"), max_length=20, help_text=_("Code de gestion, par exemple MATHS")
    )
    national_code = models.CharField(
        _("code national"), max_length=6, blank=True, help_text=_("Code matière BCN à 6 chiffres")
    )
    label = models.CharField(_("libellé"), max_length=100)
    short_label = models.CharField(_("libellé court"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("matière")
        verbose_name_plural = _("matières")
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["establishment", "code"], name="subject_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class TeachingService(models.Model):
    """A subject taught to a division or a group by one or more teachers: the unit to
    which evaluations, homework and roll calls attach."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="teaching_services"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.CASCADE, related_name="teaching_services"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="services")
    division = models.ForeignKey(
        Division, on_delete=models.CASCADE, null=True, blank=True, related_name="services"
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="services"
    )
    teachers = models.ManyToManyField(
        Person, related_name="teaching_services", verbose_name=_("enseignants")
    )
    weekly_hours = models.DecimalField(
        _("heures hebdomadaires"), max_digits=4, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("service d'enseignement")
        verbose_name_plural = _("services d'enseignement")
        constraints = [
            models.CheckConstraint(
                condition=(Q(division__isnull=False) & Q(group__isnull=True))
                | (Q(division__isnull=True) & Q(group__isnull=False)),
                name="service_division_xor_group",
            ),
            models.UniqueConstraint(
                fields=["subject", "division"],
                condition=Q(division__isnull=False),
                name="service_unique_per_division",
            ),
            models.UniqueConstraint(
                fields=["subject", "group"],
                condition=Q(group__isnull=False),
                name="service_unique_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} — {self.audience_name}"

    @property
    def audience_name(self) -> str:
        return self.division.name if self.division_id else self.group.name
