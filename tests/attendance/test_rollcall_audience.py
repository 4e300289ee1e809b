"""Who a roll call lists is exactly who the timetable says is expected (timetable.md §6):
a pupil is on the roll call of an occurrence if and only if the occurrence is in the
pupil's own timetable that day, whatever the dated memberships of divisions, class
parts and groups (through class parts, whole divisions or directly)."""

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from preau.attendance.selectors.roll_calls import expected_pupils, roll_call_occurrence
from preau.core.selectors import today
from preau.timetable.selectors import pupil_occurrences
from tests.factories import (
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    EnrolmentFactory,
    GroupFactory,
    GroupMembershipFactory,
    OccurrenceFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

UNITS = ("division A", "division B", "part A1", "part A2", "part B1", "group", "pupil 0")

# A membership: (unit index, start offset from the day, end offset or None).
spans = st.tuples(st.integers(-20, 3), st.one_of(st.none(), st.integers(-20, 10))).map(
    lambda span: (span[0], None if span[1] is None else max(span[0], span[1]))
)
pupils = st.lists(
    st.fixed_dictionaries(
        {
            "enrolments": st.lists(st.tuples(st.sampled_from(["A", "B"]), spans), max_size=2),
            "parts": st.lists(st.tuples(st.sampled_from(["A1", "A2", "B1"]), spans), max_size=2),
            "groups": st.lists(spans, max_size=1),
        }
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=40)
@given(
    people=pupils,
    audience=st.sets(st.sampled_from(UNITS), min_size=1),
    group_parts=st.sets(st.sampled_from(["A1", "A2", "B1"])),
    group_divisions=st.sets(st.sampled_from(["A", "B"])),
)
def test_the_roll_call_lists_exactly_the_pupils_whose_timetable_holds_the_session(
    people, audience, group_parts, group_divisions
):
    day = today()
    with transaction.atomic():
        division_a = DivisionFactory(name="A")
        year = division_a.school_year
        divisions = {"A": division_a, "B": DivisionFactory(name="B", school_year=year)}
        parts = {
            "A1": ClassPartFactory(division=divisions["A"], name="1"),
            "A2": ClassPartFactory(division=divisions["A"], name="2"),
            "B1": ClassPartFactory(division=divisions["B"], name="1"),
        }
        group = GroupFactory(
            school_year=year,
            class_parts=[parts[name] for name in group_parts],
            divisions=[divisions[name] for name in group_divisions],
        )

        def dates(span):
            start, end = span
            return {
                "start_date": day + timedelta(days=start),
                "end_date": None if end is None else day + timedelta(days=end),
            }

        created = []
        for person in people:
            pupil = PersonFactory()
            created.append(pupil)
            for name, span in person["enrolments"]:
                EnrolmentFactory(pupil=pupil, division=divisions[name], **dates(span))
            for name, span in person["parts"]:
                ClassPartMembershipFactory(pupil=pupil, class_part=parts[name], **dates(span))
            for span in person["groups"]:
                GroupMembershipFactory(pupil=pupil, group=group, **dates(span))
        units = {
            "division A": {"divisions": [divisions["A"]]},
            "division B": {"divisions": [divisions["B"]]},
            "part A1": {"class_parts": [parts["A1"]]},
            "part A2": {"class_parts": [parts["A2"]]},
            "part B1": {"class_parts": [parts["B1"]]},
            "group": {"groups": [group]},
            "pupil 0": {"pupils": [created[0]]},
        }
        kwargs: dict[str, list] = {}
        for unit in audience:
            for key, values in units[unit].items():
                kwargs.setdefault(key, []).extend(values)
        occurrence = OccurrenceFactory(school_year=year, date=day, **kwargs)

        loaded = roll_call_occurrence(occurrence.pk)
        listed = {pupil.pk for pupil in expected_pupils(loaded)}
        in_timetable = {
            pupil.pk
            for pupil in created
            if pupil_occurrences(pupil.pk, day, day).filter(pk=occurrence.pk).exists()
        }

        assert listed == in_timetable
        transaction.set_rollback(True)
