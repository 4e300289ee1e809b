"""The two commands of interfaces.md: `import_absences` (all or nothing, errors naming
the line and the column, no duplicates on re-import, a dry run) and
`attendance_report` (the month's figures as JSON, the L131-8 list and the rate)."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from preau.attendance import services
from preau.attendance.importing import absences_import, read_csv
from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceSource,
    AbsenceState,
)
from preau.audit.models import AuditEvent
from preau.core.models import ExternalId, RoleKind
from tests.attendance.test_reports import FULL_DAY, MONDAY, School, local
from tests.factories import pupil_in, staff_account

pytestmark = pytest.mark.django_db

HEADER = "pupil,start,end,kind,state,reason\n"


def write(tmp_path, text: str, *, encoding="utf-8", name="absences.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def import_file(school, path, *extra) -> str:
    return run("import_absences", "--uai", school.establishment.uai, str(path), *extra)


def report(school, month="2026-03", *extra) -> dict:
    return json.loads(
        run(
            "attendance_report",
            "--uai",
            school.establishment.uai,
            "--month",
            month,
            "--format",
            "json",
            *extra,
        )
    )


@pytest.fixture
def school():
    return School(size=2)


# -- import_absences --------------------------------------------------------------------


def test_a_file_is_imported_with_history_and_audit(school, tmp_path):
    first, second = school.pupils
    path = write(
        tmp_path,
        HEADER
        + f"{school.ref(first)},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,\n"
        + f"{school.ref(second)},2026-03-09T08:00,2026-03-09T08:12,lateness,accepted,TRANSP\n"
        + f"{school.ref(second)},2026-03-10 08:00:00+01:00,2026-03-10T17:00,absence,pending,MAL\n",
    )
    output = import_file(school, path)
    assert "2 absences et 1 retards importés" in output
    absences = list(Absence.objects.order_by("pk"))
    assert [(a.pupil_id, a.kind, a.state, a.source) for a in absences] == [
        (first.pk, AbsenceKind.ABSENCE, AbsenceState.UNJUSTIFIED, AbsenceSource.IMPORT),
        (second.pk, AbsenceKind.LATENESS, AbsenceState.ACCEPTED, AbsenceSource.IMPORT),
        (second.pk, AbsenceKind.ABSENCE, AbsenceState.PENDING, AbsenceSource.IMPORT),
    ]
    assert (absences[0].start, absences[0].end) == (local(MONDAY, 8), local(MONDAY, 10))
    assert absences[1].minutes_late == 12
    assert absences[1].reason.code == "TRANSP"
    assert absences[2].reason.code == "MAL"
    assert AbsenceChange.objects.filter(action="created").count() == 3
    assert AuditEvent.objects.filter(action="absence.created.import").count() == 3
    assert AuditEvent.objects.get(action="absence.import").after["absences"] == 2


def test_a_french_spreadsheet_file_is_read(school, tmp_path):
    # UTF-8 with a byte-order mark, semicolons, upper-case header and values.
    pupil = school.pupils[0]
    path = write(
        tmp_path,
        "PUPIL;Start;End;Kind;State;Reason\r\n"
        f"{school.ref(pupil).upper()};2026-03-09T08:00;2026-03-09T09:00;Absence;Unjustified;mal\r\n",
        encoding="utf-8-sig",
    )
    import_file(school, path)
    absence = Absence.objects.get()
    assert (absence.pupil_id, absence.reason.code) == (pupil.pk, "MAL")


def test_importing_the_same_file_again_writes_nothing_new(school, tmp_path):
    pupil = school.pupils[0]
    line = f"{school.ref(pupil)},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,\n"
    path = write(tmp_path, HEADER + line + line)
    import_file(school, path)
    assert Absence.objects.count() == 1
    output = import_file(school, path)
    assert "0 absences et 0 retards importés, 2 lignes déjà importées" in output
    assert Absence.objects.count() == 1


def test_a_voided_import_is_imported_again(school, tmp_path):
    pupil = school.pupils[0]
    path = write(
        tmp_path,
        HEADER + f"{school.ref(pupil)},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,\n",
    )
    import_file(school, path)
    Absence.objects.update(voided_at=local(MONDAY, 20))
    import_file(school, path)
    assert Absence.objects.filter(voided_at__isnull=True).count() == 1


def test_a_dry_run_prints_what_would_be_written_and_writes_nothing(school, tmp_path):
    pupil = school.pupils[0]
    path = write(
        tmp_path,
        HEADER + f"{school.ref(pupil)},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,\n",
    )
    output = import_file(school, path, "--dry-run")
    assert f"ligne 2 : {school.ref(pupil)} absence 2026-03-09 08:00 → 2026-03-09 10:00" in output
    assert "1 absences et 0 retards seraient importés" in output
    assert "rien n'a été enregistré" in output
    assert not Absence.objects.exists()
    assert not AbsenceChange.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="absence").exists()


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (
            "edt:NOBODY,2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,",
            "pupil",
            "edt:NOBODY",
        ),
        ("12,2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,", "pupil", "SOURCE:ID"),
        ("{ref},09/03/2026 08:00,2026-03-09T10:00,absence,unjustified,", "start", "ISO 8601"),
        ("{ref},2026-03-09T10:00,2026-03-09T08:00,absence,unjustified,", "end", "après le début"),
        ("{ref},2026-03-09T08:00,2026-03-09T10:00,retard,unjustified,", "kind", "« retard »"),
        ("{ref},2026-03-09T08:00,2026-03-09T10:00,absence,excused,", "state", "« excused »"),
        ("{ref},2026-03-09T08:00,2026-03-09T10:00,absence,pending,XYZ", "reason", "« XYZ »"),
        ("{ref},2026-03-09T08:00,2026-03-09T10:00,absence,accepted,PANNE", "reason", "PANNE"),
        ("{ref},2027-03-09T08:00,2027-03-09T10:00,absence,unjustified,", "start", "09/03/2027"),
    ],
)
def test_a_wrong_line_is_named_with_its_column_and_nothing_is_written(
    school, tmp_path, line, column, message
):
    good = f"{school.ref(school.pupils[0])},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,"
    path = write(tmp_path, HEADER + good + "\n" + line.format(ref=school.ref(school.pupils[1])))
    with pytest.raises(CommandError) as error:
        import_file(school, path)
    assert f"absences.csv, ligne 3, colonne {column} :" in str(error.value)
    assert message in str(error.value)
    assert "Rien n'a été importé" in str(error.value)
    assert not Absence.objects.exists()


def test_every_wrong_line_is_reported_at_once(school, tmp_path):
    ref = school.ref(school.pupils[0])
    path = write(
        tmp_path,
        HEADER
        + f"{ref},2026-03-09T08:00,2026-03-09T10:00,absence,nope,\n"
        + f"{ref},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,\n"
        + f"{ref},2026-03-09T08:00,bad,absence,unjustified,\n",
    )
    with pytest.raises(CommandError) as error:
        import_file(school, path)
    assert "ligne 2, colonne state" in str(error.value)
    assert "ligne 4, colonne end" in str(error.value)


def test_a_pupil_of_another_establishment_is_refused(school, tmp_path):
    other = School()
    stranger = other.pupils[0]
    ExternalId.objects.create(person=stranger, source="ine", value="111222333AA")
    path = write(
        tmp_path,
        HEADER + "ine:111222333AA,2026-03-09T08:00,2026-03-09T10:00,absence,unjustified,\n",
    )
    with pytest.raises(CommandError, match="ligne 2, colonne pupil : ine:111222333AA n'est"):
        import_file(school, path)


def test_a_file_without_the_required_columns_is_refused(school, tmp_path):
    path = write(tmp_path, "pupil,start,kind\nedt:E001,2026-03-09T08:00,absence\n")
    with pytest.raises(CommandError, match="ligne 1 : colonnes manquantes : end, state"):
        import_file(school, path)


def test_only_the_vie_scolaire_and_the_direction_import(school, tmp_path):
    teacher = staff_account(school.establishment, RoleKind.TEACHER)
    line = f"{school.ref(school.pupils[0])},2026-03-09T08:00,2026-03-09T10:00,absence,unjustified"
    path = write(tmp_path, HEADER + line + "\n")
    with pytest.raises(PermissionDenied):
        absences_import(
            actor=teacher, establishment=school.establishment, lines=read_csv(path), name="x.csv"
        )
    absences_import(
        actor=school.cpe, establishment=school.establishment, lines=read_csv(path), name="x.csv"
    )
    assert Absence.objects.get().created_by_id == school.cpe.person_id


def test_an_unknown_establishment_is_refused(tmp_path):
    path = write(tmp_path, HEADER)
    with pytest.raises(CommandError, match="Aucun établissement d'UAI 0999999Z"):
        run("import_absences", "--uai", "0999999Z", str(path))


# -- attendance_report ------------------------------------------------------------------


def test_the_report_gives_each_pupils_half_days_the_list_and_the_rate(school):
    first, second = school.pupils
    third = school.pupil(school.division)
    for offset in range(2):
        day = MONDAY + timedelta(days=offset)
        school.courses(day, FULL_DAY)
        school.absent(first, local(day, 8), local(day, 17))
    school.absent(second, local(MONDAY, 10), local(MONDAY, 11), AbsenceState.ACCEPTED)
    school.absent(second, local(MONDAY, 14, 30), local(MONDAY, 15, 30))
    school.absent(third, local(MONDAY, 8), local(MONDAY, 8, 10), kind=AbsenceKind.LATENESS)
    assert report(school) == {
        "month": "2026-03",
        "pupils": [
            {"pupil": "edt:E001", "half_days": 4, "unjustified_half_days": 4, "lateness": 0},
            {"pupil": "edt:E002", "half_days": 2, "unjustified_half_days": 1, "lateness": 0},
            {"pupil": "edt:E003", "half_days": 0, "unjustified_half_days": 0, "lateness": 1},
        ],
        "l131_8": ["edt:E001"],
        "rate": pytest.approx(1 / 3),
    }


def test_pupils_are_sorted_by_reference(school):
    ExternalId.objects.filter(person=school.pupils[0]).update(value="Z9")
    no_edt = pupil_in(school.division)
    ExternalId.objects.create(person=no_edt, source="ine", value="0000000001A")
    refs = [row["pupil"] for row in report(school)["pupils"]]
    assert refs == ["edt:E002", "edt:Z9", "ine:0000000001A"]


def test_the_report_as_of_a_date_shows_the_states_of_that_date(school, tmp_path):
    first = school.pupils[0]
    lines = []
    for offset in range(2):
        day = MONDAY + timedelta(days=offset)
        school.courses(day, FULL_DAY)
        lines.append(f"{school.ref(first)},{day}T08:00,{day}T17:00,absence,unjustified,\n")
    import_file(school, write(tmp_path, HEADER + "".join(lines)))
    Absence.objects.update(created_at=local(date(2026, 3, 20), 9))
    AbsenceChange.objects.update(at=local(date(2026, 3, 20), 9))
    for absence in Absence.objects.all():
        services.absence_decide(
            actor=school.cpe,
            absence=absence,
            expected_version=absence.version,
            accept=True,
            reason=services.reasons_ensure(school.establishment)[0],
        )
    assert report(school)["l131_8"] == []
    then = report(school, "2026-03", "--as-of", "2026-04-01")
    assert then["l131_8"] == ["edt:E001"]
    assert then["pupils"][0]["unjustified_half_days"] == 4
    assert report(school, "2026-03", "--as-of", "2026-03-19")["pupils"][0]["half_days"] == 0


def test_the_report_as_csv(school):
    first = school.pupils[0]
    school.courses(MONDAY, FULL_DAY)
    school.absent(first, local(MONDAY, 8), local(MONDAY, 9))
    output = run(
        "attendance_report",
        "--uai",
        school.establishment.uai,
        "--month",
        "2026-03",
        "--format",
        "csv",
    )
    assert output.splitlines() == [
        "pupil,half_days,unjustified_half_days,lateness,level,l131_8",
        "edt:E001,1,1,0,,0",
        "edt:E002,0,0,0,,0",
    ]


def test_a_month_without_pupils_has_no_rate(school):
    assert report(school, "2024-03") == {
        "month": "2024-03",
        "pupils": [],
        "l131_8": [],
        "rate": None,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026-13"), "n'est pas un mois AAAA-MM"),
        (("--month", "2026-03", "--as-of", "demain"), "n'est pas une date AAAA-MM-JJ"),
    ],
)
def test_bad_arguments_are_refused(school, args, message):
    with pytest.raises(CommandError, match=message):
        run("attendance_report", "--uai", school.establishment.uai, "--format", "json", *args)
