"""The direction's grades settings: rounding, parent delay, appraisal length and
contacts (`GradesPolicy`), subject coefficients per level and the exceptions for a
division or a period, the periods with their sealing. Only the direction opens the
page; every change goes through the services, is audited, and a wrong value is
answered on its field with nothing saved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from preau.audit.models import AuditEvent
from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.grades.models import GradesPolicy, PeriodSeal, SubjectCoefficient
from preau.structure.models import Level
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    grading_period,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db

SETTINGS = reverse("grades:settings")


class School:
    """A collège: 3A and 3B (3e) and 4A (4e), in trimesters; maths in all three,
    français in 3A only; a semester scheme exists too, that no division follows."""

    def __init__(self):
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.t1 = grading_period(
            self.year, number=1, end_date=today() + timedelta(days=10), label="1er trimestre"
        )
        self.t2 = grading_period(
            self.year, number=2, start_date=today() + timedelta(days=11), label="2e trimestre"
        )
        self.s1 = grading_period(self.year, number=1, scheme="semesters", label="1er semestre")
        self.a3 = DivisionFactory(school_year=self.year, name="3A", level=Level.TROISIEME)
        self.b3 = DivisionFactory(school_year=self.year, name="3B", level=Level.TROISIEME)
        self.a4 = DivisionFactory(school_year=self.year, name="4A", level=Level.QUATRIEME)
        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.french = SubjectFactory(establishment=self.establishment, label="Français")
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER)
        for division in (self.a3, self.b3, self.a4):
            division_service(division, self.teacher.person, subject=self.maths)
        division_service(self.a3, self.teacher.person, subject=self.french)
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)
        self.guardian = guardian_account(pupil_in(self.a3))

    def cell(self, subject, level) -> str:
        return f"coef-{subject.pk}-{level}"


@pytest.fixture
def school():
    return School()


def policy_data(**fields) -> dict:
    data = {
        "form": "policy",
        "rounding_step": "0.1",
        "rounding_mode": "up",
        "parent_delay_days": "2",
        "appraisal_max_length": "300",
        "contacts_see_grades": "on",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def test_the_direction_opens_the_settings(client, school, django_assert_num_queries):
    log_in(client, school.direction)

    with django_assert_num_queries(15):
        response = client.get(SETTINGS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Réglages des notes</h1>" in html
    assert 'name="parent_delay_days"' in html
    assert f'name="{school.cell(school.maths, "3E")}"' in html
    assert f'name="{school.cell(school.maths, "4E")}"' in html
    assert f'name="{school.cell(school.french, "3E")}"' in html
    # Français is not taught in 4e: no coefficient to set there.
    assert f'name="{school.cell(school.french, "4E")}"' not in html


def test_the_page_costs_the_same_with_more_divisions_and_subjects(
    client, school, django_assert_num_queries
):
    for n in range(6):
        division = DivisionFactory(school_year=school.year, name=f"5{n}", level=Level.CINQUIEME)
        subject = SubjectFactory(establishment=school.establishment)
        division_service(division, school.teacher.person, subject=subject)
        PeriodSeal.objects.create(division=division, period=school.t1)
        SubjectCoefficient.objects.create(
            establishment=school.establishment,
            school_year=school.year,
            subject=subject,
            division=division,
            coefficient=2,
        )
    log_in(client, school.direction)

    with django_assert_num_queries(15):
        assert client.get(SETTINGS).status_code == 200


@pytest.mark.parametrize("who", ["teacher", "cpe", "secretariat", "guardian"])
def test_nobody_but_the_direction_opens_the_settings(client, school, who, caplog):
    log_in(client, getattr(school, who))

    with caplog.at_level("INFO", logger="preau.access"):
        assert client.get(SETTINGS).status_code == 404
    assert f"refused page {SETTINGS}" in caplog.text
    assert client.post(SETTINGS, policy_data()).status_code == 404
    assert not GradesPolicy.objects.exists()


def test_the_settings_link_is_in_the_directions_menu_only(client, school):
    log_in(client, school.direction)
    links = {link.url_name for section in client.get("/").context["menu"] for link in section.links}
    assert "grades:settings" in links
    client.logout()
    log_in(client, school.teacher)
    links = {link.url_name for section in client.get("/").context["menu"] for link in section.links}
    assert "grades:settings" not in links


def test_the_direction_saves_the_policy_and_it_is_audited(client, school):
    log_in(client, school.direction)

    response = client.post(SETTINGS, policy_data())

    assert response.status_code == 302
    assert response["Location"] == f"{SETTINGS}#policy"
    policy = GradesPolicy.objects.get(establishment=school.establishment)
    assert (policy.rounding_step, policy.rounding_mode) == ("0.1", "up")
    assert policy.parent_delay_days == 2
    assert policy.appraisal_max_length == 300
    assert policy.contacts_see_grades is True
    event = AuditEvent.objects.get(action="grades.policy_update")
    assert event.actor == school.direction
    assert event.establishment == school.establishment
    assert event.after["parent_delay_days"] == "2"
    assert event.before["parent_delay_days"] == "0"
    page = client.get(SETTINGS).content.decode()
    assert "Les réglages des notes sont enregistrés." in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("parent_delay_days", "45"),
        ("parent_delay_days", "-1"),
        ("appraisal_max_length", "10"),
        ("rounding_step", "0.3"),
        ("rounding_mode", "down"),
    ],
)
def test_an_invalid_value_is_answered_on_its_field(client, school, field, value):
    log_in(client, school.direction)

    response = client.post(SETTINGS, policy_data(**{field: value}))

    assert response.status_code == 400
    form = response.context["policy_form"]
    assert list(form.errors) == [field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not GradesPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="grades.policy_update").exists()


def test_the_direction_sets_coefficients_per_level(client, school):
    log_in(client, school.direction)

    response = client.post(
        SETTINGS,
        {
            "form": "coefficients",
            school.cell(school.maths, "3E"): "3",
            school.cell(school.french, "3E"): "2,5",
            school.cell(school.maths, "4E"): "",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{SETTINGS}#coefficients"
    rows = {
        (row.subject_id, row.level): row.coefficient
        for row in SubjectCoefficient.objects.filter(school_year=school.year)
    }
    assert rows == {(school.maths.pk, "3E"): Decimal(3), (school.french.pk, "3E"): Decimal("2.5")}
    assert (
        AuditEvent.objects.filter(
            action="grades.subject_coefficient_set", actor=school.direction
        ).count()
        == 2
    )
    page = client.get(SETTINGS).content.decode()
    assert 'value="2,5"' in page
    assert 'value="3"' in page

    # Sending the same values again changes nothing and records nothing.
    client.post(
        SETTINGS,
        {
            "form": "coefficients",
            school.cell(school.maths, "3E"): "3",
            school.cell(school.french, "3E"): "2,5",
        },
    )
    assert AuditEvent.objects.filter(action="grades.subject_coefficient_set").count() == 2


@pytest.mark.parametrize("value", ["abc", "120", "-1", "1,555"])
def test_a_wrong_coefficient_is_answered_in_its_cell_and_nothing_is_saved(client, school, value):
    log_in(client, school.direction)

    response = client.post(
        SETTINGS,
        {
            "form": "coefficients",
            school.cell(school.maths, "3E"): "3",
            school.cell(school.french, "3E"): value,
        },
    )

    assert response.status_code == 400
    name = school.cell(school.french, "3E")
    assert list(response.context["coefficients_form"].errors) == [name.removeprefix("coef-")]
    html = response.content.decode()
    assert f'id="id_{name}_error"' in html
    assert f'aria-describedby="id_{name}_error"' in html
    assert not SubjectCoefficient.objects.exists()


def test_a_coefficient_once_set_cannot_be_emptied(client, school):
    SubjectCoefficient.objects.create(
        establishment=school.establishment,
        school_year=school.year,
        subject=school.maths,
        level="3E",
        coefficient=3,
    )
    log_in(client, school.direction)

    response = client.post(SETTINGS, {"form": "coefficients", school.cell(school.maths, "3E"): ""})

    assert response.status_code == 400
    assert "0 pour que la matière ne compte pas" in response.content.decode()
    assert SubjectCoefficient.objects.get().coefficient == 3


def test_a_coefficient_for_one_division_and_period(client, school):
    log_in(client, school.direction)

    response = client.post(
        SETTINGS,
        {
            "form": "exception",
            "exception-target": f"division:{school.a3.pk}",
            "exception-subject": school.maths.pk,
            "exception-period": school.t1.pk,
            "exception-coefficient": "4",
        },
    )

    assert response.status_code == 302
    row = SubjectCoefficient.objects.get()
    assert (row.division, row.period, row.level, row.coefficient) == (
        school.a3,
        school.t1,
        "",
        Decimal(4),
    )
    assert AuditEvent.objects.filter(action="grades.subject_coefficient_set").count() == 1
    page = client.get(SETTINGS).content.decode()
    assert "Coefficients particuliers en vigueur" in page
    assert "<td>3A</td><td>1er trimestre</td><td>4</td>" in page


@pytest.mark.parametrize(
    ("target", "period", "field"),
    [
        ("level:3E", "", "period"),  # that is the table's job
        ("division:{a3}", "{s1}", "period"),  # 3A follows trimesters
        ("division:0", "", "target"),  # not one of ours
    ],
)
def test_a_wrong_exception_is_refused_on_its_field(client, school, target, period, field):
    log_in(client, school.direction)
    ids = {"a3": school.a3.pk, "s1": school.s1.pk}

    response = client.post(
        SETTINGS,
        {
            "form": "exception",
            "exception-target": target.format(**ids),
            "exception-subject": school.maths.pk,
            "exception-period": period.format(**ids),
            "exception-coefficient": "2",
        },
    )

    assert response.status_code == 400
    assert field in response.context["override_form"].errors
    assert not SubjectCoefficient.objects.exists()


def test_a_level_coefficient_for_one_period(client, school):
    log_in(client, school.direction)

    response = client.post(
        SETTINGS,
        {
            "form": "exception",
            "exception-target": "level:4E",
            "exception-subject": school.maths.pk,
            "exception-period": school.t2.pk,
            "exception-coefficient": "0,5",
        },
    )

    assert response.status_code == 302
    row = SubjectCoefficient.objects.get()
    assert (row.division, row.level, row.period, row.coefficient) == (
        None,
        "4E",
        school.t2,
        Decimal("0.5"),
    )


def test_the_periods_show_which_divisions_sealed_them(client, school):
    PeriodSeal.objects.create(division=school.a3, period=school.t1)
    log_in(client, school.direction)

    html = client.get(SETTINGS).content.decode()

    assert "1er trimestre" in html
    assert "2e trimestre" in html
    # No division follows semesters: no table for them.
    assert "1er semestre</th>" not in html
    rows = {
        name: html.split(f'<th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
        for name in ("3A", "3B", "4A")
    }
    assert "Close" in rows["3A"]
    assert "Ouverte" in rows["3A"]
    assert "Close" not in rows["3B"]
    assert reverse("grades:councils") in html


def test_another_establishments_direction_changes_only_its_own(client, school):
    other = SchoolYearFactory()
    direction = staff_account(other.establishment, RoleKind.DIRECTION)
    log_in(client, direction)

    html = client.get(SETTINGS).content.decode()
    assert "Mathématiques" not in html
    client.post(SETTINGS, policy_data(parent_delay_days="5"))

    assert GradesPolicy.objects.get().establishment == other.establishment
    assert not GradesPolicy.objects.filter(establishment=school.establishment).exists()
