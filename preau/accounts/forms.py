from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.db.models import Q
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from preau.accounts.models import Account, normalise_login
from preau.accounts.tasks import send_account_email
from preau.accounts.throttling import login_failed, login_throttle


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
