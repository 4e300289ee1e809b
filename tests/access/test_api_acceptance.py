"""The acceptance walk of the API on the small demo (docs/access.md, interfaces.md): a
family signs in through the login page, asks `/api/v1/me`, then each child's
timetable, grades, absences and homework, and gets exactly their own — `parent` (Sophie
Lambert) Emma at the collège and Lucas at the lycée, `parent2` (Julien Roche, Emma's
separated father) Emma only, `eleve` (Emma) herself only — and a logged 404 for every
other pupil asked, of both establishments, a sibling included."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction

from preau.accounts.models import Account
from preau.attendance.models import Absence
from preau.core.models import Role, RoleKind
from preau.core.selectors import today
from preau.devtools.demo import COLLEGE_UAI, LYCEE_UAI, build_demo
from preau.grades.access import policy_of
from preau.grades.models import Mark
from preau.homework.selectors import pupil_homework
from preau.timetable.selectors import pupil_occurrences
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

# What each demo account follows: the logins of the pupils, with their establishment.
OWN = {
    "parent": {"eleve": COLLEGE_UAI, "lyceen": LYCEE_UAI},
    "parent2": {"eleve": COLLEGE_UAI},
    "eleve": {"eleve": COLLEGE_UAI},
}
SIBLING = {"parent2": "lyceen", "eleve": "lyceen"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo as of today, seeded once for the module and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo(small=True)
        transaction.set_rollback(True)


def person_of(login: str):
    return Account.objects.select_related("person").get(login=login).person


def strangers() -> list[int]:
    """Other pupils of both demo establishments: the first three of each by id, and
    Théo, the adult lycéen."""
    found = []
    for uai in (COLLEGE_UAI, LYCEE_UAI):
        found += list(
            Role.objects.filter(kind=RoleKind.PUPIL, establishment__uai=uai)
            .exclude(person__account__login__in=["eleve", "lyceen"])
            .order_by("person_id")
            .values_list("person_id", flat=True)[:3]
        )
    return [*found, person_of("majeur").pk]


def child_establishment(child, uai: str) -> int:
    return Role.objects.get(
        person=child, kind=RoleKind.PUPIL, establishment__uai=uai
    ).establishment_id


def signed_in(client, login: str):
    log_in(client, Account.objects.get(login=login), password="demo")
    return client


@pytest.mark.parametrize("login", list(OWN))
def test_me_names_the_caller_and_exactly_their_children(client, demo, login):
    signed_in(client, login)

    me = client.get("/api/v1/me").json()

    assert me["id"] == person_of(login).pk
    children = {child["id"]: child["establishment"]["uai"] for child in me["children"]}
    if login == "eleve":
        assert children == {}
        assert {(r["role"], r["establishment"]["uai"]) for r in me["roles"]} == {
            ("pupil", COLLEGE_UAI)
        }
    else:
        assert children == {person_of(pupil).pk: uai for pupil, uai in OWN[login].items()}
        assert {(r["role"], r["establishment"]["uai"]) for r in me["roles"]} == {
            ("guardian", uai) for uai in OWN[login].values()
        }


@pytest.mark.parametrize(
    ("login", "pupil"), [(login, pupil) for login, pupils in OWN.items() for pupil in pupils]
)
def test_each_reader_gets_their_own_pupils_timetable_grades_absences_homework(
    client, demo, login, pupil
):
    signed_in(client, login)
    child = person_of(pupil)
    uai = OWN[login][pupil]
    day = today()
    first, last = day - timedelta(days=day.weekday()), day + timedelta(days=27)

    timetable = client.get(f"/api/v1/pupils/{child.pk}/timetable?from={first}&to={last}")
    grades = client.get(f"/api/v1/pupils/{child.pk}/grades")
    absences = client.get(f"/api/v1/pupils/{child.pk}/absences")
    homework = client.get(f"/api/v1/pupils/{child.pk}/homework?from={first}&to={last}")

    assert [r.status_code for r in (timetable, grades, absences, homework)] == [200] * 4
    expected = pupil_occurrences(child.pk, first, last).filter(establishment__uai=uai)
    assert {o["id"] for o in timetable.json()} == set(expected.values_list("pk", flat=True))
    assert {a["id"] for a in absences.json()} == set(
        Absence.objects.filter(
            pupil=child, establishment__uai=uai, voided_at__isnull=True
        ).values_list("pk", flat=True)
    )
    data = grades.json()
    assert data["pupil"] == child.pk
    shown = {e["id"]: e["mark"] for s in data["subjects"] for e in s["evaluations"] if e["mark"]}
    # A guardian sees a mark after the establishment's delay, the pupil from publication.
    delay = 0 if login == "eleve" else policy_of(child_establishment(child, uai)).parent_delay_days
    assert data["visible_from_delay_days"] == delay
    expected = Mark.objects.filter(
        pupil=child,
        evaluation__establishment__uai=uai,
        evaluation__period_id=data["period"]["id"] if data["period"] else None,
        evaluation__published_on__lte=day - timedelta(days=delay),
    )
    assert shown == {m.evaluation_id: m.text for m in expected}
    due = pupil_homework(child.pk, child_establishment(child, uai), first, last)
    assert [h["id"] for h in homework.json()] == [item.homework.pk for item in due]
    # "Fait" is the pupil's own tick.
    assert {h["done"] is None for h in homework.json()} <= {login != "eleve"}


@pytest.mark.parametrize("login", list(OWN))
@pytest.mark.parametrize("what", ["timetable", "grades", "absences", "homework"])
def test_every_other_pupil_is_a_logged_404(client, demo, caplog, login, what):
    signed_in(client, login)
    others = strangers()
    if login in SIBLING:
        others.append(person_of(SIBLING[login]).pk)
    caplog.set_level(logging.INFO, logger="preau.access")

    answers = {pk: client.get(f"/api/v1/pupils/{pk}/{what}").status_code for pk in others}

    assert answers == dict.fromkeys(others, 404)
    refused = [r.getMessage() for r in caplog.records if r.name == "preau.access"]
    account = Account.objects.get(login=login).pk
    assert refused == [
        f"refused {what} of pupil {pk} to account {account} from 127.0.0.1" for pk in others
    ]
