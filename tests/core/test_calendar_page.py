"""The establishment's calendar page: its own public-holiday calendar, its zone's
holidays, its grading periods."""

from datetime import timedelta

import pytest
from django.urls import reverse

from preau.core import calendar
from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.core.services import establishment_create, school_year_create
from tests.conftest import log_in
from tests.factories import staff_account, valid_uai

pytestmark = pytest.mark.django_db

ALSACE_ONLY = ("Vendredi saint", "Saint-Étienne")


def calendar_page_of(client, department: str) -> tuple[str, list[str]]:
    """The calendar page of a collège of the académie of Nancy-Metz in `department`,
    and the Alsace-Moselle holidays that fall within its school year."""
    establishment = establishment_create(
        actor=None,
        uai=valid_uai(department, 1),
        name="Collège",
        kind="college",
        academy="nancy-metz",
    )
    day = today()
    # Three hundred days always hold a Vendredi saint or a 26 December.
    year = school_year_create(
        actor=None,
        establishment=establishment,
        start_date=day - timedelta(days=90),
        end_date=day + timedelta(days=210),
    )
    local = calendar.public_holidays("alsace_moselle", year.start_date, year.end_date)
    national = calendar.public_holidays("metropole", year.start_date, year.end_date)
    extra = [local[day] for day in set(local) - set(national)]
    log_in(client, staff_account(establishment, RoleKind.DIRECTION))
    response = client.get(reverse("core:calendar"))
    assert response.status_code == 200
    return response.content.decode(), extra


def test_a_moselle_establishment_lists_its_two_extra_public_holidays(client):
    content, extra = calendar_page_of(client, "057")
    assert extra
    assert all(name in content for name in extra)
    assert "Alsace-Moselle" in content
    assert "1er trimestre" in content


def test_a_meurthe_et_moselle_establishment_of_the_same_academie_has_none(client):
    content, _ = calendar_page_of(client, "054")
    assert not any(name in content for name in ALSACE_ONLY)
    assert "Zone B" in content
