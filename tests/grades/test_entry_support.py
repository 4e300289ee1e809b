"""The school the entry-grid tests talk about (no test here: the test_entry modules
import it).

A collège: 4B with Mme Schmitt teaching maths (one trimester covering the year), two
evaluations (a control on 20, coefficient 2; a quiz on 10); 4A taught maths by
M. Klein; a direction account; Emma, a pupil of 4B with an account; Dumas, a pupil of
4A.
"""

import json
from decimal import Decimal

from django.urls import reverse

from preau.core.models import RoleKind
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    PersonFactory,
    division_service,
    grading_period,
    pupil_in,
    staff_account,
)


class School:
    def __init__(self, pupils: int = 3):
        # Persons numbered apart from accounts: a page taking one id for the other fails.
        PersonFactory.create_batch(3)
        self.b4 = DivisionFactory(name="4B")
        self.year = self.b4.school_year
        self.establishment = self.b4.establishment
        self.a4 = DivisionFactory(name="4A", school_year=self.year)
        self.period = grading_period(self.year)
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Schmitt")
        self.other_teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Klein")
        self.direction = staff_account(
            self.establishment, RoleKind.DIRECTION, last_name="Proviseur"
        )
        self.cpe = staff_account(self.establishment, RoleKind.CPE, last_name="Vidal")
        self.emma = pupil_in(self.b4, account=True, first_name="Emma", last_name="Aubert")
        self.pupils = [self.emma] + [
            pupil_in(self.b4, first_name=f"Élève{n:02d}", last_name=f"Nom{n:04d}")
            for n in range(1, pupils)
        ]
        self.dumas = pupil_in(self.a4, first_name="Paul", last_name="Dumas")
        self.maths = division_service(self.b4, self.teacher.person)
        self.maths_4a = division_service(self.a4, self.other_teacher.person)
        self.control = EvaluationFactory(
            service=self.maths,
            period=self.period,
            title="Contrôle 1",
            coefficient=Decimal(2),
        )
        self.quiz = EvaluationFactory(
            service=self.maths, period=self.period, title="Interro", scale=Decimal(10)
        )

    def grid_url(self, service=None) -> str:
        return reverse("grades:entry_grid", args=[(service or self.maths).pk, self.period.pk])

    def save_url(self, service=None) -> str:
        return reverse("grades:entry_marks", args=[(service or self.maths).pk, self.period.pk])


def save(client, url: str, *cells: tuple) -> object:
    """POST cells (evaluation, pupil, text, version) as the grid's script does."""
    body = {
        "cells": [
            {"evaluation": e.pk, "pupil": p.pk, "text": text, "version": version}
            for e, p, text, version in cells
        ]
    }
    return client.post(url, json.dumps(body), content_type="application/json")


def cells_of(response) -> dict:
    """The answered cells by (evaluation id, pupil id)."""
    return {(c["evaluation"], c["pupil"]): c for c in response.json()["cells"]}
