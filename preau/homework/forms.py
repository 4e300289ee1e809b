"""The forms of the cahier de textes pages. What the teacher types is plain text with
a few conventions (`markup.py`); the services sanitise it again before storing."""

from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.homework.markup import text_to_html
from preau.homework.models import HomeworkPolicy, Kind
from preau.homework.services import POLICY_FIELDS
from preau.timetable.models import Occurrence
from preau.timetable.selectors import audience_label

OTHER_DATE = "date"
MAX_TEXT = 20_000
MARKUP_HELP = gettext_lazy(
    "Une ligne vide sépare les paragraphes ; « - » en début de ligne fait une liste, "
    "« 1. » une liste numérotée ; **gras**, *italique* ; les adresses web deviennent "
    "des liens."
)


class Accessible:
    """Errors read with their field: `aria-invalid` and the error's id in
    `aria-describedby` (the ids of `_field.html`); the first field in error gets the
    focus after an htmx swap (preau.js)."""

    def full_clean(self):
        super().full_clean()
        first = True
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            if first:
                widget.attrs["data-autofocus"] = ""
                first = False
            described = widget.attrs.get("aria-describedby", "")
            error_id = f"{self[name].auto_id}_error"
            if self.fields[name].help_text:
                described = f"{described} {self[name].auto_id}_helptext"
            widget.attrs["aria-describedby"] = f"{described} {error_id}".strip()
            widget.attrs["aria-invalid"] = "true"


def occurrence_label(occurrence: Occurrence) -> str:
    day = formats.date_format(occurrence.date, "l j F")
    return _("%(day)s à %(time)s") % {
        "day": day,
        "time": formats.time_format(timezone.localtime(occurrence.start), "H:i"),
    }


class ContentForm(Accessible, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Contenu de la séance"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=MARKUP_HELP,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def html(self) -> str:
        return text_to_html(self.cleaned_data["body"])


class HomeworkForm(Accessible, forms.Form):
    """A homework: what to do, for when (one of the next sessions of the audience, or
    another date), its kind and estimated time, and a file."""

    instructions = forms.CharField(
        label=gettext_lazy("Travail à faire"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=MARKUP_HELP,
    )
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Kind.choices, initial=Kind.TASK)
    due_choice = forms.ChoiceField(label=gettext_lazy("Pour"))
    due_date = forms.DateField(
        label=gettext_lazy("Autre date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Si « une autre date » est choisi ci-dessus."),
    )
    estimated_minutes = forms.IntegerField(
        label=gettext_lazy("Temps estimé (minutes)"),
        required=False,
        min_value=1,
        max_value=600,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4, "autocomplete": "off"}),
    )
    file = forms.FileField(label=gettext_lazy("Pièce jointe"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(
        self,
        *args,
        proposals: list[Occurrence],
        with_file: bool = True,
        workload_url: str = "",
        **kwargs,
    ):
        prefix = kwargs.pop("prefix", "travail")
        super().__init__(*args, prefix=prefix, **kwargs)
        self.proposals = {occurrence.pk: occurrence for occurrence in proposals}
        self.fields["due_choice"].choices = [
            *((str(o.pk), _("la séance du %(when)s") % {"when": occurrence_label(o)})
              for o in proposals),
            (OTHER_DATE, _("une autre date")),
        ]  # fmt: skip
        if not self.is_bound and "due_choice" not in self.initial:
            self.initial["due_choice"] = str(proposals[0].pk) if proposals else OTHER_DATE
        if not with_file:
            del self.fields["file"]
        for name in ("due_choice", "due_date"):
            attrs = self.fields[name].widget.attrs
            attrs["data-due"] = ""
            if workload_url:
                # The audience's workload on the day chosen, shown as it is chosen.
                attrs.update(
                    {
                        "hx-get": workload_url,
                        "hx-trigger": "change",
                        "hx-include": "[data-due]",
                        "hx-target": "#charge",
                        "hx-swap": "outerHTML",
                        "aria-controls": "charge",
                    }
                )

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("due_choice")
        cleaned["due_occurrence_id"] = None
        if choice and choice != OTHER_DATE:
            occurrence = self.proposals.get(int(choice)) if choice.isdigit() else None
            if occurrence is None:
                self.add_error("due_choice", _("Choisissez une des séances proposées."))
            else:
                cleaned["due_occurrence_id"] = occurrence.pk
                cleaned["due_date"] = occurrence.date
        elif choice == OTHER_DATE and not cleaned.get("due_date") and "due_date" not in self.errors:
            self.add_error("due_date", _("Indiquez la date pour laquelle le travail est à faire."))
        return cleaned

    def chosen_day(self) -> date | None:
        """The due date the form names (for the workload preview), valid or not."""
        choice = self["due_choice"].value()
        if choice and choice != OTHER_DATE and str(choice).isdigit():
            occurrence = self.proposals.get(int(choice))
            return occurrence.date if occurrence else None
        raw = self["due_date"].value()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw or "")[:10])
        except ValueError:
            return None

    def html(self) -> str:
        return text_to_html(self.cleaned_data["instructions"])


class AttachmentForm(Accessible, forms.Form):
    file = forms.FileField(label=gettext_lazy("Fichier"))


class CopyForm(Accessible, forms.Form):
    target = forms.ChoiceField(label=gettext_lazy("Copier vers la séance"))

    def __init__(self, *args, targets: list[Occurrence], **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {o.pk: o for o in targets}
        self.fields["target"].choices = [
            (str(o.pk), f"{o.title} — {audience_label(o)} — {occurrence_label(o)}") for o in targets
        ]

    def clean_target(self) -> Occurrence:
        raw = self.cleaned_data["target"]
        target = self.targets.get(int(raw)) if raw.isdigit() else None
        if target is None:
            raise forms.ValidationError(_("Choisissez une de vos séances."))
        return target


class VisaForm(Accessible, forms.Form):
    up_to = forms.DateField(
        label=gettext_lazy("Visé jusqu'au"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PolicyForm(Accessible, forms.ModelForm):
    class Meta:
        model = HomeworkPolicy
        fields = POLICY_FIELDS
        widgets = {
            "attachment_max_mb": forms.TextInput(attrs={"inputmode": "numeric"}),
            "daily_workload_minutes": forms.TextInput(attrs={"inputmode": "numeric"}),
            "daily_items": forms.TextInput(attrs={"inputmode": "numeric"}),
        }
        help_texts = {
            "attachment_max_mb": gettext_lazy("De 1 à 100 Mo."),
            "daily_workload_minutes": gettext_lazy(
                "La page « Charge de travail » signale les jours où un élève a plus de travail."
            ),
        }

    def validate_unique(self):
        # The row is the establishment's own; the service saves it.
        pass
