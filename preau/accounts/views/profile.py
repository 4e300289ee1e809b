"""The person's own account pages: the account page, contact details, the choice of
e-mails. Each is for the signed-in person only: no identifier in the address."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.accounts import services
from preau.accounts.forms import ContactDetailsForm, NotificationPreferencesForm
from preau.accounts.models import NotificationKind
from preau.accounts.selectors import preference_of
from preau.core.access import refuse
from preau.core.selectors import today


def _may_edit_contact_details(request) -> bool:
    return services.may_edit_contact_details(request.user.person, request.person_spaces, today())


@login_required
def account_view(request):
    return render(
        request,
        "accounts/account.html",
        {
            "account": request.user,
            "person": request.user.person,
            "edits_contact_details": _may_edit_contact_details(request),
        },
    )


@login_required
def contact_details(request):
    """A guardian, or a pupil of age, keeps their own e-mail, phones and address up to
    date; the staff read them on the pupil's file."""
    if not _may_edit_contact_details(request):
        raise refuse(request, "page", request.path)
    person = request.user.person
    form = ContactDetailsForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.contact_details_update(
                actor=request.user,
                values={name: form.cleaned_data[name] for name in ContactDetailsForm.Meta.fields},
            )
        except PermissionDenied as exc:  # lost the right between the page and the post
            raise refuse(request, "page", request.path) from exc
        if changed:
            messages.success(request, _("Vos coordonnées ont été enregistrées."))
        else:
            messages.info(request, _("Rien n'a changé."))
        return HttpResponseRedirect(reverse("accounts:account"))
    return render(request, "accounts/contact_details.html", {"form": form})


# E-mails sent whatever the person chose, and why (shown on the page).
ALWAYS_SENT = [
    gettext_lazy(
        "Les absences de vos enfants : l'établissement doit signaler sans délai toute "
        "absence aux responsables légaux (contrôle de l'assiduité scolaire, article L131-8 "
        "du Code de l'éducation et circulaire n° 2014-159). Le soir et le week-end, le "
        "courriel attend le matin, sauf pour une absence en cours. Elles restent aussi "
        "affichées dans votre espace."
    ),
    gettext_lazy(
        "Les courriers du suivi de l'assiduité (absences répétées, signalement au directeur "
        "académique), envoyés par la poste."
    ),
    gettext_lazy(
        "Les messages sur votre compte lui-même : changement d'adresse électronique, mot "
        "de passe oublié."
    ),
]


@login_required
def notifications(request):
    """Which e-mails the person receives; what the law requires is always sent, and
    the page says so."""
    person = request.user.person
    if person is None:
        raise refuse(request, "page", request.path)
    preference = preference_of(person)
    initial = {kind: getattr(preference, kind) for kind in NotificationKind.values}
    form = NotificationPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_set(actor=request.user, values=form.cleaned_data)
        messages.success(request, _("Vos choix de notifications ont été enregistrés."))
        return HttpResponseRedirect(reverse("accounts:notifications"))
    return render(
        request,
        "accounts/notifications.html",
        {"form": form, "always_sent": ALWAYS_SENT, "has_email": bool(person.email.strip())},
    )
