"""STS-Web `EDT_STS` (emp_sts) import: the eight OPEN-ENT-NG cases of the shared
fixtures (their weeks are in 2099 on purpose, read with --from/--to), the malformed
case, and small files written here for what the cases do not show (co-teaching, A/B
alternations, errors, tolerant reading)."""

import zipfile
from datetime import date, datetime, time
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.management import CommandError, call_command

from preau.core.models import Establishment, ExternalId, Person, SchoolYear
from preau.structure.models import ClassPart, Division, Group
from preau.timetable import selectors
from preau.timetable.importers import ImportOptions, ParseError, read
from preau.timetable.models import Course, ImportRun, Occurrence, TimetableVersion

PARIS = ZoneInfo("Europe/Paris")
UAI = "0771991W"
SHARED = Path(__file__).resolve().parents[3] / "shared"
CASES = SHARED / "fixtures" / "sts-web"
CASES_MISSING = (
    f"the STS-Web samples {CASES} are absent (the `shared` folder next to the checkout): "
    "tests on the OPEN-ENT-NG cases skipped"
)
needs_cases = pytest.mark.skipif(not CASES.is_dir(), reason=CASES_MISSING)
# The cases' weeks are Thursdays of September 2099 (and one in 2019).
FROM, TO = "2099-08-31", "2100-07-31"


def local(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=PARIS)


def import_sts(path, *extra: str) -> str:
    out = StringIO()
    call_command("import_timetable", "--format", "sts", str(path), *extra, stdout=out)
    return out.getvalue()


def occurrences():
    """Every occurrence as (start, end, subject code, audience, teachers, rooms)."""
    found = []
    for occurrence in Occurrence.objects.prefetch_related(
        "teachers__external_ids", "rooms", "audience__division", "audience__group"
    ).select_related("subject"):
        audience = sorted(
            f"division {unit.division.name}" if unit.division_id else f"group {unit.group.name}"
            for unit in occurrence.audience.all()
        )
        teachers = sorted(
            identifier.value
            for teacher in occurrence.teachers.all()
            for identifier in teacher.external_ids.all()
            if identifier.source == "sts"
        )
        found.append(
            (
                occurrence.start,
                occurrence.end,
                occurrence.subject.code,
                tuple(audience),
                tuple(teachers),
                tuple(sorted(room.name for room in occurrence.rooms.all())),
            )
        )
    return sorted(found)


# -- The OPEN-ENT-NG cases ----------------------------------------------------------------

FRENCH_3A = ("020700", ("division 3A",), ("69881",), ("15",))
FRENCH_G2 = ("020700", ("group 3B_G2",), ("69881",), ("23",))
ENGLISH_G2 = ("043700", ("group 3B_G2",), ("153667",), ("23",))
EXPECTED = {
    # One weekly course of 3A, Thursday 14:02 for an hour, one week.
    "case1": [(local("2099-09-03", "14:02"), local("2099-09-03", "15:02"), *FRENCH_3A)],
    # The same for the group 3B_G2 (GROUPES beside DIVISIONS), 15:13.
    "case2": [(local("2099-09-03", "15:13"), local("2099-09-03", "16:13"), *FRENCH_G2)],
    # Two consecutive weeks.
    "case3": [
        (local("2099-09-03", "14:02"), local("2099-09-03", "15:02"), *FRENCH_3A),
        (local("2099-09-10", "14:02"), local("2099-09-10", "15:02"), *FRENCH_3A),
    ],
    "case4": [
        (local("2099-09-03", "15:13"), local("2099-09-03", "16:13"), *FRENCH_G2),
        (local("2099-09-10", "15:13"), local("2099-09-10", "16:13"), *FRENCH_G2),
    ],
    # Every other week.
    "case5": [
        (local("2099-09-03", "14:02"), local("2099-09-03", "15:02"), *FRENCH_3A),
        (local("2099-09-17", "14:02"), local("2099-09-17", "15:02"), *FRENCH_3A),
    ],
    "case6": [
        (local("2099-09-03", "15:13"), local("2099-09-03", "16:13"), *FRENCH_G2),
        (local("2099-09-17", "15:13"), local("2099-09-17", "16:13"), *FRENCH_G2),
    ],
    # Weekly French for 3A, and English for 3B_G2 (GROUPES inside DIVISIONS) on Tuesdays
    # 15:13–17:13 in week A only (the weeks of 3 and 17 September).
    "case7": [
        (local("2099-09-01", "15:13"), local("2099-09-01", "17:13"), *ENGLISH_G2),
        (local("2099-09-03", "14:02"), local("2099-09-03", "15:02"), *FRENCH_3A),
        (local("2099-09-10", "14:02"), local("2099-09-10", "15:02"), *FRENCH_3A),
        (local("2099-09-15", "15:13"), local("2099-09-15", "17:13"), *ENGLISH_G2),
    ],
    # A week in 2019 (outside the year asked for) and one in 2099.
    "case8": [(local("2099-09-10", "14:02"), local("2099-09-10", "15:02"), *FRENCH_3A)],
}


@needs_cases
@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_every_case_imports_with_the_weeks_of_its_alternations(case):
    report = import_sts(CASES / case / "emp_sts.xml", "--from", FROM, "--to", TO)
    assert f"Import STS de emp_sts.xml pour {UAI}" in report
    assert occurrences() == EXPECTED[case]
    establishment = Establishment.objects.get(uai=UAI)
    # The descending file beside it names the establishment and the teachers.
    assert establishment.name == "COLLEGE LOUIS ARAGON"
    jane = ExternalId.objects.get(source="sts", value="69881").person
    assert (jane.last_name, jane.first_name) == ("DOE", "Jane")
    assert SchoolYear.objects.get(establishment=establishment).start_date == date(2099, 8, 31)
    expected_outside = 1 if case == "case8" else 0
    assert f"séances hors de l'année scolaire (non créées) : {expected_outside}" in report


@needs_cases
def test_groups_draw_on_the_divisions_of_their_appartenance_through_class_parts():
    source = read("sts", CASES / "case7" / "emp_sts.xml", ImportOptions())
    assert [d.key for d in source.divisions] == ["3A", "3B"]
    (group,) = source.groups
    assert (group.key, group.division_keys, group.pupil_keys) == ("3B_G2", (), ())
    (part,) = source.class_parts
    assert group.class_part_keys == (part.key,)
    assert (part.name, part.division_key) == ("3B_G2", "3B")


@needs_cases
@pytest.mark.django_db
def test_a_group_course_is_not_shown_to_the_whole_division():
    import_sts(CASES / "case7" / "emp_sts.xml", "--from", FROM, "--to", TO)
    group = Group.objects.get(name="3B_G2")
    assert list(group.divisions.all()) == []
    assert [(p.division.name, p.name) for p in group.class_parts.all()] == [("3B", "3B_G2")]
    english = Occurrence.objects.filter(subject__code="043700")
    assert english.count() == 2
    for occurrence in english:
        assert [(a.group_id, a.division_id) for a in occurrence.audience.all()] == [
            (group.pk, None)
        ]


@needs_cases
def test_the_school_year_follows_annee_scolaire_unless_dates_are_given():
    source = read("sts", CASES / "case1" / "emp_sts.xml", ImportOptions())
    assert (source.uai, source.first_day, source.last_day) == (
        UAI,
        date(2018, 9, 1),
        date(2019, 8, 31),
    )
    given = ImportOptions(start=date(2099, 8, 31), end=date(2100, 7, 31))
    source = read("sts", CASES / "case1" / "emp_sts.xml", given)
    assert (source.first_day, source.last_day) == (date(2099, 8, 31), date(2100, 7, 31))


@needs_cases
@pytest.mark.django_db
def test_without_dates_the_2099_weeks_fall_outside_the_2018_year():
    report = import_sts(CASES / "case3" / "emp_sts.xml")
    year = SchoolYear.objects.get()
    assert (year.start_date, year.end_date) == (date(2018, 9, 1), date(2019, 8, 31))
    assert Occurrence.objects.count() == 0
    assert "séances hors de l'année scolaire (non créées) : 2" in report


@needs_cases
@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing():
    path = CASES / "case7" / "emp_sts.xml"
    import_sts(path, "--from", FROM, "--to", TO)
    before = occurrences()
    report = import_sts(path, "--from", FROM, "--to", TO)
    assert "0 séances ajoutées, 0 modifiées, 0 retirées, 4 inchangées" in report
    assert occurrences() == before
    assert TimetableVersion.objects.count() == 2


@needs_cases
@pytest.mark.django_db
def test_export_of_a_teacher_by_sts_identifier():
    import_sts(CASES / "case7" / "emp_sts.xml", "--from", FROM, "--to", TO)
    out = StringIO()
    call_command(
        "export_timetable",
        "--uai",
        UAI,
        "--teacher",
        "sts:153667",
        "--from",
        "2099-08-31",
        "--to",
        "2099-09-30",
        "--format",
        "ics",
        stdout=out,
    )
    calendar = icalendar.Calendar.from_ical(out.getvalue())
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [e.decoded("dtstart") for e in events] == [
        local("2099-09-01", "15:13"),
        local("2099-09-15", "15:13"),
    ]
    assert [e.decoded("dtend") for e in events] == [
        local("2099-09-01", "17:13"),
        local("2099-09-15", "17:13"),
    ]
    assert all(str(e["location"]) == "23" for e in events)
    assert all("DOE" in str(e["description"]) for e in events)
    assert len({str(e["uid"]) for e in events}) == 2


@needs_cases
@pytest.mark.django_db
def test_the_malformed_case_is_refused_naming_the_line_and_nothing_is_written():
    before = (
        Establishment.objects.count(),
        Person.objects.count(),
        Occurrence.objects.count(),
        ImportRun.objects.count(),
    )
    with pytest.raises(CommandError) as refused:
        import_sts(CASES / "parsing-error-case" / "emp_sts.xml", "--from", FROM, "--to", TO)
    message = str(refused.value)
    assert message.startswith("emp_sts.xml, ligne 82 : XML invalide")
    assert "HORAIRE line 26" in message
    after = (
        Establishment.objects.count(),
        Person.objects.count(),
        Occurrence.objects.count(),
        ImportRun.objects.count(),
    )
    assert after == before


# -- Files written here ----------------------------------------------------------------------


def emp_sts(structure: str, alternations: dict[str, list[str]] | None = None) -> str:
    """A small EDT_STS document: the given alternations (default: H every week of
    September 2099, A and B alternately) and STRUCTURE content."""
    alternations = alternations or {
        "H": ["2099-08-31", "2099-09-07", "2099-09-14", "2099-09-21"],
        "SA": ["2099-08-31", "2099-09-14"],
        "SB": ["2099-09-07", "2099-09-21"],
    }
    weeks = "\n".join(
        f'      <ALTERNANCE CODE="{code}"><LIBELLE_LONG>Semaine {code} é</LIBELLE_LONG>'
        "<SEMAINES>"
        + "".join(f"<DATE_DEBUT_SEMAINE>{day}</DATE_DEBUT_SEMAINE>" for day in days)
        + "</SEMAINES></ALTERNANCE>"
        for code, days in alternations.items()
    )
    return f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<EDT_STS>
  <PARAMETRES><UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>2099</ANNEE_SCOLAIRE></PARAMETRES>
  <DONNEES>
    <ALTERNANCES>
{weeks}
    </ALTERNANCES>
    <INDIVIDUS>
      <INDIVIDU ID="1"><NOM_USAGE>CURIE</NOM_USAGE><PRENOM>Marie</PRENOM></INDIVIDU>
    </INDIVIDUS>
    <STRUCTURE>
{structure}
    </STRUCTURE>
  </DONNEES>
</EDT_STS>
"""


def cours(alternation: str, day: int, start: str, length: str, room: str = "") -> str:
    return (
        f"<COURS><CODE_ALTERNANCE>{alternation}</CODE_ALTERNANCE><JOUR>{day}</JOUR>"
        f"<HEURE_DEBUT>{start}</HEURE_DEBUT><DUREE>{length}</DUREE>"
        f"<CODE_SALLE>{room}</CODE_SALLE></COURS>"
    )


def service(subject: str, teachers: dict[str, list[str]], co_ens: bool = False) -> str:
    return (
        f'<SERVICE CODE_MATIERE="{subject}" CODE_MOD_COURS="CG">'
        f"<CO_ENS>{'true' if co_ens else 'false'}</CO_ENS><ENSEIGNANTS>"
        + "".join(
            f'<ENSEIGNANT TYPE="epp" ID="{ident}"><COURS_RATTACHES>{"".join(lessons)}'
            "</COURS_RATTACHES></ENSEIGNANT>"
            for ident, lessons in teachers.items()
        )
        + "</ENSEIGNANTS></SERVICE>"
    )


def division(code: str, *services: str) -> str:
    return (
        f'<DIVISIONS><DIVISION CODE="{code}"><SERVICES>{"".join(services)}</SERVICES>'
        "</DIVISION></DIVISIONS>"
    )


def write(tmp_path, text: str, name: str = "emp_sts_0771991W_2099.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("iso-8859-15"))
    return path


OPTIONS = ImportOptions(start=date(2099, 8, 31), end=date(2100, 7, 31))


def test_co_teaching_is_one_course_with_both_teachers(tmp_path):
    lesson = cours("H", 1, "0800", "0200", "LAB")
    path = write(
        tmp_path,
        emp_sts(division("2NDE1", service("061300", {"1": [lesson], "2": [lesson]}, True))),
    )
    source = read("sts", path, OPTIONS)
    (course,) = source.courses
    assert (course.weekday, course.start, course.end) == (1, time(8), time(10))
    teachers = [r for r in course.resources if r.kind == "teacher"]
    assert [t.key for t in teachers] == ["1", "2"]
    assert all(len(t.weeks) == 4 for t in teachers)
    assert [r.key for r in course.resources if r.kind == "room"] == ["LAB"]
    assert course.provenance["co_ens"] is True
    assert source.problems == []
    # Names: INDIVIDUS when given, else a placeholder with the STS identifier.
    names = {t.key: (t.last_name, t.first_name) for t in source.teachers}
    assert names == {"1": ("CURIE", "Marie"), "2": ("Enseignant 2", "")}


def test_co_teaching_without_co_ens_is_one_course_and_reported(tmp_path):
    lesson = cours("H", 2, "1000", "0100")
    path = write(
        tmp_path,
        emp_sts(
            division(
                "2NDE1",
                service("061300", {"1": [lesson]}),
                service("061300", {"2": [lesson]}),
            )
        ),
    )
    source = read("sts", path, OPTIONS)
    assert len(source.courses) == 1
    assert [r.key for r in source.courses[0].resources if r.kind == "teacher"] == ["1", "2"]
    (problem,) = source.problems
    assert problem.code == "co_ens_undeclared"
    assert problem.where.startswith("emp_sts_0771991W_2099.xml, ligne ")


def test_teachers_who_alternate_are_each_present_on_their_own_weeks(tmp_path):
    path = write(
        tmp_path,
        emp_sts(
            division(
                "3A",
                service(
                    "030201",
                    {"1": [cours("SA", 3, "0900", "0100")], "2": [cours("SB", 3, "0900", "0100")]},
                    True,
                ),
            )
        ),
    )
    (course,) = read("sts", path, OPTIONS).courses
    weeks = {r.key: sorted(r.weeks) for r in course.resources if r.kind == "teacher"}
    assert weeks == {
        "1": [date(2099, 8, 31), date(2099, 9, 14)],
        "2": [date(2099, 9, 7), date(2099, 9, 21)],
    }


@pytest.mark.django_db
def test_a_b_alternation_of_two_subjects_in_the_same_slot(tmp_path):
    path = write(
        tmp_path,
        emp_sts(
            division(
                "4B",
                service("061300", {"1": [cours("SA", 5, "1330", "0100", "12")]}),
                service("062200", {"2": [cours("SB", 5, "1330", "0100", "12")]}),
            )
        ),
    )
    report = import_sts(path)
    assert "élèves à deux séances à la fois : 0" in report
    held = [(o.start, o.subject.code) for o in Occurrence.objects.order_by("start")]
    assert held == [
        (local("2099-09-04", "13:30"), "061300"),
        (local("2099-09-11", "13:30"), "062200"),
        (local("2099-09-18", "13:30"), "061300"),
        (local("2099-09-25", "13:30"), "062200"),
    ]
    assert Course.objects.count() == 2
    # ANNEE_SCOLAIRE 2099: the year 2099-2100, from 1 September: the Friday of the first
    # week is in it.
    year = SchoolYear.objects.get()
    assert (year.start_date, year.end_date) == (date(2099, 9, 1), date(2100, 8, 31))


def test_groups_nested_in_divisions_or_beside_them(tmp_path):
    group = (
        '<GROUPE CODE="LATIN"><DIVISIONS_APPARTENANCE>'
        '<DIVISION_APPARTENANCE CODE="3A"/><DIVISION_APPARTENANCE CODE="3B"/>'
        "</DIVISIONS_APPARTENANCE><SERVICES>"
        + service("020300", {"1": [cours("H", 4, "1500", "0100")]})
        + "</SERVICES></GROUPE>"
    )
    beside = division("3A") + f"<GROUPES>{group}</GROUPES>"
    nested = f'<DIVISIONS><DIVISION CODE="3A"/><GROUPES>{group}</GROUPES></DIVISIONS>'
    for structure in (beside, nested):
        source = read("sts", write(tmp_path, emp_sts(structure)), OPTIONS)
        (course,) = source.courses
        assert [(r.kind, r.key) for r in course.resources if r.kind == "group"] == [
            ("group", "LATIN")
        ]
        assert sorted(d.key for d in source.divisions) == ["3A", "3B"]
        assert [(p.name, p.division_key) for p in source.class_parts] == [
            ("LATIN", "3A"),
            ("LATIN", "3B"),
        ]


def test_course_keys_are_stable_and_follow_the_slot(tmp_path):
    first = read(
        "sts",
        write(
            tmp_path, emp_sts(division("3A", service("1", {"1": [cours("H", 1, "0800", "0100")]})))
        ),
        OPTIONS,
    )
    second = read(
        "sts",
        write(
            tmp_path, emp_sts(division("3A", service("1", {"2": [cours("SA", 1, "0800", "0100")]})))
        ),
        OPTIONS,
    )
    moved = read(
        "sts",
        write(
            tmp_path, emp_sts(division("3A", service("1", {"1": [cours("H", 1, "0900", "0100")]})))
        ),
        OPTIONS,
    )
    assert first.courses[0].key == second.courses[0].key != moved.courses[0].key


@pytest.mark.parametrize(
    ("lesson", "line", "fragment"),
    [
        (
            cours("X", 1, "0800", "0100"),
            14,
            "<CODE_ALTERNANCE>X</CODE_ALTERNANCE> : alternance inconnue",
        ),
        (cours("H", 1, "2575", "0100"), 14, "<HEURE_DEBUT>2575</HEURE_DEBUT> n'est pas une heure"),
        (cours("H", 1, "0800", "0000"), 14, "<DUREE>0000</DUREE> n'est pas une durée"),
        (cours("H", 8, "0800", "0100"), 14, "<JOUR>8</JOUR> : le jour va de 1"),
        (cours("H", 1, "2330", "0100"), 14, "finirait après minuit"),
    ],
)
def test_errors_name_the_file_line_and_element(tmp_path, lesson, line, fragment):
    structure = division("3A", service("1", {"1": [lesson]}))
    with pytest.raises(ParseError) as refused:
        read("sts", write(tmp_path, emp_sts(structure)), OPTIONS)
    message = str(refused.value)
    assert message.startswith(f"emp_sts_0771991W_2099.xml, ligne {line} : ")
    assert fragment in message


def test_a_bad_week_date_is_refused(tmp_path):
    text = emp_sts(division("3A"), {"H": ["2099-02-30"]})
    with pytest.raises(ParseError, match=r"ligne 6 : <DATE_DEBUT_SEMAINE>2099-02-30"):
        read("sts", write(tmp_path, text), OPTIONS)


def test_the_descending_file_is_not_taken_for_the_ascending_one(tmp_path):
    path = write(tmp_path, '<?xml version="1.0"?>\n<STS_EDT><PARAMETRES/></STS_EDT>')
    with pytest.raises(ParseError, match="fichier descendant"):
        read("sts", path, OPTIONS)


def test_tolerant_reading_lower_case_tags_bom_and_undeclared_latin_text(tmp_path):
    text = emp_sts(division("3A", service("1", {"1": [cours("H", 1, "0800", "0100")]})))
    text = text.replace('<?xml version="1.0" encoding="ISO-8859-15"?>\n', "")
    lowered = text.replace("<COURS>", "<cours>").replace("</COURS>", "</cours>")
    path = tmp_path / "emp_sts.xml"
    path.write_bytes(b"\xef\xbb\xbf" + lowered.encode("iso-8859-15"))
    source = read("sts", path, OPTIONS)
    assert len(source.courses) == 1
    assert source.metadata["alternances"]["H"]["libelle"] == "Semaine H é"


@pytest.mark.parametrize("packed", ["folder", "zip"])
def test_a_folder_or_zip_holding_the_two_files_is_accepted(tmp_path, packed):
    write(tmp_path, emp_sts(division("3A", service("1", {"7": [cours("H", 1, "0800", "0100")]}))))
    (tmp_path / "sts_emp_0771991W_2099.xml").write_bytes(
        """<?xml version="1.0" encoding="ISO-8859-15"?>
<STS_EDT><PARAMETRES><UAJ CODE="0771991W"><DENOM_PRINC>COLLEGE</DENOM_PRINC>
<DENOM_COMPL>MARIE CURIE</DENOM_COMPL></UAJ></PARAMETRES>
<NOMENCLATURES><MATIERES><MATIERE CODE="1"><LIBELLE_EDITION>Mathématiques</LIBELLE_EDITION>
</MATIERE></MATIERES></NOMENCLATURES>
<DONNEES><INDIVIDUS><INDIVIDU ID="7"><SEXE>1</SEXE><NOM_USAGE>NOËL</NOM_USAGE>
<PRENOM>Élie</PRENOM><DATE_NAISSANCE>1980-01-02</DATE_NAISSANCE></INDIVIDU></INDIVIDUS>
</DONNEES></STS_EDT>""".encode("iso-8859-15")
    )
    path = tmp_path
    if packed == "zip":
        path = tmp_path / "sts.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for name in ("emp_sts_0771991W_2099.xml", "sts_emp_0771991W_2099.xml"):
                archive.write(tmp_path / name, f"STS/{name}")
    source = read("sts", path, OPTIONS)
    assert source.establishment_name == "COLLEGE MARIE CURIE"
    assert [(s.code, s.label) for s in source.subjects] == [("1", "Mathématiques")]
    (teacher,) = source.teachers
    assert (teacher.last_name, teacher.first_name, teacher.civility) == ("NOËL", "Élie", "M")
    assert teacher.birth_date == date(1980, 1, 2)
    assert teacher.identifiers == {"sts": "7"}


@pytest.mark.django_db
def test_the_division_view_shows_the_division_courses_within_annee_scolaire(tmp_path):
    lesson = cours("H", 1, "0800", "0100", "B12")
    report = import_sts(write(tmp_path, emp_sts(division("3A", service("1", {"1": [lesson]})))))
    # ANNEE_SCOLAIRE 2099 starts on 1 September 2099: Monday 31 August is outside.
    assert "séances hors de l'année scolaire (non créées) : 1" in report
    division_3a = Division.objects.get(name="3A")
    assert ClassPart.objects.count() == 0
    shown = selectors.division_occurrences(division_3a, date(2099, 8, 1), date(2099, 12, 31))
    assert [(o.start, [r.name for r in o.rooms.all()]) for o in shown] == [
        (local("2099-09-07", "08:00"), ["B12"]),
        (local("2099-09-14", "08:00"), ["B12"]),
        (local("2099-09-21", "08:00"), ["B12"]),
    ]


def test_dates_given_on_the_command_line_must_make_a_year(tmp_path):
    path = write(tmp_path, emp_sts(division("3A")))
    with pytest.raises(ParseError, match="donnez --from et --to"):
        read("sts", path, ImportOptions(start=date(2101, 1, 1)))


def test_only_the_twin_of_the_file_or_one_of_the_same_establishment_gives_names(tmp_path):
    write(tmp_path, emp_sts(division("3A", service("1", {"7": [cours("H", 1, "0800", "0100")]}))))
    other = (
        '<?xml version="1.0"?><STS_EDT><PARAMETRES><UAJ CODE="{uai}"/></PARAMETRES><DONNEES>'
        '<INDIVIDUS><INDIVIDU ID="7"><NOM_USAGE>AUTRE</NOM_USAGE></INDIVIDU></INDIVIDUS>'
        "</DONNEES></STS_EDT>"
    )
    # Not the twin of emp_sts_0771991W_2099.xml: not read.
    (tmp_path / "sts_emp_0771991W_2098.xml").write_text(other.format(uai=UAI))
    (teacher,) = read("sts", tmp_path / "emp_sts_0771991W_2099.xml", OPTIONS).teachers
    assert teacher.last_name == "Enseignant 7"
    # The twin, but of another establishment: ignored and reported.
    (tmp_path / "sts_emp_0771991W_2099.xml").write_text(other.format(uai="0130001A"))
    source = read("sts", tmp_path / "emp_sts_0771991W_2099.xml", OPTIONS)
    assert source.teachers[0].last_name == "Enseignant 7"
    assert [p.code for p in source.problems] == ["companion_ignored"]


@pytest.mark.django_db
def test_dry_run_prints_the_report_and_writes_nothing(tmp_path):
    path = write(
        tmp_path, emp_sts(division("3A", service("1", {"1": [cours("H", 2, "0800", "0100")]})))
    )
    report = import_sts(path, "--dry-run")
    assert "APERÇU, rien n'est enregistré" in report
    assert "séances : 4" in report
    assert not Occurrence.objects.exists()
    assert not Establishment.objects.exists()
