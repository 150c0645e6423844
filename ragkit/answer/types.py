"""Value types of the answer layer: parsed citation markers, verified citations and answers,
extractive answers, the assembled prompt. Frozen and plain."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ragkit.types import Chunk, Message


@dataclass(frozen=True)
class CitationRef:
    """One `[Source: name, page X]` as written in an answer; start/end are offsets in the answer."""

    source: str
    page: int | None
    raw: str
    start: int
    end: int
    page_end: int | None = None  # "pages 3-4"
    text: str = ""  # the item as written, keyword removed: "a.pdf, page 3" (a fallback name)


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence of an answer, its claim text (citations and list markers removed), its citations."""

    index: int
    start: int
    end: int
    text: str
    claim: str
    refs: tuple[CitationRef, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A citation resolved against the context and checked against its chunk.

    `start`/`end` are the character span of `quote` in the source document (chunk.start + offset
    of the best supporting sentence of the chunk); None when the citation did not resolve.
    """

    source: str
    page: int | None
    chunk_id: str | None
    start: int | None
    end: int | None
    quote: str
    support: float
    verified: bool
    reason: str | None = None
    sentence_index: int = -1
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SentenceCheck:
    """The verdict on one sentence of an answer."""

    index: int
    text: str
    claim: str
    is_claim: bool  # makes a factual claim (content words, numbers or names)
    supported: bool
    support: float
    citations: tuple[Citation, ...] = ()
    reason: str | None = None
    dropped: bool = False  # removed by strict mode


@dataclass(frozen=True)
class VerifiedAnswer:
    """An answer after citation verification.

    `text` is what to show: in strict mode the unsupported sentences are dropped (listed in
    `dropped`, explained in `notes`) and so are the markers of citations that did not verify
    (their indices in `citations` are in `removed`); if no supported claim remains it is the
    abstention text. `reason` says why the answer is not verified (or why strict mode abstained).
    """

    text: str
    original: str
    sentences: tuple[SentenceCheck, ...]
    citations: tuple[Citation, ...]
    abstained: bool = False
    strict: bool = False
    dropped: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    removed: tuple[int, ...] = ()
    reason: str | None = None

    @property
    def flagged(self) -> tuple[SentenceCheck, ...]:
        """Claim sentences that are unsupported, uncited, or carry an unverified citation."""
        return tuple(s for s in self.sentences if s.is_claim and not s.supported)

    @property
    def claims(self) -> tuple[SentenceCheck, ...]:
        """The claim sentences of the text shown (strict mode's dropped ones left out)."""
        return tuple(s for s in self.sentences if s.is_claim and not s.dropped)

    @property
    def all_verified(self) -> bool:
        """At least one claim was checked against its source, every claim shown is supported and
        every citation shown verified. An abstention, or an answer that claims nothing checkable
        ("PWNED"), is not verified."""
        if self.abstained or not self.claims:
            return False
        shown = [c for i, c in enumerate(self.citations)
                 if i not in self.removed and c.sentence_index not in self.dropped]
        return all(s.supported for s in self.claims) and all(c.verified for c in shown)

    @property
    def supported_share(self) -> float:
        """Share of the claim sentences that are supported; 0.0 when there is no claim."""
        claims = [s for s in self.sentences if s.is_claim]
        return 0.0 if not claims else sum(s.supported for s in claims) / len(claims)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["all_verified"] = self.all_verified
        d["supported_share"] = self.supported_share
        return d


@dataclass(frozen=True)
class SupportResult:
    """How well a passage supports a claim. `quote_start/end` are offsets in the passage."""

    score: float
    lexical: float
    embedding: float | None
    missing_numbers: tuple[str, ...]
    missing_names: tuple[str, ...]
    quote: str
    quote_start: int
    quote_end: int
    negation: str | None = None  # the claim negates what the passage states

    @property
    def hard_failure(self) -> str | None:
        if self.negation:
            return self.negation
        if self.missing_numbers:
            return "number(s) not in the source: " + ", ".join(self.missing_numbers)
        if self.missing_names:
            return "name(s) not in the source: " + ", ".join(self.missing_names)
        return None


@dataclass(frozen=True)
class ExtractedSentence:
    """A sentence the extractive generator chose: where it came from and why."""

    text: str
    chunk_id: str
    source: str
    page: int | None
    start: int  # offsets in the source document
    end: int
    score: float
    chunk_rank: int


@dataclass(frozen=True)
class ExtractiveResult:
    text: str  # sentences, each followed by its [Source: ..., page X]
    sentences: tuple[ExtractedSentence, ...]
    abstained: bool = False


@dataclass(frozen=True)
class Prompt:
    """Messages for a provider plus what went into the context block."""

    messages: tuple[Message, ...]
    chunks: tuple[Chunk, ...]  # the chunks actually in the context, in prompt order
    dropped: tuple[str, ...] = ()  # chunk ids left out for the token budget
    context_tokens: int = 0
    version: str = "v1"
    truncated: tuple[str, ...] = field(default=())  # chunk ids cut to fit
