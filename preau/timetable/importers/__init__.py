"""One module per timetable format; each reads a file into a SourceTimetable.

`read(format, path, options)` is the one entry point: the command, the import page
and the tests call it, then hand the result to `services.timetable_import`.
"""

from dataclasses import dataclass, field
from datetime import date, time
from importlib import import_module
from pathlib import Path

from preau.core.calendar import CalendarRules
from preau.timetable.importers.base import ParseError
from preau.timetable.source import SourceTimetable

FORMATS = ("edt", "fet", "sts", "udt")


@dataclass
class ImportOptions:
    uai: str | None = None
    # Formats without dates (FET): weekdays for the source's days in order, clock
    # ranges for its hours, the weeks to generate and the days without classes.
    days: list[int] = field(default_factory=list)
    grid: list[tuple[time, time]] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    rules: CalendarRules | None = None


def read(fmt: str, path: Path, options: ImportOptions) -> SourceTimetable:
    if fmt not in FORMATS:
        raise ParseError(f"Format inconnu « {fmt} » : {', '.join(FORMATS)}.")
    module = import_module(f"preau.timetable.importers.{fmt}")
    return module.read(Path(path), options)


__all__ = ["FORMATS", "ImportOptions", "ParseError", "read"]
