"""Lexical tools shared by the answer layer: sentences with offsets, content words, stems,
numbers and names. Pure functions over strings; no corpus state.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

STOPWORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another any
    anyone anything are around as at be became because become becomes been before being below
    between both but by can cannot could did do does doing done down during each either else enough
    etc even ever every few for from further get gets got had has have having he her here hers herself
    him himself his how however i if in into is it its itself just least less let like made make
    many may me might more most much must my myself neither no nor not now of off often on once one
    only or other others otherwise our ours ourselves out over own per perhaps quite rather really
    same several shall she should since so some something still such than that the their theirs them
    themselves then there therefore these they this those though through thus to too toward towards
    under until up upon us use used using very via was we well were what whatever when whenever
    where whereas wherever whether which while who whoever whom whose why will with within without
    would yet you your yours yourself yourselves s t d ll m re ve
    """.split()
)

QUESTION_WORDS = frozenset("what which who whom whose when where why how name list tell describe explain".split())

NUMBER_WORDS = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "dozen": 12, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "twice": 2, "half": 0.5,
}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt vs etc inc ltd co corp no nos fig figs p pp vol eq ed eds
    e.g i.e al approx dept est jan feb mar apr jun jul aug sep sept oct nov dec gen col lt sgt
    u.s u.k a.m p.m
    """.split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th|s)?(?![\d])")
_NUMBER_SCALE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(thousand|million|billion|trillion)\b", re.IGNORECASE
)
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[A-Z0-9À-Ý•*\-])|\n[ \t]*\n\s*")
_LIST_LINE = re.compile(r"\n(?=[ \t]*(?:[-*•·]|\d{1,2}[.)])\s)|(?<=:)[ \t]*\n")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its character offsets: text == source[start:end]."""

    start: int
    end: int
    text: str


# ---- stemming -------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _stemmer_for_thread(thread_id: int):
    """One Snowball stemmer per thread (PyStemmer objects are not thread-safe)."""
    import Stemmer

    return Stemmer.Stemmer("english")


def stem_words(words: list[str]) -> list[str]:
    return _stemmer_for_thread(threading.get_ident()).stemWords(words)


# ---- words ----------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    """Word tokens (letters/digits, inner apostrophes kept), original case."""
    return _WORD.findall(text)


def word_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _strip_possessive(w: str) -> str:
    lw = w.lower().replace("’", "'")
    return lw[:-2] if lw.endswith("'s") else lw.split("'")[0] if "'" in lw else lw


def content_words(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    """Lowercased tokens that carry meaning: stopwords, question words in `drop` and 1-letter
    tokens removed (digits kept)."""
    out = []
    for w in words(text):
        lw = _strip_possessive(w)
        if not lw or lw in STOPWORDS or lw in drop:
            continue
        if len(lw) == 1 and not lw.isdigit():
            continue
        out.append(lw)
    return out


def content_stems(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    """Snowball stems of `content_words`, in order (duplicates kept)."""
    cw = content_words(text, drop=drop)
    return stem_words(cw) if cw else []


def stems_match(a: str, b: str) -> float:
    """1.0 for equal stems, 0.8 for a shared 6-letter prefix (employ/employe), else 0."""
    if a == b:
        return 1.0
    if len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6] and not a.isdigit():
        return 0.8
    return 0.0


# ---- numbers --------------------------------------------------------------------------------------
def _norm_number(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def number_mentions(text: str, *, include_words: bool = True) -> list[tuple[str, set[str]]]:
    """Each number mentioned in `text` as (as written, set of normalized forms).

    "1,500" -> {"1500"}; "2.5 million" -> {"2.5", "2500000"}; "third" -> {"3"}; "1990s" -> {"1990"}.
    Number words count only with `include_words`; "one" never counts (too often a pronoun).
    """
    out: list[tuple[str, set[str]]] = []
    scaled: dict[int, float] = {}
    for m in _NUMBER_SCALE.finditer(text):
        scaled[m.start(1)] = float(m.group(1)) * _SCALES[m.group(2).lower()]
    for m in _NUMBER.finditer(text):
        raw = m.group(1)
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            continue
        forms = {_norm_number(value)}
        if m.start(1) in scaled:
            forms.add(_norm_number(scaled[m.start(1)]))
        out.append((raw, forms))
    if include_words:
        toks = [w.lower() for w in words(text)]
        for i, w in enumerate(toks):
            if w in NUMBER_WORDS:
                value = float(NUMBER_WORDS[w])
                forms = {_norm_number(value)}
                if i + 1 < len(toks) and toks[i + 1] in _SCALES:
                    forms.add(_norm_number(value * _SCALES[toks[i + 1]]))
                out.append((w, forms))
    return out


def number_forms(text: str) -> set[str]:
    """Every normalized form of every number in `text` (digits and number words)."""
    forms: set[str] = set()
    for _, f in number_mentions(text, include_words=True):
        forms |= f
    return forms


def claim_numbers(text: str) -> list[tuple[str, set[str]]]:
    """Numbers a claim asserts: digits always; number words from two upward (not "one", "half",
    "second", which are mostly not quantities)."""
    out = []
    for raw, forms in number_mentions(text, include_words=True):
        if raw.lower() in ("half", "second", "twice", "hundred", "dozen"):
            continue
        out.append((raw, forms))
    return out


# ---- names ----------------------------------------------------------------------------------------
def names(text: str) -> list[str]:
    """Capitalized words that are not sentence-initial (proper names, acronyms), lowercased.

    Sentence-initial words are skipped: their capital says nothing. Stopwords and number words
    are skipped too ("The", "In", "Three").
    """
    out = []
    sentence_start = True
    for s, e, w in word_spans(text):
        prev = text[max(0, s - 3):s]
        if re.search(r"[.!?:;\n]\s*[\"'“(\[]?$", prev) or s == 0 or not text[:s].strip():
            sentence_start = True
        first = w[0]
        if not sentence_start and first.isupper():
            lw = _strip_possessive(w)
            if lw not in STOPWORDS and lw not in NUMBER_WORDS and len(lw) > 1:
                out.append(lw)
        sentence_start = False
    return out


# ---- sentences ------------------------------------------------------------------------------------
def _is_abbreviation(text: str, dot_pos: int) -> bool:
    """True when the '.' at dot_pos ends an abbreviation or an initial, not a sentence."""
    j = dot_pos
    while j > 0 and (text[j - 1].isalpha() or text[j - 1] == "."):
        j -= 1
    token = text[j:dot_pos].lower()
    if not token:
        return False
    if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
        return True
    if len(token) == 1 and text[j].isupper():  # an initial: "J. Smith"
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):  # "e.g", "u.s.a"
        return True
    return False


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` with offsets, whitespace trimmed. Splits after . ! ? followed by a
    capital or digit (not after abbreviations, initials or decimals), at blank lines, after a
    line ending in ':', and before list items on their own lines."""
    cuts: list[int] = []
    for m in _BOUNDARY.finditer(text):
        if m.group(1) is not None:
            if m.group(1) == "." and _is_abbreviation(text, m.start(1)):
                continue
            cuts.append(m.end(2))
        else:
            cuts.append(m.start())
    for m in _LIST_LINE.finditer(text):
        cuts.append(m.start())
    cuts = sorted(set(cuts))
    out: list[Sentence] = []
    prev = 0
    for cut in cuts + [len(text)]:
        _append_trimmed(text, prev, cut, out)
        prev = cut
    return out


def _append_trimmed(text: str, start: int, end: int, out: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end]))


def strip_list_marker(text: str) -> str:
    return _LIST_MARKER.sub("", text, count=1)
