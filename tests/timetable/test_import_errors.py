"""Files refused as a whole (interfaces.md: a message that names the file, line or
element at fault, and nothing written): truncated XML, a reference to nothing, a slot
outside the grid, a malformed week mask, no school year — and an error found once the
import has started writing, which must leave the database as it was."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from tests.timetable.edt_reference import Cours, EdtFile, line_of, mask

pytestmark = pytest.mark.django_db

ALL = mask(1, 2, 3)


def school(**changes) -> EdtFile:
    edt = EdtFile(
        teachers={"1": ("DUPONT", "Anne")},
        divisions={"10": ("3A", ["101"])},
        groups={"20": ("3A LATIN", [("PartieDeClasse", "101")])},
        rooms={"30": "B12"},
        pupils={
            "1": (
                "ELEVE",
                "Un",
                [
                    ("Classe", "10", "2013-09-02", "2014-07-04"),
                    ("PartieDeClasse", "101", "2013-09-02", "2014-07-04"),
                ],
            )
        },
        courses=[
            Cours(
                day=1,
                place=0,
                resources=[
                    ("Professeur", "1", ALL),
                    ("Classe", "10", ALL),
                    ("Groupe", "20", ALL),
                    ("Salle", "30", ALL),
                ],
            )
        ],
    )
    for key, value in changes.items():
        setattr(edt, key, value)
    return edt


def counts() -> dict[str, int]:
    """Rows in every table of the establishments, people, structures, timetables and
    the trail."""
    return {
        model._meta.label: model.objects.count()
        for label in ("core", "structure", "timetable", "audit", "accounts")
        for model in apps.get_app_config(label).get_models()
    }


def at(text: str, needle: str) -> str:
    """How a message names the line of the first line of `text` holding `needle`."""
    return f"ligne {line_of(text, needle)}"


def refused(path, *options: str) -> str:
    """Import a file that must be refused: the message, and nothing written."""
    before = counts()
    with pytest.raises(CommandError) as error:
        call_command("import_timetable", "--format", "edt", *options, str(path), stdout=StringIO())
    assert counts() == before
    message = str(error.value)
    assert path.name in message
    return message


@pytest.fixture
def imported(tmp_path):
    """A first version already imported: a refused file must leave it as it was."""
    call_command(
        "import_timetable",
        "--format",
        "edt",
        str(school().write(tmp_path, "v1.xml")),
        stdout=StringIO(),
    )


def test_truncated_xml(tmp_path, imported):
    text = school().xml()
    path = tmp_path / "truncated.xml"
    cut = text.index("<Eleves>") + 20
    path.write_text(text[:cut])
    message = refused(path)
    assert "XML invalide ou tronqué" in message
    assert f"ligne {line_of(text, '<Eleves>') + 1}" in message


def test_not_xml_at_all(tmp_path):
    path = tmp_path / "notes.xml"
    path.write_text("Emploi du temps 2013-2014\n")
    assert "XML invalide" in refused(path)


def test_another_root_is_not_an_edt_export(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text('<?xml version="1.0"?>\n<STS_EDT/>\n')
    assert "ExportEmploiDuTemps" in refused(path)


@pytest.mark.parametrize(
    ("element", "ident"),
    [
        ("Professeur", "99"),
        ("Classe", "98"),
        ("Groupe", "97"),
        ("Salle", "96"),
        ("PartieDeClasse", "95"),
    ],
)
def test_unknown_reference_in_a_course(tmp_path, imported, element, ident):
    edt = school()
    edt.courses.append(
        Cours(day=2, place=3, resources=[("Classe", "10", ALL), (element, ident, ALL)])
    )
    path = edt.write(tmp_path, "unknown.xml")
    message = refused(path)
    assert f'<{element} Ident="{ident}">' in message
    assert "n'est défini nulle part" in message
    assert at(edt.xml(), f'<{element} Ident="{ident}"') in message


def test_unknown_subject_in_a_course(tmp_path, imported):
    edt = school()
    edt.courses.append(Cours(day=2, place=3, subject="42", resources=[("Classe", "10", ALL)]))
    path = edt.write(tmp_path, "subject.xml")
    message = refused(path)
    assert '<Matiere Ident="42">' in message
    assert at(edt.xml(), '<Cours Jour="2"') in message


def test_unknown_class_part_in_a_group(tmp_path, imported):
    edt = school(groups={"20": ("3A LATIN", [("PartieDeClasse", "404")])})
    path = edt.write(tmp_path, "group.xml")
    message = refused(path)
    assert '<PartieDeClasse Ident="404">' in message
    assert "3A LATIN" in message
    assert at(edt.xml(), '<Groupe Ident="20"') in message


@pytest.mark.parametrize(("place", "places"), [(9, 2), (10, 1), (0, 0), (3, 12)])
def test_slot_outside_the_grid(tmp_path, imported, place, places):
    edt = school()
    edt.courses.append(Cours(day=3, place=place, places=places, resources=[("Classe", "10", ALL)]))
    path = edt.write(tmp_path, "grid.xml")
    message = refused(path)
    assert "grille horaire" in message
    assert f'NumeroPlaceDebut="{place}"' in message
    assert at(edt.xml(), '<Cours Jour="3"') in message


def test_day_outside_the_week(tmp_path, imported):
    edt = school()
    edt.courses.append(Cours(day=8, place=0, resources=[("Classe", "10", ALL)]))
    path = edt.write(tmp_path, "day.xml")
    message = refused(path)
    assert 'Jour="8"' in message
    assert at(edt.xml(), '<Cours Jour="8"') in message


@pytest.mark.parametrize("value", ["abc", "-4", "", "1.5", "0x10", str(2**64)])
def test_bad_week_mask(tmp_path, imported, value):
    edt = school()
    edt.courses.append(
        Cours(day=4, place=0, resources=[("Classe", "10", ALL), ("Salle", "30", ALL)])
    )
    text = edt.xml().replace(
        f'<Salle Ident="30" Semaines="{ALL}"/>\n</Cours>\n</Cours>',
        f'<Salle Ident="30" Semaines="{value}"/>\n</Cours>\n</Cours>',
    )
    assert f'Semaines="{value}"' in text
    path = tmp_path / "mask.xml"
    path.write_text(text)
    message = refused(path)
    assert f'<Salle Semaines="{value}">' in message
    assert at(text, f'Semaines="{value}"') in message


def test_bad_cancelled_weeks(tmp_path, imported):
    edt = school()
    edt.courses.append(
        Cours(
            day=4,
            place=0,
            resources=[("Classe", "10", ALL)],
            attributes={"SemainesAnnulation": "semaine 2"},
        )
    )
    path = edt.write(tmp_path, "cancelled.xml")
    message = refused(path)
    assert 'SemainesAnnulation="semaine 2"' in message
    assert at(edt.xml(), '<Cours Jour="4"') in message


def test_missing_school_year(tmp_path, imported):
    path = school(school_year=False).write(tmp_path, "year.xml")
    message = refused(path)
    assert "<AnneeScolaire" in message
    assert "DatePremierJourSemaine1" in message


def test_bad_date(tmp_path, imported):
    edt = school(monday1="02/09/2013")
    path = edt.write(tmp_path, "date.xml")
    message = refused(path)
    assert 'DatePremierJourSemaine1="02/09/2013"' in message
    assert at(edt.xml(), "<AnneeScolaire") in message


def test_place_ending_before_it_starts(tmp_path, imported):
    edt = school()
    edt.places = [("08:00:00", "09:00:00"), ("10:00:00", "09:30:00")]
    path = edt.write(tmp_path, "hours.xml")
    message = refused(path)
    assert 'LibelleHeureFin="09:30:00"' in message
    assert at(edt.xml(), '<Place Numero="1"') in message


def test_error_found_after_writing_began_leaves_nothing(tmp_path, imported, monkeypatch):
    """An error once a new establishment, its pupils, teachers, groups, version and
    occurrences are written: all of it is rolled back, the first version untouched."""
    from preau.timetable import services

    def failing(**kwargs):
        raise services.TimetableImportError("hours.xml : contrôle impossible.")

    monkeypatch.setattr(services, "import_checks", failing)
    for uai in ("0134567A", "0134568V"):  # the establishment imported, and a new one
        path = school(uai=uai).write(tmp_path, "hours.xml")
        assert "contrôle impossible" in refused(path)


def test_dry_run_of_a_refused_file_says_why(tmp_path, imported):
    edt = school()
    edt.courses.append(Cours(day=2, place=3, resources=[("Professeur", "77", ALL)]))
    path = edt.write(tmp_path, "dry.xml")
    assert '<Professeur Ident="77">' in refused(path, "--dry-run")


def test_membership_leaving_before_it_starts(tmp_path, imported):
    edt = school()
    edt.pupils["2"] = ("ELEVE", "Deux", [("Classe", "10", "2013-10-01", "2013-09-30")])
    path = edt.write(tmp_path, "dates.xml")
    message = refused(path)
    assert 'DateEntree="2013-10-01" DateSortie="2013-09-30"' in message
    assert at(edt.xml(), 'DateEntree="2013-10-01"') in message
