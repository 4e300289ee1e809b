"""Rich text typed by people: what survives sanitising, and its plain text."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.core.richtext import clean_html, plain_text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("<p>Exercice <strong>3</strong> p. 42</p>", "<p>Exercice <strong>3</strong> p. 42</p>"),
        ('<p onclick="steal()">Lire</p>', "<p>Lire</p>"),
        ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
        ("<img src=x onerror=alert(1)>", ""),
        (
            '<a href="javascript:alert(1)">lien</a>',
            '<a rel="noopener noreferrer nofollow">lien</a>',
        ),
        (
            '<a href="https://eduscol.education.fr/">Éduscol</a>',
            '<a href="https://eduscol.education.fr/" rel="noopener noreferrer nofollow">'
            "Éduscol</a>",
        ),
        ("<ul><li>un</li><li>deux</li></ul>", "<ul><li>un</li><li>deux</li></ul>"),
        ('<p style="color:red">rouge</p>', "<p>rouge</p>"),
    ],
)
def test_clean_html_keeps_formatting_and_drops_anything_executable(typed, kept):
    assert clean_html(typed) == kept


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a &amp; <b>b</b></p>", "a & b"),
        ("<p>Lire</p><p>Écrire</p>", "Lire\nÉcrire"),
        ("<ul><li>un</li><li>deux<br>trois</li></ul>", "un\ndeux\ntrois"),
        ("  <p> </p>  ", ""),
    ],
)
def test_plain_text_keeps_blocks_apart(html, text):
    assert plain_text(html) == text


@given(st.text())
def test_nothing_executable_survives(typed):
    cleaned = clean_html(typed).lower()
    assert "<script" not in cleaned
    # Any "<" left starts a real tag: typed ones are escaped.
    assert not re.search(r"<[a-z0-9]+[^>]*\son[a-z]+\s*=", cleaned)
    assert 'href="javascript' not in cleaned


@given(st.lists(st.text(alphabet="abcdefghij klm", min_size=1), min_size=1, max_size=5))
def test_words_of_two_paragraphs_never_merge(words):
    html = "".join(f"<p>{word}</p>" for word in words)
    assert plain_text(html).split() == " ".join(words).split()
