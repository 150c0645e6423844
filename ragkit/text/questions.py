"""What a question asks, from cue words: the kind of answer it expects (`answer_type`, used to
score sentences) and the kind of task it is (`task_type`, used to route). Pure, cheap, lexical."""

from __future__ import annotations

import re

_NUMBER_Q = re.compile(
    r"\bhow (many|much|long|old|far|big|large|tall|high|deep|wide|heavy|fast|often)\b|"
    r"\bwhat (percentage|percent|proportion|number|amount|size|age|population|share)\b",
    re.IGNORECASE,
)
_DATE_Q = re.compile(
    r"^\s*when\b|\bwhen (did|was|were|is|does|do|will)\b|\b(what|which|in what|in which) (year|date|decade|century|month|day|era|period)\b",
    re.IGNORECASE,
)
_WHO_Q = re.compile(r"\bwho(m|se)?\b|\bwhat (person|company|organization|team|group)\b", re.IGNORECASE)
_WHERE_Q = re.compile(r"\bwhere\b|\b(what|which) (city|country|state|place|region|location|town|continent)\b", re.IGNORECASE)
_COMPARISON = re.compile(r"\b(compare|comparison|differen(ce|t)|versus|vs\.?|better than|worse than|contrast)\b", re.I)
_REASONING = re.compile(r"\b(why|how (does|do|did|can|could|would)|explain|reason|implications?|cause[sd]?)\b", re.I)
_LIST = re.compile(r"\b(list|enumerate|which (are|were)|what are)\b", re.I)
_SUMMARY = re.compile(r"\b(summari[sz]e|summary|overview)\b", re.I)


def answer_type(question: str) -> str:
    """number | date | person | place | other: what kind of answer it expects (extractive scoring)."""
    if _DATE_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    if _WHO_Q.search(question):
        return "person"
    if _WHERE_Q.search(question):
        return "place"
    return "other"


def task_type(text: str) -> str:
    """comparison | reasoning | summary | list | factoid: what the question asks to do (routing)."""
    if _COMPARISON.search(text):
        return "comparison"
    if _SUMMARY.search(text):
        return "summary"
    if _REASONING.search(text):
        return "reasoning"
    if _LIST.search(text):
        return "list"
    return "factoid"
