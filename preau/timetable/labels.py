"""How a session is put in words on a page: its status (every status has its own
words, never only a colour) and its teachers' short names. Pure wording over the
models: no query beyond the relations the caller prefetched (an exceptional session's
`origin`, a moved session's `successors`).

The timetable pages and the home-page cards (`portal.selectors.cards`) both use it.
"""

from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.core.models import Person
from preau.timetable.models import Occurrence, OccurrenceStatus

STATUS_DISPLAY = {
    OccurrenceStatus.CANCELLED: ("cancelled", gettext_lazy("Annulé")),
    OccurrenceStatus.TEACHER_ABSENT: ("absent", gettext_lazy("Prof. absent")),
    OccurrenceStatus.ROOM_CHANGED: ("room", gettext_lazy("Changement de salle")),
    OccurrenceStatus.MOVED: ("moved", gettext_lazy("Déplacé")),
    OccurrenceStatus.REPLACED: ("replaced", gettext_lazy("Remplacé")),
    OccurrenceStatus.EXCEPTIONAL: ("exceptional", gettext_lazy("Exceptionnel")),
}


def moment(value, zone: ZoneInfo) -> str:
    """A moment in words: "jeudi 12 mars à 10:00"."""
    local = timezone.localtime(value, zone)
    return _("%(day)s à %(time)s") % {
        "day": formats.date_format(local, "l j F"),
        "time": formats.time_format(local, "H:i"),
    }


def status_of(occurrence: Occurrence, zone: ZoneInfo) -> tuple[str, str, str]:
    """(CSS modifier, label, detail): every status has its own words, never only a
    colour; a moved session says where it went, its new session where it came from."""
    status = occurrence.status
    if status == OccurrenceStatus.SCHEDULED:
        return "", "", ""
    if status == OccurrenceStatus.EXCEPTIONAL and occurrence.origin_id:
        origin = occurrence.origin
        if origin.status == OccurrenceStatus.MOVED:
            return (
                "moved-in",
                _("Nouvel horaire"),
                _("au lieu du %(when)s") % {"when": moment(origin.start, zone)},
            )
        if origin.status == OccurrenceStatus.REPLACED:
            return "replacement", _("Remplacement"), ""
    modifier, label = STATUS_DISPLAY[status]
    detail = ""
    if status == OccurrenceStatus.MOVED:
        moved_to = next(iter(occurrence.successors.all()), None)
        if moved_to is not None:
            detail = _("reporté au %(when)s") % {"when": moment(moved_to.start, zone)}
    return modifier, str(label), detail


def short_name(person: Person) -> str:
    """How a session card names a teacher: "Mme SCHMITT"."""
    if person.civility:
        return f"{person.get_civility_display()} {person.last_name.upper()}"
    return f"{person.first_name[:1]}. {person.last_name.upper()}"
