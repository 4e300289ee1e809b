"""Evaluations, marks and their history, subject coefficients, sealed periods,
appraisals and issued report cards (grades.md)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, GradingPeriod, Person, SchoolYear
from preau.grades import engine
from preau.structure.models import Division, Level, Subject, TeachingService


class RoundingMode(models.TextChoices):
    NEAREST = engine.RoundingMode.NEAREST.value, _("au plus proche")
    UP = engine.RoundingMode.UP.value, _("au supérieur")


class RoundingStep(models.TextChoices):
    HUNDREDTH = "0.01", _("au centième (0,01)")
    TENTH = "0.1", _("au dixième (0,1)")
    HALF = "0.5", _("au demi-point (0,5)")
    UNIT = "1", _("au point (1)")


class GradesPolicy(models.Model):
    """The establishment's settings for grades (one row, the defaults until saved)."""

    establishment = models.OneToOneField(
        Establishment, on_delete=models.CASCADE, related_name="grades_policy"
    )
    rounding_step = models.CharField(
        _("arrondi des moyennes"), max_length=4, choices=RoundingStep.choices, default="0.01"
    )
    rounding_mode = models.CharField(
        _("sens de l'arrondi"),
        max_length=8,
        choices=RoundingMode.choices,
        default=RoundingMode.NEAREST,
    )
    parent_delay_days = models.PositiveSmallIntegerField(
        _("délai de publication aux responsables (jours)"),
        default=0,
        validators=[MaxValueValidator(30)],
        help_text=_("Les responsables voient les notes ce nombre de jours après les élèves."),
    )
    appraisal_max_length = models.PositiveSmallIntegerField(
        _("longueur maximale des appréciations (caractères)"),
        default=400,
        validators=[MinValueValidator(50), MaxValueValidator(2000)],
    )
    # access.md: levels 2 and 3 see no grades unless the establishment enables it.
    contacts_see_grades = models.BooleanField(
        _("les personnes en charge et les contacts (niveaux 2 et 3) voient les notes"),
        default=False,
    )

    class Meta:
        verbose_name = _("réglages des notes")
        verbose_name_plural = _("réglages des notes")

    def __str__(self) -> str:
        return f"{self.establishment}"

    @property
    def rounding(self) -> engine.Rounding:
        return engine.Rounding(Decimal(self.rounding_step), engine.RoundingMode(self.rounding_mode))


class SubSubject(models.Model):
    """A part of a service with its own average (écrit / oral, histoire / géographie)."""

    service = models.ForeignKey(
        TeachingService, on_delete=models.CASCADE, related_name="sub_subjects"
    )
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("libellé"), max_length=60)
    coefficient = models.DecimalField(
        _("coefficient"),
        max_digits=4,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(0), MaxValueValidator(99)],
    )

    class Meta:
        verbose_name = _("sous-matière")
        verbose_name_plural = _("sous-matières")
        ordering = ["service", "code"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="sub_subject_unique"),
            models.CheckConstraint(
                condition=Q(coefficient__gte=0) & Q(coefficient__lte=99),
                name="sub_subject_coefficient_range",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class SubjectCoefficient(models.Model):
    """The weight of a subject in the general average, for one division or one level,
    for one period or (period empty) every period. The most precise row wins:
    division and period, division, level and period, level; else 1."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="subject_coefficients"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.CASCADE, related_name="subject_coefficients"
    )
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="coefficients")
    division = models.ForeignKey(
        Division, on_delete=models.CASCADE, null=True, blank=True, related_name="coefficients"
    )
    level = models.CharField(_("niveau"), max_length=10, choices=Level.choices, blank=True)
    period = models.ForeignKey(
        GradingPeriod, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    coefficient = models.DecimalField(
        _("coefficient"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
    )

    class Meta:
        verbose_name = _("coefficient de matière")
        verbose_name_plural = _("coefficients de matière")
        constraints = [
            models.CheckConstraint(
                condition=(Q(division__isnull=False) & Q(level=""))
                | (Q(division__isnull=True) & ~Q(level="")),
                name="subject_coefficient_division_xor_level",
            ),
            models.CheckConstraint(
                condition=Q(coefficient__gte=0) & Q(coefficient__lte=99),
                name="subject_coefficient_range",
            ),
            # One row per subject and division or level, per period or for all.
            models.UniqueConstraint(
                fields=["subject", "division", "period"],
                condition=Q(division__isnull=False, period__isnull=False),
                name="subject_coefficient_division_period",
            ),
            models.UniqueConstraint(
                fields=["subject", "division"],
                condition=Q(division__isnull=False, period__isnull=True),
                name="subject_coefficient_division",
            ),
            models.UniqueConstraint(
                fields=["school_year", "subject", "level", "period"],
                condition=Q(division__isnull=True, period__isnull=False),
                name="subject_coefficient_level_period",
            ),
            models.UniqueConstraint(
                fields=["school_year", "subject", "level"],
                condition=Q(division__isnull=True, period__isnull=True),
                name="subject_coefficient_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} × {self.coefficient}"


class EvaluationKind(models.TextChoices):
    NORMAL = engine.Kind.NORMAL.value, _("normal")
    OPTIONAL = engine.Kind.OPTIONAL.value, _("facultatif")
    BONUS = engine.Kind.BONUS.value, _("bonus")


class Evaluation(models.Model):
    """A devoir: marks of a service's pupils for one period."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="evaluations"
    )
    service = models.ForeignKey(
        TeachingService, on_delete=models.CASCADE, related_name="evaluations"
    )
    period = models.ForeignKey(GradingPeriod, on_delete=models.PROTECT, related_name="evaluations")
    sub_subject = models.ForeignKey(
        SubSubject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("sous-matière"),
    )
    title = models.CharField(_("intitulé"), max_length=200)
    date = models.DateField(_("date"))
    scale = models.DecimalField(
        _("noté sur"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(20),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    coefficient = models.DecimalField(
        _("coefficient"),
        max_digits=4,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(0), MaxValueValidator(99)],
    )
    bring_to_20 = models.BooleanField(_("ramener sur 20"), default=True)
    kind = models.CharField(
        _("type"), max_length=10, choices=EvaluationKind.choices, default=EvaluationKind.NORMAL
    )
    published_on = models.DateField(
        _("date de publication"),
        help_text=_(
            "Les élèves voient les notes à partir de cette date, les responsables après "
            "le délai de l'établissement."
        ),
    )
    created_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("devoir")
        verbose_name_plural = _("devoirs")
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["period", "service"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale__gt=0) & Q(scale__lte=100), name="evaluation_scale_range"
            ),
            models.CheckConstraint(
                condition=Q(coefficient__gte=0) & Q(coefficient__lte=99),
                name="evaluation_coefficient_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def as_engine(self) -> engine.Evaluation:
        return engine.Evaluation(
            id=self.pk,
            scale=engine.Fraction(self.scale),
            coefficient=engine.Fraction(self.coefficient),
            bring_to_20=self.bring_to_20,
            kind=engine.Kind(self.kind),
            subsubject=self.sub_subject_id,
        )


class MarkCode(models.TextChoices):
    ABS = "ABS", _("absent")
    DISP = "DISP", _("dispensé")
    NN = "NN", _("non noté")
    INAP = "INAP", _("inapte")
    NR = "NR", _("non rendu")
    ABS0 = "ABS0", _("absent, compté zéro")
    NR0 = "NR0", _("non rendu, compté zéro")


class Mark(models.Model):
    """A pupil's mark in an evaluation: a value or a code. `version` grows with each
    change, so that two teachers typing at once never overwrite each other unseen."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="marks")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="marks")
    value = models.DecimalField(_("note"), max_digits=5, decimal_places=2, null=True, blank=True)
    code = models.CharField(_("code"), max_length=4, choices=MarkCode.choices, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "pupil"], name="mark_unique"),
            models.CheckConstraint(
                condition=(Q(value__isnull=False) & Q(code=""))
                | (Q(value__isnull=True) & ~Q(code="")),
                name="mark_value_xor_code",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return self.code or engine.decimal_text(engine.Fraction(self.value))

    def as_engine(self) -> engine.Mark:
        if self.code:
            return engine.Mark(code=self.code)
        return engine.Mark(value=engine.Fraction(self.value))


class MarkChange(models.Model):
    """The trail of every mark: who typed what, when, over what (never deleted)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="changes")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    before = models.CharField(_("avant"), max_length=8, blank=True)
    after = models.CharField(_("après"), max_length=8, blank=True)
    actor = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    # A change in a sealed period (direction only).
    after_seal = models.BooleanField(default=False)
    source = models.CharField(max_length=20, default="grid")

    class Meta:
        verbose_name = _("modification de note")
        verbose_name_plural = _("modifications de notes")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["evaluation", "pupil"])]

    def __str__(self) -> str:
        return f"{self.before or '∅'} → {self.after or '∅'}"


class PeriodSeal(models.Model):
    """A division's period closed to mark changes (the direction may still correct,
    logged)."""

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="seals")
    period = models.ForeignKey(GradingPeriod, on_delete=models.CASCADE, related_name="seals")
    sealed_at = models.DateTimeField(auto_now_add=True)
    sealed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("période close")
        verbose_name_plural = _("périodes closes")
        constraints = [
            models.UniqueConstraint(fields=["division", "period"], name="period_seal_unique")
        ]

    def __str__(self) -> str:
        return f"{self.division} — {self.period}"


class AppraisalKind(models.TextChoices):
    SUBJECT = "subject", _("appréciation de l'enseignant")
    HEAD_TEACHER = "head_teacher", _("appréciation du professeur principal")
    COUNCIL = "council", _("avis du conseil de classe")


class Appraisal(models.Model):
    """A written appraisal of a pupil for a period: by the teacher of a service, the
    head teacher, or the conseil de classe."""

    period = models.ForeignKey(GradingPeriod, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="appraisals")
    kind = models.CharField(_("type"), max_length=12, choices=AppraisalKind.choices)
    service = models.ForeignKey(
        TeachingService, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("appréciation"))
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("appréciation")
        verbose_name_plural = _("appréciations")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "pupil", "service"],
                condition=Q(service__isnull=False),
                name="appraisal_unique_per_service",
            ),
            models.UniqueConstraint(
                fields=["period", "pupil", "kind"],
                condition=Q(service__isnull=True),
                name="appraisal_unique_per_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="subject") & Q(service__isnull=False))
                | (~Q(kind="subject") & Q(service__isnull=True)),
                name="appraisal_service_for_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class ReportCard(models.Model):
    """A report card as issued: the PDF kept as sent, shown in the spaces of the pupil
    and of the guardians who may see it. Issuing again adds a new one; the older
    stays, marked replaced."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="report_cards"
    )
    period = models.ForeignKey(GradingPeriod, on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="report_cards")
    document = models.FileField(_("bulletin"), upload_to="bulletins/%Y/")
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaced = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["pupil", "period"])]

    def __str__(self) -> str:
        return f"{self.pupil} — {self.period}"


class ReportCardNotice(models.Model):
    """The e-mail telling one guardian that a report card is in their space (never its
    content); one row per recipient, with its delivery."""

    report_card = models.ForeignKey(ReportCard, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("avis de bulletin")
        verbose_name_plural = _("avis de bulletin")
        constraints = [
            models.UniqueConstraint(
                fields=["report_card", "recipient"], name="report_card_notice_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_card} → {self.recipient}"
