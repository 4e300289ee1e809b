"""Pure rules about establishments and people (preau.core.domain): UAI, académies,
public-holiday calendars, ages."""

import string
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from preau.core.domain import (
    ACADEMIES,
    ACADEMY_BY_CODE,
    UAI_KEY_LETTERS,
    age_on,
    is_adult_on,
    public_calendar_for_uai,
    uai_check_letter,
    uai_has_valid_key,
    uai_is_well_formed,
)

# -- UAI ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uai", "well_formed", "valid_key"),
    [
        ("0750680G", True, True),  # a real Paris lycée
        ("0134567A", True, False),  # an invented UAI of a test export: key should be U
        ("0134567U", True, True),
        ("0750680g", False, False),  # the letter is upper case
        ("750680G", False, False),  # six digits
        ("00750680G", False, False),  # eight digits
        ("0750680", False, False),  # no letter
        ("O750680G", False, False),  # the letter O for a zero
        ("0750680GG", False, False),
        (" 0750680G", False, False),
        ("0750680G\n", False, False),  # a line read from a file, not a UAI
        ("٠٧٥٠٦٨٠G", False, False),  # Arabic-Indic digits are not digits of a UAI
        ("", False, False),
    ],
)
def test_uai_format_and_check_letter(uai, well_formed, valid_key):
    assert uai_is_well_formed(uai) is well_formed
    assert uai_has_valid_key(uai) is valid_key


def test_the_key_alphabet_has_23_letters_without_i_o_q():
    assert len(UAI_KEY_LETTERS) == 23
    assert set(string.ascii_uppercase) - set(UAI_KEY_LETTERS) == {"I", "O", "Q"}


seven_digits = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"{n:07d}")


@given(digits=seven_digits)
def test_the_check_letter_is_the_number_modulo_23(digits):
    letter = uai_check_letter(digits)
    assert UAI_KEY_LETTERS.index(letter) == int(digits) % 23
    assert uai_has_valid_key(digits + letter)


@given(digits=seven_digits, letter=st.sampled_from(string.ascii_uppercase))
def test_exactly_one_letter_is_a_valid_key_for_seven_digits(digits, letter):
    assert uai_is_well_formed(digits + letter)
    assert uai_has_valid_key(digits + letter) is (letter == uai_check_letter(digits))


@given(text=st.text(max_size=12))
def test_a_well_formed_uai_is_seven_ascii_digits_and_an_upper_case_letter(text):
    expected = (
        len(text) == 8
        and all(char in string.digits for char in text[:7])
        and text[7] in string.ascii_uppercase
    )
    assert uai_is_well_formed(text) is expected


@given(uai=st.from_regex(r"\A[0-9]{7}[A-Z]\Z"), suffix=st.sampled_from(["\n", " ", "X", "0"]))
def test_nothing_may_follow_a_uai(uai, suffix):
    assert not uai_is_well_formed(uai + suffix)


@pytest.mark.parametrize(
    ("uai", "public_calendar"),
    [
        ("0573456J", "alsace_moselle"),  # Moselle
        ("0671234A", "alsace_moselle"),  # Bas-Rhin
        ("0681234B", "alsace_moselle"),  # Haut-Rhin
        ("0541234A", "metropole"),  # Meurthe-et-Moselle: same académie, national calendar
        ("0750680G", "metropole"),
        ("9711234A", "guadeloupe"),
        ("9721234A", "martinique"),
        ("9731234A", "guyane"),
        ("9741234A", "reunion"),
        ("9761234A", "mayotte"),
        ("9751234A", "metropole"),  # Saint-Pierre-et-Miquelon has no calendar of its own here
        ("5701234A", "metropole"),  # the département is the first three digits, not any three
    ],
)
def test_the_public_holiday_calendar_follows_the_departement_of_the_uai(uai, public_calendar):
    assert public_calendar_for_uai(uai) == public_calendar


def test_every_academy_has_a_known_holiday_zone_and_a_unique_code():
    assert len(ACADEMY_BY_CODE) == len(ACADEMIES)
    assert {academy.holiday_zone for academy in ACADEMIES} == {"A", "B", "C", "other"}


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("lyon", "A"),
        ("rennes", "B"),
        ("strasbourg", "B"),
        ("nancy-metz", "B"),
        ("paris", "C"),
        ("corse", "other"),
        ("la-reunion", "other"),
    ],
)
def test_academies_are_in_their_holiday_zone(code, zone):
    assert ACADEMY_BY_CODE[code].holiday_zone == zone


# -- Ages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2010, 6, 15), date(2028, 6, 14), 17),
        (date(2010, 6, 15), date(2028, 6, 15), 18),
        (date(2010, 6, 15), date(2010, 6, 15), 0),
        (date(2010, 12, 31), date(2011, 1, 1), 0),
        # Born on 29 February: the birthday of a common year is 1 March.
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2008, 2, 29), date(2009, 2, 28), 0),
        (date(2008, 2, 29), date(2009, 3, 1), 1),
    ],
)
def test_age_in_whole_years(birth, day, age):
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    ("birth", "day", "adult"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), False),
        (date(2008, 2, 29), date(2026, 3, 1), True),
        (date(2008, 11, 29), date(2026, 11, 28), False),
        (date(2008, 11, 29), date(2026, 11, 29), True),
        (None, date(2026, 11, 29), False),
    ],
)
def test_a_person_is_adult_from_their_eighteenth_birthday(birth, day, adult):
    assert is_adult_on(birth, day) is adult


births = st.dates(min_value=date(1950, 1, 1), max_value=date(2025, 12, 31))


@given(birth=births, day=st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_age_counts_the_birthdays_passed(birth, day):
    assume(day >= birth)
    # A birthday (month, day) is passed when the date is not before it: 29 February
    # sorts between 28 February and 1 March, which is the French civil rule.
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    assert age_on(birth, day) == day.year - birth.year - before_birthday


@given(birth=births, day=st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 30)))
def test_age_grows_by_at_most_one_a_day_and_never_decreases(birth, day):
    assume(day >= birth)
    assert age_on(birth, day + timedelta(days=1)) - age_on(birth, day) in (0, 1)


@given(birth=births, years=st.integers(min_value=0, max_value=80))
def test_on_each_birthday_the_age_is_the_number_of_years(birth, years):
    assume(not (birth.month == 2 and birth.day == 29))
    assert age_on(birth, birth.replace(year=birth.year + years)) == years
