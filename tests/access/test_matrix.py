"""docs/access.md, proved: every role × every kind of data, in one table.

Each line of MATRIX is a reader (`who`, see conftest.py), a pupil of the world (`of`;
`P+gr`: with P's establishment showing grades to levels 2 and 3, `P-abs` / `P-hw`:
with it hiding absences / homework from them) and, for each kind of data, what the reader gets:

  ok    200, the pupil's data in full: their timetable, file or report card; every
        mark published to the pupil (in the entry grid: the unpublished one too);
        absences with the health reason
  late  200, the marks the pupil sees minus those younger than the parent delay
  mask  200, absences with "Absence justifiée" in place of the health reason
  none  200, nothing of this pupil (the page says why, or shows the reader's child,
        or the search finds nobody)
  404   not found, the refusal logged on "preau.access" without any of the pupil's data
  302   to the login page                401   the API, without a session
  .     not asked (a teacher's "timetable" page is their own)

Kinds — the family's pages (the pupil's own; a guardian's child chosen by `?enfant=`):
  tt    /emploi-du-temps/            timetable      gr    /notes/             grades
  avg   /notes/moyennes/             averages       card  /notes/bulletins/<id>/ report-card
  abs   /vie-scolaire/absences/      absences
the staff's pages:
  file  /etablissement/eleves/<id>/  pupil-file     week  /emploi-du-temps/eleve/<id>/
  sess  /emploi-du-temps/seance/<id>/ session (the pupil's; families open it too)
  desk  /vie-scolaire/eleve/<id>/    attendance-file
  dabs  /vie-scolaire/absence/<id>/  absence-detail (the health one)
  grid  /notes/saisie/service/<id>/periode/<id>/ grade-grid (the pupil's service)
  find  /etablissement/eleves/?q=<name> pupil-search
the API, /api/v1/pupils/<id>/…: a-tt timetable, a-gr grades, a-ab absences, a-hw homework.
Test ids spell the kinds out: "G2-grades-P-200-late", "SEC-api-absences-P-200-mask".
"""

import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse

from preau.attendance.models import AttendancePolicy
from preau.grades.models import GradesPolicy
from preau.homework.models import HomeworkPolicy
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

MATRIX = """
who    of    tt   gr   avg  card abs  file week sess desk dabs grid find a-tt a-gr a-ab a-hw
# the pupil, her separated legal guardians, her level-2 and level-3 contacts
P      P     ok   ok   ok   ok   ok   404  404  ok   404  404  404  404  ok   ok   ok   ok
G1     P     ok   late late ok   ok   404  404  ok   404  404  404  404  ok   late ok   ok
G2     P     ok   late late ok   ok   404  404  ok   404  404  404  404  ok   late ok   ok
C2     P     ok   none none 404  mask 404  404  ok   404  404  404  404  ok   404  mask ok
C3     P     ok   none none 404  mask 404  404  ok   404  404  404  404  ok   404  mask ok
# settings: levels 2 and 3 see grades (after the delay) / see no absences / no homework;
# the legal guardians keep everything
C2     P+gr  .    late late ok   .    .    .    .    .    .    .    .    .    late .    .
C3     P+gr  .    late late ok   .    .    .    .    .    .    .    .    .    late .    .
C2     P-abs ok   .    .    .    none .    .    .    .    .    .    .    ok   .    404  .
C3     P-abs ok   .    .    .    none .    .    .    .    .    .    .    ok   .    404  .
G1     P-abs .    .    .    .    ok   .    .    .    .    .    .    .    .    .    ok   .
C2     P-hw  .    .    .    .    .    .    .    .    .    .    .    .    ok   .    .    404
C3     P-hw  .    .    .    .    .    .    .    .    .    .    .    .    ok   .    .    404
# other families: ?enfant= never opens somebody else's child
GM     P     none none none 404  none 404  404  404  404  404  404  404  404  404  404  404
GQ     P     none none none 404  none 404  404  404  404  404  404  404  404  404  404  404
M      P     none none none 404  none 404  404  404  404  404  404  404  404  404  404  404
# the staff of A
T      P     .    404  404  404  404  ok   ok   ok   404  404  ok   ok   ok   404  mask ok
T2     P     .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
H      P     .    404  404  ok   404  ok   ok   ok   404  404  404  ok   ok   404  mask ok
CPE    P     .    404  404  ok   404  ok   ok   ok   ok   ok   404  ok   ok   404  ok   ok
AED    P     .    404  404  ok   404  ok   ok   ok   ok   ok   404  ok   ok   404  ok   ok
DIR    P     .    404  404  ok   404  ok   ok   ok   ok   ok   ok   ok   ok   404  ok   ok
SEC    P     .    404  404  ok   404  ok   ok   ok   mask mask 404  ok   ok   404  mask ok
# the staff of B, the region, an account with no person, nobody signed in
DIRB   P     .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
TB     P     .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
REGION P     404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404
NOBODY P     404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404
ANON   P     302  302  302  302  302  302  302  302  302  302  302  302  401  401  401  401
# G1's second child, in B (no parent delay there); G2 is not P2's parent
G1     P2    ok   ok   ok   ok   ok   404  404  ok   404  404  404  404  ok   ok   ok   ok
G2     P2    none none none 404  none 404  404  404  404  404  404  404  404  404  404  404
P      P2    none none none 404  none 404  404  404  404  404  404  404  404  404  404  404
DIRB   P2    .    404  404  ok   404  ok   ok   ok   ok   ok   ok   ok   ok   404  ok   ok
TB     P2    .    404  404  404  404  ok   ok   ok   404  404  ok   ok   ok   404  mask ok
DIR    P2    .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
T      P2    .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
REGION P2    404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404
# the adult pupil M objected: his guardian keeps the timetable and absences only
M      M     ok   ok   ok   ok   ok   404  404  ok   404  404  404  404  ok   ok   ok   ok
GM     M     ok   none none 404  ok   404  404  ok   404  404  404  404  ok   404  ok   ok
T      M     .    404  404  404  404  ok   ok   ok   404  404  ok   ok   ok   404  mask ok
# Q, of another division of A: his guardians (C2 too, as his legal guardian) and his
# teacher see him, P's teachers do not
GQ     Q     ok   late late ok   ok   404  404  ok   404  404  404  404  ok   late ok   ok
C2     Q     ok   late late ok   ok   404  404  ok   404  404  404  404  ok   late ok   ok
T2     Q     .    404  404  404  404  ok   ok   ok   404  404  ok   ok   ok   404  mask ok
T      Q     .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
H      Q     .    404  404  404  404  404  404  404  404  404  404  none 404  404  404  404
P      Q     none none none 404  none 404  404  404  404  404  404  404  404  404  404  404"""

SETTINGS = {
    "": {},
    "+gr": {"contacts_see_grades": True},
    "-abs": {"contacts_see_absences": False},
    "-hw": {"contacts_see_homework": False},
}


def parse(table: str) -> list[tuple[str, str, str, str, str]]:
    """(who, kind, pupil, setting, outcome) for every cell of the table but ".": the
    header names the kinds."""
    lines = [line.split() for line in table.strip().splitlines() if not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    kinds = header[2:]
    cells = []
    for who, of, *outcomes in rows:
        assert len(outcomes) == len(kinds), f"line {who} {of}: {len(outcomes)} cells"
        pupil, setting = re.fullmatch(r"(\w+?)([+-]\w+)?", of).groups()
        for kind, outcome in zip(kinds, outcomes, strict=True):
            if outcome != ".":
                cells.append((who, kind, pupil, setting or "", outcome))
    return cells


def row_id(row) -> str:
    who, kind, pupil, setting, outcome = row
    status = outcome if outcome in ("302", "401", "404") else "200"
    detail = f"-{outcome}" if status == "200" and outcome != "ok" else ""
    return f"{who}-{KINDS[kind].name}-{pupil}{setting}-{status}{detail}"


# -- What each kind asks, and how its answer shows a pupil's data ---------------------------


def text_of(response) -> str:
    """The words of a page's main content, or the JSON as written."""
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    html = response.content.decode()
    if "<main" in html:
        html = html[html.index("<main") : html.index("</main>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def shows(text: str, value: str) -> bool:
    """Whether `value` (a mark, a label) is on the page as itself, not inside another
    number ("5,25" is not in "15,25")."""
    return re.search(rf"(?<![\d,.]){re.escape(value)}(?!\d)", text, re.IGNORECASE) is not None


def check_timetable(response, outcome, pupil, own=False):
    assert shows(text_of(response), pupil.subject) == (outcome == "ok")


def check_marks(response, outcome, pupil, own=False, *, unpublished=False):
    text = text_of(response)
    seen = {name for name in ("old", "recent", "future") if shows(text, getattr(pupil, name))}
    expected = {
        "ok": {"old", "recent", "future"} if unpublished else {"old", "recent"},
        "late": {"old"},
        "none": set(),
    }[outcome]
    assert seen == expected


def check_grid(response, outcome, pupil, own=False):
    check_marks(response, outcome, pupil, unpublished=True)


def check_absences(response, outcome, pupil, own=False):
    text = text_of(response)
    assert shows(text, pupil.health) == (outcome == "ok")
    assert shows(text, pupil.plain) == (outcome in ("ok", "mask"))
    if outcome == "mask":
        assert "Absence justifiée" in text


def check_absence_detail(response, outcome, pupil, own=False):
    text = text_of(response)
    assert pupil.person.last_name.lower() in text.lower()
    assert shows(text, pupil.health) == (outcome == "ok")


def check_search(response, outcome, pupil, own=False):
    link = f'href="/etablissement/eleves/{pupil.pk}/"'
    assert (link in response.content.decode()) == (outcome == "ok")


def check_file(response, outcome, pupil, own=False):
    assert outcome == "ok"
    assert pupil.person.last_name.lower() in text_of(response).lower()


def check_card(response, outcome, pupil, own=False):
    assert outcome == "ok"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 " + pupil.key.encode()
    assert response["Cache-Control"] == "private, no-store"


def check_api_timetable(response, outcome, pupil, own=False):
    assert outcome == "ok"
    assert [session["subject"] for session in response.json()] == [pupil.subject]


def check_api_grades(response, outcome, pupil, own=False):
    data = response.json()
    marks = {e["mark"] for s in data["subjects"] for e in s["evaluations"]}
    expected = {"ok": {pupil.old, pupil.recent}, "late": {pupil.old}}[outcome]
    assert marks == {mark.replace(",", ".") for mark in expected}


def check_api_absences(response, outcome, pupil, own=False):
    reasons = sorted(absence["reason"] for absence in response.json())
    shown = {"ok": pupil.health, "mask": "Absence justifiée"}[outcome]
    assert reasons == sorted([shown, pupil.plain])


def check_api_homework(response, outcome, pupil, own=False):
    assert outcome == "ok"
    items = response.json()
    assert [pupil.homework in item["instructions"] for item in items] == [True]
    # "Fait" is the pupil's own tick: nobody else reads it.
    assert (items[0]["done"] is not None) == own


@dataclass(frozen=True)
class Kind:
    name: str
    url: object
    check: object


def _week(world) -> str:
    return f"semaine={world.monday}"


def _grid(world, pupil) -> str:
    return f"/notes/saisie/service/{pupil.service.pk}/periode/{pupil.period.pk}/"


def _api(what: str):
    return lambda world, pupil: f"/api/v1/pupils/{pupil.pk}/{what}"


KINDS = {
    "tt": Kind(
        "timetable", lambda w, x: f"/emploi-du-temps/?enfant={x.pk}&{_week(w)}", check_timetable
    ),
    "gr": Kind("grades", lambda w, x: f"/notes/?enfant={x.pk}", check_marks),
    "avg": Kind("averages", lambda w, x: f"/notes/moyennes/?enfant={x.pk}", check_marks),
    "card": Kind(
        "report-card", lambda w, x: f"/notes/bulletins/{x.card.pk}/?enfant={x.pk}", check_card
    ),
    "abs": Kind("absences", lambda w, x: f"/vie-scolaire/absences/?enfant={x.pk}", check_absences),
    "file": Kind("pupil-file", lambda w, x: f"/etablissement/eleves/{x.pk}/", check_file),
    "week": Kind(
        "pupil-week", lambda w, x: f"/emploi-du-temps/eleve/{x.pk}/?{_week(w)}", check_timetable
    ),
    "sess": Kind(
        "session", lambda w, x: f"/emploi-du-temps/seance/{x.session.pk}/", check_timetable
    ),
    "desk": Kind("attendance-file", lambda w, x: f"/vie-scolaire/eleve/{x.pk}/", check_absences),
    "dabs": Kind(
        "absence-detail",
        lambda w, x: f"/vie-scolaire/absence/{x.health_absence.pk}/",
        check_absence_detail,
    ),
    "grid": Kind("grade-grid", _grid, check_grid),
    "find": Kind(
        "pupil-search",
        lambda w, x: f"/etablissement/eleves/?q={x.person.last_name}",
        check_search,
    ),
    "a-tt": Kind(
        "api-timetable",
        lambda w, x: f"{_api('timetable')(w, x)}?from={w.monday}&to={w.monday + timedelta(6)}",
        check_api_timetable,
    ),
    "a-gr": Kind("api-grades", _api("grades"), check_api_grades),
    "a-ab": Kind("api-absences", _api("absences"), check_api_absences),
    "a-hw": Kind(
        "api-homework",
        lambda w, x: f"{_api('homework')(w, x)}?from={w.monday}&to={w.monday + timedelta(20)}",
        check_api_homework,
    ),
}

# The table, one test per cell (after KINDS: the ids name the kinds).
ROWS = parse(MATRIX)


def test_the_table_names_known_readers_kinds_and_pupils(world):
    assert {who for who, *_ in ROWS} <= {*world.accounts, "ANON"}
    assert {kind for _, kind, *_ in ROWS} == set(KINDS)
    assert {pupil for _, _, pupil, *_ in ROWS} == set(world.pupils)


def _apply(setting: str, pupil) -> None:
    values = SETTINGS[setting]
    if "contacts_see_grades" in values:
        GradesPolicy.objects.update_or_create(establishment=pupil.establishment, defaults=values)
    if "contacts_see_absences" in values:
        AttendancePolicy.objects.update_or_create(
            establishment=pupil.establishment, defaults=values
        )
    if "contacts_see_homework" in values:
        HomeworkPolicy.objects.update_or_create(establishment=pupil.establishment, defaults=values)


@pytest.mark.parametrize("row", ROWS, ids=[row_id(row) for row in ROWS])
def test_access(client, world, caplog, row):
    who, kind, key, setting, outcome = row
    pupil = world.pupils[key]
    _apply(setting, pupil)
    if who != "ANON":
        log_in(client, world.accounts[who])
    url = KINDS[kind].url(world, pupil)
    caplog.set_level(logging.INFO, logger="preau.access")

    response = client.get(url)

    refusals = [record for record in caplog.records if record.name == "preau.access"]
    if outcome == "302":
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse(settings.LOGIN_URL)}?next=")
    elif outcome == "401":
        assert response.status_code == 401
    elif outcome == "404":
        assert response.status_code == 404
        assert refusals, "a refusal must be logged"
        account = world.accounts[who]
        for record in refusals:
            message = record.getMessage()
            assert f"to account {account.pk} " in message
            # The log says who asked for which id; never a name, a mark or a reason.
            for secret in (pupil.person.last_name, pupil.health, pupil.plain, pupil.subject):
                assert secret.lower() not in message.lower()
    else:
        assert response.status_code == 200
        KINDS[kind].check(response, outcome, pupil, own=who == key)
    if outcome != "404":
        assert not refusals


# -- The home page: it gathers every kind of data, and shows none the table hides ---------

VERDICTS = {
    (who, pupil, kind): outcome for who, kind, pupil, setting, outcome in ROWS if not setting
}


def hidden_from(who: str, pupil: str) -> set[str]:
    """What of the pupil the table says the reader never reads: the marks their grades
    page (or, for the staff, the entry grid) does not show, the health reason unless
    their absences page (or the attendance file) shows it, the homework and the
    timetable unless the API gives them."""
    verdicts = {kind: VERDICTS.get((who, pupil, kind), "404") for kind in KINDS}
    marks = {"ok": {"old", "recent"}, "late": {"old"}}.get(verdicts["gr"], set())
    if verdicts["grid"] == "ok":
        marks = {"old", "recent", "future"}
    hidden = {"old", "recent", "future"} - marks
    if "ok" not in (verdicts["abs"], verdicts["desk"]):
        hidden.add("health")
    if verdicts["a-hw"] != "ok":
        hidden.add("homework")
    if verdicts["a-tt"] != "ok":
        hidden.add("subject")
    return hidden


READERS = sorted({who for who, *_ in ROWS} - {"ANON"})


@pytest.mark.parametrize("who", READERS)
def test_the_home_page_shows_nothing_the_table_hides(client, world, who):
    log_in(client, world.accounts[who])

    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    text = text_of(response)
    shown = {
        f"{key}.{what}"
        for key, pupil in world.pupils.items()
        for what in hidden_from(who, key)
        if shows(text, getattr(pupil, what))
    }
    assert shown == set()
