"""The secrets handed to people (`accounts.codes`) and the lifetimes of tokens
(`accounts.policy`): pure, tested with tables and hypothesis."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.accounts import codes
from preau.accounts.policy import token_lifetimes

ALPHABET = st.text(alphabet=codes.CODE_ALPHABET, min_size=12, max_size=12)


def test_the_alphabet_has_no_look_alikes():
    for ambiguous in "0O1IL2Z5S8B6Q":
        assert ambiguous not in codes.CODE_ALPHABET
    assert len(set(codes.CODE_ALPHABET)) == len(codes.CODE_ALPHABET) == 23


def test_a_new_code_is_well_formed_and_new_each_time():
    drawn = {codes.code_new() for _ in range(200)}
    assert len(drawn) == 200
    assert all(codes.code_well_formed(code) for code in drawn)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("MARC-DEMA-7439", "MARCDEMA7439"),
        ("marc dema 7439", "MARCDEMA7439"),
        (" Marc–Dema—7439 ", "MARCDEMA7439"),
        ("marc.dema_7439", "MARCDEMA7439"),
        ("MARC\u00a0DEMA\u00a07439", "MARCDEMA7439"),
    ],
)
def test_typing_is_forgiving(typed, canonical):
    assert codes.code_normalise(typed) == canonical
    assert codes.code_well_formed(codes.code_normalise(typed))


@pytest.mark.parametrize(
    "typed", ["MARC-DEMA-743", "MARC-DEMA-74390", "MARC-DEMA-7430", "", "ÉÉÉÉ"]
)
def test_what_cannot_be_a_code(typed):
    assert not codes.code_well_formed(codes.code_normalise(typed))


@given(ALPHABET)
def test_the_printed_form_reads_back_as_the_code(code):
    printed = codes.code_display(code)
    assert printed.count("-") == 2
    assert [len(group) for group in printed.split("-")] == [4, 4, 4]
    assert codes.code_normalise(printed) == code
    assert codes.code_normalise(printed.lower().replace("-", " ")) == code


@given(ALPHABET, ALPHABET)
def test_the_stored_hash_tells_codes_apart_and_hides_them(a, b):
    assert (codes.code_hash(a) == codes.code_hash(b)) == (a == b)
    assert a not in codes.code_hash(a)


def test_the_hash_of_codes_depends_on_the_secret_key(settings):
    before = codes.code_hash("MARCDEMA7439")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert codes.code_hash("MARCDEMA7439") != before


def test_tokens():
    token = codes.token_new()
    assert token.startswith("preau_")
    assert len(token) == len("preau_") + 43
    assert codes.token_shown(token) == token[:14]
    assert codes.token_hash(token) != codes.token_hash(codes.token_new())
    assert len(codes.token_hash(token)) == 64


@pytest.mark.parametrize(
    ("staff", "keys"),
    [(True, ["30", "90", "365"]), (False, ["30", "90", "365", "never"])],
)
def test_staff_tokens_always_end(staff, keys):
    lifetimes = token_lifetimes(staff=staff)
    assert [item.key for item in lifetimes] == keys
    assert all(item.days is None for item in lifetimes if item.key == "never")
