"""Forms of the vie scolaire's desk: an absence over a period, a lateness, the
processing of an absence (decision, correction, voiding), school events, and the
settings (reasons, policy). Messages are French and shown next to their field.

Every form that changes an absence carries the `version` the person read: the service
refuses a write over a version that changed since (services.StaleAbsence)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from preau.attendance.models import (
    AbsenceKind,
    AbsenceReason,
    AbsenceState,
    AttendancePolicy,
    EventKind,
)
from preau.core.models import Person
from preau.structure.models import Division, Subject
from preau.timetable.forms import DateInput, TimeInput

# A period longer than a school year is a typing mistake, not an absence.
MAX_PERIOD_DAYS = 366


class Span(models.TextChoices):
    DAY = "day", _("Une journée")
    DAYS = "days", _("Plusieurs jours")
    HALF_DAY = "half_day", _("Une demi-journée")
    TIMES = "times", _("Des heures précises")


class Half(models.TextChoices):
    MORNING = "morning", _("Matin")
    AFTERNOON = "afternoon", _("Après-midi")


def local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def active_reasons(establishment_id: int):
    return AbsenceReason.objects.filter(establishment_id=establishment_id, active=True)


class VersionField(forms.IntegerField):
    """The version of the absence the person read (hidden)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)


class PeriodMixin:
    """Start and end of a period as people say it: a day, several days, a morning or an
    afternoon (split at the policy's boundary), or precise times. `self.period` holds
    the (start, end) aware datetimes once the form is valid."""

    zone: ZoneInfo
    boundary: time
    period: tuple[datetime, datetime] | None = None

    def add_period_fields(self, *, span_required: bool = True) -> None:
        self.fields["span"] = forms.ChoiceField(
            label=_("Durée"), choices=Span.choices, initial=Span.DAY, widget=forms.RadioSelect
        )
        self.fields["date"] = forms.DateField(label=_("Date (ou premier jour)"), widget=DateInput())
        self.fields["end_date"] = forms.DateField(
            label=_("Dernier jour"),
            required=False,
            widget=DateInput(),
            help_text=_("Pour plusieurs jours, ou des heures précises sur plusieurs jours."),
        )
        self.fields["half"] = forms.ChoiceField(
            label=_("Demi-journée"),
            choices=Half.choices,
            required=False,
            widget=forms.RadioSelect,
            help_text=_("Le matin s'arrête à %(time)s.")
            % {"time": self.boundary.strftime("%H:%M")},
        )
        self.fields["start_time"] = forms.TimeField(
            label=_("Heure de début"), required=False, widget=TimeInput()
        )
        self.fields["end_time"] = forms.TimeField(
            label=_("Heure de fin"), required=False, widget=TimeInput()
        )

    def clean_period(self, cleaned: dict) -> None:
        span, day = cleaned.get("span"), cleaned.get("date")
        end_day = cleaned.get("end_date")
        if not span or not day:
            return
        if end_day and end_day < day:
            self.add_error("end_date", _("Le dernier jour doit suivre le premier."))
            return
        midnight = time(0)
        if span == Span.DAY:
            start = local(day, midnight, self.zone)
            end = local(day + timedelta(days=1), midnight, self.zone)
        elif span == Span.DAYS:
            if not end_day:
                self.add_error("end_date", _("Indiquez le dernier jour."))
                return
            start = local(day, midnight, self.zone)
            end = local(end_day + timedelta(days=1), midnight, self.zone)
        elif span == Span.HALF_DAY:
            half = cleaned.get("half")
            if not half:
                self.add_error("half", _("Choisissez le matin ou l'après-midi."))
                return
            if half == Half.MORNING:
                start = local(day, midnight, self.zone)
                end = local(day, self.boundary, self.zone)
            else:
                start = local(day, self.boundary, self.zone)
                end = local(day + timedelta(days=1), midnight, self.zone)
        else:
            start_time, end_time = cleaned.get("start_time"), cleaned.get("end_time")
            if start_time is None:
                self.add_error("start_time", _("Indiquez l'heure de début."))
            if end_time is None:
                self.add_error("end_time", _("Indiquez l'heure de fin."))
            if start_time is None or end_time is None:
                return
            start = local(day, start_time, self.zone)
            end = local(end_day or day, end_time, self.zone)
        if end <= start:
            self.add_error("end_time", _("La fin doit être après le début."))
            return
        if (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("end_date", _("Une période ne peut pas dépasser une année scolaire."))
            return
        self.period = (start, end)

    def period_initial(self, start: datetime, end: datetime) -> dict:
        """The fields that give back `start`–`end` as precise times."""
        start, end = start.astimezone(self.zone), end.astimezone(self.zone)
        return {
            "span": Span.TIMES,
            "date": start.date(),
            "end_date": end.date() if end.date() != start.date() else None,
            "start_time": start.time(),
            "end_time": end.time(),
        }


def state_and_reason_errors(form: forms.Form, state: str | None, reason) -> None:
    """A justified absence needs a reason that justifies; a justification to review
    needs the reason the family gave."""
    if state == AbsenceState.ACCEPTED:
        if reason is None:
            form.add_error("reason", _("Choisissez le motif qui justifie l'absence."))
        elif not reason.justifies:
            form.add_error(
                "reason",
                _("Le motif « %(label)s » ne justifie pas une absence.") % {"label": reason.label},
            )
    elif state == AbsenceState.PENDING and reason is None:
        form.add_error("reason", _("Une justification à examiner a un motif."))


class PupilField(forms.ModelChoiceField):
    """One pupil of the establishment, chosen among search results (radio buttons)."""

    def label_from_instance(self, obj: Person) -> str:
        return obj.sort_name


def pupil_field(pupils) -> PupilField:
    return PupilField(
        label=_("Élève"),
        queryset=pupils,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choisissez un élève."),
            "invalid_choice": _("Choisissez un élève de l'établissement."),
        },
    )


def processing_fields(establishment_id: int) -> dict[str, forms.Field]:
    """The state, the reason and the office's comment of an absence or lateness the
    office enters."""
    return {
        "state": forms.ChoiceField(
            label=_("État"), choices=AbsenceState.choices, initial=AbsenceState.UNJUSTIFIED
        ),
        "reason": forms.ModelChoiceField(
            label=_("Motif"),
            queryset=active_reasons(establishment_id),
            required=False,
            empty_label=_("— aucun motif pour l'instant —"),
        ),
        "staff_comment": forms.CharField(
            label=_("Commentaire de la vie scolaire"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            # The family pages show it as the explanation of a decision.
            help_text=_("La famille le lit une fois l'absence justifiée ou refusée."),
        ),
    }


class AbsenceEntryForm(PeriodMixin, forms.Form):
    """The office enters an absence over a period."""

    def __init__(self, *args, pupils, establishment_id: int, zone, boundary, **kwargs):
        self.zone, self.boundary = zone, boundary
        super().__init__(*args, **kwargs)
        self.fields["pupil"] = pupil_field(pupils)
        self.add_period_fields()
        self.fields.update(processing_fields(establishment_id))

    def clean(self):
        cleaned = super().clean()
        self.clean_period(cleaned)
        state_and_reason_errors(self, cleaned.get("state"), cleaned.get("reason"))
        return cleaned


class LatenessEntryForm(forms.Form):
    """The office enters a lateness: the day, the hour of the course, the minutes."""

    def __init__(self, *args, pupils, establishment_id: int, zone, **kwargs):
        self.zone = zone
        self.period = None
        super().__init__(*args, **kwargs)
        self.fields["pupil"] = pupil_field(pupils)
        self.fields["date"] = forms.DateField(label=_("Date"), widget=DateInput())
        self.fields["start_time"] = forms.TimeField(
            label=_("Heure du début du cours"), widget=TimeInput()
        )
        self.fields["minutes_late"] = forms.IntegerField(
            label=_("Minutes de retard"), min_value=1, max_value=600
        )
        self.fields.update(processing_fields(establishment_id))

    def clean(self):
        cleaned = super().clean()
        day, start_time, minutes = (
            cleaned.get("date"),
            cleaned.get("start_time"),
            cleaned.get("minutes_late"),
        )
        if day and start_time and minutes:
            start = local(day, start_time, self.zone)
            self.period = (start, start + timedelta(minutes=minutes))
        state_and_reason_errors(self, cleaned.get("state"), cleaned.get("reason"))
        return cleaned


class Decision(models.TextChoices):
    ACCEPT = "accept", _("Accepter la justification")
    REJECT = "reject", _("Refuser la justification")


class DecideForm(forms.Form):
    version = VersionField()
    decision = forms.ChoiceField(
        label=_("Décision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.ModelChoiceField(
        label=_("Motif retenu"), queryset=AbsenceReason.objects.none(), required=False
    )
    staff_comment = forms.CharField(
        label=_("Explication"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire pour un refus : la famille la lit."),
    )

    def __init__(self, *args, establishment_id: int, current_reason=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = active_reasons(establishment_id)
        # Without another choice, the reason the family gave is the one decided on.
        self.current_reason = current_reason

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        reason = cleaned.get("reason") or self.current_reason
        if decision == Decision.ACCEPT:
            state_and_reason_errors(self, AbsenceState.ACCEPTED, reason)
        if decision == Decision.REJECT and not cleaned.get("staff_comment", "").strip():
            self.add_error("staff_comment", _("Expliquez à la famille pourquoi vous refusez."))
        return cleaned


class CorrectForm(PeriodMixin, forms.Form):
    """The office's correction of an absence or a lateness. For a lateness the end is
    the start plus the minutes late (as a roll call records it)."""

    def __init__(self, *args, establishment_id: int, zone, boundary, **kwargs):
        self.zone, self.boundary = zone, boundary
        super().__init__(*args, **kwargs)
        self.fields["version"] = VersionField()
        self.fields["kind"] = forms.ChoiceField(label=_("Nature"), choices=AbsenceKind.choices)
        self.add_period_fields()
        self.fields["minutes_late"] = forms.IntegerField(
            label=_("Minutes de retard"), min_value=1, max_value=600, required=False
        )
        self.fields["state"] = forms.ChoiceField(label=_("État"), choices=AbsenceState.choices)
        self.fields["reason"] = forms.ModelChoiceField(
            label=_("Motif"),
            queryset=active_reasons(establishment_id),
            required=False,
            empty_label=_("— aucun motif —"),
        )
        self.fields["staff_comment"] = forms.CharField(
            label=_("Commentaire de la vie scolaire"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            # The family pages show it as the explanation of a decision.
            help_text=_("La famille le lit une fois l'absence justifiée ou refusée."),
        )

    def clean(self):
        cleaned = super().clean()
        self.clean_period(cleaned)
        if cleaned.get("kind") == AbsenceKind.LATENESS:
            minutes = cleaned.get("minutes_late")
            if not minutes:
                self.add_error("minutes_late", _("Indiquez les minutes de retard."))
            elif self.period is not None:
                start = self.period[0]
                self.period = (start, start + timedelta(minutes=minutes))
        else:
            cleaned["minutes_late"] = None
        state_and_reason_errors(self, cleaned.get("state"), cleaned.get("reason"))
        return cleaned


class VoidForm(forms.Form):
    version = VersionField()
    note = forms.CharField(
        label=_("Pourquoi annuler"),
        max_length=255,
        help_text=_("L'absence reste dans l'historique ; elle ne compte plus."),
    )


class RestoreForm(forms.Form):
    version = VersionField()


class SchoolEventForm(PeriodMixin, forms.Form):
    """An infirmary visit, a school trip, an exemption, an exclusion: for pupils chosen
    by name, or for a whole division."""

    def __init__(self, *args, pupils, divisions, establishment_id: int, zone, boundary, **kw):
        self.zone, self.boundary = zone, boundary
        super().__init__(*args, **kw)
        self.fields["kind"] = forms.ChoiceField(label=_("Nature"), choices=EventKind.choices)
        self.fields["pupils"] = forms.ModelMultipleChoiceField(
            label=_("Élèves"),
            queryset=pupils,
            required=False,
            widget=forms.MultipleHiddenInput,
            error_messages={"invalid_choice": _("Choisissez des élèves de l'établissement.")},
        )
        self.fields["division"] = forms.ModelChoiceField(
            label=_("Ou toute une classe"),
            queryset=divisions,
            required=False,
            empty_label=_("— aucune —"),
            help_text=_("Une sortie de classe : l'événement est saisi pour chacun de ses élèves."),
        )
        self.add_period_fields()
        self.fields["subject"] = forms.ModelChoiceField(
            label=_("Discipline (dispense)"),
            queryset=Subject.objects.filter(establishment_id=establishment_id),
            required=False,
            empty_label=_("— aucune —"),
        )
        self.fields["attendance_required"] = forms.BooleanField(
            label=_("Présence en cours exigée (dispense)"), required=False, initial=True
        )
        self.fields["note"] = forms.CharField(label=_("Précision"), max_length=255, required=False)

    def clean(self):
        cleaned = super().clean()
        self.clean_period(cleaned)
        if not cleaned.get("pupils") and not cleaned.get("division"):
            self.add_error("pupils", _("Choisissez des élèves ou une classe."))
        if cleaned.get("kind") == EventKind.EXEMPTION and not cleaned.get("subject"):
            self.add_error("subject", _("Une dispense porte sur une discipline."))
        return cleaned


def division_choices(establishment_id: int, day: date):
    return Division.objects.filter(
        establishment_id=establishment_id,
        school_year__start_date__lte=day,
        school_year__end_date__gte=day,
    ).order_by("name")


# -- Settings -------------------------------------------------------------------------

REASON_FLAGS = ("legitimate", "justifies", "health", "family_selectable", "on_report_card")


class ReasonForm(forms.ModelForm):
    class Meta:
        model = AbsenceReason
        fields = ("code", "label", *REASON_FLAGS, "position")

    def __init__(self, *args, establishment_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.establishment_id = establishment_id
        if self.instance.pk:
            # The code names the reason in exports and history: it does not change.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Le code ne change pas une fois le motif créé.")

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        taken = AbsenceReason.objects.filter(establishment_id=self.establishment_id, code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Un motif porte déjà ce code."))
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("legitimate") and not cleaned.get("justifies"):
            self.add_error(
                "justifies", _("Un motif légitime (L131-8) justifie l'absence une fois accepté.")
            )
        return cleaned

    def validate_unique(self):
        # The establishment is not a field of the form: clean_code checks the code.
        pass


POLICY_FIELDS = (
    "half_day_boundary",
    "count_mode",
    "family_alert_threshold",
    "referral_threshold",
    "heavy_threshold",
    "roll_call_grace_minutes",
    "quiet_hours_start",
    "quiet_hours_end",
    "families_may_justify",
    "contacts_see_absences",
)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = AttendancePolicy
        fields = POLICY_FIELDS
        widgets = {
            "half_day_boundary": TimeInput(),
            "quiet_hours_start": TimeInput(),
            "quiet_hours_end": TimeInput(),
        }

    def clean(self):
        cleaned = super().clean()
        alert = cleaned.get("family_alert_threshold")
        referral = cleaned.get("referral_threshold")
        heavy = cleaned.get("heavy_threshold")
        if alert is not None and alert < 1:
            self.add_error("family_alert_threshold", _("Le seuil est d'au moins 1."))
        if alert is not None and referral is not None and alert > referral:
            self.add_error(
                "referral_threshold",
                _("Le seuil de signalement ne peut pas être inférieur au seuil d'alerte."),
            )
        if referral is not None and heavy is not None and referral > heavy:
            self.add_error(
                "heavy_threshold",
                _(
                    "Le seuil d'absentéisme lourd ne peut pas être inférieur au seuil de "
                    "signalement."
                ),
            )
        boundary = cleaned.get("half_day_boundary")
        if boundary is not None and not time(10, 0) <= boundary <= time(15, 0):
            self.add_error(
                "half_day_boundary", _("La limite du matin se situe entre 10:00 et 15:00.")
            )
        grace = cleaned.get("roll_call_grace_minutes")
        if grace is not None and grace > 120:
            self.add_error("roll_call_grace_minutes", _("Au plus 120 minutes."))
        return cleaned

    def validate_constraints(self, exclude=None):
        # The ordering of thresholds is checked in clean() with French messages.
        pass
