"""The family's home page (issue: "a parent of three children in two schools must reach
each child's day in one tap") and the pupil's: one card per child whatever their
establishment, with today and the next school day, homework, marks and absences as the
reader may see them, and one-click links to the child's pages; a fixed number of
queries whatever the number of children and the size of the data."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from preau.attendance.models import AbsenceKind, AbsenceState, AttendancePolicy
from preau.core import calendar
from preau.core.models import Closure, Guardianship, RoleKind
from preau.grades.models import GradesPolicy
from preau.homework.models import HomeworkDone, HomeworkPolicy
from preau.messaging.models import Message, Recipient
from preau.portal.selectors.cards import LATEST_MARKS, next_school_day
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    PersonFactory,
    RoleFactory,
    SubjectFactory,
    guardian_account,
    mark,
    pupil_in,
)
from tests.portal.test_home_support import (
    CANCELLED,
    EXCEPTIONAL,
    MOVED,
    REPLACED,
    ROOM_CHANGED,
    TEACHER_ABSENT,
    Family,
    School,
    room,
)

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")

# Every signed-in page starts with five queries (session, account, person, roles,
# children). Then, for all the cards at once: the establishments and their closures 2,
# the divisions and head teachers 2, the adult pupils' objections 1, the sessions 10
# (memberships 5, occurrences 4, where moved ones went 1), the marks 1, the absences 1,
# the homework 9 (who sees it 1, homework_due 8), the unread messages 1.
FAMILY_HOME_QUERIES = 32
# The pupil: no objection to read; the teachers of their subjects 2.
PUPIL_HOME_QUERIES = 33


def page(client, path=HOME) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def card_of(content: str, child) -> str:
    """The HTML of the child's card on the family's home page."""
    start = content.index(f'<h2 id="card-{child.pk}-')
    end = content.find('<section class="card day-card"', start)
    return content[start : end if end != -1 else len(content)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


# -- One page, every child, one click to each child's pages -------------------------------


def test_a_guardian_of_three_children_in_two_schools_sees_each_childs_day_on_one_page(client):
    family = Family(3)
    log_in(client, family.account)
    content = page(client)
    assert content.count('<section class="card day-card"') == 3
    for n, child in enumerate(family.children):
        school = family.school_of(n)
        card = card_of(content, child)
        words = text(card)
        assert child.display_name in words
        assert school.establishment.name in words
        assert f"classe de {school.division.name}" in words
        assert school.head.formal_name in words
        assert "Aujourd'hui" in words
        assert "Mathématiques" in words
        assert "15,5/20" in words
        # Each of the child's pages is one click away, on that child.
        for name in ("timetable:home", "grades:latest", "attendance:mine", "homework:todo"):
            assert f'href="{reverse(name)}?enfant={child.pk}"' in card, name
    # The child switcher of the shell is still there.
    assert 'class="child-switcher"' in content


def test_each_link_of_a_card_opens_the_page_on_that_child(client):
    family = Family(3)
    log_in(client, family.account)
    lucas = family.children[1]
    page(client)
    response = client.get(f"{reverse('timetable:home')}?enfant={lucas.pk}")
    assert response.status_code == 200
    assert response.context["owner"].title == f"Emploi du temps de {lucas.display_name}"
    # The page followed stays on that child: the next page, without the parameter, too.
    response = client.get(reverse("attendance:mine"))
    assert response.context["subject"].pupil_id == lucas.pk
    response = client.get(f"{reverse('grades:latest')}?enfant={family.children[2].pk}")
    assert response.context["reader"].pupil_id == family.children[2].pk


def test_the_switcher_still_switches_on_a_page_reached_from_a_card(client):
    family = Family(2)
    emma, lucas = family.children
    log_in(client, family.account)
    path = f"{reverse('attendance:mine')}?enfant={emma.pk}"
    assert client.get(path).context["subject"].pupil_id == emma.pk
    response = client.post(reverse("portal:switch_child"), {"child": lucas.pk, "next": path})
    # Back to the same page, without the parameter that would follow Emma again.
    assert response["Location"] == reverse("attendance:mine")
    assert client.get(response["Location"]).context["subject"].pupil_id == lucas.pk
    # Other parameters of the page are kept.
    day = f"{reverse('timetable:home')}?enfant={lucas.pk}&jour=2026-03-02"
    response = client.post(reverse("portal:switch_child"), {"child": emma.pk, "next": day})
    assert response["Location"] == f"{reverse('timetable:home')}?jour=2026-03-02"


def test_a_former_pupil_no_longer_has_a_card(client):
    family = Family(2)
    family.children[1].roles.update(end_date=timezone.localdate() - timedelta(days=1))
    log_in(client, family.account)
    content = page(client)
    assert family.children[0].display_name in content
    assert f'id="card-{family.children[1].pk}-' not in content


def test_a_child_not_yet_placed_in_a_division_has_a_card_saying_so(client):
    school = School("Collège Jean Moulin")
    child = PersonFactory(first_name="Noé")
    RoleFactory(person=child, establishment=school.establishment, kind=RoleKind.PUPIL)
    log_in(client, guardian_account(child))
    words = text(page(client))
    assert child.display_name in words
    assert "pas encore affecté à une classe" in words


# -- Today and the next school day ---------------------------------------------------------


def test_the_days_are_today_and_the_next_school_day_of_the_childs_establishment(client):
    family = Family(2)
    college = family.college
    # The collège closes on its next three school days: its card skips them.
    rules = college.establishment.school_calendar_rules()
    closed = calendar.school_days(
        rules, college.today + timedelta(days=1), college.today + timedelta(days=30)
    )[:3]
    Closure.objects.create(
        establishment=college.establishment,
        start_date=closed[0],
        end_date=closed[-1],
        label="Pont de l'Ascension",
    )
    expected = next_school_day(college.establishment.school_calendar_rules(), college.today)
    assert expected > closed[-1]
    log_in(client, family.account)
    content = page(client)
    emma = card_of(content, family.children[0])
    lucas = card_of(content, family.children[1])
    assert f"jour={expected.isoformat()}" in emma
    assert f"jour={family.lycee.next_day.isoformat()}" in lucas
    if not calendar.is_school_day(rules, college.today):
        assert "Pas de cours (" in text(emma)


def test_the_sessions_show_every_change_in_words(client):
    family = Family(1)
    school, emma = family.college, family.children[0]
    day = school.next_day
    school.session(day, 9, status=CANCELLED, label="x", subject=None)
    changed = school.session(day, 10, status=ROOM_CHANGED, rooms=[room(school, "B12")])
    moved = school.session(day, 11, status=MOVED)
    school.session(day, 15, status=EXCEPTIONAL, origin=moved)
    replaced = school.session(day, 13, status=REPLACED)
    school.session(
        day,
        13,
        status=EXCEPTIONAL,
        origin=replaced,
        teachers=[PersonFactory(last_name="Roux", civility="M")],
    )
    school.session(day, 16, status=EXCEPTIONAL, label="Sortie au musée", subject=None)
    school.session(day, 17, status=TEACHER_ABSENT)
    assert changed.rooms.get().name == "B12"
    log_in(client, family.account)
    words = text(card_of(page(client), emma))
    assert "Annulé" in words
    assert "Changement de salle" in words
    assert "B12" in words
    assert "Déplacé" in words
    assert "reporté au" in words
    assert "Nouvel horaire" in words
    assert "au lieu du" in words
    assert "Remplacé" in words
    assert "Remplacement" in words
    assert "M. ROUX" in words
    assert "Exceptionnel" in words
    assert "Sortie au musée" in words
    assert "Prof. absent" in words


def test_only_the_childs_own_sessions_are_shown(client):
    family = Family(1)
    school, emma = family.college, family.children[0]
    other = pupil_in(school.division)
    elsewhere = DivisionFactory(school_year=school.year, name="4A")
    school.session(
        school.next_day,
        9,
        subject=SubjectFactory(establishment=school.establishment, label="Latin"),
        audience={"divisions": [elsewhere]},
    )
    school.session(
        school.next_day,
        10,
        subject=SubjectFactory(establishment=school.establishment, label="Chinois"),
        audience={"pupils": [other]},
    )
    school.session(
        school.next_day,
        11,
        subject=SubjectFactory(establishment=school.establishment, label="Soutien"),
        audience={"pupils": [emma]},
    )
    log_in(client, family.account)
    words = text(card_of(page(client), emma))
    assert "Soutien" in words
    assert "Latin" not in words
    assert "Chinois" not in words


# -- Homework ------------------------------------------------------------------------------


def test_homework_due_on_the_days_shown_with_what_the_pupil_ticked(client):
    family = Family(1)
    school, emma = family.college, family.children[0]
    later = school.session(school.next_day, 15)
    due = school.homework(
        later,
        school.next_day,
        instructions="<p>Apprendre la <b>leçon 4</b></p>",
        estimated_minutes=20,
    )
    HomeworkDone.objects.create(homework=due, pupil=emma)
    far = school.homework(later, school.next_day + timedelta(days=20), instructions="<p>Exposé</p>")
    log_in(client, family.account)
    words = text(card_of(page(client), emma))
    assert "Apprendre la leçon 4" in words
    assert "environ 20 min" in words
    assert "Fait" in words
    assert "Exposé" not in words
    assert far.pk


def test_contacts_see_homework_unless_the_establishment_turned_it_off(client):
    family = Family(2)
    grandmother = family.contact(*family.children)
    HomeworkPolicy.objects.create(
        establishment=family.lycee.establishment, contacts_see_homework=False
    )
    log_in(client, grandmother)
    content = page(client)
    emma, lucas = (card_of(content, child) for child in family.children)
    assert "Exercice Emma0" in text(emma)
    assert "Travail pour ce jour" not in lucas
    assert "Exercice Lucas0" not in text(lucas)
    # Legal guardians always see it.
    client.logout()
    log_in(client, family.account)
    assert "Exercice Lucas0" in text(card_of(page(client), family.children[1]))


# -- Marks ---------------------------------------------------------------------------------


def test_the_latest_marks_newest_first_and_only_the_childs(client):
    family = Family(1)
    school, emma = family.college, family.children[0]
    other = pupil_in(school.division)
    mark(school.evaluation(title="Interro récente", days_ago=1), emma, "18")
    mark(school.evaluation(title="Absente", days_ago=2), emma, "ABS")
    mark(school.evaluation(title="Ancien", days_ago=30), emma, "9")
    mark(school.evaluation(title="Pour un autre", days_ago=1), other, "4")
    log_in(client, family.account)
    words = text(card_of(page(client), emma))
    assert words.index("Interro récente") < words.index("Absente") < words.index("Contrôle Emma0")
    assert "18/20" in words
    assert "ABS" in words
    assert "absent" in words
    assert "Ancien" not in words  # beyond the latest LATEST_MARKS
    assert LATEST_MARKS == 3
    assert "Pour un autre" not in words
    assert "4/20" not in words


def test_guardians_see_marks_after_the_parents_delay_the_pupil_at_once(client):
    family = Family(1)
    school, emma = family.college, family.children[0]
    GradesPolicy.objects.create(establishment=school.establishment, parent_delay_days=2)
    mark(school.evaluation(title="Publié hier", days_ago=3, published_days_ago=1), emma, "12")
    mark(school.evaluation(title="Publié avant-hier", days_ago=4, published_days_ago=2), emma, "13")
    mark(
        school.evaluation(title="Pas encore publié", days_ago=1, published_days_ago=-1), emma, "14"
    )
    log_in(client, family.account)
    words = text(card_of(page(client), emma))
    assert "Publié avant-hier" in words
    assert "Publié hier" not in words
    assert "Pas encore publié" not in words
    assert "2 jours après leur publication" in words
    client.logout()
    log_in(client, emma.account)
    words = text(page(client))
    assert "Publié hier" in words
    assert "Publié avant-hier" in words
    assert "Pas encore publié" not in words


def test_an_adult_pupils_objection_hides_marks_but_not_absences(client):
    family = Family(1)
    emma = family.children[0]
    Guardianship.objects.filter(pupil=emma).update(adult_objection_at=timezone.now())
    log_in(client, family.account)
    card = card_of(page(client), emma)
    words = text(card)
    assert "s'est opposé" in words
    assert "15,5/20" not in words
    assert reverse("grades:latest") not in card
    assert "Absence" in words
    assert f"{reverse('attendance:mine')}?enfant={emma.pk}" in card


def test_contacts_see_marks_only_when_the_establishment_allows_it(client):
    family = Family(2)
    grandmother = family.contact(*family.children)
    GradesPolicy.objects.create(establishment=family.lycee.establishment, contacts_see_grades=True)
    log_in(client, grandmother)
    content = page(client)
    emma, lucas = (text(card_of(content, child)) for child in family.children)
    assert "15,5/20" not in emma
    assert "ne communique les notes qu'aux responsables légaux" in emma
    assert "15,5/20" in lucas


# -- Absences ------------------------------------------------------------------------------


def test_absences_to_justify_with_a_link_to_justify_each(client):
    family = Family(1)
    school, emma = family.college, family.children[0]
    late = school.absence(emma, days_ago=1, hour=10, kind=AbsenceKind.LATENESS, minutes_late=12)
    done = school.absence(emma, days_ago=5, hour=9, state=AbsenceState.ACCEPTED)
    voided = school.absence(emma, days_ago=2, hour=11)
    voided.voided_at = timezone.now()
    voided.save()
    log_in(client, family.account)
    card = card_of(page(client), emma)
    words = text(card)
    assert "Retard de 12 min" in words
    assert (
        f'href="{reverse("attendance:justify_absence", args=[late.pk])}?enfant={emma.pk}"' in card
    )
    assert reverse("attendance:justify_absence", args=[done.pk]) not in card
    assert reverse("attendance:justify_absence", args=[voided.pk]) not in card
    assert "1 justification en cours d'examen" in words


def test_only_the_latest_absences_are_listed_with_the_total(client):
    family = Family(1, extra=4)
    log_in(client, family.account)
    card = card_of(page(client), family.children[0])
    assert card.count("Justifier<span") == 3
    assert "5 absences ou retards à justifier en tout" in text(card)
    assert "5 justifications en cours d'examen" in text(card)


def test_contacts_see_absences_as_the_establishment_allows_and_never_justify(client):
    family = Family(2)
    grandmother = family.contact(*family.children)
    AttendancePolicy.objects.create(
        establishment=family.lycee.establishment, contacts_see_absences=False
    )
    log_in(client, grandmother)
    content = page(client)
    emma, lucas = (card_of(content, child) for child in family.children)
    assert "Absence" in text(emma)
    assert "Justifier" not in emma
    assert "Seuls les responsables légaux justifient" in text(emma)
    assert "ne communique pas les absences" in text(lucas)
    assert reverse("attendance:mine") not in lucas


def test_a_minor_pupil_sees_their_absences_and_who_justifies_them(client):
    family = Family(1)
    emma = family.children[0]
    log_in(client, emma.account)
    content = page(client)
    words = text(content)
    assert "Mes journées" in words
    assert "Absence" in words
    assert "Vos responsables légaux justifient" in words
    assert "Justifier<span" not in content
    assert reverse("attendance:justify") not in content
    assert f'href="{reverse("timetable:home")}"' in content
    assert "?enfant=" not in content


def test_an_adult_pupil_justifies_from_their_home_page(client):
    family = Family(1)
    emma = family.children[0]
    emma.birth_date = timezone.localdate().replace(year=timezone.localdate().year - 19, day=1)
    emma.save()
    log_in(client, emma.account)
    content = page(client)
    assert f'href="{reverse("attendance:justify")}"' in content
    assert "Justifier<span" in content


# -- Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "extra"), [(1, 0), (3, 0), (3, 8)])
def test_the_family_home_costs_the_same_whatever_the_children_and_the_data(
    client, django_assert_num_queries, size, extra
):
    family = Family(size, extra=extra)
    log_in(client, family.account)
    page(client)
    with django_assert_num_queries(FAMILY_HOME_QUERIES):
        content = page(client)
    assert content.count('<section class="card day-card"') == size
    for child in family.children:
        card = card_of(content, child)
        assert "15,5/20" in card
        assert "Exercice" in card


@pytest.mark.parametrize("extra", [0, 8])
def test_the_pupil_home_costs_the_same_whatever_the_data(client, django_assert_num_queries, extra):
    family = Family(1, extra=extra)
    emma = family.children[0]
    log_in(client, emma.account)
    page(client)
    with django_assert_num_queries(PUPIL_HOME_QUERIES):
        content = page(client)
    assert "15,5/20" in content
    assert "Exercice Emma" in content


# -- Unread messages ----------------------------------------------------------------------


def _message_to(person, school, *, concerns=None, read=False):
    message = Message.objects.create(
        establishment=school.establishment,
        sender=school.head,
        subject="Rencontre",
        body="<p>Pouvons-nous nous voir ?</p>",
        kind="discussion",
        concerns=concerns,
        created_at=timezone.now(),
        recipient_count=1,
    )
    Recipient.objects.create(
        message=message, person=person, read_at=timezone.now() if read else None
    )
    return message


def test_the_family_home_counts_unread_messages_and_tags_each_childs_card(client):
    family = Family(2)
    emma, lucas = family.children
    _message_to(family.person, family.college, concerns=emma)
    _message_to(family.person, family.college, concerns=emma)
    _message_to(family.person, family.lycee)
    _message_to(family.person, family.lycee, concerns=lucas, read=True)
    log_in(client, family.account)
    content = page(client)
    words = text(content)
    assert "3 messages non lus" in words
    assert "2 messages non lus (concernant Emma)" in text(card_of(content, emma))
    assert "non lu" not in text(card_of(content, lucas))
    assert f'href="{reverse("messaging:inbox")}"' in content


def test_a_home_without_unread_messages_says_so(client):
    family = Family(1)
    log_in(client, family.account)
    assert "Aucun message non lu." in text(page(client))
