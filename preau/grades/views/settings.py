"""The direction's grades settings ("Réglages"): how averages are rounded, when
guardians see marks, how long appraisals may be, whether contacts see grades
(`GradesPolicy`); the weight of each subject in the general average per level, and the
exceptions for a division or a period (`SubjectCoefficient`); the periods of the year
with the divisions that have sealed them (sealing itself belongs to the conseil de
classe page).

Open to the direction of the active establishment only; anybody else gets a logged
404. Every change goes through `services.policy_update` and
`services.subject_coefficient_set`, which check the permission again and audit it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.core.models import Establishment, GradingPeriod, PeriodScheme, SchoolYear
from preau.core.selectors import school_year_on, today
from preau.grades import services
from preau.grades.access import is_direction, policy_of
from preau.grades.models import GradesPolicy, PeriodSeal, SubjectCoefficient
from preau.grades.views.common import render_page
from preau.portal.access import staff_page
from preau.structure.models import (
    LEVEL_ORDER,
    Division,
    GroupMembership,
    Level,
    Subject,
    TeachingService,
)

settings_page = staff_page(is_direction)

POLICY_FIELDS = (
    "rounding_step",
    "rounding_mode",
    "parent_delay_days",
    "appraisal_max_length",
    "contacts_see_grades",
)
LEVEL_LABELS = dict(Level.choices)


def _plain(value: Decimal | None) -> Decimal | None:
    """1.50 → 1.5, 3.00 → 3 (as a person would write it)."""
    if value is None:
        return None
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def _coefficient_field(label: str, *, required: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(99),
        max_digits=4,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 4}),
        error_messages={
            "invalid": gettext_lazy("Un nombre, par exemple 2 ou 1,5."),
            "min_value": gettext_lazy("Le coefficient va de 0 à 99."),
            "max_value": gettext_lazy("Le coefficient va de 0 à 99."),
            "max_digits": gettext_lazy("Le coefficient va de 0 à 99."),
            "max_decimal_places": gettext_lazy("Au plus deux décimales."),
        },
    )


# -- Forms --------------------------------------------------------------------------------


class PolicyForm(forms.ModelForm):
    class Meta:
        model = GradesPolicy
        fields = POLICY_FIELDS
        widgets = {
            "rounding_mode": forms.RadioSelect,
            "parent_delay_days": forms.TextInput(attrs={"inputmode": "numeric"}),
            "appraisal_max_length": forms.TextInput(attrs={"inputmode": "numeric"}),
        }
        help_texts = {
            "rounding_step": gettext_lazy(
                "Les moyennes sont calculées exactement ; l'arrondi ne s'applique qu'à "
                "l'affichage et aux exports."
            ),
            "appraisal_max_length": gettext_lazy("Entre 50 et 2 000 caractères."),
        }

    def validate_unique(self):
        # The row is the establishment's own; the service saves it.
        pass


@dataclass(frozen=True)
class Cell:
    level: str
    field: forms.BoundField | None


@dataclass(frozen=True)
class Row:
    subject: Subject
    cells: list[Cell]


class CoefficientsForm(forms.Form):
    """One field per subject and level where it is taught: the level's coefficient for
    every period. Empty means the default (1) until a value is set."""

    def __init__(self, data=None, *, grid: "Grid"):
        super().__init__(data, prefix="coef")
        self.grid = grid
        for subject in grid.subjects:
            for level in grid.levels:
                if (subject.pk, level) not in grid.taught:
                    continue
                current = grid.current.get((subject.pk, level))
                name = self.name_of(subject.pk, level)
                self.fields[name] = _coefficient_field(
                    _("Coefficient de %(subject)s en %(level)s")
                    % {"subject": subject.label, "level": LEVEL_LABELS.get(level, level)},
                    required=False,
                )
                self.initial[name] = _plain(current)

    @staticmethod
    def name_of(subject_id: int, level: str) -> str:
        return f"{subject_id}-{level}"

    def clean(self):
        cleaned = super().clean()
        for (subject_id, level), _value in self.grid.current.items():
            name = self.name_of(subject_id, level)
            if name in self.fields and name in cleaned and cleaned[name] is None:
                self.add_error(
                    name,
                    _("Indiquez un coefficient (0 pour que la matière ne compte pas)."),
                )
        return cleaned

    def rows(self) -> list[Row]:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"
        return [
            Row(
                subject,
                [
                    Cell(
                        level,
                        self[self.name_of(subject.pk, level)]
                        if self.name_of(subject.pk, level) in self.fields
                        else None,
                    )
                    for level in self.grid.levels
                ],
            )
            for subject in self.grid.subjects
        ]

    def changes(self) -> list[tuple[int, str, Decimal]]:
        found = []
        for name in self.changed_data:
            value = self.cleaned_data.get(name)
            if value is None:
                continue
            subject_id, level = name.split("-", 1)
            found.append((int(subject_id), level, value))
        return found


class OverrideForm(forms.Form):
    """A coefficient for one division (every period or one), or for a level in one
    period: the most precise row wins in the averages."""

    target = forms.ChoiceField(label=gettext_lazy("Classe ou niveau"))
    subject = forms.TypedChoiceField(label=gettext_lazy("Matière"), coerce=int)
    period = forms.TypedChoiceField(
        label=gettext_lazy("Période"), coerce=int, required=False, empty_value=None
    )
    coefficient = _coefficient_field(gettext_lazy("Coefficient"), required=True)

    def __init__(self, data=None, *, grid: "Grid"):
        super().__init__(data, prefix="exception")
        self.grid = grid
        self.fields["target"].choices = [
            (
                _("Niveaux"),
                [(f"level:{level}", LEVEL_LABELS.get(level, level)) for level in grid.levels],
            ),
            (_("Classes"), [(f"division:{d.pk}", d.name) for d in grid.divisions]),
        ]
        self.fields["subject"].choices = [(s.pk, s.label) for s in grid.subjects]
        self.fields["period"].choices = [
            ("", _("Toutes les périodes")),
            *(
                (str(scheme_label), [(p.pk, p.label) for p in periods])
                for scheme_label, periods in grid.periods_by_scheme_label()
            ),
        ]

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target", "")
        kind, _sep, key = target.partition(":")
        division = level = None
        if kind == "division":
            division = next((d for d in self.grid.divisions if str(d.pk) == key), None)
        elif kind == "level" and key in self.grid.levels:
            level = key
        if division is None and level is None:
            self.add_error("target", _("Choisissez une classe ou un niveau."))
            return cleaned
        period = None
        if cleaned.get("period"):
            period = next((p for p in self.grid.periods if p.pk == cleaned["period"]), None)
            schemes = (
                {division.period_scheme}
                if division
                else {d.period_scheme for d in self.grid.divisions if d.level == level}
            )
            if period is None or period.scheme not in schemes:
                self.add_error(
                    "period",
                    _("Cette période n'est pas du découpage de cette classe ou de ce niveau."),
                )
        elif level is not None:
            self.add_error(
                "period",
                _("Pour tout un niveau et toutes les périodes, utilisez le tableau ci-dessus."),
            )
        cleaned["division"], cleaned["level"], cleaned["period_row"] = division, level, period
        return cleaned


# -- What the page shows ------------------------------------------------------------------


@dataclass
class Grid:
    year: SchoolYear
    levels: list[str]
    divisions: list[Division]
    subjects: list[Subject]
    taught: set[tuple[int, str]]
    # (subject, level) → the level's coefficient for every period
    current: dict[tuple[int, str], Decimal]
    exceptions: list[SubjectCoefficient]
    periods: list[GradingPeriod]

    def periods_by_scheme_label(self) -> list[tuple[str, list[GradingPeriod]]]:
        labels = dict(PeriodScheme.choices)
        used = {d.period_scheme for d in self.divisions}
        grouped: dict[str, list[GradingPeriod]] = {}
        for period in self.periods:
            if period.scheme in used:
                grouped.setdefault(period.scheme, []).append(period)
        return [(labels.get(scheme, scheme), periods) for scheme, periods in grouped.items()]


def _grid(establishment: Establishment, year: SchoolYear) -> Grid:
    """The year's divisions, subjects, where each is taught, and the coefficients set:
    six queries."""
    divisions = sorted(
        Division.objects.filter(school_year=year),
        key=lambda d: (LEVEL_ORDER.get(d.level, 99), d.name),
    )
    level_of = {d.pk: d.level for d in divisions}
    taught: set[tuple[int, str]] = set()
    for subject_id, division_id, group_division, part_division in TeachingService.objects.filter(
        school_year=year
    ).values_list("subject_id", "division_id", "group__divisions", "group__class_parts__division"):
        for division_id_ in (division_id, group_division, part_division):
            if division_id_ in level_of:
                taught.add((subject_id, level_of[division_id_]))
    # Groups of pupils chosen one by one (options, spécialités): their pupils' levels.
    for subject_id, division_id in (
        GroupMembership.objects.filter(group__school_year=year)
        .values_list("group__services__subject_id", "pupil__enrolments__division_id")
        .distinct()
    ):
        if subject_id is not None and division_id in level_of:
            taught.add((subject_id, level_of[division_id]))
    subject_ids = {subject_id for subject_id, _level in taught}
    subjects = list(
        Subject.objects.filter(establishment=establishment, pk__in=subject_ids).order_by("label")
    )
    rows = list(
        SubjectCoefficient.objects.filter(school_year=year)
        .select_related("subject", "division", "period")
        .order_by("subject__label", "level", "division__name", "period__number")
    )
    current = {
        (row.subject_id, row.level): row.coefficient
        for row in rows
        if row.division_id is None and row.period_id is None
    }
    exceptions = [row for row in rows if row.division_id is not None or row.period_id]
    periods = list(
        GradingPeriod.objects.filter(school_year=year).order_by("scheme", "number", "pk")
    )
    levels = sorted({d.level for d in divisions}, key=lambda level: LEVEL_ORDER.get(level, 99))
    return Grid(year, levels, divisions, subjects, taught, current, exceptions, periods)


@dataclass(frozen=True)
class SchemeTable:
    label: str
    periods: list[GradingPeriod]
    # (division, [(period, seal or None)])
    rows: list[tuple[Division, list[tuple[GradingPeriod, PeriodSeal | None]]]]


def _sealing(grid: Grid) -> list[SchemeTable]:
    """Per period scheme, its divisions and which of their periods are sealed (one
    query)."""
    seals = {
        (seal.division_id, seal.period_id): seal
        for seal in PeriodSeal.objects.filter(division__school_year=grid.year)
    }
    tables = []
    for label, periods in grid.periods_by_scheme_label():
        scheme = periods[0].scheme
        rows = [
            (division, [(period, seals.get((division.pk, period.pk))) for period in periods])
            for division in grid.divisions
            if division.period_scheme == scheme
        ]
        if rows:
            tables.append(SchemeTable(label, periods, rows))
    return tables


def _exception_rows(grid: Grid) -> list[dict]:
    return [
        {
            "subject": row.subject.label,
            "target": row.division.name if row.division else LEVEL_LABELS.get(row.level),
            "period": row.period.label if row.period else _("toutes les périodes"),
            "coefficient": _plain(row.coefficient),
        }
        for row in grid.exceptions
    ]


# -- The page -----------------------------------------------------------------------------


def _redirect(anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('grades:settings')}#{anchor}")


@settings_page
def grades_settings(request, *, scope):
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    policy = policy_of(establishment.pk)
    day: date = today()
    year = school_year_on(establishment, day)
    grid = _grid(establishment, year) if year else None
    which = request.POST.get("form") if request.method == "POST" else None
    policy_form = PolicyForm(request.POST if which == "policy" else None, instance=policy)
    coefficients_form = (
        CoefficientsForm(request.POST if which == "coefficients" else None, grid=grid)
        if grid
        else None
    )
    override_form = (
        OverrideForm(request.POST if which == "exception" else None, grid=grid) if grid else None
    )
    if which == "policy" and policy_form.is_valid():
        changes = {name: policy_form.cleaned_data[name] for name in policy_form.changed_data}
        try:
            services.policy_update(actor=request.user, establishment_id=establishment.pk, **changes)
        except ValidationError as error:
            policy_form.add_error(None, error)
        else:
            messages.success(request, _("Les réglages des notes sont enregistrés."))
            return _redirect("policy")
    elif which == "coefficients" and coefficients_form is not None and coefficients_form.is_valid():
        changes = coefficients_form.changes()
        try:
            with transaction.atomic():
                for subject_id, level, coefficient in changes:
                    services.subject_coefficient_set(
                        actor=request.user,
                        subject_id=subject_id,
                        coefficient=coefficient,
                        level=level,
                        school_year_id=year.pk,
                        establishment_id=establishment.pk,
                    )
        except ValidationError as error:
            coefficients_form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("Coefficients enregistrés (%(count)d modifié(s)).") % {"count": len(changes)},
            )
            return _redirect("coefficients")
    elif which == "exception" and override_form is not None and override_form.is_valid():
        data = override_form.cleaned_data
        try:
            services.subject_coefficient_set(
                actor=request.user,
                subject_id=data["subject"],
                coefficient=data["coefficient"],
                division=data["division"],
                level=data["level"] or "",
                school_year_id=year.pk,
                establishment_id=establishment.pk,
                period=data["period_row"],
            )
        except ValidationError as error:
            override_form.add_error(None, error.messages)
        else:
            messages.success(request, _("Coefficient particulier enregistré."))
            return _redirect("exceptions")
    context = {
        "policy_form": policy_form,
        "coefficients_form": coefficients_form,
        "override_form": override_form,
        "grid": grid,
        "year": year,
        "level_labels": [LEVEL_LABELS.get(level, level) for level in grid.levels] if grid else [],
        "exceptions": _exception_rows(grid) if grid else [],
        "sealing": _sealing(grid) if grid else [],
    }
    status = 400 if which else 200
    return render_page(
        request, "grades/settings/page.html", context, zone=establishment.timezone, status=status
    )


patterns = [path("reglages/", grades_settings, name="settings")]
