"""A model's refusal, recognised after the call: "I don't have enough information." and its near
variants. `ABSTAIN_TEXT` is what ragkit itself says when it abstains."""

from __future__ import annotations

import re

from ragkit.answer.citation_markers import parse_citations
from ragkit.answer.text import split_sentences

ABSTAIN_TEXT = "I don't have enough information."

_LEAD = (
    r"^(?:(?:sorry|unfortunately|i'm sorry|i am sorry|i apologi[sz]e|however|regrettably|i'm afraid|"
    r"i am afraid|based on (?:the )?(?:provided |given |available )?(?:context|documents?|sources?|information)|"
    r"according to (?:the )?(?:provided |given )?(?:context|documents?|sources?))[,:]?\s+)*"
)
_SUBJECT = r"(?:the |these |this |provided |given |available |supplied |retrieved )*(?:context|documents?|sources?|passages?|excerpts?|texts?|materials?|information)(?: provided| given| supplied| above)?"
_PATTERNS = tuple(
    re.compile(p)
    for p in (
        _LEAD + r"i (?:do not|don't|dont) (?:have|possess) (?:enough|sufficient|adequate|the|any|that|this)\b[^.]{0,40}\binformation",
        _LEAD + r"i (?:do not|don't|dont) know\b",
        _LEAD + r"i (?:do not|don't|dont) have (?:an|the|a|any) answer",
        _LEAD + r"(?:there is|there's|i have|i found) (?:no|not enough|insufficient|no relevant)\b[^.]{0,30}\b(?:information|evidence|data|details|mention)",
        _LEAD + r"(?:not enough|insufficient) (?:information|context|evidence)\b",
        _LEAD + r"(?:i |it )?(?:cannot|can't|can not|could not|couldn't|am unable to|is not possible to|is impossible to|am not able to)\s+(?:be )?(?:answer|determine|find|tell|say|provide|answered|determined|confirm|identify|infer)",
        _LEAD + _SUBJECT + r" (?:does|do|did) not (?:contain|provide|include|mention|say|specify|state|answer|address|cover|give|discuss|offer|have)",
        _LEAD + _SUBJECT + r" (?:doesn't|don't|didn't|lacks?|is silent)",
        _LEAD + r"(?:this|that|the answer|the question|it) (?:is|was) not (?:mentioned|specified|provided|stated|covered|answered|addressed|included|available|found|given|discussed)",
        _LEAD + r"no (?:relevant |specific |such )?(?:information|answer|details|data) (?:is|was|were|are) (?:available|provided|given|found|mentioned|included)",
        _LEAD + r"(?:the )?answer (?:is|was) not (?:in|found in|contained in|available in|present in)",
    )
)
_EMBEDDED = re.compile(
    r"\b(?:not|n't) (?:mentioned|specified|provided|stated|covered|included|found|given) in the (?:provided |given )?"
    r"(?:context|documents?|sources?|passages?)"
)


def _normalise(text: str) -> str:
    t = text.replace("’", "'").replace("‘", "'").replace("`", "'").lower()
    t = re.sub(r"[*_#>]+", " ", t)  # markdown emphasis / quote markers
    return re.sub(r"\s+", " ", t).strip()


def is_abstention(text: str) -> bool:
    """Does this answer decline to answer? Recognises "I don't have enough information." and
    near variants ("I don't know", "The context does not contain ...", "cannot answer from the
    provided context") at the start of the answer or of a sentence of an answer that cites
    nothing; an answer that merely mentions "information" is not an abstention."""
    norm = _normalise(text)
    if not norm:
        return True
    if norm.startswith(_normalise(ABSTAIN_TEXT).rstrip(".")):
        return True
    if parse_citations(text):
        return False  # it cites something: an answer (maybe partial), not a refusal
    for s in split_sentences(text):
        sn = _normalise(s.text)
        if any(p.search(sn) for p in _PATTERNS) or _EMBEDDED.search(sn):
            return True
    return False
