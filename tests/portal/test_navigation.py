"""The navigation of every role (access.md: at most two levels, at most eight top-level
entries for every role, the same words for the same things everywhere)."""

from itertools import chain, combinations

import pytest
from django.urls import reverse

from preau.core.models import STAFF_ROLES, RoleKind
from preau.portal.navigation import (
    FAMILY,
    FAMILY_CONTACT,
    HEAD_TEACHER,
    MAX_SECTIONS,
    PUPIL,
    REGION,
    Link,
    Section,
    audiences_for,
    menu_for,
    section_of,
)

STAFF_AUDIENCES = [*sorted(STAFF_ROLES), HEAD_TEACHER]


def every_audience() -> list[frozenset[str]]:
    """Every non-empty combination of staff roles (with or without head teacher), and
    each of the family (legal guardian or contact), pupil and region spaces."""
    staff = chain.from_iterable(
        combinations(STAFF_AUDIENCES, size) for size in range(1, len(STAFF_AUDIENCES) + 1)
    )
    return [frozenset(combo) for combo in staff] + [
        frozenset({FAMILY}),
        frozenset({FAMILY_CONTACT}),
        frozenset({PUPIL}),
        frozenset({REGION}),
    ]


AUDIENCES = every_audience()
MENUS = {audiences: menu_for(audiences) for audiences in AUDIENCES}


def test_every_combination_is_covered():
    assert len(AUDIENCES) == 2 ** len(STAFF_AUDIENCES) - 1 + 4 == 67


@pytest.mark.parametrize("audiences", AUDIENCES, ids=lambda a: "+".join(sorted(a)))
def test_every_menu_has_at_most_eight_sections_of_links(audiences):
    menu = MENUS[audiences]
    assert 1 <= len(menu) <= MAX_SECTIONS == 8
    assert menu[0].key == "home"
    for section in menu:
        assert isinstance(section, Section)
        # Exactly two levels: a section holds links, and a link holds nothing.
        assert section.links
        assert all(isinstance(link, Link) for link in section.links)
        assert section.url_name == section.links[0].url_name


@pytest.mark.parametrize("audiences", AUDIENCES, ids=lambda a: "+".join(sorted(a)))
def test_every_link_of_every_menu_reverses(audiences):
    for section in MENUS[audiences]:
        for link in section.links:
            assert reverse(link.url_name).startswith("/")  # NoReverseMatch names the link


@pytest.mark.parametrize("audiences", AUDIENCES, ids=lambda a: "+".join(sorted(a)))
def test_no_label_appears_twice_in_a_menu(audiences):
    menu = MENUS[audiences]
    section_labels = [str(section.label) for section in menu]
    link_labels = [str(link.label) for section in menu for link in section.links]
    assert len(section_labels) == len(set(section_labels))
    assert len(link_labels) == len(set(link_labels))
    assert len({link.url_name for section in menu for link in section.links}) == len(link_labels)


def test_the_same_words_mean_the_same_page_in_every_menu():
    label_to_url: dict[str, set[str]] = {}
    url_to_label: dict[str, set[str]] = {}
    for menu in MENUS.values():
        for section in menu:
            for link in section.links:
                label_to_url.setdefault(str(link.label), set()).add(link.url_name)
                url_to_label.setdefault(link.url_name, set()).add(str(link.label))
    assert all(len(urls) == 1 for urls in label_to_url.values())
    assert all(len(labels) == 1 for labels in url_to_label.values())


def labels(audiences) -> list[str]:
    return [str(section.label) for section in menu_for(frozenset(audiences))]


def links(audiences) -> set[str]:
    return {link.url_name for section in menu_for(frozenset(audiences)) for link in section.links}


@pytest.mark.parametrize(
    "audiences",
    [{RoleKind.TEACHER}, {RoleKind.TEACHER, HEAD_TEACHER}],
)
def test_a_teacher_only_sees_the_establishment_section_as_mes_classes(audiences):
    assert "Mes classes" in labels(audiences)
    assert "Établissement" not in labels(audiences)


@pytest.mark.parametrize(
    "audiences",
    [
        {RoleKind.TEACHER, RoleKind.DIRECTION},
        {RoleKind.TEACHER, RoleKind.CPE},
        {RoleKind.SECRETARIAT},
        {REGION},
    ],
)
def test_anyone_beyond_a_teacher_sees_the_section_as_etablissement(audiences):
    assert "Établissement" in labels(audiences)
    assert "Mes classes" not in labels(audiences)


@pytest.mark.parametrize("audiences", [{FAMILY}, {FAMILY_CONTACT}, {PUPIL}])
def test_families_and_pupils_have_no_administration_nor_establishment(audiences):
    assert "Administration" not in labels(audiences)
    assert "Établissement" not in labels(audiences)
    assert "Mes classes" not in labels(audiences)


def test_only_families_justify_absences_and_only_teachers_call_the_roll():
    assert "attendance:justify" in links({FAMILY})
    assert "attendance:justify" not in links({PUPIL})
    holders_of_roll_call = [a for a in AUDIENCES if "attendance:roll_call" in links(a)]
    assert all(RoleKind.TEACHER in audiences for audiences in holders_of_roll_call)


def test_administration_is_for_direction_and_secretariat_only():
    for audiences, menu in MENUS.items():
        has_admin = any(section.key == "administration" for section in menu)
        assert has_admin is bool(audiences & {RoleKind.DIRECTION, RoleKind.SECRETARIAT})


def test_the_region_sees_establishments_and_no_messaging():
    assert "core:establishments" in links({REGION})
    assert not any(url.startswith("messaging:") for url in links({REGION}))


def test_a_person_with_several_roles_gets_one_menu_holding_each_roles_links():
    teacher, cpe = links({RoleKind.TEACHER}), links({RoleKind.CPE})
    both = links({RoleKind.TEACHER, RoleKind.CPE})
    assert both == teacher | cpe
    assert len(menu_for(frozenset({RoleKind.TEACHER, RoleKind.CPE}))) <= MAX_SECTIONS


@pytest.mark.parametrize(
    ("kind", "roles", "head_teacher", "expected"),
    [
        ("family", frozenset({"guardian"}), False, {FAMILY}),
        ("family", frozenset({"contact"}), False, {FAMILY_CONTACT}),
        ("pupil", frozenset({RoleKind.PUPIL}), False, {PUPIL}),
        ("region", frozenset({RoleKind.REGION_ADMIN}), False, {REGION}),
        ("staff", frozenset({RoleKind.TEACHER}), True, {RoleKind.TEACHER, HEAD_TEACHER}),
        (
            "staff",
            frozenset({RoleKind.TEACHER, RoleKind.CPE}),
            False,
            {RoleKind.TEACHER, RoleKind.CPE},
        ),
    ],
)
def test_audiences_of_a_space(kind, roles, head_teacher, expected):
    assert audiences_for(kind=kind, roles=roles, head_teacher=head_teacher) == expected


def test_contacts_see_timetable_homework_and_absences_but_no_grades_by_default():
    """access.md: levels 2 and 3 see only what the establishment enables; by default
    timetable, homework and absences, no grades."""
    contact = links({FAMILY_CONTACT})
    assert {"timetable:home", "homework:todo", "attendance:mine"} <= contact
    assert not any(url.startswith("grades:") for url in contact)
    assert "attendance:justify" not in contact
    assert contact < links({FAMILY})


def test_a_page_belongs_to_the_section_linking_to_it_or_sharing_its_namespace():
    menu = menu_for(frozenset({RoleKind.TEACHER}))
    assert section_of(menu, "structure:pupils").key == "structure"
    # A pupil's page is not in the menu: it belongs with the list of pupils.
    assert section_of(menu, "structure:pupil").key == "structure"
    assert section_of(menu, "grades:entry").key == "grades"
    assert section_of(menu, "accounts:account") is None
    assert section_of(menu, None) is None
