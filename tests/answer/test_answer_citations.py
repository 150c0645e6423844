"""Parsing citation markers, splitting answers into sentences that own them, resolving them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ragkit.answer.citations import (
    is_claim,
    match_source,
    parse_citations,
    resolve_citation,
    split_answer,
    strip_citations,
)
from ragkit.answer.context import citation_label

from tests.answer.helpers import make_chunk

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x [Source: a.pdf, page 3].", [("a.pdf", 3)]),
        ("x [source: a.pdf p. 3].", [("a.pdf", 3)]),
        ("x [Source: a.pdf, p 3].", [("a.pdf", 3)]),
        ("x (Source: a.pdf, page 3).", [("a.pdf", 3)]),
        ("x (source: a.pdf, p. 4)", [("a.pdf", 4)]),
        ("x [Source: a.pdf].", [("a.pdf", None)]),
        ("x [ SOURCE :  My Doc.pdf ,  Page  12 ]", [("My Doc.pdf", 12)]),
        ("x [Source: a.pdf, pg. 7]", [("a.pdf", 7)]),
        ("x [Sources: a.pdf, page 1; Source: b.md]", [("a.pdf", 1), ("b.md", None)]),
        ("x [Source: a.pdf, page 1; b.md, page 2]", [("a.pdf", 1), ("b.md", 2)]),
        ("x [Source: report (final).pdf, page 2]", [("report (final).pdf", 2)]),
        ('x [Source: "quoted.txt"]', [("quoted.txt", None)]),
        ("no citation [1] here (see page 3)", []),
    ],
)
def test_parse_variants(text, expected):
    assert [(r.source, r.page) for r in parse_citations(text)] == expected


def test_parse_page_range_and_offsets():
    text = "Claim [Source: a.pdf, pages 3-4] and more."
    (ref,) = parse_citations(text)
    assert (ref.page, ref.page_end) == (3, 4)
    assert text[ref.start:ref.end] == ref.raw == "[Source: a.pdf, pages 3-4]"


@settings(max_examples=150, deadline=None)
@given(
    source=st.from_regex(r"[A-Za-z][A-Za-z0-9_\-/ ]{0,20}\.(pdf|md|txt|html)", fullmatch=True),
    page=st.one_of(st.none(), st.integers(1, 9999)),
)
def test_the_label_we_ask_for_parses_back(source, page):
    chunk = make_chunk("text", source, page=page)
    refs = parse_citations(f"Claim {citation_label(chunk)}.")
    assert [(r.source, r.page) for r in refs] == [(source.strip(), page)]


def test_split_answer_assigns_citations_before_and_after_the_period():
    text = ("Here is what I found:\n- The tower is 330 m tall [Source: e.pdf, page 2].\n"
            "- It opened in 1889. [Source: e.pdf, page 1] It was criticised by artists.")
    sents = split_answer(text)
    assert [s.claim for s in sents] == [
        "Here is what I found:", "The tower is 330 m tall.", "It opened in 1889.", "It was criticised by artists."]
    assert [[(r.source, r.page) for r in s.refs] for s in sents] == [[], [("e.pdf", 2)], [("e.pdf", 1)], []]
    for s in sents:
        assert text[s.start:s.end] == s.text
        for r in s.refs:
            assert s.start <= r.start and r.end <= s.end  # a sentence's span covers its citations


def test_split_answer_mid_sentence_citations_belong_to_their_sentence():
    sents = split_answer("A is 5 [Source: a.md] and B is 6 [Source: b.md]. Next claim here [Source: c.md].")
    assert [[r.source for r in s.refs] for s in sents] == [["a.md", "b.md"], ["c.md"]]
    assert sents[0].claim == "A is 5 and B is 6."


def test_strip_citations():
    assert strip_citations("The tower is tall [Source: e.pdf, page 2]. It opened (Source: e.pdf).") == \
        "The tower is tall. It opened."
    assert strip_citations("Tall. [Source: e.pdf]. Old... [Source: e.pdf]...") == "Tall. Old......"


@pytest.mark.parametrize(
    "claim, expected",
    [
        ("The tower is 330 metres tall.", True),
        ("It opened in 1889.", True),
        ("Gustave Eiffel built it.", True),
        ("Here is what I found:", False),
        ("What else would you like to know?", False),
        ("I don't have enough information.", False),
        ("Sources: handbook.pdf", False),
        ("handbook.pdf, page 4", False),
        ("Thanks.", False),
    ],
)
def test_is_claim(claim, expected):
    assert is_claim(claim) is expected


# ---- resolution ---------------------------------------------------------------------------------
CTX = [
    make_chunk("Page two text.", "docs/Handbook.pdf", page=2, title="Employee Handbook", chunk_id="h2"),
    make_chunk("Page five text.", "docs/Handbook.pdf", page=5, title="Employee Handbook", chunk_id="h5", page_end=6),
    make_chunk("Notes text.", "notes.md", chunk_id="n"),
    make_chunk("Appendix text.", "Appendix p 2", chunk_id="ap"),
]


@pytest.mark.parametrize(
    "name, ids",
    [
        ("docs/Handbook.pdf", {"h2", "h5"}),  # exact
        ("DOCS/handbook.PDF", {"h2", "h5"}),  # case-insensitive
        ("Handbook.pdf", {"h2", "h5"}),  # basename
        ("handbook", {"h2", "h5"}),  # basename without extension
        ("Employee Handbook", {"h2", "h5"}),  # title
        ("notes.md", {"n"}),
        ("other.pdf", set()),
    ],
)
def test_match_source_levels(name, ids):
    assert {c.chunk_id for c in match_source(name, CTX)} == ids


def test_resolve_page_checks():
    def resolve(text):
        (ref,) = parse_citations(text)
        hits, reason = resolve_citation(ref, CTX)
        return {c.chunk_id for c in hits}, reason

    assert resolve("[Source: Handbook.pdf, page 2]") == ({"h2"}, None)
    assert resolve("[Source: Handbook.pdf, page 6]") == ({"h5"}, None)  # inside the chunk's page_end
    assert resolve("[Source: Handbook.pdf]") == ({"h2", "h5"}, None)  # no page: every chunk of the source
    ids, reason = resolve("[Source: Handbook.pdf, page 3]")
    assert ids == {"h2", "h5"} and "page 3" in reason and "2, 5, 6" in reason
    ids, reason = resolve("[Source: manual.pdf, page 2]")
    assert ids == set() and "'manual.pdf' is not in the context" in reason and "notes.md" in reason
    assert resolve("[Source: notes.md, page 4]") == ({"n"}, None)  # a source without pages: page ignored
    assert resolve("[Source: Appendix p 2]") == ({"ap"}, None)  # a name that merely ends like a page
