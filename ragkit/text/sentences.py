"""Sentence splitting with character offsets, the one splitter of ragkit (chunker, extractive
generator, verifier, abstention). Pure functions over strings.

A sentence ends at `.`, `!`, `?` or an ellipsis (optionally followed by closing quotes or
brackets) when whitespace and then a character that is not a lowercase letter follow, unless the
word before a single `.` is a known abbreviation ("e.g.", "Dr.", "et al.", "Fig. 2", "U.S."); a
capital is an initial in a run of them or after a name ("J. R. R. Tolkien", "Charles W. Eliot"; but
"vitamin A. It" is two sentences). A spaced ellipsis (". . .") does not end a sentence. Decimals ("3.5") never split because no whitespace follows the point. Blank
lines (paragraph breaks) always split; a single newline splits before a list item or a Markdown
heading, after a heading line and after a line ending in ':'. Spans are trimmed of surrounding
whitespace and together cover every non-whitespace character of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Never a sentence end when the word before a single "." is one of these (lowercased, no dot).
ABBREVIATIONS = frozenset(
    """
    e.g i.e cf vs viz al approx ca resp incl esp dr mr mrs ms prof sr jr st mt
    dept univ inc ltd corp co gen col lt sgt rev hon est jan feb mar apr jun jul aug sep sept
    oct nov dec ed eds
    """.split()
)
# Not a sentence end when followed by a digit or an opening bracket ("Fig. 2", "No. 5", "pp. 10").
NUMERIC_ABBREVIATIONS = frozenset("no nos vol vols p pp fig figs eq eqs ref refs sec ch art tab para".split())

_END = re.compile(r"(?:[.!?]+|…+)[\"'”’»)\]]*(\s+)")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
_LINE_ITEM = re.compile(r"\n[^\S\n]*(?=(?:[-*+•·–]\s|\d{1,3}[.)]\s|#{1,6}\s|>\s?))")
_COLON_LINE = re.compile(r"(?<=:)[^\S\n]*\n\s*")  # "Example:" on its own line leads what follows
_HEADING_LINE = re.compile(r"^[^\S\n]*#{1,6}\s[^\n]*(\n\s*)", re.M)
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")  # "e.g", "U.S", "a.m" (the final dot is the candidate)
_LEADING_OPENERS = "([{\"'“‘«"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its character offsets: text == source[start:end]."""

    start: int
    end: int
    text: str


def sentences(text: str) -> list[Sentence]:
    """`split_sentences` as `Sentence`s (offsets and text)."""
    return [Sentence(a, b, text[a:b]) for a, b in split_sentences(text)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) into `text`, trimmed, in order, covering all non-whitespace."""
    cuts = sorted(set(sentence_cuts(text)))
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in cuts + [len(text)]:
        span = _trimmed(text, prev, cut)
        if span is not None:
            spans.append(span)
        prev = cut
    return spans


def sentence_cuts(text: str) -> list[int]:
    """Positions where a new sentence may start (inside or at the end of a whitespace run)."""
    cuts = [m.end() for m in _PARAGRAPH.finditer(text)]
    cuts += [m.end() for m in _LINE_ITEM.finditer(text)]
    cuts += [m.end() for m in _HEADING_LINE.finditer(text)]
    cuts += [m.end() for m in _COLON_LINE.finditer(text)]
    for m in _END.finditer(text):
        nxt = m.end()
        if nxt < len(text) and text[nxt] in ".…":  # a spaced ellipsis (". . .") goes on
            continue
        if nxt >= len(text) or not text[nxt].islower() and not _is_abbreviation(text, m.start(), text[nxt]):
            cuts.append(nxt)
    return cuts


def _is_abbreviation(text: str, punct_at: int, next_char: str) -> bool:
    """Is the single '.' at `punct_at` the end of an abbreviation rather than of a sentence?"""
    if text[punct_at] != "." or text.startswith("..", punct_at):
        return False
    word_start = punct_at
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:punct_at].lstrip(_LEADING_OPENERS).lower()
    if not word:
        return False
    if word in ABBREVIATIONS or _DOTTED.match(word):
        return True
    if len(word) == 1 and text[punct_at - 1].isupper() and _in_initials(text, word_start, punct_at):
        return True
    return word in NUMERIC_ABBREVIATIONS and (next_char.isdigit() or next_char in "([")


_INITIAL_NEXT = re.compile(r"\s+[A-Z]\.(?=\s)")
_INITIAL_PREV = re.compile(r"(?:(?:^|\s)[A-Z]\.|\b[A-Z][a-z]+)\s+$")  # an initial, or a name: "Charles W."


def _in_initials(text: str, word_start: int, punct_at: int) -> bool:
    """A capital letter with a dot in a run of initials ("J. R. R. Tolkien") or after a name
    ("Charles W. Eliot"); after a lowercase word ("vitamin A. It") it ends its sentence."""
    return bool(_INITIAL_NEXT.match(text, punct_at + 1) or _INITIAL_PREV.search(text[max(0, word_start - 40):word_start]))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def word_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Whitespace-separated words of text[start:end], as absolute spans."""
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]


def gap_levels(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Structural strength of the gap before each span: 2 blank line, 1 newline, 0 same line.

    The first span gets 0. Used by the `recursive` strategy (paragraphs before lines before
    sentences) and as a tie-breaker by `semantic`.
    """
    levels = [0] * len(spans)
    for i in range(1, len(spans)):
        gap = text[spans[i - 1][1] : spans[i][0]]
        newlines = gap.count("\n")
        levels[i] = 2 if newlines >= 2 else newlines
    return levels
