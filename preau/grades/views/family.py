"""Families and pupils: the latest marks, the averages of a period with how each is
computed, and "Et si j'avais…", the simulation of a mark.

The pupil a page is about is never taken from the URL (`common.reader_of`): the
signed-in pupil, or the guardian's active child. Staff and anybody else get a 404. A
reader who may not see grades (an adult pupil's objection, a contact the
establishment does not show grades to) gets a page saying why, not the marks. The
ids a URL may carry — a period, a subject to simulate in — are looked up among the
pupil's own; any other answers 404, logged.
"""

from fractions import Fraction

from django import forms
from django.contrib.auth.decorators import login_required
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from preau.core.access import refuse
from preau.core.selectors import today
from preau.grades import engine
from preau.grades.selectors import family as selectors
from preau.grades.views.common import Reader, reader_of, render_page

# -- Who the page is about --------------------------------------------------------------


def _blocked(request, reader: Reader | None, title: str):
    """The page for a family space with no child, or for a reader who may not see the
    pupil's grades (with the reason); None when the reader sees."""
    if reader is None:
        return render_page(request, "grades/family/no_child.html", {"title": title})
    if not reader.access.may_see:
        return render_page(
            request, "grades/family/no_access.html", {"title": title, "reader": reader}
        )
    return None


def _period_id(request) -> int | None:
    raw = request.GET.get("periode", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise refuse(request, "période", raw)
    return int(raw)


def _family_book(request, reader: Reader, period_id: int | None) -> selectors.FamilyBook:
    try:
        return selectors.family_book(
            pupil_id=reader.pupil_id,
            establishment_id=reader.establishment_id,
            access=reader.access,
            policy=reader.policy,
            day=today(),
            period_id=period_id,
        )
    except selectors.UnknownPeriod:
        raise refuse(request, "période", period_id) from None


# -- Dernières notes ----------------------------------------------------------------------


@require_GET
@login_required
def latest(request):
    """The pupil's marks of the current period, newest first, with the class figures."""
    reader = reader_of(request)
    blocked = _blocked(request, reader, _("Dernières notes"))
    if blocked:
        return blocked
    found = _family_book(request, reader, None)
    rows = selectors.latest_rows(found.book, reader.pupil_id) if found.book else []
    return render_page(
        request,
        "grades/family/latest.html",
        {
            "title": _("Mes dernières notes") if reader.own else _("Dernières notes"),
            "reader": reader,
            "found": found,
            "rows": rows,
            "delay_days": reader.access.delay_days,
        },
    )


# -- Moyennes and the simulation ---------------------------------------------------------


class SimulationForm(forms.Form):
    """A hypothetical mark: a subject, a scale, a coefficient and the mark itself,
    checked as a teacher's typing is (`engine.parse_mark`)."""

    matiere = forms.ChoiceField(label=gettext_lazy("Matière"))
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=gettext_lazy("Au quart de point : 14, 15,5, 12,25."),
    )
    sur = forms.CharField(
        label=gettext_lazy("Noté sur"),
        initial="20",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    coefficient = forms.CharField(
        label=gettext_lazy("Coefficient"),
        initial="1",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, choices: list[selectors.Choice], **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = {choice.value: choice for choice in choices}
        self.fields["matiere"].choices = [(c.value, c.label) for c in choices]
        for name, item in self.fields.items():
            if item.help_text:
                item.widget.attrs["aria-describedby"] = f"{self[name].id_for_label}-help"

    def full_clean(self):
        super().full_clean()
        # An error is read with its field (and marks it invalid for assistive tools);
        # after an htmx swap the focus goes to the first field to correct (preau.js).
        first = True
        for name in self.errors:
            if name in self.fields:
                if first:
                    self.fields[name].widget.attrs["data-autofocus"] = ""
                    first = False
                widget = self.fields[name].widget
                described = widget.attrs.get("aria-describedby", "")
                error_id = f"{self[name].id_for_label}-error"
                widget.attrs["aria-describedby"] = f"{described} {error_id}".strip()
                widget.attrs["aria-invalid"] = "true"

    def clean_sur(self) -> Fraction:
        try:
            scale = engine.to_fraction(self.cleaned_data["sur"])
        except engine.MarkError:
            message = _("Le barème doit être un nombre, par exemple 20.")
            raise forms.ValidationError(message) from None
        if not 0 < scale <= engine.MAX_SCALE:
            raise forms.ValidationError(_("Le barème doit être au-dessus de 0 et au plus 100."))
        return scale

    def clean_coefficient(self) -> Fraction:
        try:
            coefficient = engine.to_fraction(self.cleaned_data["coefficient"])
        except engine.MarkError:
            raise forms.ValidationError(
                _("Le coefficient doit être un nombre, par exemple 1 ou 0,5.")
            ) from None
        if not 0 <= coefficient <= engine.MAX_COEFFICIENT:
            raise forms.ValidationError(_("Le coefficient va de 0 à 99."))
        return coefficient

    def clean(self):
        cleaned = super().clean()
        scale, text = cleaned.get("sur"), cleaned.get("note")
        if scale is not None and text:
            try:
                mark = engine.parse_mark(text, scale)
            except engine.MarkError as error:
                self.add_error("note", str(error))
            else:
                cleaned["mark"] = mark
        if "matiere" in cleaned:
            cleaned["choice"] = self.choices[cleaned["matiere"]]
        return cleaned


def _averages_context(request, reader: Reader, found: selectors.FamilyBook, form) -> dict:
    book = found.book
    return {
        "title": _("Mes moyennes") if reader.own else _("Moyennes"),
        "reader": reader,
        "found": found,
        "averages": selectors.averages_of(book, reader.pupil_id) if book else None,
        "form": form,
        "simulation": None,
    }


def _simulation_form(request, reader: Reader, found: selectors.FamilyBook, data=None):
    choices = selectors.simulation_choices(found.book, reader.pupil_id) if found.book else []
    if data is not None:
        wanted = data.get("matiere", "")
        # A subject the pupil does not follow is somebody else's: not a typing error.
        if wanted and wanted not in {choice.value for choice in choices}:
            raise refuse(request, "matière", wanted)
    return SimulationForm(data, choices=choices, auto_id="simulation-%s")


@require_GET
@login_required
def averages(request):
    """The pupil's averages of a period (the current one by default): per subject with
    the class figures and the explanation of the calculation, then the general average;
    the simulation form."""
    reader = reader_of(request)
    blocked = _blocked(request, reader, _("Moyennes"))
    if blocked:
        return blocked
    found = _family_book(request, reader, _period_id(request))
    form = _simulation_form(request, reader, found)
    return render_page(
        request, "grades/family/averages.html", _averages_context(request, reader, found, form)
    )


@require_GET
@login_required
def simulate(request):
    """ "Et si j'avais…": the averages recomputed by the engine with one more mark, for
    the page (htmx) or as the whole averages page. A GET: nothing is ever saved."""
    reader = reader_of(request)
    blocked = _blocked(request, reader, _("Moyennes"))
    if blocked:
        return blocked
    found = _family_book(request, reader, _period_id(request))
    form = _simulation_form(request, reader, found, request.GET)
    simulation = None
    if found.book and form.is_valid():
        data = form.cleaned_data
        simulation = selectors.simulate(
            found.book,
            pupil_id=reader.pupil_id,
            choice=data["choice"],
            scale=data["sur"],
            coefficient=data["coefficient"],
            mark=data["mark"],
        )
    status = 200 if simulation or not found.book else 400
    if request.htmx and not request.htmx.history_restore_request:
        return render_page(
            request,
            "grades/family/_simulation.html",
            {"reader": reader, "found": found, "form": form, "simulation": simulation},
            # htmx swaps only successful answers: the errors are shown in place.
            status=200,
        )
    context = _averages_context(request, reader, found, form)
    context["simulation"] = simulation
    return render_page(request, "grades/family/averages.html", context, status=status)


patterns = [
    path("", latest, name="latest"),
    path("moyennes/", averages, name="averages"),
    path("moyennes/simulation/", simulate, name="simulate"),
]
