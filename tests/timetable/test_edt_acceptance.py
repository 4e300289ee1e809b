"""Acceptance of the EDT path on the real sample (704 courses, 426 pupils, 48 groups of
which 22 span several divisions): the file is imported once with `import_timetable`,
then every pupil's, teacher's, room's and division's timetable is compared with the
independent reading of tests/timetable/edt_reference.py.

- every pupil, teacher, room and division over the whole year through the selectors
  every view and export uses (`pupil_occurrences`, `teacher_occurrences`…);
- every pupil, teacher and division through `export_timetable --format ics`, parsed
  with `icalendar`: pupils over the two days after 75 of them leave a class part,
  teachers and divisions over eight days that hold both weeks of the A/B alternations
  (divisions: groups spanning divisions labelled by name); a sample of pupils and
  teachers (the pupil who leaves her division in May, the two teachers who co-teach)
  over the whole year;
- `PREAU_EDT_FULL=1` exports every pupil and every teacher over the whole year
  (several minutes: icalendar writes and reads some 360,000 events).

One import for the whole class: about 1.5 minutes in all on a quiet machine.
"""

import json
import os
import time
import unittest
from collections import Counter, defaultdict
from datetime import date
from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from preau.core.models import Establishment, ExternalId
from preau.structure.models import Division
from preau.timetable import selectors
from preau.timetable.models import (
    Occurrence,
    OccurrenceRoom,
    OccurrenceStatus,
    OccurrenceTeacher,
    Room,
    TimetableVersion,
)
from tests.timetable.edt_reference import (
    FIXTURE,
    FIXTURE_MISSING,
    PARIS,
    Expected,
    check_uids,
    compare_events,
    describe,
    event_key,
    events_of,
    expected_key,
    fail_on,
    in_window,
    read_reference,
    uids_of,
)

UAI = "0134567A"
# Thursday 26 September – Thursday 3 October 2013: the Thursdays of weeks 4 (B) and 5
# (A) of the sample's alternations, and Sunday 29 September, when 75 pupils leave a
# class part.
WINDOW = (date(2013, 9, 26), date(2013, 10, 3))
# Every pupil's calendar: Monday 30 September and Tuesday 1 October, the first days
# after 75 pupils left a class part.
PUPIL_WINDOW = (date(2013, 9, 30), date(2013, 10, 1))
FULL = bool(os.environ.get("PREAU_EDT_FULL"))
# Exported over the whole year: pupil 144 leaves 3A on 25 May 2014; pupil 1 leaves a
# class part on 29 September; teachers 10 and 50 teach one class together.
WHOLE_YEAR_PUPILS = ("144", "1", "250")
WHOLE_YEAR_TEACHERS = ("10", "50", "12")


def export(*who: str, start: date | None = None, end: date | None = None) -> str:
    out = StringIO()
    bounds = []
    if start:
        bounds += ["--from", start.isoformat()]
    if end:
        bounds += ["--to", end.isoformat()]
    call_command("export_timetable", "--uai", UAI, *who, *bounds, "--format", "ics", stdout=out)
    return out.getvalue()


@unittest.skipUnless(FIXTURE.exists(), FIXTURE_MISSING)
class EdtSampleAcceptance(TestCase):
    """One import for the whole class (setUpTestData): each test runs in a savepoint."""

    @classmethod
    def setUpTestData(cls):
        read_reference(FIXTURE)  # cached: kept out of the class, which Django deep-copies
        out = StringIO()
        started, cpu = time.perf_counter(), time.process_time()
        call_command("import_timetable", "--format", "edt", "--json", str(FIXTURE), stdout=out)
        cls.import_seconds = time.perf_counter() - started
        cls.import_cpu_seconds = time.process_time() - cpu
        cls.report = json.loads(out.getvalue())
        cls.establishment = Establishment.objects.get(uai=UAI)
        cls.pupil_ids = dict(
            ExternalId.objects.filter(
                source="edt", kind="pupil", establishment=cls.establishment
            ).values_list("value", "person_id")
        )

    @property
    def reference(self):
        return read_reference(FIXTURE)

    # -- What was imported ------------------------------------------------------------

    def test_report_counts_what_the_reference_counts(self):
        reference = self.reference
        assert self.report["counts"]["courses"] == reference.courses == 704
        assert self.report["counts"]["occurrences"] == len(reference.occurrences) == 14226
        assert self.report["counts"]["courses_without_resources"] == 100
        assert reference.courses_without_resources == 100
        assert self.report["outside_year"] == reference.outside_year == 0
        assert self.report["counts"]["cancelled_in_source"] == reference.cancelled == 0
        assert self.report["created"]["pupils"] == len(reference.pupil_idents) == 426
        assert self.report["created"]["teachers"] == len(reference.teacher_names) == 31
        assert self.report["created"]["groups"] == 48
        assert self.report["diff"]["added"] == 14226
        assert self.report["counts"]["unknown_names"] == 0
        assert Occurrence.objects.filter(establishment=self.establishment).count() == 14226

    def test_import_takes_under_ten_seconds(self):
        """Processor time, which other processes on the machine do not inflate (on
        PostgreSQL the server's share is left out: bench/timetable.py times it all)."""
        assert self.import_cpu_seconds < 10, (
            f"import took {self.import_cpu_seconds:.1f} s of processor time "
            f"({self.import_seconds:.1f} s in all)"
        )

    # -- Pupils and teachers ------------------------------------------------------------

    def _contents(self) -> dict[str, Expected]:
        """Every occurrence of the establishment as the reference describes one: three
        queries."""
        teachers, rooms = defaultdict(list), defaultdict(list)
        for occurrence, last, first in OccurrenceTeacher.objects.filter(
            occurrence__establishment=self.establishment
        ).values_list("occurrence_id", "person__last_name", "person__first_name"):
            teachers[occurrence].append(f"{last} {first}")
        for occurrence, name in OccurrenceRoom.objects.filter(
            occurrence__establishment=self.establishment
        ).values_list("occurrence_id", "room__name"):
            rooms[occurrence].append(name)
        return {
            uid: Expected(
                start=start.astimezone(PARIS),
                end=end.astimezone(PARIS),
                subject=label or "",
                teachers=tuple(sorted(teachers[pk])),
                rooms=tuple(sorted(rooms[pk])),
                cancelled=status == OccurrenceStatus.CANCELLED,
            )
            for pk, uid, start, end, label, status in Occurrence.objects.filter(
                establishment=self.establishment, withdrawn_in__isnull=True
            ).values_list("pk", "uid", "start", "end", "subject__label", "status")
        }

    def _compare_uids(self, who: str, uids: list[str], contents, expected) -> list[str]:
        got = Counter(contents[uid] for uid in uids)
        want = Counter(expected)
        problems = [f"{who}: missing {e}" for e in sorted((want - got).elements())]
        problems += [f"{who}: unexpected {e}" for e in sorted((got - want).elements())]
        if len(set(uids)) != len(uids):
            problems.append(f"{who}: an occurrence listed twice")
        return problems

    def test_every_pupil_whole_year_through_the_selector(self):
        contents = self._contents()
        first, last = self.reference.first_day, self.reference.last_day
        problems = []
        for ident in self.reference.pupil_idents:
            uids = list(
                selectors.pupil_occurrences(self.pupil_ids[ident], first, last).values_list(
                    "uid", flat=True
                )
            )
            problems += self._compare_uids(
                f"pupil {ident}", uids, contents, self.reference.pupils[ident]
            )
        fail_on(problems, f"{len(self.reference.pupil_idents)} pupils over the whole year")

    def test_every_teacher_whole_year_through_the_selector(self):
        contents = self._contents()
        first, last = self.reference.first_day, self.reference.last_day
        teachers = dict(
            ExternalId.objects.filter(
                source="edt", kind="teacher", establishment=self.establishment
            ).values_list("value", "person_id")
        )
        problems = []
        for ident in self.reference.teacher_names:
            uids = list(
                selectors.teacher_occurrences(
                    teachers[ident], first, last, self.establishment.pk
                ).values_list("uid", flat=True)
            )
            problems += self._compare_uids(
                f"teacher {ident}", uids, contents, self.reference.teachers[ident]
            )
        fail_on(problems, f"{len(self.reference.teacher_names)} teachers over the whole year")

    def _exports(self, option: str, idents, start=None, end=None) -> list[str]:
        """Each person's calendar against the reference; UIDs unique and, from one
        calendar to the other, always the same occurrence."""
        problems, seen = [], {}
        reference = self.reference.pupils if option == "--pupil" else self.reference.teachers
        for ident in idents:
            events = events_of(export(option, f"edt:{ident}", start=start, end=end))
            expected = [e for e in reference[ident] if start is None or in_window(e, start, end)]
            problems += compare_events(f"{option[2:]} {ident}", events, expected)
            problems += check_uids(f"{option[2:]} {ident}", events, seen)
        return problems

    def test_every_pupil_export_over_two_days(self):
        if FULL:
            problems = self._exports("--pupil", self.reference.pupil_idents)
        else:
            problems = self._exports("--pupil", self.reference.pupil_idents, *PUPIL_WINDOW)
        fail_on(problems, "every pupil's export")

    def test_every_teacher_export_over_eight_days(self):
        if FULL:
            problems = self._exports("--teacher", self.reference.teacher_names)
        else:
            problems = self._exports("--teacher", self.reference.teacher_names, *WINDOW)
        fail_on(problems, "every teacher's export")

    def test_some_exports_over_the_whole_year(self):
        problems = self._exports("--pupil", WHOLE_YEAR_PUPILS)
        problems += self._exports("--teacher", WHOLE_YEAR_TEACHERS)
        fail_on(problems, "whole-year exports")
        # Co-teaching: the occurrences with two teachers are in both calendars.
        shared = set(uids_of(export("--teacher", "edt:10"))) & set(
            uids_of(export("--teacher", "edt:50"))
        )
        both = [o for o in self.reference.occurrences if o.teacher_idents == {"10", "50"}]
        assert len(shared) == len(both) > 0

    def test_pupil_leaving_her_division_follows_it_until_the_day(self):
        """Pupil 144 leaves 3A on Sunday 25 May 2014 (and is in no division after)."""
        before = [e for e in self.reference.pupils["144"] if e.start.date() <= date(2014, 5, 25)]
        after = [e for e in self.reference.pupils["144"] if e.start.date() > date(2014, 5, 25)]
        assert before
        assert not after
        events = events_of(export("--pupil", "edt:144", start=date(2014, 5, 19)))
        assert [e for e in events if e.decoded("dtstart").date() <= date(2014, 5, 25)]
        assert not [e for e in events if e.decoded("dtstart").date() > date(2014, 5, 25)]

    # -- Rooms and divisions -------------------------------------------------------------

    def test_every_room_whole_year_through_the_selector(self):
        contents = self._contents()
        first, last = self.reference.first_day, self.reference.last_day
        problems = []
        rooms = {room.name: room for room in Room.objects.filter(establishment=self.establishment)}
        assert set(self.reference.rooms) <= set(rooms)
        for name, room in rooms.items():
            uids = list(
                selectors.room_occurrences(room.pk, first, last).values_list("uid", flat=True)
            )
            problems += self._compare_uids(
                f"room {name}", uids, contents, self.reference.rooms.get(name, [])
            )
        fail_on(problems, "every room")

    def test_every_division_whole_year_through_the_selector(self):
        contents = self._contents()
        first, last = self.reference.first_day, self.reference.last_day
        problems = []
        divisions = Division.objects.filter(establishment=self.establishment)
        assert divisions.count() == 16
        for division in divisions:
            uids = list(
                selectors.division_occurrences(division, first, last).values_list("uid", flat=True)
            )
            expected = [e for e, _ in self.reference.divisions.get(division.name, [])]
            problems += self._compare_uids(f"division {division.name}", uids, contents, expected)
        fail_on(problems, "every division")

    def test_every_division_export_labels_partial_occurrences(self):
        """A division's calendar names the group of an occurrence that concerns only
        part of it; the 22 groups spanning divisions appear in each of their divisions."""
        start, end = WINDOW
        problems, labelled = [], set()
        for division in Division.objects.filter(establishment=self.establishment):
            events = events_of(export("--division", division.name, start=start, end=end))
            expected = [
                (e, labels)
                for e, labels in self.reference.divisions.get(division.name, [])
                if in_window(e, start, end)
            ]
            problems += compare_events(
                f"division {division.name}", events, [e for e, _ in expected]
            )
            descriptions = defaultdict(list)
            for event in events:
                descriptions[event_key(event)].append(str(event.get("description", "")))
            for e, labels in expected:
                if not labels:
                    continue
                texts = descriptions[expected_key(e)]
                if not any(all(label in text for label in labels) for text in texts):
                    problems.append(
                        f"division {division.name}: {describe(expected_key(e))} "
                        f"not labelled {sorted(labels)} ({texts})"
                    )
                labelled |= {(division.name, label) for label in labels}
        fail_on(problems, "the divisions' exports")
        spanning = defaultdict(set)
        for division, label in labelled:
            spanning[label].add(division)
        assert sum(len(d) > 1 for d in spanning.values()) >= 10

    # -- Stable identifiers --------------------------------------------------------------

    def test_uids_are_stable_across_exports_and_a_reimport(self):
        teacher = export("--teacher", "edt:10")
        pupil = export("--pupil", "edt:1", start=WINDOW[0], end=WINDOW[1])
        assert uids_of(export("--teacher", "edt:10")) == uids_of(teacher)
        assert uids_of(export("--pupil", "edt:1", start=WINDOW[0], end=WINDOW[1])) == uids_of(pupil)
        rows = dict(
            Occurrence.objects.filter(establishment=self.establishment).values_list("uid", "pk")
        )
        out = StringIO()
        call_command("import_timetable", "--format", "edt", "--json", str(FIXTURE), stdout=out)
        report = json.loads(out.getvalue())
        assert report["version"] == 2
        assert report["diff"]["added"] == 0
        assert report["diff"]["withdrawn"] == 0
        assert report["diff"]["changed"] == 0
        assert report["diff"]["unchanged"] == 14226
        assert (
            dict(
                Occurrence.objects.filter(establishment=self.establishment).values_list("uid", "pk")
            )
            == rows
        )
        assert (
            TimetableVersion.objects.get(establishment=self.establishment, is_current=True).number
            == 2
        )
        for before, ics in (
            (teacher, export("--teacher", "edt:10")),
            (pupil, export("--pupil", "edt:1", start=WINDOW[0], end=WINDOW[1])),
        ):
            assert [(str(e.get("uid")), event_key(e)) for e in events_of(ics)] == [
                (str(e.get("uid")), event_key(e)) for e in events_of(before)
            ]
