"""The word tools of follow-up condensation (condense.py): words, content words and their
stems, the pronoun and function-word lists, and the guard that a rewrite keeps the question's own
content words."""

from __future__ import annotations

import re

from ragkit.text.stem import stem_words
from ragkit.text.stopwords import STOPWORDS

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-.&]*[A-Za-z0-9]|[A-Za-z0-9]")
SENT = re.compile(r"(?<=[.!?])\s+")
PERSON_PRONOUNS = {"he": "", "him": "", "she": "", "his": "'s", "her": "", "hers": "'s", "himself": "",
                   "herself": ""}
THING_PRONOUNS = {"it": "", "its": "'s", "they": "", "them": "", "their": "'s", "theirs": "'s",
                  "itself": "", "themselves": ""}
DEMONSTRATIVES = {"this", "that", "these", "those"}
CONTINUATIONS = {"other", "else", "another", "too", "also", "besides", "same"}
QUESTION_WORDS = {"what", "who", "whom", "whose", "when", "where", "why", "how", "which", "whats"}
# Words that carry no topic in a follow-up ("tell me more", "give some examples")
GENERIC = STOPWORDS | QUESTION_WORDS | {
    "tell", "know", "give", "want", "mean", "meant", "think", "say", "said", "example", "examples",
    "kind", "kinds", "type", "types", "way", "ways", "thing", "things", "lot", "info", "information",
    "interesting", "aspects", "aspect", "article", "happened", "happen", "important", "significant",
    "wow", "really", "ok", "okay", "yes", "cool", "great", "thanks", "thank", "sure", "oh", "hmm",
    "like", "good", "bad", "better", "best", "main", "common", "different", "difference",
    "please", "explain", "describe", "talk", "let", "lets", "let's", "go", "going", "time", "later",
    "first", "next", "last", "new", "old", "big", "long", "many", "much", "more", "most", "less", "still",
}
CAP_CONNECT = {"of", "the", "and", "de", "da", "von", "van", "del", "la", "le", "du", "&", "for", "in"}


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def norm(w: str) -> str:
    return w.lower().replace("’", "'").removesuffix("'s").strip("'.-")


def content_words(text: str) -> list[str]:
    """The words of `text` that say what it is about, lowercased (stopwords and question words out)."""
    out = []
    for w in words(text):
        n = norm(w)
        if n and n not in STOPWORDS and n not in QUESTION_WORDS and (len(n) > 1 or n.isdigit()):
            out.append(n)
    return out


def stems(text: str) -> set[str]:
    cw = content_words(text)
    return set(stem_words(cw)) if cw else set()


def keeps_content_words(question: str, rewrite: str) -> tuple[bool, list[str]]:
    """Whether every content word of `question` (stemmed) is in `rewrite`; and those missing."""
    have = stems(rewrite)
    cw = content_words(question)
    missing = [w for w, s in zip(cw, stem_words(cw) if cw else []) if s not in have]
    return not missing, missing
