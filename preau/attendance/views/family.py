"""Families and pupils: absences and lateness with their state, online justification.

The pupil a page is about is never taken from the URL: it is the signed-in pupil
(pupil space) or the guardian's active child (family space, `request.child`); an
absence id in a URL is looked up among that pupil's absences only. Anybody else —
staff, another family — gets a 404 (`refuse`). What the reader may do is decided by
`selectors.family.family_access`.
"""

import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from preau.attendance import services
from preau.attendance.models import AbsenceReason, AttendancePolicy
from preau.attendance.selectors import family as selectors
from preau.core.access import refuse
from preau.core.selectors import today
from preau.portal.spaces import FAMILY, PUPIL

# -- Who the page is about -------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    pupil_id: int
    name: str
    establishment_id: int
    own: bool
    access: selectors.FamilyAccess
    policy: AttendancePolicy


def _subject(request) -> Subject | None:
    """The pupil of the page and the reader's rights; None for a family space with no
    child; a 404 for any other space."""
    space = request.space
    if space is not None and space.kind == PUPIL:
        person = request.user.person
        policy = selectors.policy_of(space.establishment_id)
        access = selectors.family_access(
            link=selectors.OWN, adult=person.is_adult_on(today()), policy=policy
        )
        return Subject(person.pk, person.display_name, space.establishment_id, True, access, policy)
    if space is not None and space.kind == FAMILY:
        child = request.child
        if child is None:
            return None
        policy = selectors.policy_of(child.establishment_id)
        access = selectors.family_access(
            link=selectors.link_of(child.level), adult=False, policy=policy
        )
        return Subject(child.id, child.display_name, child.establishment_id, False, access, policy)
    raise refuse(request, "page", request.path)


def _no_subject(request, subject: Subject | None):
    """The page for a family with no child yet, or a contact the establishment does not
    show absences to (they know the child: the switcher names them)."""
    if subject is None:
        return render(request, "attendance/family/no_child.html")
    return render(request, "attendance/family/no_access.html", {"subject": subject})


def _overview(subject: Subject) -> selectors.Overview:
    return selectors.overview(
        pupil_id=subject.pupil_id, policy=subject.policy, access=subject.access, day=today()
    )


# -- Pages -----------------------------------------------------------------------------


@require_GET
@login_required
def mine(request):
    """The school year's absences and lateness of the pupil, with what to do."""
    subject = _subject(request)
    if subject is None or not subject.access.may_see:
        return _no_subject(request, subject)
    overview = _overview(subject)
    return render(
        request,
        "attendance/family/mine.html",
        {"subject": subject, "overview": overview, "rows": overview.rows},
    )


@require_GET
@login_required
def justify(request):
    """The absences waiting for a justification, and those sent and being examined.
    Like the menu (portal.navigation): a page of legal guardians, and of an adult pupil
    who may justify; a minor pupil, or a person who is only a contact, has none."""
    subject = _subject(request)
    if subject is not None and subject.own and not subject.access.may_justify:
        raise refuse(request, "page", request.path)
    if subject is not None and not subject.own and "guardian" not in request.space.roles:
        raise refuse(request, "page", request.path)
    if subject is None or not subject.access.may_see:
        return _no_subject(request, subject)
    overview = _overview(subject)
    return render(
        request,
        "attendance/family/justify.html",
        {
            "subject": subject,
            "overview": overview,
            "waiting": [row for row in overview.rows if row.waiting],
            "pending": [row for row in overview.rows if row.pending],
        },
    )


# -- The justification form ------------------------------------------------------------

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# What a document must start with, whatever its name or the type the browser gave.
SIGNATURES = (
    (b"%PDF-", ".pdf", "application/pdf"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
)
CONTENT_TYPES = {suffix: content_type for _magic, suffix, content_type in SIGNATURES}


def sniff(head: bytes) -> str | None:
    """The file suffix a document's first bytes show, or None."""
    return next((suffix for magic, suffix, _type in SIGNATURES if head.startswith(magic)), None)


class JustificationForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=gettext_lazy("Motif"),
        queryset=AbsenceReason.objects.none(),
        empty_label=gettext_lazy("Choisissez un motif"),
    )
    comment = forms.CharField(
        label=gettext_lazy("Explication"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Facultative : ce qui aide la vie scolaire à comprendre."),
    )
    document = forms.FileField(
        label=gettext_lazy("Justificatif"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=gettext_lazy(
            "Facultatif : un certificat, une convocation… en PDF, JPEG ou PNG, 5 Mo au plus. "
            "Seule la vie scolaire le consulte."
        ),
    )

    def __init__(self, *args, establishment_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = selectors.selectable_reasons(establishment_id)

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        if upload.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                _("Le justificatif dépasse 5 Mo : réduisez-le ou photographiez-le à nouveau.")
            )
        upload.seek(0)
        suffix = sniff(upload.read(16))
        upload.seek(0)
        if suffix is None:
            raise ValidationError(_("Le justificatif doit être un fichier PDF, JPEG ou PNG."))
        # An unguessable name, never the one the family's device gave (it may say a
        # child's name or an illness); the suffix is the one the content shows.
        upload.name = f"{secrets.token_urlsafe(24)}{suffix}"
        return upload


def _justifiable(request, subject: Subject | None, absence_id: int):
    if subject is None or not subject.access.may_justify:
        raise refuse(request, "absence", absence_id)
    absence = selectors.absence_for_family(
        pupil_id=subject.pupil_id, establishment_id=subject.establishment_id, absence_id=absence_id
    )
    if absence is None:
        raise refuse(request, "absence", absence_id)
    return absence


@require_http_methods(["GET", "POST"])
@login_required
def justify_absence(request, absence_id: int):
    """Give a reason, a comment and a document for one absence of the pupil; it then
    waits for the vie scolaire's decision ("Justification à examiner")."""
    subject = _subject(request)
    absence = _justifiable(request, subject, absence_id)
    row = selectors.rows_of(
        [absence],
        access=subject.access,
        zone=ZoneInfo(subject.policy.establishment.timezone),
        pupil_id=subject.pupil_id,
    )[0]
    form = JustificationForm(
        request.POST or None, request.FILES or None, establishment_id=subject.establishment_id
    )
    if request.method == "POST" and row.waiting and form.is_valid():
        try:
            services.absence_justify(
                actor=request.user,
                absence=absence,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"].strip(),
                document=form.cleaned_data["document"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(
                request,
                _("Justification envoyée : elle est à examiner par la vie scolaire."),
            )
            return HttpResponseRedirect(reverse("attendance:justify"))
    return render(
        request,
        "attendance/family/justify_form.html",
        {"subject": subject, "row": row, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def justification_document(request, absence_id: int):
    """The document the family sent, for the pupil and their legal guardians only; it
    is never under a public URL."""
    subject = _subject(request)
    if subject is None or not subject.access.sees_confidential:
        raise refuse(request, "justificatif", absence_id)
    absence = selectors.absence_for_family(
        pupil_id=subject.pupil_id, establishment_id=subject.establishment_id, absence_id=absence_id
    )
    if absence is None or not absence.document:
        raise refuse(request, "justificatif", absence_id)
    suffix = PurePosixPath(absence.document.name).suffix.lower()
    response = FileResponse(
        absence.document.open("rb"),
        as_attachment=True,
        filename=f"justificatif{suffix}",
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return response


patterns = [
    path("absences/", mine, name="mine"),
    path("justifier/", justify, name="justify"),
    path("justifier/<int:absence_id>/", justify_absence, name="justify_absence"),
    path(
        "justifier/<int:absence_id>/justificatif/",
        justification_document,
        name="justification_document",
    ),
]
