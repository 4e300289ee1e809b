"""Personal API tokens (`/compte/jetons/`): create one (shown once, on the answer to
the creation), list them, revoke one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from preau.accounts import services
from preau.accounts.forms import PersonalTokenForm
from preau.accounts.policy import token_lifetimes
from preau.accounts.selectors import tokens_of
from preau.core.access import refuse
from preau.portal.spaces import REGION, STAFF


@never_cache
@login_required
def tokens(request):
    if request.user.person_id is None:
        raise refuse(request, "page", request.path)
    account = request.user
    # Staff as `services.account_is_staff` decides, read from the spaces already loaded.
    staff = (
        account.is_staff
        or account.is_superuser
        or any(space.kind in (STAFF, REGION) for space in request.person_spaces.spaces)
    )
    lifetimes = token_lifetimes(staff=staff)
    form = PersonalTokenForm(request.POST or None, lifetimes=lifetimes)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, plain = services.personal_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                lifetime=form.cleaned_data["lifetime"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown on this answer only: nothing keeps it, not even the session.
            created = {"token": token, "plain": plain}
            form = PersonalTokenForm(lifetimes=lifetimes)
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": tokens_of(request.user),
            "api_url": request.build_absolute_uri("/api/v1/"),
            "now": timezone.now(),
        },
    )


@require_POST
@login_required
def token_revoke(request, token_id: int):
    try:
        token = services.personal_token_revoke(actor=request.user, token_id=token_id)
    except LookupError as exc:
        raise refuse(request, "token", token_id) from exc
    messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
    return HttpResponseRedirect(reverse("accounts:tokens"))
