"""Activating an imported account with the code of a letter: `/activation/` (the
identifier and the code), then `/activation/mot-de-passe/` (the password and the
e-mail address). Between the two steps the session holds which code was accepted, for
`STEP_MINUTES`; the second step checks it again before using it."""

import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from preau.accounts.forms import ActivationCodeForm, ActivationPasswordForm
from preau.accounts.models import ActivationCode
from preau.accounts.services import ActivationRefused, account_activate

SESSION_KEY = "preau_activation"
STEP_MINUTES = 20


@never_cache
def activate(request):
    form = ActivationCodeForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        request.session[SESSION_KEY] = {"code": form.activation_code.pk, "at": int(time.time())}
        return HttpResponseRedirect(reverse("accounts:activate_password"))
    return render(request, "accounts/activate.html", {"form": form})


def _pending_code(request) -> ActivationCode | None:
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > STEP_MINUTES * 60:
        return None
    return (
        ActivationCode.objects.filter(pk=state.get("code"))
        .select_related("account__person")
        .first()
    )


@never_cache
def activate_password(request):
    code = _pending_code(request)
    if code is None or not code.usable(timezone.now()) or code.account.activated_at:
        request.session.pop(SESSION_KEY, None)
        messages.info(request, _("Saisissez d'abord votre identifiant et votre code d'activation."))
        return HttpResponseRedirect(reverse("accounts:activate"))
    account = code.account
    person = account.person
    form = ActivationPasswordForm(
        account,
        request.POST or None,
        initial={"email": person.email if person else ""},
    )
    if request.method == "POST" and form.is_valid():
        request.session.pop(SESSION_KEY, None)
        try:
            account_activate(
                request=request,
                code=code,
                password=form.cleaned_data["new_password1"],
                email=form.cleaned_data["email"],
            )
        except ActivationRefused:
            messages.error(
                request, _("Ce code ne peut plus servir. Recommencez avec votre lettre.")
            )
            return HttpResponseRedirect(reverse("accounts:activate"))
        messages.success(
            request,
            _("Votre compte est activé. Retenez votre identifiant : %(login)s.")
            % {"login": account.login},
        )
        return HttpResponseRedirect(reverse(settings.LOGIN_REDIRECT_URL))
    return render(
        request,
        "accounts/activate_password.html",
        {"form": form, "account": account, "person": person},
    )
