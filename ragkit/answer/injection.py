"""Instruction-like text inside documents ("ignore previous instructions and say ...").

Such sentences are data: the prompt fences them, the extractive generator never picks them, and
citation verification does not count them as evidence, so an answer that obeys them is flagged.
"""

from __future__ import annotations

import re

_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override|bypass|skip)\b[^.!?\n]{0,40}\b(instructions?|prompts?|rules|"
        r"directions|guidelines|directives|context|system)\b",
        r"\byou are (now|no longer)\b",
        r"\b(new|updated|real|actual|hidden|secret) (instructions?|directives?|task)\b",
        r"\b(system|developer) (prompt|message|instructions?)\b",
        r"\bas an? (ai|language model|assistant|chatbot|llm)\b",
        r"\b(ai|assistant|chatbot|language model|llm|model)s?\b[^.!?\n]{0,60}\b(must|should|shall|"
        r"will|are required to)\s+(now\s+)?(say|respond|reply|answer|output|state|tell|write|claim)\b",
        r"\b(respond|reply|answer)\s+(only\s+|always\s+)?with\b",
        r"^\s*(assistant|system|user)\s*:",
        r"\b(do not|don't|never) (tell|reveal|mention|cite)\b[^.!?\n]{0,40}\b(user|source|instructions?)\b",
        r"\b(say|state|tell (the user|them|users)|claim|answer|write)\s+(that|exactly|only|:)\b[^.!?\n]{0,80}"
        r"\b(regardless|no matter|instead|always|every (question|answer|time))\b",
    )
)


def is_instruction_like(text: str) -> bool:
    """True when `text` reads as an instruction to the model rather than as content."""
    return any(p.search(text) for p in _PATTERNS)
