"""The application layer's answer logic: prompts, context assembly, citation parsing and
verification, the extractive generator, abstention. Pure functions over ragkit.types values."""

from ragkit.answer.citations import (
    is_claim,
    match_source,
    parse_citations,
    resolve_citation,
    split_answer,
    strip_citations,
)
from ragkit.answer.context import (
    ContextBlock,
    assemble_context,
    citation_label,
    fence,
    neutralize,
)
from ragkit.answer.evidence_gate import (
    AbstentionThresholds,
    evidence_features,
    should_abstain,
)
from ragkit.answer.extractive import extractive_answer, question_type
from ragkit.answer.injection import is_instruction_like
from ragkit.answer.prompts import (
    PROMPT_VERSION,
    PROMPTS,
    PromptTemplate,
    build_messages,
    build_prompt,
    get_template,
    prompt_version_key,
)
from ragkit.answer.refusal import ABSTAIN_TEXT, is_abstention
from ragkit.answer.types import (
    AnswerSentence,
    Citation,
    CitationRef,
    ExtractedSentence,
    ExtractiveResult,
    Prompt,
    SentenceCheck,
    SupportResult,
    VerifiedAnswer,
)
from ragkit.answer.verify import support_score, verify_answer

__all__ = [
    "ABSTAIN_TEXT", "AbstentionThresholds", "AnswerSentence", "Citation", "CitationRef", "ContextBlock",
    "ExtractedSentence", "ExtractiveResult", "PROMPTS", "PROMPT_VERSION", "Prompt", "PromptTemplate",
    "SentenceCheck", "SupportResult", "VerifiedAnswer", "assemble_context", "build_messages", "build_prompt",
    "citation_label", "evidence_features", "extractive_answer", "fence", "get_template", "is_abstention",
    "is_claim", "is_instruction_like", "match_source", "neutralize", "parse_citations", "prompt_version_key",
    "question_type", "resolve_citation", "should_abstain", "split_answer", "strip_citations", "support_score",
    "verify_answer",
]
