"""Previewing and re-importing (timetable.md, "Changes during the year"): `--dry-run`
shows the report and the diff and writes nothing; a newer export makes a new version
that keeps the rows of the occurrences that still exist (roll calls and homework stay
attached), flags the others as withdrawn without deleting them, and keeps the changes
staff made; the trail records each import."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from preau.audit.models import AuditEvent
from preau.core.models import ExternalId
from preau.timetable import selectors
from preau.timetable.models import (
    ImportRun,
    Occurrence,
    OccurrenceStatus,
    Room,
    TimetableVersion,
)
from preau.timetable.services import occurrence_change_room, occurrence_set_status
from tests.timetable.edt_reference import Cours, EdtFile, mask, read_reference_bytes

pytestmark = pytest.mark.django_db

UAI = "0134567A"
ALL = mask(*range(1, 7))
MONDAY1 = date(2013, 9, 2)
YEAR = (date(2013, 9, 2), date(2014, 7, 4))


def day(week: int, weekday: int = 1) -> date:
    return MONDAY1 + timedelta(weeks=week - 1, days=weekday - 1)


def base(**changes) -> EdtFile:
    """Three courses of six weeks: 3A on Mondays, the 3A LATIN group on Tuesdays, 3B on
    Wednesdays."""
    whole = ("2013-09-02", "2014-07-04")
    edt = EdtFile(
        teachers={"1": ("DUPONT", "Anne"), "2": ("MARTIN", "Paul"), "3": ("LEROY", "Claire")},
        divisions={"10": ("3A", ["101", "102"]), "11": ("3B", ["111"])},
        groups={"20": ("3A LATIN", [("PartieDeClasse", "101")])},
        rooms={"30": "B12", "31": "B14", "32": "LABO"},
        pupils={
            "1": ("ELEVE", "Un", [("Classe", "10", *whole), ("PartieDeClasse", "101", *whole)]),
            "2": ("ELEVE", "Deux", [("Classe", "11", *whole), ("PartieDeClasse", "111", *whole)]),
        },
        courses=[
            Cours(
                day=1,
                place=0,
                resources=[("Professeur", "1", ALL), ("Classe", "10", ALL), ("Salle", "30", ALL)],
            ),
            Cours(
                day=2,
                place=1,
                resources=[("Professeur", "2", ALL), ("Groupe", "20", ALL), ("Salle", "31", ALL)],
            ),
            Cours(
                day=3,
                place=2,
                resources=[("Professeur", "3", ALL), ("Classe", "11", ALL), ("Salle", "32", ALL)],
            ),
        ],
    )
    for key, value in changes.items():
        setattr(edt, key, value)
    return edt


def run_import(path, *options: str) -> dict:
    out = StringIO()
    call_command("import_timetable", "--format", "edt", "--json", *options, str(path), stdout=out)
    return json.loads(out.getvalue())


def counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for label in ("core", "structure", "timetable", "audit")
        for model in apps.get_app_config(label).get_models()
    }


def rows() -> dict[str, int]:
    return dict(Occurrence.objects.values_list("uid", "pk"))


def occurrence(weekday: int, week: int) -> Occurrence:
    return Occurrence.objects.get(date=day(week, weekday), withdrawn_in__isnull=True)


def pupil_dates(ident: str) -> list[date]:
    person = ExternalId.objects.get(source="edt", kind="pupil", value=ident).person
    return [o.date for o in selectors.pupil_occurrences(person.pk, *YEAR)]


# -- Dry run --------------------------------------------------------------------------------


def test_dry_run_of_a_first_import_writes_nothing(tmp_path):
    path = base().write(tmp_path)
    before = counts()
    out = StringIO()
    call_command("import_timetable", "--format", "edt", "--dry-run", str(path), stdout=out)
    assert counts() == before
    text = out.getvalue()
    assert "APERÇU, rien n'est enregistré" in text
    assert "Cours : 3 ; séances : 18" in text
    assert "18 séances ajoutées, 0 modifiées, 0 retirées, 0 inchangées" in text
    assert "élèves : 2 créé(s)" in text


def test_dry_run_of_a_newer_export_shows_the_diff_and_writes_nothing(tmp_path):
    run_import(base().write(tmp_path, "v1.xml"))
    edt = base()
    del edt.courses[2]
    before, ids = counts(), rows()
    report = run_import(edt.write(tmp_path, "v2.xml"), "--dry-run")
    assert report["dry_run"] is True
    assert report["diff"]["withdrawn"] == 6
    assert report["diff"]["unchanged"] == 12
    assert counts() == before
    assert rows() == ids
    assert not Occurrence.objects.filter(withdrawn_in__isnull=False).exists()
    assert TimetableVersion.objects.get(is_current=True).number == 1


# -- The same file again ---------------------------------------------------------------------


def test_reimporting_the_same_file_keeps_every_row(tmp_path):
    path = base().write(tmp_path)
    first = run_import(path)
    ids = rows()
    assert first["version"] == 1
    second = run_import(path)
    assert second["version"] == 2
    assert second["diff"] == second["diff"] | {
        "previous_version": 1,
        "added": 0,
        "changed": 0,
        "withdrawn": 0,
        "unchanged": 18,
    }
    assert rows() == ids
    assert not any(second["created"].values())
    assert TimetableVersion.objects.get(is_current=True).number == 2
    assert TimetableVersion.objects.count() == 2
    # Every occurrence now comes from a course of the current version.
    assert set(Occurrence.objects.values_list("course__version__number", flat=True)) == {2}
    assert ImportRun.objects.count() == 2


# -- A newer export --------------------------------------------------------------------------------


def modified() -> EdtFile:
    """The Monday course moved to Thursday, another teacher on the group's last three
    weeks, the Wednesday course gone."""
    edt = base()
    edt.courses[0] = Cours(
        day=4,
        place=3,
        resources=[("Professeur", "1", ALL), ("Classe", "10", ALL), ("Salle", "30", ALL)],
    )
    edt.courses[1] = Cours(
        day=2,
        place=1,
        resources=[
            ("Professeur", "2", mask(1, 2, 3)),
            ("Professeur", "3", mask(4, 5, 6)),
            ("Groupe", "20", ALL),
            ("Salle", "31", ALL),
        ],
    )
    del edt.courses[2]
    return edt


def test_newer_export_diff(tmp_path):
    run_import(base().write(tmp_path, "v1.xml"))
    ids = rows()
    report = run_import(modified().write(tmp_path, "v2.xml"))
    assert report["version"] == 2
    diff = report["diff"]
    assert (diff["added"], diff["changed"], diff["withdrawn"], diff["unchanged"]) == (6, 3, 12, 3)
    assert all(example["changes"] == ["teachers"] for example in diff["changed_examples"])
    # Withdrawn occurrences are flagged, not deleted, and no longer shown.
    version = TimetableVersion.objects.get(number=2)
    withdrawn = Occurrence.objects.filter(withdrawn_in=version)
    assert withdrawn.count() == 12
    assert set(withdrawn.values_list("date", flat=True)) == {
        day(w, d) for w in range(1, 7) for d in (1, 3)
    }
    assert Occurrence.objects.count() == 18 + 6
    # The group's occurrences kept their rows, with the new teacher from week 4.
    tuesdays = {o.uid: o for o in Occurrence.objects.filter(date__week_day=3)}
    assert {uid: o.pk for uid, o in tuesdays.items()} == {uid: ids[uid] for uid in tuesdays}
    assert [
        [t.last_name for t in o.teachers.all()]
        for o in sorted(tuesdays.values(), key=lambda o: o.date)
    ] == [["MARTIN"]] * 3 + [["LEROY"]] * 3
    assert pupil_dates("1") == sorted(
        [day(w, 2) for w in range(1, 7)] + [day(w, 4) for w in range(1, 7)]
    )
    assert pupil_dates("2") == []
    room = Room.objects.get(name="LABO")
    assert list(selectors.room_occurrences(room.pk, *YEAR)) == []


def test_a_course_split_by_weeks_keeps_its_occurrences(tmp_path):
    """EDT may write a teacher change as two courses of the same slot, subject and
    audience on different weeks: the occurrences keep their rows, only the teacher
    changes."""
    run_import(base().write(tmp_path, "v1.xml"))
    ids = rows()
    edt = base()
    edt.courses[1:2] = [
        Cours(
            day=2,
            place=1,
            resources=[
                ("Professeur", "2", mask(1, 2, 3)),
                ("Groupe", "20", mask(1, 2, 3)),
                ("Salle", "31", mask(1, 2, 3)),
            ],
        ),
        Cours(
            day=2,
            place=1,
            resources=[
                ("Professeur", "3", mask(4, 5, 6)),
                ("Groupe", "20", mask(4, 5, 6)),
                ("Salle", "31", mask(4, 5, 6)),
            ],
        ),
    ]
    report = run_import(edt.write(tmp_path, "v2.xml"))
    diff = report["diff"]
    assert (diff["added"], diff["changed"], diff["withdrawn"], diff["unchanged"]) == (0, 3, 0, 15)
    assert rows() == ids
    # …and back to one course: the same rows again.
    report = run_import(base().write(tmp_path, "v3.xml"))
    assert (report["diff"]["added"], report["diff"]["changed"], report["diff"]["withdrawn"]) == (
        0,
        3,
        0,
    )
    assert rows() == ids


def test_withdrawn_occurrences_come_back_on_their_rows(tmp_path):
    run_import(base().write(tmp_path, "v1.xml"))
    ids = rows()
    run_import(modified().write(tmp_path, "v2.xml"))
    report = run_import(base().write(tmp_path, "v3.xml"))
    diff = report["diff"]
    assert (diff["added"], diff["changed"], diff["withdrawn"], diff["restored"]) == (12, 3, 6, 12)
    assert {uid: pk for uid, pk in rows().items() if uid in ids} == ids
    assert Occurrence.objects.filter(withdrawn_in__isnull=True).count() == 18
    assert set(
        Occurrence.objects.filter(withdrawn_in__isnull=True).values_list("uid", flat=True)
    ) == set(ids)
    assert pupil_dates("2") == [day(w, 3) for w in range(1, 7)]


def test_cancellations_the_source_makes_and_lifts(tmp_path):
    run_import(base().write(tmp_path, "v1.xml"))
    edt = base()
    edt.courses[0].cancelled = mask(3)
    report = run_import(edt.write(tmp_path, "v2.xml"))
    assert report["diff"]["changed"] == 1
    assert report["diff"]["changed_examples"][0]["changes"] == ["annulation"]
    assert occurrence(1, 3).status == OccurrenceStatus.CANCELLED
    assert occurrence(1, 3).cancelled_in_source
    report = run_import(base().write(tmp_path, "v3.xml"))
    assert report["diff"]["changed"] == 1
    assert occurrence(1, 3).status == OccurrenceStatus.SCHEDULED


def test_staff_changes_survive_a_reimport(tmp_path):
    run_import(base().write(tmp_path, "v1.xml"))
    cancelled = occurrence_set_status(
        actor=None, occurrence=occurrence(2, 2), status="cancelled", note="sortie"
    )
    absent = occurrence_set_status(actor=None, occurrence=occurrence(2, 5), status="teacher_absent")
    moved_room = occurrence_change_room(
        actor=None, occurrence=occurrence(1, 1), rooms=[Room.objects.get(name="LABO")]
    )
    # The same file, then one where the occurrence staff cancelled changes teacher.
    for name, edt in (("v2.xml", base()), ("v3.xml", modified())):
        run_import(edt.write(tmp_path, name))
        cancelled.refresh_from_db()
        absent.refresh_from_db()
        assert cancelled.status == OccurrenceStatus.CANCELLED
        assert cancelled.note == "sortie"
        assert absent.status == OccurrenceStatus.TEACHER_ABSENT
        if name == "v2.xml":
            moved_room.refresh_from_db()
            assert moved_room.status == OccurrenceStatus.ROOM_CHANGED
            assert [r.name for r in moved_room.rooms.all()] == ["LABO"]
    assert [t.last_name for t in absent.teachers.all()] == ["LEROY"]


def test_room_changed_by_staff_survives_a_reimport(tmp_path):
    path = base().write(tmp_path)
    run_import(path)
    target = occurrence(3, 2)
    occurrence_change_room(actor=None, occurrence=target, rooms=[Room.objects.get(name="B12")])
    report = run_import(path)
    assert report["diff"]["changed"] == 0
    target.refresh_from_db()
    assert target.status == OccurrenceStatus.ROOM_CHANGED
    assert [r.name for r in target.rooms.all()] == ["B12"]
    # A change of teacher from the source keeps the room staff chose.
    edt = base()
    edt.courses[2].resources[0] = ("Professeur", "1", ALL)
    report = run_import(edt.write(tmp_path, "v3.xml"))
    assert report["diff"]["changed"] == 6
    target.refresh_from_db()
    assert [r.name for r in target.rooms.all()] == ["B12"]
    assert [t.last_name for t in target.teachers.all()] == ["DUPONT"]


def test_the_trail_records_each_import(tmp_path):
    run_import(base().write(tmp_path, "v1.xml"))
    run_import(modified().write(tmp_path, "v2.xml"))
    events = AuditEvent.objects.filter(action="timetable.import").order_by("at", "id")
    assert [e.after["file"] for e in events] == ["v1.xml", "v2.xml"]
    assert [(e.after["added"], e.after["withdrawn"]) for e in events] == [(18, 0), (6, 12)]
    versions = TimetableVersion.objects.order_by("number")
    assert [e.object_id for e in events] == [str(v.pk) for v in versions]
    assert all(e.object_type == "timetable.timetableversion" for e in events)
    run = ImportRun.objects.get(file_name="v2.xml")
    assert run.report["diff"]["changed"] == 3
    assert run.version.number == 2
    assert len(run.file_sha256) == 64


def test_a_newer_export_moving_a_pupil_moves_their_timetable(tmp_path):
    """Who is in which division when is what the newest export says (timetable.md §6)."""
    run_import(base().write(tmp_path, "v1.xml"))
    assert pupil_dates("1") == sorted(day(w, d) for w in range(1, 7) for d in (1, 2))
    moved = base()
    moved.pupils["1"] = (
        "ELEVE",
        "Un",
        [
            ("Classe", "10", "2013-09-02", "2013-09-16"),
            ("PartieDeClasse", "101", "2013-09-02", "2013-09-16"),
            ("Classe", "11", "2013-09-17", "2014-07-04"),
            ("PartieDeClasse", "111", "2013-09-17", "2014-07-04"),
        ],
    )
    path = moved.write(tmp_path, "v2.xml")
    report = run_import(path)
    assert report["diff"]["changed"] == 0  # the occurrences are the same, their pupils not
    assert pupil_dates("1") == sorted(
        [day(w, 1) for w in (1, 2, 3)]
        + [day(w, 2) for w in (1, 2)]
        + [day(w, 3) for w in range(3, 7)]
    )
    reference = read_reference_bytes(path.read_bytes())
    assert pupil_dates("1") == [e.start.date() for e in reference.pupils["1"]]
    # The first export again: back in 3A all year.
    run_import(base().write(tmp_path, "v3.xml"))
    assert pupil_dates("1") == sorted(day(w, d) for w in range(1, 7) for d in (1, 2))
    pupil = ExternalId.objects.get(source="edt", kind="pupil", value="1").person
    assert [(e.division.name, e.end_date) for e in pupil.enrolments.all()] == [
        ("3A", date(2014, 7, 4))
    ]


def test_two_courses_of_the_same_slot_and_audience_on_the_same_days(tmp_path):
    """Co-teaching written as two courses (one teacher each): two occurrences a week,
    each keeping its row when the file is imported again."""
    edt = base()
    edt.courses.append(
        Cours(day=1, place=0, resources=[("Professeur", "2", ALL), ("Classe", "10", ALL)])
    )
    path = edt.write(tmp_path)
    report = run_import(path)
    assert report["counts"]["occurrences"] == 24
    assert len(rows()) == 24
    mondays = Occurrence.objects.filter(date=day(1))
    assert sorted(t.last_name for o in mondays for t in o.teachers.all()) == ["DUPONT", "MARTIN"]
    ids = rows()
    report = run_import(path)
    assert report["diff"]["unchanged"] == 24
    assert rows() == ids


def test_roll_calls_and_absences_stay_attached_and_withdrawn_ones_are_flagged(tmp_path):
    """A roll call on an occurrence the newer export keeps stays on the same row; one on
    an occurrence it withdraws stays too, and the report flags it."""
    from preau.attendance import services as attendance
    from preau.attendance.models import Absence, RollCall

    run_import(base().write(tmp_path, "v1.xml"))
    pupil = ExternalId.objects.get(source="edt", kind="pupil", value="1").person
    kept, withdrawn = occurrence(2, 1), occurrence(1, 1)  # the group's Tuesday, 3A's Monday
    for lesson in (kept, withdrawn):
        attendance.roll_call_record(
            actor=None,
            occurrence=lesson,
            entries={pupil.pk: attendance.Entry("absent")},
            audience={pupil.pk: pupil},
        )

    report = run_import(modified().write(tmp_path, "v2.xml"))

    diff = report["diff"]
    assert diff["withdrawn_with_attachments"] == {"absences": 1, "roll_calls": 1}
    assert diff["withdrawn_attached_examples"] == [f"02/09/2013 08:00 ({withdrawn.uid})"]
    assert set(RollCall.objects.values_list("occurrence_id", flat=True)) == {
        kept.pk,
        withdrawn.pk,
    }
    assert Absence.objects.filter(voided_at__isnull=True).count() == 2
    assert occurrence(2, 1).pk == kept.pk
    assert Occurrence.objects.get(pk=withdrawn.pk).withdrawn_in.number == 2
