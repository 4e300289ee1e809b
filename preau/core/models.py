"""Establishments, their calendar, and the people who belong to them.

A person exists once, whatever the number of establishments and roles: a teacher in
a collège who is also the parent of a lycéen is one `Person` with a teacher role in
one establishment and guardianship links to a pupil of another.
"""

from datetime import date

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from preau.core import calendar
from preau.core.domain import ACADEMIES, UAI_PATTERN, age_on, is_adult_on


class EstablishmentKind(models.TextChoices):
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée général et technologique")
    LYCEE_PRO = "lycee_pro", _("Lycée professionnel")
    CITE_SCOLAIRE = "cite_scolaire", _("Cité scolaire")


class HolidayZone(models.TextChoices):
    A = "A", _("Zone A")
    B = "B", _("Zone B")
    C = "C", _("Zone C")
    OTHER = "other", _("Calendrier propre (Corse, outre-mer)")


class PublicHolidayCalendar(models.TextChoices):
    METROPOLE = "metropole", _("Métropole")
    ALSACE_MOSELLE = "alsace_moselle", _("Alsace-Moselle (Vendredi saint, Saint-Étienne)")
    GUADELOUPE = "guadeloupe", _("Guadeloupe")
    MARTINIQUE = "martinique", _("Martinique")
    GUYANE = "guyane", _("Guyane")
    REUNION = "reunion", _("La Réunion")
    MAYOTTE = "mayotte", _("Mayotte")


class Establishment(models.Model):
    uai = models.CharField(
        _("UAI"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(UAI_PATTERN, _("Un UAI s'écrit 7 chiffres et une lettre."))],
        help_text=_("Unité administrative immatriculée (ex-RNE), par exemple 0573456J."),
    )
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=EstablishmentKind.choices)
    academy = models.CharField(
        _("académie"),
        max_length=30,
        choices=[(academy.code, academy.name) for academy in ACADEMIES],
    )
    holiday_zone = models.CharField(
        _("zone de vacances"), max_length=10, choices=HolidayZone.choices
    )
    public_holidays = models.CharField(
        _("jours fériés"),
        max_length=20,
        choices=PublicHolidayCalendar.choices,
        default=PublicHolidayCalendar.METROPOLE,
    )
    saturday_classes = models.BooleanField(_("cours le samedi"), default=False)
    timezone = models.CharField(_("fuseau horaire"), max_length=40, default="Europe/Paris")
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holiday_zone__in=HolidayZone.values), name="establishment_zone_known"
            ),
            models.CheckConstraint(
                condition=Q(public_holidays__in=PublicHolidayCalendar.values),
                name="establishment_public_holidays_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"

    def calendar_rules(self, closures=()) -> calendar.CalendarRules:
        return calendar.CalendarRules(
            holiday_zone=self.holiday_zone,
            public_calendar=self.public_holidays,
            saturday_classes=self.saturday_classes,
            closures=tuple(closures),
        )

    def school_calendar_rules(self) -> calendar.CalendarRules:
        """The national calendar with the establishment's own closures: the days it
        actually teaches (one query)."""
        return self.calendar_rules(closures=[closure.as_rule() for closure in self.closures.all()])


class Closure(models.Model):
    """Days on which an establishment does not teach beyond the national calendar: a
    "pont", exam days, or every holiday where no national calendar applies."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="closures"
    )
    start_date = models.DateField(_("premier jour"))
    end_date = models.DateField(_("dernier jour"))
    label = models.CharField(_("motif"), max_length=120)

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="closure_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y})"

    def as_rule(self) -> calendar.Closure:
        return calendar.Closure(self.start_date, self.end_date, self.label)


class SchoolYear(models.Model):
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="school_years"
    )
    label = models.CharField(_("année scolaire"), max_length=9, help_text="2026-2027")
    start_date = models.DateField(_("rentrée"))
    end_date = models.DateField(_("fin des cours"))

    class Meta:
        verbose_name = _("année scolaire")
        verbose_name_plural = _("années scolaires")
        ordering = ["establishment", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "label"], name="school_year_label_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="school_year_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def contains(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class PeriodScheme(models.TextChoices):
    TRIMESTERS = "trimesters", _("Trimestres")
    SEMESTERS = "semesters", _("Semestres")
    YEAR = "year", _("Année")


class GradingPeriod(models.Model):
    """A trimester, a semester or the whole year; each division follows one scheme."""

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="periods")
    scheme = models.CharField(_("découpage"), max_length=12, choices=PeriodScheme.choices)
    number = models.PositiveSmallIntegerField(_("numéro"))
    label = models.CharField(_("libellé"), max_length=40)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))

    class Meta:
        verbose_name = _("période de notation")
        verbose_name_plural = _("périodes de notation")
        ordering = ["school_year", "scheme", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "scheme", "number"], name="grading_period_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")),
                name="grading_period_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Civility(models.TextChoices):
    MR = "M", _("M.")
    MRS = "MME", _("Mme")


class Person(models.Model):
    """A human being known to Préau: pupil, guardian, teacher or staff member, or
    several of these at once. Signing in is the business of `accounts.Account`."""

    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices, blank=True)
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    birth_last_name = models.CharField(_("nom de naissance"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    mobile_phone = models.CharField(_("téléphone portable"), max_length=30, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=60, blank=True, default="France")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return self.sort_name

    @property
    def display_name(self) -> str:
        """How the person is greeted: "Camille Martin"."""
        return f"{self.first_name} {self.last_name}"

    @property
    def sort_name(self) -> str:
        """How lists show the person, sorted by name: "MARTIN Camille"."""
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def formal_name(self) -> str:
        """How letters address the person: "Mme Camille MARTIN"."""
        name = f"{self.first_name} {self.last_name.upper()}"
        return f"{self.get_civility_display()} {name}" if self.civility else name

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}{self.last_name[:1]}".upper()

    def age_on(self, day: date) -> int | None:
        return age_on(self.birth_date, day) if self.birth_date else None

    def is_adult_on(self, day: date) -> bool:
        return is_adult_on(self.birth_date, day)


class IdentifierSource(models.TextChoices):
    """Where an identifier comes from; `REF`s in commands are written `source:value`."""

    EDT = "edt", _("EDT (Index Éducation)")
    INE = "ine", _("INE (identifiant national élève)")
    SIECLE = "siecle", _("SIECLE")
    STS = "sts", _("STS-Web")
    FET = "fet", _("FET")
    UDT = "udt", _("UnDeuxTemps")
    AAF = "aaf", _("Annuaire (AAF)")
    EDUCONNECT = "educonnect", _("ÉduConnect")


# National identifiers mean the same person in every establishment; the others are
# only unique within the export of one establishment.
NATIONAL_SOURCES = frozenset(
    {IdentifierSource.INE, IdentifierSource.AAF, IdentifierSource.EDUCONNECT}
)


class IdentifiedAs(models.TextChoices):
    """What a source identifies: EDT numbers its teachers and its pupils separately, so
    `edt:10` may be a teacher and another person a pupil."""

    ANY = "", _("personne")
    PUPIL = "pupil", _("élève")
    TEACHER = "teacher", _("enseignant")
    GUARDIAN = "guardian", _("responsable")


class ExternalId(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="external_ids")
    source = models.CharField(_("source"), max_length=12, choices=IdentifierSource.choices)
    value = models.CharField(_("identifiant"), max_length=100)
    kind = models.CharField(
        _("identifie un"), max_length=10, choices=IdentifiedAs.choices, blank=True, default=""
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="external_ids",
        help_text=_("Vide pour un identifiant national (INE, annuaire, ÉduConnect)."),
    )

    class Meta:
        verbose_name = _("identifiant externe")
        verbose_name_plural = _("identifiants externes")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "value", "establishment"],
                condition=Q(establishment__isnull=False),
                name="external_id_unique_in_establishment",
            ),
            models.UniqueConstraint(
                fields=["source", "kind", "value"],
                condition=Q(establishment__isnull=True),
                name="external_id_unique_nationally",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.value}"


class RoleKind(models.TextChoices):
    PUPIL = "pupil", _("Élève")
    TEACHER = "teacher", _("Enseignant")
    CPE = "cpe", _("Conseiller principal d'éducation")
    EDUCATION_ASSISTANT = "education_assistant", _("Assistant d'éducation")
    DIRECTION = "direction", _("Direction")
    SECRETARIAT = "secretariat", _("Secrétariat")
    REGION_ADMIN = "region_admin", _("Administrateur académique ou régional")


STAFF_ROLES = frozenset(
    {
        RoleKind.TEACHER,
        RoleKind.CPE,
        RoleKind.EDUCATION_ASSISTANT,
        RoleKind.DIRECTION,
        RoleKind.SECRETARIAT,
    }
)
VIE_SCOLAIRE_ROLES = frozenset({RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT})


class RoleQuerySet(models.QuerySet):
    def current(self, day: date) -> "RoleQuerySet":
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
        )


class Role(models.Model):
    """What a person is in an establishment. Guardians hold no role row: being a
    guardian follows from `Guardianship` links to the establishment's pupils."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    kind = models.CharField(_("rôle"), max_length=24, choices=RoleKind.choices)
    title = models.CharField(
        _("fonction"),
        max_length=100,
        blank=True,
        help_text=_("Par exemple « Principale adjointe »"),
    )
    start_date = models.DateField(_("depuis le"), null=True, blank=True)
    end_date = models.DateField(_("jusqu'au"), null=True, blank=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "establishment", "kind"], name="role_unique_per_establishment"
            ),
            models.CheckConstraint(
                condition=Q(kind=RoleKind.REGION_ADMIN) | Q(establishment__isnull=False),
                name="role_needs_establishment",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="role_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["establishment", "kind"])]

    def __str__(self) -> str:
        where = self.establishment.name if self.establishment_id else _("toute la région")
        return f"{self.person} — {self.get_kind_display()} — {where}"


class ResponsibilityLevel(models.IntegerChoices):
    """SIECLE `NIVEAU_RESPONSABILITE`."""

    LEGAL = 1, _("Représentant légal")
    IN_CHARGE = 2, _("Personne en charge de l'élève")
    CONTACT = 3, _("Contact")


class Relationship(models.TextChoices):
    """SIECLE `CODE_PARENTE` (nomenclature LIENS_PARENTE)."""

    MOTHER = "10", _("Mère")
    FATHER = "20", _("Père")
    SIBLING = "37", _("Fratrie")
    ASCENDANT = "38", _("Ascendant")
    OTHER_FAMILY = "39", _("Autre membre de la famille")
    EDUCATOR = "41", _("Éducateur")
    FOSTER_CARER = "42", _("Assistant familial")
    TUTOR = "50", _("Tuteur")
    CHILD_WELFARE = "51", _("Aide sociale à l'enfance")
    PUPIL_SELF = "70", _("Élève lui-même")
    OTHER = "90", _("Autre lien")


class GuardianshipQuerySet(models.QuerySet):
    def legal(self) -> "GuardianshipQuerySet":
        return self.filter(level=ResponsibilityLevel.LEGAL)


class Guardianship(models.Model):
    """The link between a pupil and a responsible adult, as SIECLE gives it."""

    guardian = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="wards")
    pupil = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="guardianships")
    level = models.PositiveSmallIntegerField(
        _("niveau de responsabilité"),
        choices=ResponsibilityLevel.choices,
        default=ResponsibilityLevel.LEGAL,
    )
    relationship = models.CharField(
        _("lien de parenté"), max_length=2, choices=Relationship.choices, default=Relationship.OTHER
    )
    parental_authority = models.BooleanField(_("autorité parentale"), default=True)
    receives_mail = models.BooleanField(_("reçoit le courrier"), default=True)
    adult_objection_at = models.DateTimeField(
        _("opposition de l'élève majeur"),
        null=True,
        blank=True,
        help_text=_(
            "Date à laquelle l'élève majeur s'est opposé à ce que ce responsable voie "
            "ses notes et bulletins. Les absences restent visibles."
        ),
    )

    objects = GuardianshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsable")
        verbose_name_plural = _("responsables")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "pupil"], name="guardianship_unique"),
            models.CheckConstraint(
                condition=~Q(guardian=models.F("pupil")), name="guardianship_not_self"
            ),
            models.CheckConstraint(condition=Q(level__in=[1, 2, 3]), name="guardianship_level"),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.pupil} ({self.get_level_display()})"

    @property
    def is_legal(self) -> bool:
        return self.level == ResponsibilityLevel.LEGAL
