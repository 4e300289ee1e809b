"""The import page: the direction or the secretariat drop an export, see what it would
change, then import it; a bad file is refused with the element at fault and nothing is
written; previous imports keep their reports."""

import html
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.core.models import RoleKind
from preau.timetable.models import ImportRun, Occurrence, TimetableVersion
from preau.timetable.views import UPLOAD_DIR
from tests.conftest import log_in
from tests.factories import SchoolYearFactory, staff_account
from tests.timetable.views_support import edt_export

pytestmark = pytest.mark.django_db

IMPORTS = reverse("timetable:imports")


@pytest.fixture
def year():
    return SchoolYearFactory()


@pytest.fixture
def secretariat(year):
    return staff_account(year.establishment, RoleKind.SECRETARIAT)


def export_for(year, **kwargs) -> bytes:
    return edt_export(
        uai=year.establishment.uai, first_day=year.start_date, last_day=year.end_date, **kwargs
    )


def upload(content: bytes, name: str = "export.xml", fmt: str = "edt", **fields):
    return {"file": SimpleUploadedFile(name, content), "format": fmt, **fields}


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_preview_shows_the_report_and_writes_nothing(client, year, secretariat):
    log_in(client, secretariat)

    response = client.post(IMPORTS, upload(export_for(year, weeks=10)))

    assert response.status_code == 200
    content = text(response)
    assert "Aperçu" in content
    assert "aperçu : rien n'est encore enregistré" in content
    assert "20 séances ajoutées" in content
    assert 'name="upload"' in content
    assert not Occurrence.objects.exists()
    assert not ImportRun.objects.exists()


def test_importing_after_the_preview_applies_the_file_and_keeps_its_report(
    client, year, secretariat
):
    log_in(client, secretariat)
    preview = client.post(IMPORTS, upload(export_for(year, weeks=10)))
    signed = preview.context["upload"]

    response = client.post(IMPORTS, {"upload": signed}, follow=True)

    run = ImportRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("timetable:import", args=[run.pk])
    assert run.actor == secretariat
    assert Occurrence.objects.count() == 20
    assert TimetableVersion.objects.get().number == 1
    content = text(response)
    assert "Import appliqué : version 1 de l'emploi du temps." in content
    assert "20 séances ajoutées" in content
    listing = text(client.get(IMPORTS))
    assert "export.xml" in listing
    assert reverse("timetable:import", args=[run.pk]) in listing
    # The kept file is gone once imported, and the same preview cannot be applied twice.
    assert default_storage.listdir(UPLOAD_DIR)[1] == [] or not any(
        default_storage.listdir(f"{UPLOAD_DIR}/{folder}")[1]
        for folder in default_storage.listdir(UPLOAD_DIR)[0]
    )
    again = client.post(IMPORTS, {"upload": signed})
    assert again.status_code == 400
    assert ImportRun.objects.count() == 1


def test_a_second_import_shows_the_differences(client, year, secretariat):
    log_in(client, secretariat)
    first = client.post(IMPORTS, upload(export_for(year, weeks=10)))
    client.post(IMPORTS, {"upload": first.context["upload"]})

    preview = client.post(IMPORTS, upload(export_for(year, weeks=8)))

    content = text(preview)
    assert "Par rapport à la version 1" in content
    assert "0 séances ajoutées, 0 modifiées, 4 retirées, 16 inchangées." in content


def test_a_broken_file_is_refused_with_the_line_and_nothing_is_written(client, year, secretariat):
    log_in(client, secretariat)

    response = client.post(IMPORTS, upload(export_for(year, broken=True)))

    assert response.status_code == 400
    content = text(response)
    assert "Import refusé, rien n'a été enregistré." in content
    assert "export.xml, ligne" in content
    assert "XML invalide ou tronqué" in content
    assert not Occurrence.objects.exists()
    assert not ImportRun.objects.exists()


def test_another_establishments_file_is_refused(client, year, secretariat):
    log_in(client, secretariat)
    other = edt_export(uai="0750680G", first_day=year.start_date, last_day=year.end_date)

    response = client.post(IMPORTS, upload(other))

    assert response.status_code == 400
    assert "Ce fichier est celui de l'établissement 0750680G" in text(response)
    assert not Occurrence.objects.exists()


def test_a_tampered_or_foreign_preview_is_refused(client, year, secretariat):
    log_in(client, secretariat)
    preview = client.post(IMPORTS, upload(export_for(year, weeks=2)))
    signed = preview.context["upload"]

    tampered = client.post(IMPORTS, {"upload": signed[:-2] + "xx"})
    assert tampered.status_code == 400
    assert "L'aperçu a expiré" in text(tampered)

    client.logout()
    log_in(client, staff_account(year.establishment, RoleKind.DIRECTION))
    foreign = client.post(IMPORTS, {"upload": signed})
    assert foreign.status_code == 400
    assert "Cet aperçu n'est pas le vôtre" in text(foreign)
    assert not Occurrence.objects.exists()


def test_form_errors_are_shown_next_to_their_field(client, year, secretariat):
    log_in(client, secretariat)

    response = client.post(IMPORTS, {"format": "edt", "grid": "8h-9h"})

    content = text(response)
    assert 'id="id_file_error"' in content
    assert "Ce champ est obligatoire." in content
    assert "« 8h-9h » n'est pas une plage horaire HH:MM-HH:MM." in content


def test_a_fet_zip_without_its_data_file_is_refused(client, year, secretariat):
    log_in(client, secretariat)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("timetables/lycee/readme.txt", "rien")

    response = client.post(IMPORTS, upload(archive.getvalue(), "fet.zip", "fet"))

    assert response.status_code == 400
    assert "_data_and_timetable.fet" in text(response)


def test_a_zip_reaching_outside_its_folder_is_refused(client, year, secretariat):
    log_in(client, secretariat)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../../evil_data_and_timetable.fet", "<fet/>")

    response = client.post(IMPORTS, upload(archive.getvalue(), "fet.zip", "fet"))

    assert response.status_code == 400
    assert "chemin interdit" in text(response)


@pytest.mark.parametrize("kind", [RoleKind.TEACHER, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT])
def test_the_import_page_is_for_the_direction_and_the_secretariat_only(client, year, kind):
    log_in(client, staff_account(year.establishment, kind))

    assert client.get(IMPORTS).status_code == 404
    assert client.post(IMPORTS, upload(export_for(year))).status_code == 404
    assert not Occurrence.objects.exists()


def test_an_import_of_another_establishment_answers_404(client, year, secretariat):
    other_year = SchoolYearFactory()
    direction = staff_account(other_year.establishment, RoleKind.DIRECTION)
    log_in(client, direction)
    preview = client.post(
        IMPORTS,
        upload(
            edt_export(
                uai=other_year.establishment.uai,
                first_day=other_year.start_date,
                last_day=other_year.end_date,
                weeks=2,
            )
        ),
    )
    client.post(IMPORTS, {"upload": preview.context["upload"]})
    run = ImportRun.objects.get()
    client.logout()
    log_in(client, secretariat)

    assert client.get(reverse("timetable:import", args=[run.pk])).status_code == 404
