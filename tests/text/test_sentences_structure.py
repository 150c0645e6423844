"""The splitter and structure: a heading line, a title line, a code block, a table, a rule and
front matter are each a span of their own, with their kind; the spans still cover the text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ragkit.text.sentences import sentences, split_sentences, structure_blocks

pytestmark = pytest.mark.unit

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)
PUNCT = st.sampled_from(["", ".", "!", "?", ":", ",", ";", " ...", "."])


@st.composite
def prose_line(draw):
    words = draw(st.lists(WORD, min_size=1, max_size=12))
    return " ".join(words) + draw(PUNCT)


@st.composite
def heading_line(draw):
    return "#" * draw(st.integers(1, 6)) + " " + draw(prose_line())


@st.composite
def code_block(draw):
    fence = draw(st.sampled_from(["```", "~~~", "````"]))
    info = draw(st.sampled_from(["", "python", "yaml"]))
    body = draw(st.lists(st.one_of(prose_line(), heading_line()), min_size=0, max_size=4))
    return "\n".join([fence + info, *body, fence])


@st.composite
def document(draw):
    """Markdown-ish text: prose, headings and code blocks, joined by one or two newlines."""
    parts = draw(st.lists(st.one_of(prose_line(), prose_line(), heading_line(), code_block()), min_size=1, max_size=10))
    seps = draw(st.lists(st.sampled_from(["\n", "\n\n", " \n", "\n  \n"]), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps)), parts


def _covers(text: str, spans) -> None:
    prev = 0
    for s, e in spans:
        assert prev <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        assert not text[prev:s].strip(), f"uncovered text {text[prev:s]!r}"
        prev = e
    assert not text[prev:].strip()


@settings(max_examples=300, deadline=None)
@given(document())
def test_a_heading_line_is_a_sentence_of_its_own(doc):
    text, parts = doc
    spans = split_sentences(text)
    _covers(text, spans)
    sents = sentences(text)
    assert [(s.start, s.end) for s in sents] == spans
    assert all(text[s.start:s.end] == s.text for s in sents)
    texts = {s.text: s.kind for s in sents}
    in_code = {line for p in parts if p.startswith(("```", "~~~")) for line in p.splitlines()}
    for p in parts:
        if p.startswith("#") and p not in in_code:
            assert p.strip() in texts, f"heading {p!r} shares a sentence: {[s.text for s in sents]}"
            assert texts[p.strip()] == "heading"
        if p.startswith(("```", "~~~")):
            assert p in texts and texts[p] == "code", f"code block {p!r} was cut: {[s.text for s in sents]}"


@settings(max_examples=200, deadline=None)
@given(st.lists(prose_line(), min_size=1, max_size=8))
def test_one_paragraph_of_prose_has_no_structure(lines):
    text = " ".join(lines)
    assert structure_blocks(text) == [] or text.lstrip()[:1] in "#`~|-*_"
    if text.lstrip()[:1] not in "#`~|-*_":
        assert all(s.kind == "text" for s in sentences(text))


@pytest.mark.parametrize("sep", ["\n", "\n\n"])
def test_markdown_heading_then_text(sep):
    text = f'## What does "The reranker weights could not be loaded" mean?{sep}It means the folder is empty. Fix it.'
    got = [(s.kind, s.text) for s in sentences(text)]
    assert got == [("heading", '## What does "The reranker weights could not be loaded" mean?'),
                   ("text", "It means the folder is empty."), ("text", "Fix it.")]


def test_a_title_line_over_its_body_is_a_heading():
    got = [(s.kind, s.text) for s in sentences("Safe Haven (film)\n\nSafe Haven is a 2013 film. It was a hit.")]
    assert got == [("heading", "Safe Haven (film)"), ("text", "Safe Haven is a 2013 film."), ("text", "It was a hit.")]
    # a line that ends a sentence, a long line, a lone line and a wrapped line are text
    assert sentences("Safe Haven is a film.\n\nMore.")[0].kind == "text"
    assert sentences(" ".join(["word"] * 20) + "\n\nMore.")[0].kind == "text"
    assert sentences("Safe Haven (film)")[0].kind == "text"
    assert sentences("Alpha beta\ngamma delta.\n\nMore.")[0].kind == "text"


def test_code_block_is_one_span_even_with_sentence_ends_and_hashes_inside():
    text = "Run this:\n\n```python\nx = 1. # Done. Now\n# not a heading\n```\nAfter the code. Yes."
    got = [(s.kind, s.text) for s in sentences(text)]
    assert got == [("text", "Run this:"), ("code", "```python\nx = 1. # Done. Now\n# not a heading\n```"),
                   ("text", "After the code."), ("text", "Yes.")]


def test_an_unclosed_fence_runs_to_the_end():
    assert [s.kind for s in sentences("Intro.\n```\ncode. More code.")] == ["text", "code"]


def test_table_rule_setext_and_front_matter():
    text = ("---\ntitle: x\n---\nIntro text.\n\n| key | value. |\n|---|---|\n| a. | B. |\nAfter.\n\n"
            "Setext heading\n==============\nBody. Text.\n\n---\n\nEnd.")
    got = [(s.kind, s.text) for s in sentences(text)]
    assert got == [
        ("front_matter", "---\ntitle: x\n---"), ("text", "Intro text."),
        ("table", "| key | value. |\n|---|---|\n| a. | B. |"), ("text", "After."),
        ("heading", "Setext heading\n=============="), ("text", "Body."), ("text", "Text."),
        ("rule", "---"), ("text", "End."),
    ]
