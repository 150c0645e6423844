"""Sentence splitting with character offsets, the one splitter of ragkit (chunker, extractive
generator, verifier, abstention). Pure functions over strings.

A sentence ends at `.`, `!`, `?` or an ellipsis (optionally followed by closing quotes or
brackets) when whitespace and then a character that is not a lowercase letter follow (or a
lowercase word after a bare `.` that ends a word of four letters or more that is not an
abbreviation: "token-capped. ragkit offers"), unless the
word before a single `.` is a known abbreviation ("e.g.", "Dr.", "et al.", "Fig. 2", "U.S."); a
capital is an initial in a run of them or after a name ("J. R. R. Tolkien", "Charles W. Eliot"; but
"vitamin A. It" is two sentences). A spaced ellipsis (". . .") does not end a sentence. Decimals ("3.5") never split because no whitespace follows the point. Blank
lines (paragraph breaks) always split; a single newline splits before a list item or a Markdown
heading, after a heading line and after a line ending in ':'. Spans are trimmed of surrounding
whitespace and together cover every non-whitespace character of the text.

Structure is never part of a sentence: a Markdown heading line (ATX `# ...` or setext, underlined
with `===`/`---`), a fenced code block (from its opening fence to its closing one, or to the end
of the text), a table (a run of lines that start with `|`), a thematic break (`---`) and YAML front
matter at the start of the text are each one span of their own, never cut inside and never joined
to the text around them. `sentences` gives each span its `kind`: "heading", "code", "table",
"rule", "front_matter", or "text"; a one-line paragraph of a few words with no sentence
punctuation, in a text with more than it (a document title over its body, as the BEIR loader
writes it, or a PDF or HTML heading) is a "heading" too. Structure is not an answer sentence
(the extractive generator never picks it); the chunker keeps it like any other span.
"""

from __future__ import annotations

import bisect
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
    kind: str = "text"  # "text", or the structure it is: see the module docstring

    @property
    def structural(self) -> bool:
        return self.kind != "text"


def sentences(text: str) -> list[Sentence]:
    """`split_sentences` as `Sentence`s (offsets, text and kind)."""
    blocks = structure_blocks(text)
    spans = _split(text, blocks)
    return [Sentence(a, b, text[a:b], span_kind(text, a, b, blocks, len(spans))) for a, b in spans]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) into `text`, trimmed, in order, covering all non-whitespace."""
    return _split(text, structure_blocks(text))


def _split(text: str, blocks: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    cuts = sorted(set(sentence_cuts(text, blocks)))
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in cuts + [len(text)]:
        span = _trimmed(text, prev, cut)
        if span is not None:
            spans.append(span)
        prev = cut
    return spans


def sentence_cuts(text: str, blocks: list[tuple[int, int, str]] | None = None) -> list[int]:
    """Positions where a new sentence may start (inside or at the end of a whitespace run)."""
    blocks = structure_blocks(text) if blocks is None else blocks
    cuts = _prose_cuts(text)
    if not blocks:
        return cuts
    # a structure block is one span: cut at both its ends, nowhere inside it
    edges = [e for s, e, _ in blocks] + [s for s, _, _ in blocks]
    starts = [s for s, _, _ in blocks]
    ends = [e for _, e, _ in blocks]
    kept = []
    for c in sorted(set(cuts)):
        k = bisect.bisect_right(starts, c) - 1
        if k >= 0 and starts[k] < c < ends[k]:
            continue
        kept.append(c)
    return kept + edges


def _prose_cuts(text: str) -> list[int]:
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
        elif text[nxt].islower() and _LOWER_START.match(text, nxt) and _ends_before_lowercase(text, m):
            cuts.append(nxt)
    return cuts


_WORD_BEFORE = re.compile(r"(?:^|(?<=\s))[A-Za-z][a-z]*(?:-[a-z]+)*$")
_LOWER_START = re.compile(r"[a-z][A-Za-z]+\b")


def _ends_before_lowercase(text: str, m: re.Match) -> bool:
    """"... token-capped. ragkit offers ...": a single '.' right after a word of four letters or
    more that is no abbreviation, then a lowercase word, ends a sentence (a name written in lower
    case: "ragkit", "iPhone"). Not after a closing quote or bracket, an ellipsis or a short word
    ("etc. and", "approx. five", "et al. found" go on)."""
    if m.group(0)[:2] != "." + m.group(1)[:1]:
        return False
    w = _WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
    return bool(w) and len(w.group()) >= 4 and w.group().lower() not in ABBREVIATIONS


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


# ---- structure: headings, code, tables, rules, front matter ------------------------------------
_FRONT_MATTER = re.compile(r"\A[^\S\n]*---[^\S\n]*\n.*?\n(?:---|\.\.\.)[^\S\n]*(?=\n|\Z)", re.S)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}#{1,6}(?:[^\S\n].*)?$")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[^\S\n]*$")
_RULE = re.compile(r" {0,3}(?:(?:-[^\S\n]*){3,}|(?:\*[^\S\n]*){3,}|(?:_[^\S\n]*){3,})$")
_TABLE = re.compile(r"[^\S\n]*\|.*\|")
_NOT_TITLE_START = re.compile(r"[-*+•·–>]\s|\d{1,3}[.)]\s")
TITLE_MAX_WORDS = 12  # a longer line without sentence punctuation is read as text
_CLOSERS = "\"'”’»)]*_`"


def structure_blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each structure block of `text`, in order, not overlapping: spans of
    whole lines (no trailing newline) that are a heading, a fenced code block, a table, a rule, or
    the front matter at the start. Text of a single line with no structure mark gives []."""
    if "\n" not in text and not text.lstrip()[:1] in ("#", "`", "~", "|", "-", "*", "_"):
        return []  # the common case of a plain paragraph (SQuAD, most jsonl records)
    blocks: list[tuple[int, int, str]] = []
    pos = 0
    if m := _FRONT_MATTER.match(text):
        blocks.append((len(text) - len(text.lstrip()), m.end(), "front_matter"))
        pos = m.end()
    lines = []  # (start, end) of each line from pos, without its newline
    for m in re.finditer(r"[^\n]*", text[pos:]):
        if m.start() == 0 or text[pos + m.start() - 1] == "\n":
            lines.append((pos + m.start(), pos + m.end()))
    i = 0
    while i < len(lines):
        s, e = lines[i]
        line = text[s:e]
        if not line.strip():
            i += 1
            continue
        if f := _FENCE.match(line):
            mark = f.group(1)
            j = i + 1
            while j < len(lines) and not _closes(text[lines[j][0]:lines[j][1]], mark):
                j += 1
            j = min(j, len(lines) - 1)
            blocks.append((s, _rstrip(text, s, lines[j][1]), "code"))
            i = j + 1
            continue
        if _TABLE.match(line):
            j = i
            while j + 1 < len(lines) and _TABLE.match(text[lines[j + 1][0]:lines[j + 1][1]]):
                j += 1
            blocks.append((s, _rstrip(text, s, lines[j][1]), "table"))
            i = j + 1
            continue
        if _ATX.match(line):
            blocks.append((s, _rstrip(text, s, e), "heading"))
        elif (i + 1 < len(lines) and _SETEXT.match(text[lines[i + 1][0]:lines[i + 1][1]])
              and (i == 0 or not text[lines[i - 1][0]:lines[i - 1][1]].strip())
              and not _NOT_TITLE_START.match(line.lstrip())):
            blocks.append((s, _rstrip(text, s, lines[i + 1][1]), "heading"))  # setext: the line and its underline
            i += 2
            continue
        elif _RULE.match(line):
            blocks.append((s, _rstrip(text, s, e), "rule"))
        i += 1
    return [(_lstrip(text, a, b), b, k) for a, b, k in blocks if text[a:b].strip()]


def _closes(line: str, mark: str) -> bool:
    body = line.strip()
    return bool(body) and body[0] == mark[0] and len(body) >= len(mark) and body == mark[0] * len(body)


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _lstrip(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def span_kind(text: str, start: int, end: int, blocks: list[tuple[int, int, str]], n_spans: int = 2) -> str:
    """The kind of the span text[start:end] (one of the text's sentences): its structure block's
    kind; "heading" for a title line (see the module docstring); else "text"."""
    for a, b, kind in blocks:
        if a <= start and end <= b:
            return kind
        if a > start:
            break
    if n_spans > 1 and _is_title_line(text, start, end):
        return "heading"
    return "text"


def _is_title_line(text: str, start: int, end: int) -> bool:
    """A one-line paragraph (blank line or the text's edge on both sides) of at most
    TITLE_MAX_WORDS words, with a letter, that does not end in sentence punctuation."""
    body = text[start:end]
    if "\n" in body or len(body.split()) > TITLE_MAX_WORDS or not any(ch.isalpha() for ch in body):
        return False
    if body.rstrip(_CLOSERS)[-1:] in (".", "!", "?", ":", ";", ",", "…", "") or _NOT_TITLE_START.match(body):
        return False
    return _blank_side(text, start, -1) and _blank_side(text, end, 1)


def _blank_side(text: str, at: int, step: int) -> bool:
    """Is there a blank line (or the edge of the text) right before (step -1) / after (step 1) `at`?"""
    i, newlines = (at - 1, 0) if step < 0 else (at, 0)
    while 0 <= i < len(text) and text[i].isspace():
        newlines += text[i] == "\n"
        i += step
    return newlines >= 2 or not 0 <= i < len(text)


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
