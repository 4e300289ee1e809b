"""UnDeuxTemps (UDT) import. No public UDT export exists: `UdtExport` below writes
small zips of `UDCal_NN.xml` files from the structure formats.md §4.2 documents (the
names entcore reads), one element a line so that errors can be checked by line.

The export used by most tests (school year 2024-2025, two divisions):

- pupils come on Monday 2 September 2024 (ISO week 36) and leave on Friday 4 July
  2025; closed for All Saints (19 October – 3 November) and Christmas (21 December –
  5 January, across the new year: ISO weeks 52 and 1);
- half-sequences 1-4 every day: 8:00-9:00, 9:00-10:00, 10:15-11:15, 11:15-12:15;
- 3A: mathematics with MARTIN on Monday, two consecutive fiches (one course
  8:00-10:00); English with DURAND and PETIT (co-teaching) on Tuesday 8:00;
- the regroupement "LATIN 3e" (group G1 of 3A and G2 of 3B): Latin with MARTIN on
  Thursday 10:15, written once per division; and with PETIT on Wednesday 11:15 on a
  line without division;
- 3B's group G3 (no `code_sts`): sport with DURAND on Friday 8:00;
- a line without division, group or regroupement (a duty): dropped;
- ISO week 2 of 2025 has its own file: mathematics with PETIT (MARTIN is replaced),
  English as usual, no Latin or sport;
- pupils: ALPHA (3A) in G1 for ISO weeks 36-51 and 2-5 (Christmas bridged: until
  Sunday 2 February), BETA (3A) in G1 from ISO week 6, GAMMA (3B) in G2 and G3 all
  year.
"""

import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.management import CommandError, call_command

from preau.core.models import ExternalId, Person
from preau.structure.models import ClassPartMembership, Division, Enrolment, Group
from preau.timetable import selectors
from preau.timetable.importers import ImportOptions, ParseError, read
from preau.timetable.models import ImportRun, Occurrence
from preau.timetable.source import CLASS_PART, DIVISION, GROUP

PARIS = ZoneInfo("Europe/Paris")
UAI = "0693834A"


def iso_mask(*weeks: int) -> str:
    """An UDT week mask: bit 0 = ISO week 1."""
    return str(sum(1 << (week - 1) for week in set(weeks)))


def element(name: str, **attributes: str) -> str:
    return f"<{name} " + " ".join(f'{k}="{v}"' for k, v in attributes.items()) + "/>"


@dataclass
class UdtExport:
    """The files of an UDT export, as element lines; `zip(tmp_path)` writes them."""

    calendar: list[str] = field(
        default_factory=lambda: [
            "<annee>2024</annee>",
            "<debut_eleve>02/09/2024</debut_eleve>",
            "<fin_eleve>04/07/2025</fin_eleve>",
            element("fermeture", debut="19/10/2024", fin="03/11/2024"),
            element("fermeture", debut="21/12/2024", fin="05/01/2025"),
        ]
    )
    init: list[str] = field(
        default_factory=lambda: [element("init", premiere_semaine_ISO="36", duree_seq="60")]
    )
    rooms: list[str] = field(
        default_factory=lambda: [
            element("salle", code="S1", nom="101"),
            element("salle", code="S2", nom="Labo de langues"),
            element("salle", code="S3", nom="Gymnase"),
        ]
    )
    teachers: list[str] = field(
        default_factory=lambda: [
            element("prof", code="P1", nom="MARTIN", prenom="Anne", epj="EPJ-P1", civilite="Mme"),
            element("prof", code="P2", nom="DURAND", prenom="Paul", civilite="M."),
            element("prof", code="P3", nom="PETIT", prenom="Léa"),
        ]
    )
    subjects: list[str] = field(
        default_factory=lambda: [
            element("mat", code="MATH", libelle="Mathématiques", code_gep1="MATHS"),
            element("mat", code="ANG", libelle="Anglais"),
            element("mat", code="LAT", libelle="Latin"),
            element("mat", code="EPS", libelle="Éducation physique"),
            element("mat", code="***", libelle="Surveillance"),
        ]
    )
    slots: list[str] = field(
        default_factory=lambda: [
            element("demi_seq", code=str(code), code_jour=str(day), code_site="1", **hours)
            for day in range(1, 6)
            for code, hours in (
                (1, {"hre_deb": "08h00", "hre_fin": "09h00"}),
                (2, {"hre_deb": "09h00", "hre_fin": "10h00"}),
                (3, {"hre_deb": "10:15", "hre_fin": "11:15"}),
                (4, {"hre_deb": "11:15", "hre_fin": "12:15"}),
            )
        ]
    )
    divisions: list[str] = field(
        default_factory=lambda: [
            element("div", code="3A", libelle="3e A"),
            element("div", code="3B", libelle="3e B"),
        ]
    )
    pupils: list[str] = field(
        default_factory=lambda: [
            element("eleve", code="E1", nom="ALPHA", prenom="Ana", naissance="01/02/2010"),
            element("eleve", code="E2", nom="BETA", prenom="Bob", naissance="03/04/2010"),
            element("eleve", code="E3", nom="GAMMA", prenom="Cid", naissance="05/06/2010"),
        ]
    )
    groups: list[str] = field(
        default_factory=lambda: [
            element("gpe", code="G1", code_div="3A", code_sts="3A_LAT", id="11"),
            element("gpe", code="G2", code_div="3B", code_sts="3B_LAT", id="12"),
            element("gpe", code="G3", code_div="3B", code_sts="", id="13"),
        ]
    )
    regroupements: list[str] = field(
        default_factory=lambda: [
            element("rgpmt", code="R1", nom="LATIN 3e", code_div="3A", code_gpe="G1", id="1"),
            element("rgpmt", code="R1", nom="LATIN 3e", code_div="3B", code_gpe="G2", id="1"),
        ]
    )
    memberships: list[str] = field(
        default_factory=lambda: [
            element("ele_gpe", ele="E1", gpe="", code_div="3A", semaines=""),
            element("ele_gpe", ele="E2", gpe="", code_div="3A", semaines=""),
            element("ele_gpe", ele="E3", gpe="", code_div="3B", semaines="0"),
            element(
                "ele_gpe",
                ele="E1",
                gpe="G1",
                code_div="3A",
                semaines=iso_mask(*range(36, 52), *range(2, 6)),
            ),
            element("ele_gpe", ele="E2", gpe="G1", code_div="3A", semaines=iso_mask(*range(6, 28))),
            element("ele_gpe", ele="E3", gpe="G2", code_div="3B", semaines="0"),
            element("ele_gpe", ele="E3", gpe="G3", code_div="3B", semaines=""),
        ]
    )
    coteachers: list[str] = field(
        default_factory=lambda: [element("coens", lignefic="L03", prof="P3", epj="")]
    )
    fiches: list[str] = field(
        default_factory=lambda: [
            element("fiche", code=code, jour=day, demi_seq=slot, site="1")
            for code, day, slot in (
                ("F01", "1", "1"),
                ("F02", "1", "2"),
                ("F03", "2", "1"),
                ("F04", "4", "3"),
                ("F05", "5", "1"),
                ("F06", "3", "4"),
                ("F07", "1", "4"),
            )
        ]
    )
    lines: list[str] = field(
        default_factory=lambda: [
            line("L01", "F01", div="3A", mat="MATH", prof="P1", salle="S1"),
            line("L02", "F02", div="3A", mat="MATH", prof="P1", salle="S1"),
            line("L03", "F03", div="3A", mat="ANG", prof="P2", salle="S2"),
            line("L04", "F04", div="3A", gpe="G1", idgpe="11", mat="LAT", prof="P1", rgpmt="R1"),
            line("L05", "F04", div="3B", gpe="G2", idgpe="12", mat="LAT", prof="P1", rgpmt="R1"),
            line("L06", "F05", div="3B", gpe="G3", idgpe="13", mat="EPS", prof="P2", salle="S3"),
            line("L07", "F06", mat="LAT", prof="P3", rgpmt="R1", salle="S1"),
            line("L08", "F07", mat="***", prof="P2"),
        ]
    )
    weekly: dict[str, list[str]] = field(
        default_factory=lambda: {
            "UDCal_12_02.xml": [
                line("L01", "F01", div="3A", mat="MATH", prof="P3", salle="S1"),
                line("L02", "F02", div="3A", mat="MATH", prof="P3", salle="S1"),
                line("L03", "F03", div="3A", mat="ANG", prof="P2", salle="S2"),
            ]
        }
    )
    name_case: str = "UDCal"

    def files(self) -> dict[str, str]:
        def document(root: str, lines: list[str]) -> str:
            body = "\n".join(lines)
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n{body}\n</{root}>\n'

        files = {
            "24": document("calendrier", self.calendar),
            "00": document("parametres", self.init),
            "03": document("salles", self.rooms),
            "04": document("profs", self.teachers),
            "05": document("matieres", self.subjects),
            "07": document("demi_seqs", self.slots),
            "08": document("divs", self.divisions),
            "10": document("eleves", self.pupils),
            "19": document("gpes", self.groups),
            "13": document("rgpmts", self.regroupements),
            "21": document("ele_gpes", self.memberships),
            "23": document("coenss", self.coteachers),
            "11": document("fiches", self.fiches),
            "12": document("ligfiches", self.lines),
        }
        named = {f"{self.name_case}_{number}.xml": text for number, text in files.items()}
        for name, lines in self.weekly.items():
            named[name] = document("ligfiches", lines)
        return named

    def zip(self, tmp_path, name: str = "udt.zip"):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for file_name, text in self.files().items():
                archive.writestr(f"export/{file_name}", text.encode())
        return path


def line(code: str, fic: str, **attributes: str) -> str:
    values = {"div": "", "mat": "", "prof": "", "salle": "", "gpe": "", "idgpe": "", "rgpmt": "0"}
    return element("ligfiche", code=code, fic=fic, **{**values, **attributes})


def local(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=PARIS)


OPTIONS = ImportOptions(uai=UAI)


def course_of(source, subject: str, weekday: int):
    (course,) = [c for c in source.courses if c.subject_key == subject and c.weekday == weekday]
    return course


def kinds(course, kind: str) -> dict[str, list[date]]:
    return {r.key: sorted(r.weeks) for r in course.resources if r.kind == kind}


# -- Reading -------------------------------------------------------------------------------


def test_the_calendar_bounds_the_year_and_the_weekly_file_replaces_its_week(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    assert (source.uai, source.first_day, source.last_day) == (
        UAI,
        date(2024, 9, 2),
        date(2025, 7, 4),
    )
    maths = course_of(source, "MATH", 1)
    weeks = kinds(maths, DIVISION)["3A"]
    assert (weeks[0], weeks[-1], len(weeks)) == (date(2024, 9, 2), date(2025, 6, 30), 44)
    teachers = kinds(maths, "teacher")
    assert date(2025, 1, 6) not in teachers["P1"]
    assert teachers["P3"] == [date(2025, 1, 6)]  # ISO week 2 of 2025
    assert len(teachers["P1"]) == 43
    assert source.metadata["semaines_propres"] == [2]


def test_consecutive_fiches_are_one_course(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    maths = course_of(source, "MATH", 1)
    assert (maths.start, maths.end) == (time(8), time(10))
    assert maths.provenance["lignes"] == ["L01", "L02"]
    assert kinds(maths, "room") == {"S1": kinds(maths, DIVISION)["3A"]}


def test_fiches_in_different_rooms_or_not_consecutive_are_not_merged(tmp_path):
    export = UdtExport()
    export.weekly = {}
    export.lines = [
        line("L01", "F01", div="3A", mat="MATH", prof="P1", salle="S1"),
        line("L02", "F02", div="3A", mat="MATH", prof="P1", salle="S2"),
        line("L03", "F07", div="3A", mat="MATH", prof="P1", salle="S1"),
    ]
    source = read("udt", export.zip(tmp_path), OPTIONS)
    assert sorted((c.start, c.end) for c in source.courses) == [
        (time(8), time(9)),
        (time(9), time(10)),
        (time(11, 15), time(12, 15)),
    ]


def test_co_teaching_adds_the_coteacher_to_the_course(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    english = course_of(source, "ANG", 2)
    teachers = kinds(english, "teacher")
    assert sorted(teachers) == ["P2", "P3"]
    # The weekly file of ISO week 2 has no UDCal_23_02: the theoretical co-teachers hold.
    assert date(2025, 1, 6) in teachers["P3"]
    assert teachers["P2"] == teachers["P3"]


def test_a_regroupement_across_divisions_is_one_course_for_the_regroupement(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    latin = course_of(source, "LAT", 4)
    assert [
        (r.kind, r.key) for r in latin.resources if r.kind in (DIVISION, GROUP, CLASS_PART)
    ] == [(GROUP, "R1")]
    assert sorted(latin.provenance["lignes"]) == ["L04", "L05"]
    (group,) = source.groups
    assert (group.key, group.name, group.class_part_keys, group.division_keys) == (
        "R1",
        "LATIN 3e",
        ("3A|G1", "3B|G2"),
        (),
    )
    # ISO week 2 has its own file, without Latin.
    assert date(2025, 1, 6) not in kinds(latin, GROUP)["R1"]


def test_lines_without_division_are_kept_only_with_a_group_or_regroupement(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    wednesday = course_of(source, "LAT", 3)
    assert [(r.kind, r.key) for r in wednesday.resources if r.kind == GROUP] == [(GROUP, "R1")]
    assert all(c.provenance["lignes"] != ["L08"] for c in source.courses)
    (dropped,) = [p for p in source.problems if p.code == "line_without_audience"]
    assert dropped.where.startswith("UDCal_12.xml, ligne 10 ")
    assert "1 ligne(s)" in dropped.message


def test_groups_are_class_parts_of_their_division(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    parts = {(p.key, p.name, p.division_key) for p in source.class_parts}
    # G3 has no code_sts (entcore ignores it): kept under its code.
    assert parts == {("3A|G1", "3A_LAT", "3A"), ("3B|G2", "3B_LAT", "3B"), ("3B|G3", "G3", "3B")}
    sport = course_of(source, "EPS", 5)
    assert [(r.kind, r.key) for r in sport.resources if r.kind == CLASS_PART] == [
        (CLASS_PART, "3B|G3")
    ]


def test_memberships_follow_the_iso_week_masks_across_the_new_year(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    memberships = {p.person.key: sorted(p.memberships, key=str) for p in source.pupils}
    in_g1 = {
        pupil: [(m.start, m.end) for m in found if m.key == "3A|G1"]
        for pupil, found in memberships.items()
    }
    # ISO weeks 36-51 and 2-5: the two closed weeks of Christmas (52, and 1 of 2025) are
    # bridged, one membership until Sunday 2 February.
    assert in_g1["E1"] == [(date(2024, 9, 2), date(2025, 2, 2))]
    # From ISO week 6 (3 February) to the last day.
    assert in_g1["E2"] == [(date(2025, 2, 3), date(2025, 7, 4))]
    assert in_g1["E3"] == []
    # "0" and "" are the whole year.
    assert [(m.kind, m.key, m.start, m.end) for m in memberships["E3"]] == [
        (CLASS_PART, "3B|G2", None, None),
        (CLASS_PART, "3B|G3", None, None),
        (DIVISION, "3B", None, None),
    ]


def test_a_mask_with_a_gap_gives_two_memberships(tmp_path):
    export = UdtExport()
    export.memberships = [
        element("ele_gpe", ele="E1", gpe="", code_div="3A", semaines=""),
        # Weeks 36-40 and 46-50: All Saints (43, 44) is not next to a present week.
        element(
            "ele_gpe",
            ele="E1",
            gpe="G1",
            code_div="3A",
            semaines=iso_mask(*range(36, 41), *range(46, 51)),
        ),
    ]
    source = read("udt", export.zip(tmp_path), OPTIONS)
    (pupil,) = [p for p in source.pupils if p.person.key == "E1"]
    assert [(m.start, m.end) for m in pupil.memberships if m.kind == CLASS_PART] == [
        (date(2024, 9, 2), date(2024, 10, 6)),
        (date(2024, 11, 11), date(2024, 12, 15)),
    ]


def test_closures_exclude_their_days(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    maths = course_of(source, "MATH", 1)
    for day in (date(2024, 10, 21), date(2024, 10, 28), date(2024, 12, 23), date(2024, 12, 30)):
        assert day in maths.excluded_dates
    assert date(2025, 1, 13) not in maths.excluded_dates


def test_people_and_identifiers(tmp_path):
    source = read("udt", UdtExport().zip(tmp_path), OPTIONS)
    teachers = {t.key: t for t in source.teachers}
    assert teachers["P1"].identifiers == {"udt": "P1", "aaf": "EPJ-P1"}
    assert (teachers["P1"].civility, teachers["P2"].civility) == ("MME", "M")
    pupils = {p.person.key: p.person for p in source.pupils}
    assert pupils["E1"].birth_date == date(2010, 2, 1)
    assert next((s.key, s.code, s.label) for s in source.subjects) == (
        "MATH",
        "MATHS",
        "Mathématiques",
    )
    assert "***" not in {s.key for s in source.subjects}


def test_a_folder_and_lower_case_file_names_are_accepted(tmp_path):
    export = UdtExport(name_case="udcal")
    folder = tmp_path / "unzipped"
    folder.mkdir()
    for name, text in export.files().items():
        (folder / name.lower()).write_text(text, encoding="utf-8")
    source = read("udt", folder, OPTIONS)
    assert len(source.courses) == len(read("udt", UdtExport().zip(tmp_path), OPTIONS).courses)


def test_course_keys_are_stable(tmp_path):
    first = read("udt", UdtExport().zip(tmp_path, "a.zip"), OPTIONS)
    export = UdtExport()
    export.lines = list(reversed(export.lines))
    second = read("udt", export.zip(tmp_path, "b.zip"), OPTIONS)
    assert sorted(c.key for c in first.courses) == sorted(c.key for c in second.courses)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e: e.lines.append(line("L99", "F99", div="3A", mat="MATH")),
            'UDCal_12.xml, ligne 11 : <ligfiche fic="F99"> : fiche inconnue',
        ),
        (
            lambda e: e.lines.append(line("L99", "F01", div="4Z", mat="MATH")),
            "UDCal_12.xml, ligne 11 : ",
        ),
        (
            lambda e: e.lines.append(line("L99", "F01", div="3A", mat="MATH", prof="P9")),
            'UDCal_12.xml, ligne 11 : <ligfiche code="L99" prof="P9"> : inconnu',
        ),
        (
            lambda e: e.lines.append(line("L99", "F01", div="3A", gpe="G9", mat="MATH")),
            "UDCal_12.xml, ligne 11 : ",
        ),
        (
            lambda e: (
                e.fiches.append(element("fiche", code="F99", jour="1", demi_seq="9", site="1"))
                or e.lines.append(line("L99", "F99", div="3A", mat="MATH"))
            ),
            'UDCal_11.xml, ligne 10 : <fiche code="F99" jour="1" demi_seq="9" site="1"> : '
            "demi-séquence inconnue",
        ),
        (
            lambda e: e.calendar.__setitem__(1, "<debut_eleve>2024-13-45</debut_eleve>"),
            "UDCal_24.xml, ligne 4 : <debut_eleve>2024-13-45</debut_eleve>",
        ),
        (
            lambda e: e.memberships.append(
                element("ele_gpe", ele="E1", gpe="G1", code_div="3A", semaines="A/B")
            ),
            'UDCal_21.xml, ligne 10 : <ele_gpe semaines="A/B">',
        ),
        (
            lambda e: e.slots.append("<demi_seq code='9' code_jour='1' hre_deb='25h00'>"),
            "UDCal_07.xml, ligne ",
        ),
    ],
)
def test_errors_name_the_file_line_and_element(tmp_path, change, message):
    export = UdtExport()
    change(export)
    with pytest.raises(ParseError) as refused:
        read("udt", export.zip(tmp_path), OPTIONS)
    assert message in str(refused.value)


def test_not_a_zip_or_missing_calendar(tmp_path):
    bad = tmp_path / "udt.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ParseError, match="pas une archive zip"):
        read("udt", bad, OPTIONS)
    export = UdtExport()
    files = export.files()
    del files["UDCal_24.xml"]
    with zipfile.ZipFile(tmp_path / "partial.zip", "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    with pytest.raises(ParseError, match=r"UDCal_24\.xml"):
        read("udt", tmp_path / "partial.zip", OPTIONS)


def test_unknown_members_are_reported_not_refused(tmp_path):
    export = UdtExport()
    export.memberships.append(element("ele_gpe", ele="E9", gpe="", code_div="3A", semaines=""))
    export.memberships.append(element("ele_gpe", ele="E1", gpe="G9", code_div="3A", semaines=""))
    source = read("udt", export.zip(tmp_path), OPTIONS)
    assert {p.code for p in source.problems} >= {"unknown_pupil", "unknown_group"}


# -- Import and views ---------------------------------------------------------------------


def import_udt(path, *extra: str) -> str:
    out = StringIO()
    call_command("import_timetable", "--format", "udt", "--uai", UAI, str(path), *extra, stdout=out)
    return out.getvalue()


def pupil(code: str) -> Person:
    return ExternalId.objects.get(source="udt", kind="pupil", value=code).person


def teacher(code: str) -> Person:
    return ExternalId.objects.get(source="udt", kind="teacher", value=code).person


def seen(occurrences) -> list[tuple[datetime, str]]:
    return [(o.start, o.subject.code) for o in occurrences]


@pytest.mark.django_db
def test_import_and_every_view(tmp_path):
    report = import_udt(UdtExport().zip(tmp_path))
    assert f"Import UDT de udt.zip pour {UAI}" in report
    assert "ligne(s) de cours sans division" in report
    assert "séances hors de l'année scolaire (non créées) : 0" in report
    assert "enseignants à deux séances à la fois : 0" in report
    assert "élèves à deux séances à la fois : 0" in report

    # The week of 27 January 2025 (ISO 5): ALPHA is in G1, BETA not yet.
    week = (date(2025, 1, 27), date(2025, 2, 2))
    assert seen(selectors.pupil_occurrences(pupil("E1").pk, *week)) == [
        (local("2025-01-27", "08:00"), "MATHS"),
        (local("2025-01-28", "08:00"), "ANG"),
        (local("2025-01-29", "11:15"), "LAT"),
        (local("2025-01-30", "10:15"), "LAT"),
    ]
    assert seen(selectors.pupil_occurrences(pupil("E2").pk, *week)) == [
        (local("2025-01-27", "08:00"), "MATHS"),
        (local("2025-01-28", "08:00"), "ANG"),
    ]
    assert seen(selectors.pupil_occurrences(pupil("E3").pk, *week)) == [
        (local("2025-01-29", "11:15"), "LAT"),
        (local("2025-01-30", "10:15"), "LAT"),
        (local("2025-01-31", "08:00"), "EPS"),
    ]
    # The week after (ISO 6): BETA takes ALPHA's place in G1.
    latin = [(local("2025-02-05", "11:15"), "LAT"), (local("2025-02-06", "10:15"), "LAT")]
    following = (date(2025, 2, 3), date(2025, 2, 9))
    assert seen(selectors.pupil_occurrences(pupil("E1").pk, *following)) == [
        (local("2025-02-03", "08:00"), "MATHS"),
        (local("2025-02-04", "08:00"), "ANG"),
    ]
    assert seen(selectors.pupil_occurrences(pupil("E2").pk, *following))[2:] == latin

    # Dated memberships in the database.
    g1 = Group.objects.get(name="LATIN 3e").class_parts.get(name="3A_LAT")
    assert sorted(
        (m.pupil.last_name, m.start_date, m.end_date)
        for m in ClassPartMembership.objects.filter(class_part=g1)
    ) == [
        ("ALPHA", date(2024, 9, 2), date(2025, 2, 2)),
        ("BETA", date(2025, 2, 3), date(2025, 7, 4)),
    ]
    assert Enrolment.objects.filter(division__name="3A").count() == 2

    # Closures: nothing on All Saints or Christmas.
    assert not Occurrence.objects.filter(
        date__range=(date(2024, 10, 19), date(2024, 11, 3))
    ).exists()
    assert not Occurrence.objects.filter(
        date__range=(date(2024, 12, 21), date(2025, 1, 5))
    ).exists()

    # ISO week 2 of 2025 follows its own file: PETIT replaces MARTIN, no Latin or sport.
    week_2 = Occurrence.objects.filter(date__range=(date(2025, 1, 6), date(2025, 1, 12)))
    assert sorted(
        (o.subject.code, sorted(t.last_name for t in o.teachers.all())) for o in week_2
    ) == [("ANG", ["DURAND", "PETIT"]), ("MATHS", ["PETIT"])]

    # The division view of 3B: the regroupement and G3's sport, not 3A's lessons.
    division_3b = Division.objects.get(name="3B")
    shown = selectors.division_occurrences(division_3b, *week)
    assert [(o.subject.code, selectors.audience_label(o, division_3b)) for o in shown] == [
        ("LAT", "LATIN 3e"),
        ("LAT", "LATIN 3e"),
        ("EPS", "3B G3"),
    ]


@pytest.mark.django_db
def test_export_of_a_teacher_by_udt_and_epj_identifier(tmp_path):
    import_udt(UdtExport().zip(tmp_path))
    for reference in ("udt:P1", "aaf:EPJ-P1"):
        out = StringIO()
        call_command(
            "export_timetable",
            "--uai",
            UAI,
            "--teacher",
            reference,
            "--from",
            "2025-01-06",
            "--to",
            "2025-01-19",
            "--format",
            "ics",
            stdout=out,
        )
        events = sorted(
            icalendar.Calendar.from_ical(out.getvalue()).walk("VEVENT"),
            key=lambda e: e.decoded("dtstart"),
        )
        # Replaced in ISO week 2; in week 3: mathematics 8:00-10:00 and Latin.
        assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in events] == [
            (local("2025-01-13", "08:00"), local("2025-01-13", "10:00")),
            (local("2025-01-16", "10:15"), local("2025-01-16", "11:15")),
        ]
        assert str(events[0]["location"]) == "101"
        assert "MARTIN" in str(events[1]["description"])


@pytest.mark.django_db
def test_a_bad_export_is_refused_and_nothing_is_written(tmp_path):
    export = UdtExport()
    export.lines.append(line("L99", "F99", div="3A", mat="MATH"))
    before = (Person.objects.count(), Occurrence.objects.count(), ImportRun.objects.count())
    with pytest.raises(CommandError, match=r"UDCal_12\.xml, ligne 11"):
        import_udt(export.zip(tmp_path))
    assert (Person.objects.count(), Occurrence.objects.count(), ImportRun.objects.count()) == before


@pytest.mark.django_db
def test_reimport_is_unchanged_and_from_to_override_the_calendar(tmp_path):
    path = UdtExport().zip(tmp_path)
    import_udt(path)
    report = import_udt(path)
    assert "0 séances ajoutées, 0 modifiées, 0 retirées" in report
    source = read(
        "udt", path, ImportOptions(uai=UAI, start=date(2024, 9, 9), end=date(2025, 6, 27))
    )
    assert (source.first_day, source.last_day) == (date(2024, 9, 9), date(2025, 6, 27))
    maths = course_of(source, "MATH", 1)
    assert date(2024, 9, 2) in maths.excluded_dates


def test_a_pupil_listed_only_in_groups_is_in_the_division_of_the_groups(tmp_path):
    export = UdtExport()
    export.memberships = [
        element("ele_gpe", ele="E1", gpe="G1", code_div="3A", semaines=iso_mask(40, 41)),
    ]
    source = read("udt", export.zip(tmp_path), OPTIONS)
    (alpha,) = [p for p in source.pupils if p.person.key == "E1"]
    assert [(m.kind, m.key, m.start, m.end) for m in alpha.memberships] == [
        (DIVISION, "3A", None, None),
        (CLASS_PART, "3A|G1", date(2024, 9, 30), date(2024, 10, 13)),
    ]


def test_dates_given_on_the_command_line_must_make_a_year(tmp_path):
    with pytest.raises(ParseError, match="l'année irait du 01/09/2025"):
        read("udt", UdtExport().zip(tmp_path), ImportOptions(uai=UAI, start=date(2025, 9, 1)))


def test_a_line_without_division_finds_its_group_by_idgpe(tmp_path):
    export = UdtExport()
    export.weekly = {}
    export.lines = [
        line("L01", "F05", idgpe="13", mat="EPS", prof="P2", salle="S3"),
        # With a division, `idgpe` alone does not make the line a group's.
        line("L02", "F01", div="3A", idgpe="11", mat="MATH", prof="P1"),
    ]
    source = read("udt", export.zip(tmp_path), OPTIONS)
    audiences = {
        c.subject_key: [(r.kind, r.key) for r in c.resources if r.kind in (DIVISION, CLASS_PART)]
        for c in source.courses
    }
    assert audiences == {"EPS": [(CLASS_PART, "3B|G3")], "MATH": [(DIVISION, "3A")]}
