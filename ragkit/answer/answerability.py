"""Is the answer in the evidence, not just the topic? Features of the best passage window for a
question, and a small logistic model over them (weights fitted offline by bench/answerability.py
on SQuAD 2.0's calibration half, kept in config as data).

SQuAD 2.0's unanswerable questions are written against a paragraph that is on topic: one word
swapped for one the paragraph lacks, a negation added, an entity the paragraph does not name, or
a question whose answer type (a date, a number, a person) the paragraph's best sentences do not
hold. The features look for exactly that in the two-sentence window of the top chunks that
covers the question best:

  window_missing    how many of the question's content stems are missing from it (title included) (0, 1, 2, ...), and as indicators
                    window_missing_0 / window_missing_1;
  top3_missing      how many are missing from the top 3 chunks altogether;
  missing_elsewhere of the window's missing stems, how many some top-10 chunk has (a paraphrase);
  long_missing      ... how many, of 6+ letters, no top-10 chunk has (a swapped or foreign word);
  names_missing     question names (capitalised, or with an inner capital) missing from the window;
  type_found        1 when the window holds what the question type asks for (a year or date, a
                    number, a name not in the question), 0 when not, 1 for other questions;
  negation_extra    1 when the question has more negation cues than the window;
  question_terms    how many content stems the question has.
"""

from __future__ import annotations

import math
import re
from typing import Mapping, Sequence

from ragkit.answer.text import (
    QUESTION_WORDS,
    content_stems,
    coverage,
    names,
    negation_count,
    number_mentions,
    split_sentences,
)
from ragkit.config.abstention import ANSWERABILITY_FEATURES  # noqa: F401  (the keys computed here)
from ragkit.text.questions import answer_type
from ragkit.types import ScoredChunk

_YEAR = re.compile(r"\b(1\d{3}|20\d{2})s?\b")
_MONTH = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
                    r"century|centuries|decade|bc|ad|bce|ce)\b", re.IGNORECASE)


def answerability_features(question: str, candidates: Sequence[ScoredChunk], top: int = 3) -> dict[str, float]:
    """The features above for the top `top` candidates (empty when there are none). Lexical only:
    the cosine of question and window added 0.009 of AUC on SQuAD's evaluation half (0.712 ->
    0.721) for an embedding call per question, so it is left out."""
    if not candidates:
        return {}
    q_stems = list(dict.fromkeys(content_stems(question, drop=QUESTION_WORDS)))
    q_names = list(dict.fromkeys(names(question)))
    passages = [(c.chunk.title or "", c.chunk.text) for c in candidates[:top]]
    best_text, union = _best_window(q_stems, passages)
    window = set(content_stems(best_text))
    w_lower = {w.lower() for w in re.findall(r"[^\W_]+", best_text)}
    missing = [t for t in q_stems if t not in window]
    elsewhere = set().union(*(set(content_stems(c.chunk.text + " " + (c.chunk.title or ""))) for c in candidates[:10]))
    feats = {
        "window_missing": float(len(missing)),
        "window_missing_0": float(not missing),
        "window_missing_1": float(len(missing) == 1),
        "missing_elsewhere": float(sum(1 for t in missing if t in elsewhere)),
        "long_missing": float(sum(1 for t in missing if len(t) >= 6 and t not in elsewhere)),
        "top3_missing": float(sum(1 for t in q_stems if t not in union)),
        "names_missing": float(sum(1 for n in q_names if n not in w_lower and n not in window)),
        "type_found": _type_found(question, best_text, q_names),
        "negation_extra": float(negation_count(question) > negation_count(best_text)),
        "question_terms": float(len(q_stems)),
    }
    return feats


def best_window(question: str, passages: Sequence[tuple[str, str]]) -> str:
    """The title and two consecutive sentences, of (title, text) `passages`, that hold the most of
    the question's content stems (the first such window on ties): the window the features above read."""
    return _best_window(list(dict.fromkeys(content_stems(question, drop=QUESTION_WORDS))), passages)[0]


def _best_window(q_stems: Sequence[str], passages: Sequence[tuple[str, str]]) -> tuple[str, set[str]]:
    """("title sentence sentence", every stem of the passages and their titles)."""
    best, best_text, union = -1.0, "", set()
    for title, text in passages:
        t_stems = set(content_stems(title))
        sents = split_sentences(text)
        stems = [set(content_stems(s.text)) for s in sents]
        union |= t_stems.union(*stems) if stems else t_stems
        for i in range(len(sents)):
            cov = coverage(q_stems, t_stems.union(*stems[i:i + 2]))
            if cov > best:
                best, best_text = cov, title + " " + " ".join(s.text for s in sents[i:i + 2])
    return best_text, union


def _type_found(question: str, text: str, q_names: Sequence[str]) -> float:
    kind = answer_type(question)
    if kind == "date":
        return float(bool(_YEAR.search(text) or _MONTH.search(text)))
    if kind == "number":
        return float(bool(number_mentions(text)))
    if kind in ("person", "place"):
        return float(any(n not in q_names for n in names(text)))
    return 1.0


def answerability(features: Mapping[str, float], weights: Mapping[str, float], intercept: float) -> float | None:
    """P(answerable) under the logistic model; None when a weighted feature is absent."""
    z = intercept
    for key, w in weights.items():
        if w == 0:
            continue
        if key not in features:
            return None
        z += w * float(features[key])
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
