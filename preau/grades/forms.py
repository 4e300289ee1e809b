"""The teacher's forms for grades: an evaluation (devoir) and a sub-subject. They check
the shape of what is typed; the rules (grades.md) are the services' and their errors
come back on the fields (`add_service_errors`)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from preau.core.models import GradingPeriod
from preau.grades.models import EvaluationKind, SubSubject


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if hasattr(value, "isoformat") else value


def _decimal(label, *, max_value, min_value, help_text=""):
    # localize: "0,5" is typed with a French comma and shown with one.
    field = forms.DecimalField(
        label=label,
        max_digits=5,
        decimal_places=2,
        min_value=min_value,
        max_value=max_value,
        localize=True,
        help_text=help_text,
    )
    field.widget.attrs.update(inputmode="decimal", size="6")
    return field


def describe_errors(form: forms.Form) -> None:
    """Fields in error name their message (aria-describedby, after the help text) for
    screen readers; _field.html writes the message with the id `<auto_id>_error`."""
    for name in form.errors:
        if name not in form.fields:
            continue
        bound = form[name]
        ids = [f"{bound.auto_id}_error"]
        if bound.help_text:
            ids.insert(0, f"{bound.auto_id}_helptext")
        form.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)


class DescribedErrors:
    def full_clean(self):
        super().full_clean()
        describe_errors(self)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on the form: on the field it names when the form has
    it, else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
    describe_errors(form)


class EvaluationForm(DescribedErrors, forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    scale = _decimal(
        _("Noté sur"),
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        help_text=_("De 0,01 à 100 ; 20 le plus souvent."),
    )
    coefficient = _decimal(
        _("Coefficient"),
        min_value=Decimal(0),
        max_value=Decimal(99),
        help_text=_("De 0 à 99 ; 0 : le devoir ne compte pas dans la moyenne."),
    )
    bring_to_20 = forms.BooleanField(
        label=_("Ramener sur 20"),
        required=False,
        help_text=_(
            "Décoché, un devoir sur 40 pèse deux fois un devoir sur 20 de même coefficient."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=EvaluationKind.choices,
        help_text=_(
            "Facultatif : compte seulement s'il relève la moyenne. Bonus : seuls les points "
            "au-dessus de la moitié du barème comptent."
        ),
    )
    sub_subject = forms.ModelChoiceField(
        label=_("Sous-matière"),
        queryset=SubSubject.objects.none(),
        required=False,
        empty_label=_("aucune"),
    )
    period = forms.ModelChoiceField(
        label=_("Période"), queryset=GradingPeriod.objects.none(), empty_label=None
    )
    published_on = forms.DateField(
        label=_("Date de publication"),
        widget=DateInput,
        required=False,
        help_text=_(
            "Les élèves voient les notes à partir de cette date, les responsables après le "
            "délai de l'établissement. Vide : la date du devoir."
        ),
    )

    def __init__(self, *args, sub_subjects: list[SubSubject], periods: list[GradingPeriod], **kw):
        super().__init__(*args, **kw)
        self.fields["sub_subject"].queryset = SubSubject.objects.filter(
            pk__in=[sub.pk for sub in sub_subjects]
        )
        # The choices from the lists given: no query to draw the form.
        self.fields["sub_subject"].choices = [("", _("aucune"))] + [
            (sub.pk, sub.label) for sub in sub_subjects
        ]
        self.fields["period"].queryset = GradingPeriod.objects.filter(
            pk__in=[period.pk for period in periods]
        )
        self.fields["period"].choices = [(period.pk, period.label) for period in periods]
        if not sub_subjects:
            del self.fields["sub_subject"]
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean()
        if data.get("date") and not data.get("published_on"):
            data["published_on"] = data["date"]
        return data

    def service_fields(self) -> dict:
        """The cleaned data as the services take them (without the period)."""
        data = dict(self.cleaned_data)
        data.pop("period", None)
        data.setdefault("sub_subject", None)
        return data


class SubSubjectForm(DescribedErrors, forms.Form):
    label = forms.CharField(label=_("Libellé"), max_length=60, help_text=_("Écrit, oral…"))
    code = forms.CharField(
        label=_("Code"), max_length=20, help_text=_("Court et unique dans le service : ECR, ORAL.")
    )
    coefficient = _decimal(
        _("Coefficient dans la moyenne du service"),
        min_value=Decimal(0),
        max_value=Decimal(99),
    )
