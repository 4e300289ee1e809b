"""The direction's messaging settings: who may write to whom (the matrix of
messaging.md as checkboxes), whether persons in charge and contacts count as
guardians, the quiet hours, the rate limits of families and pupils, and the emergency
switch that leaves only staff able to write (one click, confirmed, logged).

Open to the direction of the active establishment; anybody else gets a logged 404.
Changes go through `services.messaging_policy_update` and `services.emergency_set`,
which check the permission again and audit them.
"""

from dataclasses import dataclass

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from preau.core.models import Establishment, RoleKind
from preau.messaging import selectors, services
from preau.messaging.forms import PolicyForm
from preau.messaging.services import MessageInvalid, MessagingRefused
from preau.messaging.views.common import render_page
from preau.portal.access import staff_page

direction_page = staff_page(lambda scope: RoleKind.DIRECTION in scope.roles)

ALWAYS = gettext_lazy("toujours")
NEVER = gettext_lazy("jamais")

# Columns of the matrix (who receives), rows (who writes) with, in each cell, a
# setting's name or a fixed answer.
COLUMNS = (
    gettext_lazy("Enseignants"),
    gettext_lazy("Vie scolaire"),
    gettext_lazy("Direction et secrétariat"),
    gettext_lazy("Responsables"),
    gettext_lazy("Élèves"),
)
ROWS = (
    (gettext_lazy("Direction et vie scolaire"), (ALWAYS, ALWAYS, ALWAYS, ALWAYS, ALWAYS)),
    (
        gettext_lazy("Enseignants"),
        (ALWAYS, ALWAYS, ALWAYS, "teachers_to_guardians", "teachers_to_pupils"),
    ),
    (
        gettext_lazy("Responsables"),
        (
            "guardians_to_teachers",
            "guardians_to_vie_scolaire",
            "guardians_to_direction",
            "delegates_to_guardians",
            NEVER,
        ),
    ),
    (
        gettext_lazy("Élèves"),
        (
            "pupils_to_teachers",
            "pupils_to_vie_scolaire",
            "pupils_to_direction",
            NEVER,
            "pupils_to_pupils",
        ),
    ),
)
# What a ticked cell means, beside its checkbox.
SCOPES = {
    "teachers_to_guardians": gettext_lazy("de leurs élèves"),
    "teachers_to_pupils": gettext_lazy("leurs élèves"),
    "guardians_to_teachers": gettext_lazy("de leurs enfants"),
    "delegates_to_guardians": gettext_lazy("parents délégués, de leur classe"),
    "pupils_to_teachers": gettext_lazy("les leurs"),
    "pupils_to_pupils": gettext_lazy("de leur classe"),
}


@dataclass(frozen=True)
class Cell:
    field: object = None  # a BoundField, or None for a fixed answer
    text: str = ""
    scope: str = ""


def _matrix(form: PolicyForm) -> list[tuple[str, list[Cell]]]:
    rows = []
    for label, cells in ROWS:
        row = []
        for cell in cells:
            if isinstance(cell, str) and cell in form.fields:
                row.append(Cell(field=form[cell], scope=str(SCOPES.get(cell, ""))))
            else:
                row.append(Cell(text=str(cell)))
        rows.append((str(label), row))
    return rows


def _redirect(anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('messaging:settings')}#{anchor}")


@require_http_methods(["GET", "POST"])
@direction_page
def messaging_settings(request, *, scope):
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    policy = selectors.messaging_policy(establishment.pk)
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                services.messaging_policy_update(
                    actor=request.user, establishment=establishment, **changes
                )
            except (MessageInvalid, MessagingRefused) as error:
                form.add_error(None, error.reason)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Les règles de la messagerie sont enregistrées."))
                return _redirect("rules")
    context = {
        "form": form,
        "policy": policy,
        "columns": [str(column) for column in COLUMNS],
        "matrix": _matrix(form),
        "attachment_size": django_settings.PREAU_MESSAGE_ATTACHMENT_MAX_BYTES,
        "attachments_max": django_settings.PREAU_MESSAGE_ATTACHMENTS_MAX,
        "message_size": django_settings.PREAU_MESSAGE_MAX_BYTES,
    }
    return render_page(request, "messaging/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@direction_page
def emergency(request, *, scope):
    """Confirm, then turn the emergency switch on (or off)."""
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    policy = selectors.messaging_policy(establishment.pk)
    if request.method == "POST":
        enabled = request.POST.get("mode") == "on"
        services.emergency_set(actor=request.user, establishment=establishment, enabled=enabled)
        if enabled:
            messages.success(
                request,
                _("Mode urgence activé : seuls les personnels peuvent écrire. C'est consigné."),
            )
        else:
            messages.success(request, _("Mode urgence levé : la messagerie est rouverte."))
        return _redirect("emergency")
    return render_page(
        request, "messaging/emergency.html", {"policy": policy, "establishment": establishment}
    )
