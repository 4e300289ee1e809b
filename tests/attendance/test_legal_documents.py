"""The documents of the legal follow-up: the letter to the family (one per legal
guardian, with the letterhead, the unjustified half-days and the law), the referral to
the DASEN, the month's list as CSV and PDF, the rates as CSV.

PDFs are checked twice: the downloaded bytes are a PDF, and the HTML they are laid out
from is laid out again here, page by page, to read what each page says."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from preau.attendance import documents, legal_services, services
from preau.attendance.models import Absence, AbsenceState, FollowUpKind
from preau.attendance.selectors import legal as selectors
from preau.core.models import Relationship
from tests.attendance.test_legal_support import DAYS, MARCH, LegalSchool, local
from tests.conftest import log_in
from tests.factories import GuardianshipFactory, PersonFactory, pupil_in

pytestmark = pytest.mark.django_db

# The tests' writes happen now: a list as of today holds them all.
TODAY = timezone.localdate()
QUERY = "?mois=2026-03"


@pytest.fixture
def school():
    return LegalSchool()


def page_texts(html: str) -> list[str]:
    """What each page of the laid-out document says (WeasyPrint's boxes)."""

    def walk(box):
        text = getattr(box, "text", None)
        if text:
            yield text
        for child in getattr(box, "children", ()):
            yield from walk(child)

    return [" ".join(walk(page._page_box)) for page in HTML(string=html).render().pages]


def files_of(school, *pupils, as_of=TODAY, sees_confidential=True, history=False):
    return selectors.pupil_files(
        school.establishment,
        [p.pk for p in pupils],
        month=MARCH,
        as_of=as_of,
        today=TODAY,
        sees_confidential=sees_confidential,
        history=history,
    )


def letters_html(school, *pupils, **options) -> str:
    return documents.letters_html(
        establishment=school.establishment,
        files=files_of(school, *pupils, **options),
        month=MARCH,
        signer=school.cpe.person,
        today=TODAY,
        referral_threshold=4,
    )


# -- The letter to the family --------------------------------------------------------------


def test_the_letter_download_is_a_pdf(client, school):
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:legal_letter", args=[school.emma.pk]) + QUERY)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="courrier-roche-emma-2026-03.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")


def test_each_legal_guardian_gets_a_letter_of_one_page(school):
    pages = page_texts(letters_html(school, school.emma))

    assert len(pages) == 2
    assert "Mme Claire ROCHE" in pages[0]
    assert "Madame," in pages[0]
    assert "3 allée des Tilleuls" in pages[0]
    assert "M. Paul ROCHE" in pages[1]
    assert "Monsieur," in pages[1]
    assert "48 avenue Foch" in pages[1]
    assert all("Vautrin" not in page for page in pages)  # a contact, not a guardian


def test_the_letter_lists_the_unjustified_half_days_and_the_figures(school):
    html = letters_html(school, school.emma)
    (letter, _copy) = page_texts(html)

    assert "Objet : absences non justifiées de Emma Roche en mars 2026 (4A)" in letter
    assert "4 demi-journées sans motif reconnu" in letter
    assert "5 demi-journées d'absence ont été relevées au total" in letter
    for day, part, hours in [
        ("Lundi 9 mars", "matin", "08:00–12:00"),
        ("Lundi 9 mars", "après-midi", "12:00–17:00"),
        ("Mardi 10 mars", "matin", "08:00–12:00"),
        ("Mercredi 11 mars", "après-midi", "13:00–17:00"),
    ]:
        assert f"<tr><td>{day}</td><td>{part}</td><td>{hours}</td>" in html
    assert "12 mars" not in letter  # accepted: not an unjustified half-day


def test_the_letter_has_the_letterhead_the_signer_and_the_law(school):
    (letter, _copy) = page_texts(letters_html(school, school.emma))

    for line in (
        school.establishment.name,
        "12 rue des Écoles",
        "57000 Metz",
        f"UAI {school.establishment.uai}",
        "Metz, le 29 novembre 2026",
        "Conseiller principal d'éducation",
        "Mme Prénom",  # the CPE's formal name
        "article L131-8 du Code de l'éducation",
        "au moins quatre demi-journées dans le mois",
        "Un courrier identique est adressé à chacun des responsables légaux",
    ):
        assert line in letter, line


def test_the_family_reads_its_own_health_reason_the_dasen_does_not(school):
    absence = school.absent(school.emma, DAYS[7], afternoon=False)
    services.absence_justify(
        actor=school.parent, absence=absence, reason=school.reasons["MAL"], comment=""
    )
    letter = letters_html(school, school.emma)
    referral = documents.referral_html(
        establishment=school.establishment,
        pupil_file=files_of(school, school.emma, sees_confidential=False)[0],
        month=MARCH,
        signer=school.direction.person,
        today=TODAY,
        as_of=TODAY,
    )
    assert "Justification à examiner (Maladie)" in letter
    assert "Maladie" not in referral
    assert "Justification à examiner (Motif confidentiel)" in referral


def test_a_pupil_without_a_known_guardian_gets_a_letter_to_the_family(school):
    page = page_texts(letters_html(school, school.hugo))[0]
    assert "Aux responsables légaux de Hugo Bernard" in page
    assert "Madame, Monsieur," in page


def test_the_letter_as_of_a_past_date_counts_what_stood_then(school):
    html = letters_html(school, school.emma, as_of=date(2026, 3, 20))
    assert "5 demi-journées sans motif reconnu" in html
    assert "<tr><td>Jeudi 12 mars</td><td>matin</td><td>08:00–12:00</td>" in html


def test_the_batch_holds_a_letter_per_guardian_of_each_listed_pupil(client, school):
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:legal_letters") + QUERY + "&niveau=referral")
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == 'attachment; filename="courriers-2026-03.pdf"'

    listed = selectors.legal_list(school.establishment, month=MARCH, as_of=TODAY, today=TODAY)
    assert [r.pupil.first_name for r in listed.rows] == ["Hugo", "Emma", "Léa"]


def test_a_batch_makes_one_letter_per_legal_guardian_of_each_pupil(school):
    """Three pupils at the referral level, two guardians each: six letters, one page
    each (bench/attendance.py times a division's batch)."""
    pupils = []
    for index in range(3):
        pupil = pupil_in(school.a4, first_name=f"Élève{index:02d}", last_name="Lot")
        for relationship, civility in ((Relationship.MOTHER, "MME"), (Relationship.FATHER, "M")):
            GuardianshipFactory(
                guardian=PersonFactory(civility=civility, address_line1="1 rue Haute", city="Metz"),
                pupil=pupil,
                relationship=relationship,
            )
        for day in DAYS[:2]:
            school.absent(pupil, day)
        pupils.append(pupil)

    html = documents.letters_html(
        establishment=school.establishment,
        files=files_of(school, *pupils),
        month=MARCH,
        signer=school.cpe.person,
        today=TODAY,
        referral_threshold=4,
    )
    content = documents.pdf_from_html(html)

    assert content.startswith(b"%PDF-")
    assert len(page_texts(html)) == 6


# -- The referral to the DASEN ---------------------------------------------------------------


def test_the_referral_tells_who_the_pupil_is_their_half_days_and_the_steps_made(client, school):
    legal_services.follow_up_record(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        month=date(2026, 2, 1),
        kind=FollowUpKind.MEETING,
        note="Entretien avec la mère",
    )
    legal_services.follow_up_record(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        month=MARCH,
        kind=FollowUpKind.FAMILY_LETTER,
    )
    log_in(client, school.direction)
    response = client.get(reverse("attendance:legal_referral", args=[school.emma.pk]) + QUERY)
    assert response.content.startswith(b"%PDF-")

    html = documents.referral_html(
        establishment=school.establishment,
        pupil_file=files_of(school, school.emma, sees_confidential=False, history=True)[0],
        month=MARCH,
        signer=school.direction.person,
        today=TODAY,
        as_of=TODAY,
    )
    text = " ".join(page_texts(html))
    for expected in (
        "Signalement d'absentéisme scolaire — mars 2026",
        "ROCHE",
        "14/05/2012",
        "123456789AB",
        "4A",
        "Mme Claire ROCHE",
        "M. Paul ROCHE",
        "Mère",
        "Père",
        "Entretien avec la mère",
        "Courrier à la famille",
        "février 2026",
    ):
        assert expected in text, expected
    for day in ("Lun 09/03/2026", "Mar 10/03/2026", "Mer 11/03/2026", "Jeu 12/03/2026"):
        assert day in html
    assert "Justifiée (Réunion solennelle de famille)" in html  # the half-day not counted
    assert html.count("<td>oui</td>") == 4


def test_the_referral_of_one_pupil_says_nothing_of_another(school):
    (pupil_file,) = files_of(school, school.lea, sees_confidential=False, history=True)
    html = documents.referral_html(
        establishment=school.establishment,
        pupil_file=pupil_file,
        month=MARCH,
        signer=None,
        today=TODAY,
        as_of=TODAY,
    )
    assert "Roche" not in html
    assert "ROCHE" not in html
    assert "Le chef d'établissement" in html


# -- The month's list --------------------------------------------------------------------------


def test_the_month_list_csv_is_exact(client, school):
    step = legal_services.follow_up_record(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        month=MARCH,
        kind=FollowUpKind.FAMILY_LETTER,
    )
    made = step.made_at.astimezone(local(MARCH, 0).tzinfo).strftime("%d/%m/%Y")
    cpe = school.cpe.person.display_name
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:legal_csv") + QUERY + f"&au={TODAY.isoformat()}")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="absenteisme-2026-03-au-{TODAY.isoformat()}.csv"'
    )
    assert (
        response.content
        == (
            "\ufeff"
            "Suivi;Nom;Prénom;Division;Demi-journées d'absence;Demi-journées non justifiées;"
            "Retards;Démarches\r\n"
            "Absentéisme lourd;Bernard;Hugo;4B;10;10;0;\r\n"
            "Signalement à la DASEN;Roche;Emma;4A;5;4;2;"
            f"Courrier à la famille le {made} ({cpe})\r\n"
            "Alerte à la famille;Petit;Léa;4A;2;2;0;\r\n"
        ).encode()
    )


def test_the_month_list_pdf_lists_every_level(client, school):
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:legal_pdf") + QUERY)
    assert response.content.startswith(b"%PDF-")

    listing = selectors.legal_list(school.establishment, month=MARCH, as_of=TODAY, today=TODAY)
    (page,) = page_texts(documents.month_list_html(legal=listing, today=TODAY))
    for expected in ("BERNARD Hugo", "ROCHE Emma", "PETIT Léa", "Absentéisme lourd (1)"):
        assert expected in page
    assert "GARNIER" not in page


# -- Rates -------------------------------------------------------------------------------------


def test_the_rates_csv_is_exact(client, school):
    log_in(client, school.direction)
    response = client.get(reverse("attendance:stats_csv") + "?annee=2025-2026")
    lines = response.content.decode("utf-8-sig").split("\r\n")
    name = school.establishment.name

    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Disposition"] == (
        'attachment; filename="taux-absenteisme-2025-2026.csv"'
    )
    assert lines[0] == (
        "Périmètre;Libellé;Mois;Élèves inscrits;"
        "Élèves à 4 demi-journées non justifiées ou plus;Taux d'absentéisme (%)"
    )
    assert f"Établissement;{name};2026-03;5;2;40,0" in lines
    assert f"Établissement;{name};2026-02;5;0;0,0" in lines
    assert "Niveau;4e;2026-03;5;2;40,0" in lines
    assert "Division;4A;2026-03;4;1;25,0" in lines
    assert "Division;4B;2026-03;1;1;100,0" in lines
    yearly = [line for line in lines if ";Année;" in line]
    assert [line.split(";")[:2] for line in yearly] == [
        ["Établissement", name],
        ["Niveau", "4e"],
        ["Division", "4A"],
        ["Division", "4B"],
    ]
    assert lines[-1] == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (0, "0,0"), (0.4, "40,0"), (1 / 3, "33,3"), (1, "100,0")],
)
def test_a_rate_reads_as_a_french_percentage(value, text):
    from fractions import Fraction

    rate = None if value is None else Fraction(value).limit_denominator(1000)
    assert documents.percent(rate) == text


def test_download_names_have_no_accent_nor_space():
    assert documents.file_name("courrier", "Éloïse d'Arc", "2026-03", extension="pdf") == (
        "courrier-eloise-d-arc-2026-03.pdf"
    )


def test_states_are_shown_in_words(school):
    (pupil_file,) = files_of(school, school.emma)
    states = {a.state for line in pupil_file.half_days for a in line.absences}
    assert states == {AbsenceState.UNJUSTIFIED, AbsenceState.ACCEPTED}


def test_a_letter_as_of_a_past_date_lists_an_absence_moved_since(school):
    """Léa's absence of Friday 13 March, moved to April after the list was made: the
    letter as of 20 March still lists it, as it stood then."""
    absence = Absence.objects.get(pupil=school.lea)
    services.absence_update(
        actor=school.cpe,
        absence=absence,
        expected_version=absence.version,
        start=local(date(2026, 4, 6), 8),
        end=local(date(2026, 4, 6), 17),
    )

    then = letters_html(school, school.lea, as_of=date(2026, 3, 20))
    now = letters_html(school, school.lea)

    assert "2 demi-journées sans motif reconnu" in then
    assert "<tr><td>Vendredi 13 mars</td><td>matin</td><td>08:00–12:00</td>" in then
    assert "Vendredi 13 mars" not in now
