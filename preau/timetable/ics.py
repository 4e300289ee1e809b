"""Occurrences as an iCalendar document (interfaces.md, `export_timetable`): one VEVENT
per occurrence, no RRULE, at the right instant, with a UID stable across exports."""

from collections.abc import Iterable

from icalendar import Calendar, Event

from preau.timetable.models import NOT_HELD, Occurrence, OccurrenceStatus
from preau.timetable.selectors import audience_label

# Statuses under which a calendar should show the session as not taking place.
CANCELLED_IN_CALENDARS = NOT_HELD | {OccurrenceStatus.TEACHER_ABSENT}


def to_ics(occurrences: Iterable[Occurrence], *, uai: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Préau//Emploi du temps//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for occurrence in occurrences:
        event = Event()
        event.add("uid", f"{occurrence.uid}@{uai.lower()}.preau")
        event.add("dtstamp", occurrence.updated_at)
        event.add("dtstart", occurrence.start)
        event.add("dtend", occurrence.end)
        event.add("summary", occurrence.title)
        rooms = ", ".join(room.name for room in occurrence.rooms.all())
        if rooms:
            event.add("location", rooms)
        teachers = ", ".join(teacher.formal_name for teacher in occurrence.teachers.all())
        lines = [f"Enseignants : {teachers}" if teachers else "Enseignant : —"]
        audience = audience_label(occurrence)
        if audience:
            lines.append(f"Pour : {audience}")
        if occurrence.status != OccurrenceStatus.SCHEDULED:
            lines.append(f"État : {occurrence.get_status_display()}")
        if occurrence.note:
            lines.append(occurrence.note)
        event.add("description", "\n".join(lines))
        event.add(
            "status",
            "CANCELLED" if occurrence.status in CANCELLED_IN_CALENDARS else "CONFIRMED",
        )
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
