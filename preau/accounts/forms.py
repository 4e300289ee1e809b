from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Q
from django.template import loader
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from preau.accounts.models import Account, NotificationKind, normalise_login
from preau.accounts.tasks import send_account_email
from preau.accounts.throttling import login_failed, login_throttle
from preau.core.models import Person


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(
        label=_("Rester connecté"),
        required=False,
        help_text=_(
            "Sur un appareil personnel : les familles et les élèves restent connectés "
            "%(days)s jours. Les personnels sont toujours déconnectés à la fermeture "
            "du navigateur."
        )
        % {"days": settings.PREAU_REMEMBER_ME_DAYS},
    )

    error_messages = {
        "invalid_login": _(
            "Identifiant ou mot de passe incorrect. Vérifiez votre saisie, ou utilisez "
            "« Mot de passe oublié »."
        ),
        "inactive": _("Ce compte est désactivé. Adressez-vous au secrétariat de l'établissement."),
    }

    def clean(self):
        login = self.cleaned_data.get("username") or ""
        throttle = login_throttle(self.request, login)
        if throttle.locked:
            minutes = max(1, (throttle.seconds_left + 59) // 60)
            raise forms.ValidationError(
                ngettext(
                    "Trop de tentatives de connexion. Réessayez dans %(minutes)d minute.",
                    "Trop de tentatives de connexion. Réessayez dans %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            login_failed(self.request, login)
            raise


class PasswordResetRequestForm(PasswordResetForm):
    """Families forget their identifier more often than their e-mail address: either
    one finds the account. The answer never tells whether an account exists."""

    email = forms.CharField(
        label=_("Identifiant ou adresse électronique"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )

    def get_users(self, email):
        value = email.strip()
        accounts = (
            Account.objects.filter(is_active=True)
            .select_related("person")
            .filter(Q(login=normalise_login(value)) | Q(person__email__iexact=value))
        )
        return (account for account in accounts if account.has_usable_password() and account.email)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        transaction.on_commit(
            lambda: send_account_email.delay(subject=subject, body=body, to=to_email)
        )


# -- Activation ----------------------------------------------------------------------------

WRONG_CODE = _(
    "Identifiant ou code d'activation incorrect. Recopiez-les depuis la lettre remise par "
    "l'établissement : les majuscules, les espaces et les tirets n'ont pas d'importance."
)


class ActivationCodeForm(forms.Form):
    """The first step of activation: the identifier and the code of the letter. Wrong
    codes are throttled like wrong passwords (`throttling.activation_*`); a right code
    that cannot serve any more (used, replaced, expired) says why, which tells nothing
    to somebody who does not hold the letter."""

    login = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    code = forms.CharField(
        label=_("Code d'activation"),
        max_length=40,
        help_text=_("12 caractères, par exemple ACDE-FGH3-4789."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, request, **kwargs):
        self.request = request
        self.activation_code = None
        super().__init__(*args, **kwargs)

    def clean(self):
        from preau.accounts.selectors import activation_code_matching
        from preau.accounts.throttling import activation_failed, activation_throttle

        login = self.cleaned_data.get("login") or ""
        typed = self.cleaned_data.get("code") or ""
        if self.errors:
            return self.cleaned_data
        throttle = activation_throttle(self.request, login)
        if throttle.locked:
            minutes = max(1, (throttle.seconds_left + 59) // 60)
            raise forms.ValidationError(
                ngettext(
                    "Trop de codes incorrects. Réessayez dans %(minutes)d minute.",
                    "Trop de codes incorrects. Réessayez dans %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        found = activation_code_matching(login, typed)
        if found is None:
            activation_failed(self.request, login)
            raise forms.ValidationError(WRONG_CODE, code="wrong")
        account = found.account
        if not account.is_active:
            raise forms.ValidationError(
                _("Ce compte est désactivé. Adressez-vous au secrétariat de l'établissement."),
                code="inactive",
            )
        if found.used_at is not None or account.activated_at is not None:
            raise forms.ValidationError(
                _(
                    "Ce compte est déjà activé. Connectez-vous avec votre mot de passe, ou "
                    "utilisez « Mot de passe oublié » si vous ne le retrouvez pas."
                ),
                code="used",
            )
        if found.voided_at is not None:
            raise forms.ValidationError(
                _(
                    "Ce code a été remplacé par celui d'une lettre plus récente : utilisez "
                    "le code de la dernière lettre reçue."
                ),
                code="voided",
            )
        if found.expires_at <= timezone.now():
            raise forms.ValidationError(
                _(
                    "Ce code a expiré le %(day)s. Demandez une nouvelle lettre au secrétariat "
                    "de l'établissement."
                )
                % {"day": formats.date_format(timezone.localtime(found.expires_at), "j F Y")},
                code="expired",
            )
        self.activation_code = found
        return self.cleaned_data


class ActivationPasswordForm(SetPasswordForm):
    """The second step: the password (Django's validators, as for any password) and
    the e-mail address, shown as the establishment knows it, to confirm or correct."""

    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        help_text=_(
            "Vérifiez-la ou corrigez-la : l'établissement vous y écrit, et c'est là que vous "
            "recevrez de quoi changer votre mot de passe si vous l'oubliez."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    field_order = ["email", "new_password1", "new_password2"]

    def save(self, commit=True):  # the service writes, not the form
        raise NotImplementedError("accounts.services.account_activate saves the password")


# -- Contact details, e-mail choices, tokens -----------------------------------------------

PHONE = RegexValidator(
    r"^\+?[0-9 .()\-]{6,30}$",
    _("Un numéro de téléphone s'écrit avec des chiffres (et « + » pour l'indicatif)."),
)


class ContactDetailsForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "email",
            "mobile_phone",
            "phone",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
        ]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "mobile_phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "country": forms.TextInput(attrs={"autocomplete": "country-name"}),
        }
        help_texts = {
            "mobile_phone": _("Par exemple 06 12 34 56 78."),
            "address_line2": _("Bâtiment, étage, lieu-dit…"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _(
            "L'établissement vous y écrit ; c'est aussi là que vous recevez de quoi changer "
            "votre mot de passe."
        )
        for name in ("mobile_phone", "phone"):
            self.fields[name].validators.append(PHONE)

    def clean(self):
        data = super().clean()
        for name in self.Meta.fields:
            if isinstance(data.get(name), str):
                data[name] = " ".join(data[name].split())
        country = (data.get("country") or "").strip()
        postal_code = data.get("postal_code") or ""
        if (
            country.casefold() in ("", "france")
            and postal_code
            and not (len(postal_code) == 5 and postal_code.isdigit())
        ):
            self.add_error("postal_code", _("Un code postal français a 5 chiffres."))
        return data


class NotificationPreferencesForm(forms.Form):
    absences = forms.BooleanField(
        label=NotificationKind.ABSENCES.label,
        required=False,
        help_text=_(
            "Les retards et les réponses de la vie scolaire à vos justificatifs d'absence. "
            "Les absences elles-mêmes vous sont toujours signalées (voir plus bas)."
        ),
    )
    grades = forms.BooleanField(
        label=NotificationKind.GRADES.label,
        required=False,
        help_text=_("La publication d'un bulletin dans votre espace."),
    )
    homework = forms.BooleanField(
        label=NotificationKind.HOMEWORK.label,
        required=False,
        help_text=_("Le travail à faire ajouté ou modifié."),
    )
    messages = forms.BooleanField(
        label=NotificationKind.MESSAGES.label,
        required=False,
        help_text=_("Les messages reçus dans Préau (la messagerie arrive prochainement)."),
    )


class PersonalTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=80,
        help_text=_("À quoi il sert, pour le reconnaître : « Agenda du téléphone »…"),
    )
    lifetime = forms.ChoiceField(label=_("Durée de validité"))

    def __init__(self, *args, lifetimes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lifetime"].choices = [(item.key, item.label) for item in lifetimes]
        self.fields["lifetime"].initial = "90"
