"""The demo timetables (`seed_demo --small`): every division has its week, nobody is in
two places at once, A/B weeks and half-classes alternate, groups spanning divisions show
in each division labelled with the group, every status of an occurrence appears around
the reference date, and Emma sees exactly her own sessions."""

import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from preau.accounts.models import Account
from preau.core.models import Establishment, SchoolYear
from preau.devtools.demo import COLLEGE_UAI, DEMO_UAIS, LYCEE_UAI
from preau.devtools.demo_timetable import Weeks
from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
    TeachingService,
)
from preau.timetable import engine, selectors
from preau.timetable.checks import members_by_unit
from preau.timetable.models import (
    NOT_HELD,
    Course,
    ImportRun,
    Occurrence,
    OccurrenceStatus,
    TimetableVersion,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo, seeded once for the module and rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--small", stdout=io.StringIO())
        college = Establishment.objects.get(uai=COLLEGE_UAI)
        year = SchoolYear.objects.get(establishment=college)
        this, following = Weeks.of(college, year).reference(timezone.localdate())
        yield {"start": this, "end": following + timedelta(days=6)}
        transaction.set_rollback(True)


@pytest.fixture
def weeks(demo, db):
    """The current and next weeks with classes (those the changes are in)."""
    return demo["start"], demo["end"]


def _held(occurrences):
    return [o for o in occurrences if o.status not in NOT_HELD and o.withdrawn_in_id is None]


def test_each_establishment_has_one_imported_version_with_a_clean_report(weeks):
    for uai in DEMO_UAIS:
        run = ImportRun.objects.get(establishment__uai=uai)
        assert run.format == "demo"
        assert run.status == ImportRun.Status.APPLIED
        report = run.report
        assert report["counts"]["occurrences"] > 0
        assert report["unknown_names"] == []
        assert report["courses_without_resources"] == []
        assert report["outside_year"] == 0
        assert {kind: found["count"] for kind, found in report["overlaps"].items()} == {
            "teachers": 0,
            "rooms": 0,
            "pupils": 0,
        }
        version = TimetableVersion.objects.get(establishment__uai=uai, is_current=True)
        assert version.import_run == run
        assert set(version.metadata["weeks"].values()) == {"A", "B"}
        course = version.courses.first()
        assert {"jour", "place", "places", "semaines", "ressources"} <= set(course.provenance)


def test_every_division_has_occurrences_this_week(weeks):
    start, _ = weeks
    for division in Division.objects.filter(establishment__uai__in=DEMO_UAIS):
        found = selectors.division_occurrences(division, start, start + timedelta(days=6))
        assert len(found) >= 15, division.name


def _hours_of(course: Course) -> Decimal:
    """What a course gives each of its pupils per week: half as much on A or B weeks
    only, or when the two halves of a class alternate."""
    kinds = [r for r in course.provenance["ressources"] if r["element"] == "partiedeclasse"]
    every_week = course.provenance["semaines"] == "toutes" and not kinds
    return Decimal(course.provenance["places"]) / (1 if every_week else 2)


def test_every_service_has_its_weekly_hours(weeks):
    placed: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for course in Course.objects.filter(version__is_current=True).select_related(
        "version__establishment", "subject"
    ):
        audience = {
            r["ident"].rsplit(" Groupe ", 1)[0]
            for r in course.provenance["ressources"]
            if r["element"] in ("groupe", "partiedeclasse")
        } or {r["ident"] for r in course.provenance["ressources"] if r["element"] == "classe"}
        (who,) = audience
        placed[(course.version.establishment.uai, course.subject.code, who)] += _hours_of(course)
    for service in TeachingService.objects.filter(establishment__uai__in=DEMO_UAIS).select_related(
        "establishment", "subject", "division", "group"
    ):
        who = service.division.name if service.division else service.group.name
        key = (service.establishment.uai, service.subject.code, who)
        assert placed[key] == service.weekly_hours, key


def test_nobody_is_in_two_places_at_once(weeks):
    """Teachers across both establishments (Mme Schmitt teaches in both), rooms, and
    every pupil on the day of each session, over the weeks of the changes, the changes
    included."""
    start, end = weeks
    occurrences = _held(
        Occurrence.objects.filter(date__gte=start, date__lte=end).prefetch_related(
            "teachers", "rooms", "audience"
        )
    )
    bookings = [
        (f"teacher {t.pk}", o.start, o.end, o.uid) for o in occurrences for t in o.teachers.all()
    ] + [(f"room {r.pk}", o.start, o.end, o.uid) for o in occurrences for r in o.rooms.all()]
    members = {}
    for year in SchoolYear.objects.filter(establishment__uai__in=DEMO_UAIS):
        members.update(members_by_unit(year))
    for occurrence in occurrences:
        pupils = set()
        for unit in occurrence.audience.all():
            kind, pk = next(
                (kind, getattr(unit, f"{kind}_id"))
                for kind in ("division", "group", "class_part", "pupil")
                if getattr(unit, f"{kind}_id")
            )
            if kind == "pupil":
                pupils.add(pk)
            pupils |= {
                pupil
                for pupil, interval in members.get((kind, pk), ())
                if interval.contains(occurrence.date)
            }
        bookings += [
            (f"pupil {p}", occurrence.start, occurrence.end, occurrence.uid) for p in pupils
        ]
    assert engine.overlaps(bookings) == []


def test_a_and_b_weeks_alternate(weeks):
    version = TimetableVersion.objects.get(establishment__uai=COLLEGE_UAI, is_current=True)
    label = version.metadata["weeks"]

    def week_of(occurrence):
        return label[(occurrence.date - timedelta(days=occurrence.date.weekday())).isoformat()]

    once_a_fortnight = Course.objects.filter(version=version, provenance__semaines="A")
    assert once_a_fortnight.exists()
    for course in once_a_fortnight:
        assert {week_of(o) for o in course.occurrences.all()} == {"A"}
    # Half-classes in sciences: Groupe 1 one week, Groupe 2 the other, in one course.
    halves = [
        course
        for course in Course.objects.filter(version=version)
        if any(r["element"] == "partiedeclasse" for r in course.provenance["ressources"])
    ]
    assert halves
    for course in halves:
        weeks_of_part = {
            r["ident"]: r["semaines"]
            for r in course.provenance["ressources"]
            if r["element"] == "partiedeclasse"
        }
        assert sorted(weeks_of_part.values()) == ["A", "B"]
        seen = set()
        for occurrence in course.occurrences.prefetch_related("audience__class_part__division"):
            (unit,) = occurrence.audience.all()
            part = f"{unit.class_part.division.name} {unit.class_part.name}"
            assert weeks_of_part[part] == week_of(occurrence)
            seen.add(part)
        assert seen == set(weeks_of_part)


def test_a_group_spanning_divisions_shows_in_each_division_labelled_with_the_group(weeks):
    start, end = weeks
    for name in ("5e Allemand 1", "1re LVB Espagnol 1"):
        group = Group.objects.get(name=name)
        divisions = {part.division for part in group.class_parts.all()}
        assert len(divisions) >= 2
        for division in divisions:
            labels = [
                selectors.audience_label(o, division)
                for o in selectors.division_occurrences(division, start, end)
                if any(unit.group_id == group.pk for unit in o.audience.all())
            ]
            assert labels, (name, division.name)
            # The divisions named on the course only say where the pupils come from.
            assert set(labels) == {name}


def test_every_status_appears_around_the_reference_date(weeks):
    start, end = weeks
    around = Occurrence.objects.filter(date__gte=start, date__lte=end)
    assert set(around.values_list("status", flat=True)) == set(OccurrenceStatus.values)
    moved = around.filter(status=OccurrenceStatus.MOVED).first()
    assert moved.successors.get().status == OccurrenceStatus.EXCEPTIONAL
    replaced = around.filter(status=OccurrenceStatus.REPLACED).first()
    assert replaced.successors.get().teachers.get() not in replaced.teachers.all()

    def changed(occurrences):
        return {o.status for o in occurrences} - {OccurrenceStatus.SCHEDULED}

    emma = Account.objects.get(login="eleve").person
    lucas = Account.objects.get(login="lyceen").person
    prof = Account.objects.get(login="prof").person
    assert changed(selectors.pupil_occurrences(emma.pk, start, end))
    assert changed(selectors.pupil_occurrences(lucas.pk, start, end))
    assert OccurrenceStatus.TEACHER_ABSENT in changed(
        selectors.teacher_occurrences(prof.pk, start, end)
    )
    for name in ("4B", "3A"):
        division = Division.objects.get(name=name)
        assert len(changed(selectors.division_occurrences(division, start, end))) >= 2, name


def test_emma_sees_her_week_and_nothing_of_groups_she_is_not_in(weeks):
    start, end = weeks
    emma = Account.objects.get(login="eleve").person
    division = Enrolment.objects.get(pupil=emma).division
    parts = set(
        ClassPartMembership.objects.filter(pupil=emma).values_list("class_part_id", flat=True)
    )
    groups = set(Group.objects.filter(class_parts__in=parts).values_list("pk", flat=True)) | set(
        GroupMembership.objects.filter(pupil=emma).values_list("group_id", flat=True)
    )
    mine = list(selectors.pupil_occurrences(emma.pk, start, end))
    assert len(mine) >= 30
    for occurrence in mine:
        units = list(occurrence.audience.all())
        assert any(
            unit.division_id == division.pk
            or unit.class_part_id in parts
            or unit.group_id in groups
            or unit.pupil_id == emma.pk
            for unit in units
        ), occurrence
        for unit in units:
            assert unit.group_id is None or unit.group_id in groups, unit.group
            assert unit.class_part_id is None or unit.class_part_id in parts, unit.class_part
    # Her language group and her half of the class are there, the others are not.
    other_language = Group.objects.filter(
        class_parts__division=division, services__isnull=False
    ).exclude(pk__in=groups)
    assert other_language.exists()
    assert not any(
        unit.group_id in set(other_language.values_list("pk", flat=True))
        for occurrence in mine
        for unit in occurrence.audience.all()
    )
    assert any(unit.class_part_id in parts for o in mine for unit in o.audience.all())


def test_the_lycee_year_keeps_only_weeks_with_classes(weeks):
    """Holidays, public holidays and closures are excluded dates: no occurrence on them."""
    lycee = Establishment.objects.get(uai=LYCEE_UAI)
    year = SchoolYear.objects.get(establishment=lycee)
    calendar_weeks = Weeks.of(lycee, year)
    dates = set(Occurrence.objects.filter(establishment=lycee).values_list("date", flat=True))
    assert dates
    assert not dates & calendar_weeks.excluded
