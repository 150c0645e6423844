"""What `RAG.ask_stream` yields, in order:

    AnswerDelta*  (text as the generator writes it)
    AnswerReset?  (cascade escalation: the text so far is dropped, the large route's text follows)
    CitationVerified*  (each citation of the final answer, once verified against its chunk)
    AnswerFinal  (the whole `Answer`: final text, usage, cost, latency, verification)
  | AnswerError  (instead of AnswerFinal: the stream broke off or the call failed; typed, never a hang)

The final text is `AnswerFinal.answer.text`: verification may rewrite what was streamed (strict
mode drops unsupported sentences; an abstention replaces it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ragkit.answer.answer import Answer
from ragkit.answer.types import Citation
from ragkit.types import Usage


@dataclass(frozen=True)
class AnswerDelta:
    text: str
    route: str = "small"


@dataclass(frozen=True)
class AnswerReset:
    reason: str


@dataclass(frozen=True)
class CitationVerified:
    citation: Citation


@dataclass(frozen=True)
class AnswerFinal:
    answer: Answer


@dataclass(frozen=True)
class AnswerError:
    error_type: str  # the ragkit.errors class name, e.g. StreamInterruptedError, BudgetExceededError
    message: str
    query_id: str = ""
    partial_text: str = ""
    usage: Usage = Usage()


AskEvent = Union[AnswerDelta, AnswerReset, CitationVerified, AnswerFinal, AnswerError]
