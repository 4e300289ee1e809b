"""What a teacher types and the sanitised HTML it is kept as (`homework.markup`)."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.homework.markup import html_to_text, text_to_html

CASES = [
    ("", ""),
    ("   \n\n  ", ""),
    ("Exercices 1 et 2 p. 45", "<p>Exercices 1 et 2 p. 45</p>"),
    ("Ligne 1\nLigne 2", "<p>Ligne 1<br>Ligne 2</p>"),
    ("Un\n\nDeux", "<p>Un</p><p>Deux</p>"),
    ("- un\n- deux", "<ul><li>un</li><li>deux</li></ul>"),
    ("1. un\n2) deux", "<ol><li>un</li><li>deux</li></ol>"),
    ("**gras** et *italique*", "<p><strong>gras</strong> et <em>italique</em></p>"),
    ("2*3*4 = 24", "<p>2*3*4 = 24</p>"),
    ("<b>pas du HTML</b>", "<p>&lt;b&gt;pas du HTML&lt;/b&gt;</p>"),
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    (
        "Voir https://example.org/a?b=1&c=2.",
        '<p>Voir <a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">'
        "https://example.org/a?b=1&amp;c=2</a>.</p>",
    ),
    (
        "(https://fr.wikipedia.org/wiki/Metz_(ville))",
        '<p>(<a href="https://fr.wikipedia.org/wiki/Metz_(ville)" '
        'rel="noopener noreferrer nofollow">https://fr.wikipedia.org/wiki/Metz_(ville)</a>)</p>',
    ),
    ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
]


@pytest.mark.parametrize(("typed", "stored"), CASES)
def test_typed_text_becomes_sanitised_html(typed, stored):
    assert text_to_html(typed) == stored


@pytest.mark.parametrize(("typed", "stored"), CASES)
def test_stored_html_gives_the_typed_form_back(typed, stored):
    assert text_to_html(html_to_text(stored)) == stored


def test_html_from_elsewhere_is_read_as_text():
    assert html_to_text('<h3>Titre</h3><p>a <a href="https://x.fr">lien</a></p>') == (
        "Titre\n\na lien (https://x.fr)"
    )
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "a | b"


TAG = re.compile(r"<(/?)([a-z0-9]+)([^>]*)>")


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_nothing_typed_becomes_markup_other_than_the_conventions(text):
    stored = text_to_html(text)
    for closing, name, attributes in TAG.findall(stored):
        assert name in {"p", "br", "ul", "ol", "li", "strong", "em", "a"}
        if name == "a" and not closing:
            assert re.fullmatch(
                r' href="https?://[^"]*" rel="noopener noreferrer nofollow"', attributes
            )
        else:
            assert attributes == ""


@given(
    st.lists(
        st.text(alphabet="abcdefghij éà,.!?0123456789", min_size=1, max_size=30).filter(
            lambda t: t.strip()
        ),
        min_size=1,
        max_size=6,
    )
)
def test_plain_paragraphs_survive_a_round_trip(paragraphs):
    typed = "\n\n".join(p.strip() for p in paragraphs)
    stored = text_to_html(typed)
    assert text_to_html(html_to_text(stored)) == stored
