"""The forms of the messaging pages: writing, replying, the establishment's rules.

A message is typed in a plain text area; `text_to_html` turns its text into the HTML
the message keeps (paragraphs, line breaks, bold, italics, lists, links), which the
service sanitises again with nh3 before storing it. The formatting buttons of the page
only insert the same marks a person may type (`**gras**`, `*italique*`, `- ` at the
start of a line), so that the page works without JavaScript.
"""

import html
import re

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.messaging.models import MessageKind, MessagingPolicy
from preau.messaging.services import POLICY_FIELDS

# -- Text to HTML ---------------------------------------------------------------------------

BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![\*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\*\w])")
URL = re.compile(r"\bhttps?://[^\s<>\"]+")
BULLET = re.compile(r"^\s*[-•*]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
TRAILING = ".,;:!?)»"


def _link(match: re.Match) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in TRAILING:
        tail = url[-1] + tail
        url = url[:-1]
    # `url` is already escaped: its `&` reads `&amp;`, as an attribute wants it.
    return f'<a href="{url}">{url}</a>{tail}'


def _inline(line: str) -> str:
    text = html.escape(line, quote=True)
    text = URL.sub(_link, text)
    text = BOLD.sub(r"<strong>\1</strong>", text)
    return ITALIC.sub(r"<em>\1</em>", text)


def text_to_html(text: str) -> str:
    """The HTML of a message typed as text: blocks separated by an empty line are
    paragraphs (a single line break stays one), lines starting with `- ` or `1. `
    make lists, `**gras**` and `*italique*` are kept, addresses become links.
    Everything else is escaped."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close_paragraph():
        if paragraph:
            blocks.append("<p>" + "<br>\n".join(paragraph) + "</p>")
            paragraph.clear()

    def close_list():
        nonlocal list_tag
        if items:
            blocks.append(
                f"<{list_tag}>" + "\n".join(f"<li>{i}</li>" for i in items) + f"</{list_tag}>"
            )
            items.clear()
        list_tag = ""

    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        bullet, numbered = BULLET.match(line), NUMBERED.match(line)
        if not line.strip():
            close_paragraph()
            close_list()
        elif bullet or numbered:
            close_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                close_list()
            list_tag = tag
            items.append(_inline((bullet or numbered).group(1)))
        else:
            close_list()
            paragraph.append(_inline(line.strip()))
    close_paragraph()
    close_list()
    # Line breaks between blocks keep the words apart in the message's text (previews,
    # search, notifications).
    return "\n".join(blocks)


# -- Fields ---------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each within the size limit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        cleaned = [item for item in cleaned if item]
        limit = settings.PREAU_MESSAGE_ATTACHMENTS_MAX
        if len(cleaned) > limit:
            raise forms.ValidationError(
                _("Au plus %(count)d pièces jointes par message.") % {"count": limit}
            )
        size = settings.PREAU_MESSAGE_ATTACHMENT_MAX_BYTES
        for upload in cleaned:
            if upload.size > size:
                raise forms.ValidationError(
                    _("« %(name)s » dépasse la taille maximale d'une pièce jointe (%(size)s).")
                    % {"name": upload.name, "size": filesizeformat(size)}
                )
        return cleaned


def attachments_help() -> str:
    return _("Jusqu'à %(count)d fichiers, %(size)s au plus chacun.") % {
        "count": settings.PREAU_MESSAGE_ATTACHMENTS_MAX,
        "size": filesizeformat(settings.PREAU_MESSAGE_ATTACHMENT_MAX_BYTES),
    }


BODY_HELP = gettext_lazy(
    "Aucune limite de longueur. Une ligne vide sépare les paragraphes ; **gras**, "
    "*italique* ; une ligne commençant par « - » ou « 1. » fait une liste ; les "
    "adresses web deviennent des liens."
)


def _body_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Message"),
        strip=False,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 12, "class": "msg-editor__text"}),
        error_messages={"required": gettext_lazy("Écrivez votre message.")},
    )


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(label=gettext_lazy("Pièces jointes"))


class ComposeForm(forms.Form):
    """A new message. The recipients are person ids and audiences `type:target`; the
    rules are checked by `services.message_send` (a refusal answers 403 with its
    reason)."""

    recipients = forms.TypedMultipleChoiceField(coerce=int, required=False)
    # `type:target` pairs; any may be posted, the rules decide (a guardian choosing an
    # audience is refused with the reason, not with "invalid choice").
    audiences = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Groupes de destinataires"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("« %(value)s » n'est pas un groupe de destinataires.")
        },
    )
    subject = forms.CharField(
        label=gettext_lazy("Objet"),
        max_length=200,
        error_messages={"required": gettext_lazy("Indiquez l'objet du message.")},
    )
    body = _body_field()
    kind = forms.ChoiceField(
        label=gettext_lazy("Type de message"),
        choices=[
            (
                MessageKind.DISCUSSION,
                gettext_lazy("Discussion : les réponses vont à tous les participants"),
            ),
            (
                MessageKind.INFORMATION,
                gettext_lazy("Information : les réponses vont à vous seul"),
            ),
        ],
        initial=MessageKind.DISCUSSION,
        widget=forms.RadioSelect,
    )
    read_receipt = forms.BooleanField(
        label=gettext_lazy("Demander un accusé de lecture"),
        required=False,
        help_text=gettext_lazy("Vous verrez qui a lu le message et pourrez relancer les autres."),
    )
    concerns = forms.TypedChoiceField(
        label=gettext_lazy("Élève concerné"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Les familles de plusieurs enfants savent ainsi de qui il s'agit."),
    )
    urgent = forms.BooleanField(
        label=gettext_lazy("Urgent"),
        required=False,
        help_text=gettext_lazy(
            "Notifié tout de suite, même pendant les heures de silence (réservé à la direction)."
        ),
    )
    attachments = _attachments_field()

    def __init__(self, data=None, files=None, *, options, pupils, staff: bool, initial=None):
        super().__init__(data, files, initial=initial)
        # Any person or audience may be posted: the rules decide, and a refusal says
        # why (services.message_send).
        self.fields["recipients"].valid_value = lambda value: True
        self.fields["audiences"].valid_value = lambda value: ":" in str(value)
        if pupils:
            self.fields["concerns"].choices = [("", _("Aucun"))] + [
                (pupil.id, f"{pupil.name} ({pupil.division})") for pupil in pupils
            ]
            self.fields["concerns"].valid_value = lambda value: True
        else:
            del self.fields["concerns"]
        if not options.may_flag_urgent:
            del self.fields["urgent"]
        if not staff:
            del self.fields["read_receipt"]
        self.fields["attachments"].help_text = attachments_help()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("recipients") and not cleaned.get("audiences"):
            raise forms.ValidationError(
                _("Choisissez au moins un destinataire : une personne ou un groupe."),
                code="no_recipient",
            )
        return cleaned

    def audience_pairs(self) -> list[tuple[str, str]]:
        return [tuple(value.split(":", 1)) for value in self.cleaned_data.get("audiences", [])]


class ReplyForm(forms.Form):
    body = _body_field()
    attachments = _attachments_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Votre réponse")
        self.fields["body"].widget.attrs["rows"] = 6
        self.fields["attachments"].help_text = attachments_help()


# -- The establishment's rules --------------------------------------------------------------

MATRIX_FIELDS = (
    "teachers_to_guardians",
    "teachers_to_pupils",
    "guardians_to_teachers",
    "guardians_to_vie_scolaire",
    "guardians_to_direction",
    "delegates_to_guardians",
    "pupils_to_teachers",
    "pupils_to_vie_scolaire",
    "pupils_to_direction",
    "pupils_to_pupils",
)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = MessagingPolicy
        fields = POLICY_FIELDS
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "messages_per_hour": forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
            "recipients_per_day": forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        }
        help_texts = {
            "quiet_hours": gettext_lazy(
                "Circulaire du 10 juillet 2025 : pas de notification aux familles et aux "
                "élèves la nuit ni du vendredi soir au lundi matin ; les messages arrivent "
                "quand même, leur notification part à la fin de la période."
            ),
            "contacts_included": gettext_lazy(
                "Par défaut, seuls les représentants légaux (niveau 1) écrivent et reçoivent "
                "les messages adressés aux responsables."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("messages_per_hour", "recipients_per_day"):
            self.fields[name].validators.append(MinValueValidator(1))

    def validate_unique(self):
        # The row is the establishment's own; the service saves it.
        pass
