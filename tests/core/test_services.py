"""Writes about establishments and people (preau.core.services)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from preau.audit.models import AuditEvent
from preau.core import services
from preau.core.models import (
    Establishment,
    ExternalId,
    GradingPeriod,
    Guardianship,
    PeriodScheme,
    Relationship,
    ResponsibilityLevel,
    Role,
    RoleKind,
)
from preau.core.selectors import today
from tests.factories import (
    AccountFactory,
    EstablishmentFactory,
    GuardianshipFactory,
    PersonFactory,
    RoleFactory,
    staff_account,
    valid_uai,
)

pytestmark = pytest.mark.django_db


def create(**overrides) -> Establishment:
    fields = {
        "actor": None,
        "uai": "0750680G",
        "name": "Lycée Test",
        "kind": "lycee",
        "academy": "paris",
    }
    return services.establishment_create(**(fields | overrides))


# -- establishment_create -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("academy", "uai", "zone", "public_holidays"),
    [
        ("paris", valid_uai("075", 680), "C", "metropole"),
        ("lyon", valid_uai("069", 1), "A", "metropole"),
        ("rennes", valid_uai("035", 1), "B", "metropole"),
        ("nancy-metz", valid_uai("057", 1), "B", "alsace_moselle"),  # Moselle
        ("nancy-metz", valid_uai("054", 1), "B", "metropole"),  # Meurthe-et-Moselle
        ("strasbourg", valid_uai("067", 1), "B", "alsace_moselle"),  # Bas-Rhin
        ("strasbourg", valid_uai("068", 1), "B", "alsace_moselle"),  # Haut-Rhin
        ("la-reunion", valid_uai("974", 1), "other", "reunion"),
    ],
)
def test_zone_follows_the_academie_and_public_holidays_the_departement(
    academy, uai, zone, public_holidays
):
    establishment = create(academy=academy, uai=uai)
    establishment.refresh_from_db()
    assert establishment.holiday_zone == zone
    assert establishment.public_holidays == public_holidays


def test_an_explicit_zone_and_calendar_win_over_the_defaults():
    establishment = create(
        academy="nancy-metz",
        uai=valid_uai("057", 2),
        holiday_zone="other",
        public_holidays="metropole",
    )
    assert (establishment.holiday_zone, establishment.public_holidays) == ("other", "metropole")


def test_the_uai_is_normalised_and_a_wrong_check_letter_is_accepted():
    assert create(uai=" 0750680g ").uai == "0750680G"
    # Test exports use invented UAIs: the key is reported elsewhere, never enforced.
    assert create(uai="0134567A").uai == "0134567A"


@pytest.mark.parametrize("bad", ["12345", "07506801", "075068GG", "0750680G1"])
def test_a_malformed_uai_is_refused_with_a_message_naming_it(bad):
    with pytest.raises(ValidationError) as refused:
        create(uai=bad)
    assert f"« {bad} »" in refused.value.message_dict["uai"][0]
    assert not Establishment.objects.exists()


def test_an_unknown_academie_is_refused_with_a_message_naming_it():
    with pytest.raises(ValidationError) as refused:
        create(academy="atlantide")
    assert "« atlantide »" in refused.value.message_dict["academy"][0]
    assert not Establishment.objects.exists()


def test_a_uai_cannot_be_used_twice():
    create()
    with pytest.raises(ValidationError):
        create(name="Doublon")
    assert Establishment.objects.count() == 1


def test_only_the_system_superusers_and_region_administrators_create_establishments():
    superuser = AccountFactory(is_superuser=True)
    region = AccountFactory()
    RoleFactory(person=region.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    direction = staff_account(EstablishmentFactory(), RoleKind.DIRECTION)

    create(actor=superuser, uai=valid_uai("075", 1))
    create(actor=region, uai=valid_uai("075", 2))
    with pytest.raises(PermissionDenied):
        create(actor=direction, uai=valid_uai("075", 3))
    assert not Establishment.objects.filter(uai=valid_uai("075", 3)).exists()
    assert (
        Establishment.objects.filter(uai__in=[valid_uai("075", 1), valid_uai("075", 2)]).count()
        == 2
    )


def test_creating_an_establishment_is_recorded():
    region = AccountFactory(is_superuser=True)
    establishment = create(actor=region)
    event = AuditEvent.objects.get(action="establishment.create")
    assert event.actor == region
    assert event.establishment == establishment
    assert event.after == {"uai": "0750680G", "name": "Lycée Test"}


# -- school_year_create -------------------------------------------------------------------


def test_a_school_year_comes_with_three_trimesters_two_semesters_and_the_year():
    establishment = create(academy="rennes", uai=valid_uai("035", 1))  # zone B
    year = services.school_year_create(
        actor=None,
        establishment=establishment,
        start_date=date(2026, 9, 1),
        end_date=date(2027, 7, 2),
    )
    assert year.label == "2026-2027"
    periods = {
        scheme: list(
            GradingPeriod.objects.filter(school_year=year, scheme=scheme)
            .order_by("number")
            .values_list("number", "label", "start_date", "end_date")
        )
        for scheme in PeriodScheme.values
    }
    assert periods == {
        PeriodScheme.TRIMESTERS: [
            (1, "1er trimestre", date(2026, 9, 1), date(2026, 12, 18)),
            (2, "2e trimestre", date(2026, 12, 19), date(2027, 4, 16)),
            (3, "3e trimestre", date(2027, 4, 17), date(2027, 7, 2)),
        ],
        PeriodScheme.SEMESTERS: [
            (1, "1er semestre", date(2026, 9, 1), date(2027, 1, 31)),
            (2, "2d semestre", date(2027, 2, 1), date(2027, 7, 2)),
        ],
        PeriodScheme.YEAR: [(1, "Année", date(2026, 9, 1), date(2027, 7, 2))],
    }
    assert AuditEvent.objects.filter(action="school_year.create", object_id=str(year.pk)).exists()


def test_a_school_year_must_end_after_it_starts():
    establishment = EstablishmentFactory()
    with pytest.raises(ValidationError):
        services.school_year_create(
            actor=None,
            establishment=establishment,
            start_date=date(2027, 7, 2),
            end_date=date(2026, 9, 1),
        )
    assert not GradingPeriod.objects.exists()


def test_the_direction_creates_the_school_years_of_its_establishment_only():
    establishment, other = EstablishmentFactory(), EstablishmentFactory()
    direction = staff_account(establishment, RoleKind.DIRECTION)
    teacher = staff_account(establishment, RoleKind.TEACHER)
    dates = {"start_date": date(2026, 9, 1), "end_date": date(2027, 7, 2)}

    services.school_year_create(actor=direction, establishment=establishment, **dates)
    with pytest.raises(PermissionDenied):
        services.school_year_create(actor=direction, establishment=other, **dates)
    with pytest.raises(PermissionDenied):
        services.school_year_create(actor=teacher, establishment=establishment, **dates)
    assert other.school_years.count() == 0


# -- guardianship_set ---------------------------------------------------------------------


def test_a_guardianship_change_keeps_the_previous_values_in_the_trail():
    guardian, pupil = PersonFactory(), PersonFactory()
    link = services.guardianship_set(
        actor=None, guardian=guardian, pupil=pupil, relationship=Relationship.FATHER
    )
    changed = services.guardianship_set(
        actor=None,
        guardian=guardian,
        pupil=pupil,
        level=ResponsibilityLevel.CONTACT,
        relationship=Relationship.FATHER,
        receives_mail=False,
    )

    assert changed.pk == link.pk
    assert Guardianship.objects.count() == 1
    assert (changed.level, changed.receives_mail) == (ResponsibilityLevel.CONTACT, False)
    created, updated = AuditEvent.objects.filter(object_id=str(link.pk)).order_by("id")
    assert created.action == "guardianship.create"
    assert created.before is None
    assert created.after == {
        "level": 1,
        "relationship": "20",
        "parental_authority": True,
        "receives_mail": True,
    }
    assert updated.action == "guardianship.update"
    assert updated.before == created.after
    assert updated.after == {
        "level": 3,
        "relationship": "20",
        "parental_authority": True,
        "receives_mail": False,
    }


def test_setting_the_same_guardianship_again_records_nothing():
    guardian, pupil = PersonFactory(), PersonFactory()
    services.guardianship_set(actor=None, guardian=guardian, pupil=pupil)
    services.guardianship_set(actor=None, guardian=guardian, pupil=pupil)
    assert AuditEvent.objects.filter(action__startswith="guardianship.").count() == 1


def test_a_person_is_not_their_own_guardian():
    person = PersonFactory()
    with pytest.raises(ValidationError):
        services.guardianship_set(actor=None, guardian=person, pupil=person)
    assert not Guardianship.objects.exists()


def test_only_the_administration_of_the_establishment_sets_guardianships():
    establishment = EstablishmentFactory()
    teacher = staff_account(establishment, RoleKind.TEACHER)
    secretariat = staff_account(establishment, RoleKind.SECRETARIAT)
    guardian, pupil = PersonFactory(), PersonFactory()
    with pytest.raises(PermissionDenied):
        services.guardianship_set(
            actor=teacher, guardian=guardian, pupil=pupil, establishment=establishment
        )
    services.guardianship_set(
        actor=secretariat, guardian=guardian, pupil=pupil, establishment=establishment
    )
    assert Guardianship.objects.get().guardian == guardian


# -- roles --------------------------------------------------------------------------------


def test_an_ended_role_stays_in_the_history():
    establishment = EstablishmentFactory()
    role = services.role_grant(
        actor=None,
        person=PersonFactory(),
        establishment=establishment,
        kind=RoleKind.TEACHER,
        start_date=date(2025, 9, 1),
    )
    services.role_end(actor=None, role=role, end_date=date(2026, 6, 30))

    role.refresh_from_db()
    assert role.end_date == date(2026, 6, 30)
    assert Role.objects.current(date(2026, 6, 30)).filter(pk=role.pk).exists()
    assert not Role.objects.current(date(2026, 7, 1)).filter(pk=role.pk).exists()
    event = AuditEvent.objects.get(action="role.end")
    assert (event.before, event.after) == ({"end_date": None}, {"end_date": "2026-06-30"})


def test_a_role_cannot_end_before_it_starts():
    role = RoleFactory(start_date=date(2026, 9, 1))
    with pytest.raises(ValidationError):
        services.role_end(actor=None, role=role, end_date=date(2026, 8, 31))
    role.refresh_from_db()
    assert role.end_date is None


def test_granting_an_ended_role_again_restores_the_same_row():
    person, establishment = PersonFactory(), EstablishmentFactory()
    role = services.role_grant(
        actor=None, person=person, establishment=establishment, kind=RoleKind.CPE
    )
    services.role_end(actor=None, role=role, end_date=date(2026, 1, 31))
    again = services.role_grant(
        actor=None, person=person, establishment=establishment, kind=RoleKind.CPE
    )
    assert again.pk == role.pk
    assert again.end_date is None
    assert list(
        AuditEvent.objects.filter(object_id=str(role.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["role.grant", "role.end", "role.restore"]


@pytest.mark.parametrize(
    ("establishment", "kind"),
    [(None, RoleKind.TEACHER), ("theirs", "headmaster")],
    ids=["teacher without establishment", "unknown kind"],
)
def test_a_bad_role_is_refused_before_anything_is_written(establishment, kind):
    with pytest.raises(ValidationError):
        services.role_grant(
            actor=None,
            person=PersonFactory(),
            establishment=EstablishmentFactory() if establishment else None,
            kind=kind,
        )
    assert not Role.objects.exists()
    assert not AuditEvent.objects.filter(action="role.grant").exists()


# -- identifiers --------------------------------------------------------------------------


def test_recording_an_identifier_twice_is_harmless_and_national_ones_have_no_establishment():
    person, establishment = PersonFactory(), EstablishmentFactory()
    first = services.external_id_set(
        actor=None, person=person, source="ine", value="123456789AB", establishment=establishment
    )
    again = services.external_id_set(
        actor=None, person=person, source="ine", value="123456789AB", establishment=establishment
    )
    assert first.pk == again.pk
    assert first.establishment is None
    local = services.external_id_set(
        actor=None, person=person, source="edt", value="42", establishment=establishment
    )
    assert local.establishment == establishment


def test_an_identifier_of_another_person_is_refused_with_both_named():
    establishment = EstablishmentFactory()
    owner, other = PersonFactory(), PersonFactory()
    services.external_id_set(
        actor=None, person=owner, source="edt", value="42", establishment=establishment
    )
    with pytest.raises(ValidationError) as refused:
        services.external_id_set(
            actor=None, person=other, source="edt", value="42", establishment=establishment
        )
    assert "edt:42" in refused.value.messages[0]
    assert str(owner) in refused.value.messages[0]
    assert ExternalId.objects.count() == 1


def test_an_unknown_identifier_source_is_refused():
    with pytest.raises(ValidationError):
        services.external_id_set(
            actor=None, person=PersonFactory(), source="pronote", value="1", establishment=None
        )


# -- adult pupils' objection --------------------------------------------------------------


def test_an_adult_pupil_objects_to_every_guardian_seeing_their_grades():
    day = today()
    pupil = PersonFactory(birth_date=day.replace(year=day.year - 19, day=1))
    links = [GuardianshipFactory(pupil=pupil), GuardianshipFactory(pupil=pupil)]
    account = AccountFactory(person=pupil)

    assert services.adult_objection_set(actor=account, pupil=pupil, objects=True) == 2
    assert all(
        Guardianship.objects.get(pk=link.pk).adult_objection_at is not None for link in links
    )
    assert services.adult_objection_set(actor=account, pupil=pupil, objects=False) == 2
    assert not Guardianship.objects.filter(adult_objection_at__isnull=False).exists()
    assert AuditEvent.objects.filter(action="guardianship.adult_objection").count() == 4


def test_a_minor_cannot_object():
    day = today()
    pupil = PersonFactory(birth_date=day.replace(year=day.year - 17, day=1))
    GuardianshipFactory(pupil=pupil)
    with pytest.raises(ValidationError):
        services.adult_objection_set(actor=None, pupil=pupil, objects=True)
    assert not Guardianship.objects.filter(adult_objection_at__isnull=False).exists()


def test_a_teacher_cannot_record_a_pupils_objection_but_the_vie_scolaire_can():
    establishment = EstablishmentFactory()
    day = today()
    pupil = PersonFactory(birth_date=day.replace(year=day.year - 19, day=1))
    RoleFactory(person=pupil, establishment=establishment, kind=RoleKind.PUPIL)
    GuardianshipFactory(pupil=pupil)
    with pytest.raises(PermissionDenied):
        services.adult_objection_set(
            actor=staff_account(establishment, RoleKind.TEACHER), pupil=pupil, objects=True
        )
    cpe = staff_account(establishment, RoleKind.CPE)
    assert services.adult_objection_set(actor=cpe, pupil=pupil, objects=True) == 1
