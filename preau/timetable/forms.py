"""Forms of the timetable pages: the staff changes to a session, an exceptional session,
and a timetable import. Error messages are French and shown next to their field."""

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from preau.core.models import Establishment, Person, Role, RoleKind
from preau.core.selectors import today
from preau.structure.models import Division, Group, Subject
from preau.timetable.importers import FORMATS
from preau.timetable.models import ImportFormat, Occurrence, Room

NOTE_HELP = _("Visible des élèves, des familles et des enseignants.")
MULTIPLE_HELP = _("Ctrl (ou Cmd) + clic pour en choisir plusieurs.")
MAX_UPLOAD = 50 * 1024 * 1024


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def note_field() -> forms.CharField:
    return forms.CharField(
        label=_("Précision"), max_length=255, required=False, help_text=NOTE_HELP
    )


def teachers_of(establishment_id: int):
    """The persons who teach in the establishment today."""
    teaching = Role.objects.current(today()).filter(
        person=OuterRef("pk"), establishment_id=establishment_id, kind=RoleKind.TEACHER
    )
    return Person.objects.filter(Exists(teaching)).order_by("last_name", "first_name")


def rooms_of(establishment_id: int):
    return Room.objects.filter(establishment_id=establishment_id).order_by("name")


def local_moment(day: date, moment: time, establishment: Establishment) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(establishment.timezone))


class NoteForm(forms.Form):
    """Cancel, mark the teacher absent, put back as planned: only a note to give."""

    note = note_field()


class RoomChangeForm(forms.Form):
    rooms = forms.ModelMultipleChoiceField(
        label=_("Nouvelle salle"), queryset=Room.objects.none(), help_text=MULTIPLE_HELP
    )
    note = note_field()

    def __init__(self, *args, occurrence: Occurrence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rooms"].queryset = rooms_of(occurrence.establishment_id)


class TimesMixin:
    """Start and end of a session on one day, inside the session's school year."""

    year = None

    def clean(self):
        cleaned = super().clean()
        start, end, day = cleaned.get("start"), cleaned.get("end"), cleaned.get("date")
        if start and end and end <= start:
            self.add_error("end", _("La fin doit être après le début."))
        if day and self.year is not None and not self.year.contains(day):
            self.add_error(
                "date",
                _("Le %(day)s n'est pas dans l'année scolaire %(year)s.")
                % {"day": day.strftime("%d/%m/%Y"), "year": self.year.label},
            )
        return cleaned


class MoveForm(TimesMixin, forms.Form):
    date = forms.DateField(label=_("Nouvelle date"), widget=DateInput())
    start = forms.TimeField(label=_("Début"), widget=TimeInput())
    end = forms.TimeField(label=_("Fin"), widget=TimeInput())
    rooms = forms.ModelMultipleChoiceField(
        label=_("Salle"),
        queryset=Room.objects.none(),
        required=False,
        help_text=_("Laisser vide pour garder la même salle."),
    )
    note = note_field()

    def __init__(self, *args, occurrence: Occurrence, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = occurrence.school_year
        self.fields["rooms"].queryset = rooms_of(occurrence.establishment_id)


class ReplaceForm(forms.Form):
    teachers = forms.ModelMultipleChoiceField(
        label=_("Enseignant remplaçant"), queryset=Person.objects.none(), help_text=MULTIPLE_HELP
    )
    note = note_field()

    def __init__(self, *args, occurrence: Occurrence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = teachers_of(occurrence.establishment_id)


class OccurrenceAddForm(TimesMixin, forms.Form):
    """An exceptional session: an extra lesson, a test, an outing."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    start = forms.TimeField(label=_("Début"), widget=TimeInput())
    end = forms.TimeField(label=_("Fin"), widget=TimeInput())
    subject = forms.ModelChoiceField(
        label=_("Matière"), queryset=Subject.objects.none(), required=False
    )
    label = forms.CharField(
        label=_("Intitulé"),
        max_length=120,
        required=False,
        help_text=_("Par exemple « Sortie au musée » ; obligatoire sans matière."),
    )
    divisions = forms.ModelMultipleChoiceField(
        label=_("Classes"),
        queryset=Division.objects.none(),
        required=False,
        help_text=MULTIPLE_HELP,
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groupes"), queryset=Group.objects.none(), required=False, help_text=MULTIPLE_HELP
    )
    teachers = forms.ModelMultipleChoiceField(
        label=_("Enseignants"),
        queryset=Person.objects.none(),
        required=False,
        help_text=MULTIPLE_HELP,
    )
    rooms = forms.ModelMultipleChoiceField(
        label=_("Salles"), queryset=Room.objects.none(), required=False, help_text=MULTIPLE_HELP
    )
    note = note_field()

    def __init__(self, *args, establishment: Establishment, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["subject"].queryset = Subject.objects.filter(
            establishment=establishment
        ).order_by("label")
        self.fields["divisions"].queryset = Division.objects.filter(school_year=year).order_by(
            "name"
        )
        self.fields["groups"].queryset = Group.objects.filter(school_year=year).order_by("name")
        self.fields["teachers"].queryset = teachers_of(establishment.pk)
        self.fields["rooms"].queryset = rooms_of(establishment.pk)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("subject") and not cleaned.get("label", "").strip():
            self.add_error("label", _("Donnez une matière ou un intitulé."))
        if not (cleaned.get("divisions") or cleaned.get("groups") or cleaned.get("teachers")):
            self.add_error(
                "divisions", _("Choisissez au moins une classe, un groupe ou un enseignant.")
            )
        return cleaned


# -- Imports ---------------------------------------------------------------------------

WEEKDAYS = [
    ("1", _("lundi")),
    ("2", _("mardi")),
    ("3", _("mercredi")),
    ("4", _("jeudi")),
    ("5", _("vendredi")),
    ("6", _("samedi")),
    ("7", _("dimanche")),
]
RANGE = re.compile(r"(\d{1,2})[:h](\d{2})\s*[-–]\s*(\d{1,2})[:h](\d{2})")


def parse_grid(value: str) -> list[tuple[time, time]]:
    """Clock ranges, one per FET hour in order: "08:00-08:55", one a line or separated
    by commas."""
    ranges = []
    for part in re.split(r"[,\n;]+", value):
        part = part.strip()
        if not part:
            continue
        match = RANGE.fullmatch(part)
        try:
            if match is None:
                raise ValueError
            a, b, c, d = map(int, match.groups())
            ranges.append((time(a, b), time(c, d)))
        except ValueError:
            raise ValidationError(
                _("« %(part)s » n'est pas une plage horaire HH:MM-HH:MM.") % {"part": part}
            ) from None
    return ranges


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_(
            "EDT : l'export XML « en clair » ; STS-Web : le fichier emp_sts ; UnDeuxTemps : "
            "le zip des UDCal ; FET : le dossier produit par fet-cl, compressé en zip, ou "
            "le fichier .fet."
        ),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(value, label) for value, label in ImportFormat.choices if value in FORMATS],
    )
    start = forms.DateField(
        label=_("Première date"),
        required=False,
        widget=DateInput(),
        help_text=_("Facultatif : par défaut, le début de l'année du fichier."),
    )
    end = forms.DateField(
        label=_("Dernière date"),
        required=False,
        widget=DateInput(),
        help_text=_("Facultatif : par défaut, la fin de l'année du fichier."),
    )
    days = forms.MultipleChoiceField(
        label=_("FET : jours de classe, dans l'ordre des jours FET"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Par défaut, à partir du lundi."),
    )
    grid = forms.CharField(
        label=_("FET : horaires des heures FET"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Une plage par heure FET, dans l'ordre, par exemple 08:00-08:55, 09:00-09:55. "
            "Par défaut, lus dans les noms des heures."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise ValidationError(
                _("Le fichier dépasse %(size)s Mo.") % {"size": MAX_UPLOAD // (1024 * 1024)}
            )
        return upload

    def clean_grid(self):
        return parse_grid(self.cleaned_data.get("grid", ""))

    def clean_days(self):
        return [int(day) for day in self.cleaned_data.get("days", [])]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("La dernière date doit suivre la première."))
        return cleaned


class ImportApplyForm(forms.Form):
    """The file previewed, kept server-side under a signed reference."""

    upload = forms.CharField(widget=forms.HiddenInput)
