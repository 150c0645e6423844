"""Lexical tools shared by the answer layer: sentences with offsets, content words, stems,
numbers and names. Pure functions over strings; no corpus state.
"""

from __future__ import annotations

import re
from typing import Sequence

from ragkit.text.sentences import Sentence, sentences  # noqa: F401  (Sentence re-exported)
from ragkit.text.stem import stemmer
from ragkit.text.stopwords import STOPWORDS

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

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th|s)?(?![\d])")
_NUMBER_SCALE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(thousand|million|billion|trillion)\b", re.IGNORECASE
)
_NEGATED = re.compile(r"n['’]t$", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")


# ---- stemming -------------------------------------------------------------------------------------
def stem_words(words: list[str]) -> list[str]:
    return stemmer().stemWords(words)


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
    tokens removed (digits kept). A contracted negation is kept as its stem ("isn't" -> "isn"):
    the shared stopword list drops the bare stems for the chunker, whose tokens split at the
    apostrophe, but in a question the negation is content (SQuAD 2.0 makes many unanswerable
    questions by adding one), and the abstention thresholds were calibrated with it counted."""
    out = []
    for w in words(text):
        lw = _strip_possessive(w)
        if not lw or lw in drop or (lw in STOPWORDS and not _NEGATED.search(w)):
            continue
        if len(lw) == 1 and not lw.isdigit():
            continue
        out.append(lw)
    return out


def content_stems(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    """Snowball stems of `content_words`, in order (duplicates kept)."""
    cw = content_words(text, drop=drop)
    return stem_words(cw) if cw else []


def coverage(terms: "Sequence[str]", stems: "set[str] | frozenset[str]") -> float:
    """Share of `terms` (stems) found among `stems`, a near match (`stems_match`) counting 0.8;
    1.0 when there are no terms. The overlap behind verification support and the evidence gate."""
    if not terms:
        return 1.0
    got = 0.0
    for t in terms:
        got += 1.0 if t in stems else max((stems_match(t, s) for s in stems), default=0.0)
    return got / len(terms)


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
    """Capitalized words that are not sentence-initial (proper names, acronyms), and words with a
    capital after their first letter anywhere ("vLLM", "BM25", "McCarthy"), lowercased.

    A sentence-initial capital alone says nothing, so such words are skipped. Stopwords and number
    words are skipped too ("The", "In", "Three").
    """
    out = []
    sentence_start = True
    for s, e, w in word_spans(text):
        prev = text[max(0, s - 3):s]
        if re.search(r"[.!?:;\n]\s*[\"'“(\[]?$", prev) or s == 0 or not text[:s].strip():
            sentence_start = True
        first = w[0]
        if (not sentence_start and first.isupper()) or any(ch.isupper() for ch in w[1:]):
            lw = _strip_possessive(w)
            if lw not in STOPWORDS and lw not in NUMBER_WORDS and len(lw) > 1:
                out.append(lw)
        sentence_start = False
    return out


# ---- code spans ----------------------------------------------------------------------------------
_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")


def code_spans(text: str) -> list[str]:
    """The contents of `inline code` spans: identifiers, keys, paths, values to be taken literally."""
    return [m.group(1).strip() for m in _CODE_SPAN.finditer(text) if m.group(1).strip()]


# ---- negation ------------------------------------------------------------------------------------
NEGATIONS = frozenset("not no never none neither nor nothing nobody nowhere without cannot".split())


def negation_count(text: str) -> int:
    """How many negation cues `text` has: the words in NEGATIONS and contractions in n't."""
    n = 0
    for w in words(text):
        lw = w.lower().replace("’", "'")
        if lw in NEGATIONS or lw.endswith("n't"):
            n += 1
    return n


# ---- sentences: ragkit.text.sentences (the chunker's own splitter) -------------------------------
def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` with offsets (ragkit.text.sentences)."""
    return sentences(text)


def strip_list_marker(text: str) -> str:
    return _LIST_MARKER.sub("", text, count=1)
