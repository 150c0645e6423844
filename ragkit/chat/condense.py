"""Follow-up condensation: a follow-up question ("When did they disband?") made stand-alone before
retrieval, from what a live chat has (the earlier questions as condensed, and ragkit's own answers).

`OfflineCondenser` (the default) is deterministic and needs no model. It was designed from the
follow-ups of TREC CAsT 2021 and CANARD (bench/conversation.py; docs/guides/conversations.md):

1. A question that already stands alone is left exactly as it is: one with no reference to the
   conversation (no third-person pronoun or bare demonstrative, no "what about X", no "other" /
   "else" / "too" continuation) and at least `min_content` content words of its own.
2. The conversation's salient phrases are gathered from the history, most recent first: names
   (runs of capitalized words, "Zappa and the Mothers of Invention") from the earlier questions
   and answers, and noun phrases (runs of content words) from the earlier questions. Each is
   scored by how often its words recur in the history, decayed by the age of the turn.
3. A pronoun is replaced in place ("he" / "his" by the best name, preferring a person-like one;
   "it" / "they" / "this" by the best phrase); an ellipsis ("what about X", a question of one or
   two content words) gets the conversation's topic phrase appended. No word of the question is
   ever removed, so the question's own content words always survive.

`LLMCondenser` asks the small route (ledger stage `condense`, exact-cached by the gateway) and
falls back to the offline rewrite when the model's rewrite drops a content word of the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ragkit.text.stem import stem_words
from ragkit.text.stopwords import STOPWORDS

__all__ = ["Condensed", "HistoryTurn", "OfflineCondenser", "content_words", "keeps_content_words"]

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-.&]*[A-Za-z0-9]|[A-Za-z0-9]")
_SENT = re.compile(r"(?<=[.!?])\s+")
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
_CAP_CONNECT = {"of", "the", "and", "de", "da", "von", "van", "del", "la", "le", "du", "&", "for", "in"}


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def _norm(w: str) -> str:
    return w.lower().replace("’", "'").removesuffix("'s").strip("'.-")


def content_words(text: str) -> list[str]:
    """The words of `text` that say what it is about, lowercased (stopwords and question words out)."""
    out = []
    for w in words(text):
        n = _norm(w)
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


@dataclass(frozen=True)
class HistoryTurn:
    """An earlier turn as the condenser sees it: the question asked, the stand-alone question it
    was answered with, and the answer shown (empty when it abstained)."""

    question: str
    answer: str = ""
    standalone: str = ""

    @property
    def asked(self) -> str:
        return self.standalone or self.question


@dataclass(frozen=True)
class Condensed:
    question: str  # as asked
    standalone: str  # what retrieval runs on (== question when unchanged)
    method: str  # "unchanged", "offline", "llm", "llm-cache", "guard"
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.standalone != self.question


@dataclass
class _Phrase:
    text: str
    stems: frozenset
    name: bool
    score: float = 0.0
    turn: int = 0  # age of the newest turn it was seen in (0: the previous turn)
    asked: bool = False  # seen in a question (not only in an answer)
    name_score: float = 0.0
    entity: bool = False  # a whole (short) answer: the thing the conversation went on about


def _cap_follows(toks: list[str], i: int) -> bool:
    """Whether a capitalized word follows position i after at most one more connector ("and the M...")."""
    for t in toks[i:i + 2]:
        if t[:1].isupper():
            return True
        if _norm(t) not in _CAP_CONNECT:
            return False
    return False


def _cap_phrases(text: str) -> list[str]:
    """Runs of capitalized words (with inner 'of', 'the', 'and'); a sentence's first word only
    when it is not a common word."""
    out: list[str] = []
    for sent in _SENT.split(text):
        toks = words(sent)
        run: list[str] = []
        for i, t in enumerate(toks):
            n = _norm(t)
            cap = t[:1].isupper() and not (i == 0 and (n in GENERIC or n in PERSON_PRONOUNS or n in THING_PRONOUNS))
            if cap and n not in QUESTION_WORDS and not (n in STOPWORDS and not run):
                run.append(t)
            elif run and n in _CAP_CONNECT and _cap_follows(toks, i + 1):
                run.append(t)
            else:
                if run:
                    out.append(" ".join(run))
                run = []
        if run:
            out.append(" ".join(run))
    cleaned = []
    for p in out:
        ws = p.split()
        while ws and _norm(ws[-1]) in _CAP_CONNECT:
            ws.pop()
        while ws and _norm(ws[0]) in STOPWORDS:
            ws.pop(0)
        if ws:
            cleaned.append(" ".join(w.removesuffix("'s").removesuffix("’s") for w in ws))
    return cleaned


VERBISH = frozenset("""
    is are was were be been am do does did done have has had get got make makes made go goes went come
    came take took give gave see saw seen know knew think thought want wanted need needs like tell told
    say said help helps work works use find found keep play plays start started try tried become became
    affect affects cause causes caused happen happened mean meant consider live lives include includes
    compare compared sound sounds seem seems heard hear mentioned learn talk stop boost release released
    eat eats protect treat install installing established related reduce drink win won leave leaving
    write wrote call called show shown look looks feel run runs ran move moves moved build built
    replace replaced wear wears commission commissioned""".split())


def _noun_phrases(text: str, max_words: int = 3) -> list[str]:
    """Runs of topical words (not stopwords, question words, generic follow-up words or common
    verbs), each cut to its last `max_words` words (an English noun phrase ends in its head)."""
    out, run = [], []

    def flush():
        if run:
            out.append(" ".join(run[-max_words:]))
        run.clear()

    for t in words(text):
        n = _norm(t)
        bad = (not n or n in GENERIC or n in PERSON_PRONOUNS or n in THING_PRONOUNS or len(n) < 2
               or n in VERBISH or (n.endswith("ed") and len(n) > 5) or n.isdigit())
        if bad:
            flush()
        else:
            run.append(t.removesuffix("'s").removesuffix("’s"))
    flush()
    return out


class OfflineCondenser:
    """Deterministic follow-up rewriting from the history (see the module docstring)."""

    method = "offline"

    def __init__(self, *, decay: float = 0.3, min_content: int = 5, max_turns: int = 6, answer_weight: float = 0.0,
                 name_answer_weight: float = 0.5, name_decay: float = 0.85):
        self.decay = decay
        self.min_content = min_content
        self.max_turns = max_turns
        self.answer_weight = answer_weight
        self.name_answer_weight = name_answer_weight
        self.name_decay = name_decay

    # ---- what the question needs --------------------------------------------------------------
    def references(self, question: str) -> dict[str, list[str]]:
        toks = [_norm(t) for t in words(question)]
        person = [t for t in toks if t in PERSON_PRONOUNS]
        thing = [t for t in toks if t in THING_PRONOUNS]
        demo = [t for t in toks if t in DEMONSTRATIVES]
        cont = [t for t in toks if t in CONTINUATIONS]
        about = bool(re.match(r"^\W*(?:(?:and|so|ok|okay|really)\W+)*(?:what|how)\s+about\b", question, re.I)) or \
            bool(re.match(r"^\W*and\b", question, re.I))
        return {"person": person, "thing": thing, "demo": demo, "cont": cont, "about": ["about"] if about else []}

    def stands_alone(self, question: str) -> bool:
        refs = self.references(question)
        if any(refs.values()):
            return False
        topical = [w for w in content_words(question) if w not in GENERIC]
        return len(topical) >= self.min_content

    # ---- the history's salient phrases ------------------------------------------------------------
    def phrases(self, history: Sequence[HistoryTurn]) -> list[_Phrase]:
        recent = list(history)[-self.max_turns:]
        weight: dict[str, float] = {}  # what the questions were about
        named: dict[str, float] = {}  # ... and the answers too (for names)
        found: dict[str, _Phrase] = {}
        for age, turn in enumerate(reversed(recent)):
            w = self.decay ** age
            for s in stems(turn.asked):
                weight[s] = weight.get(s, 0.0) + w
                named[s] = named.get(s, 0.0) + self.name_decay ** age
            for s in stems(turn.answer):
                weight[s] = weight.get(s, 0.0) + w * self.answer_weight
                named[s] = named.get(s, 0.0) + self.name_decay ** age * self.name_answer_weight
            cands = [(p, True, "q") for p in _cap_phrases(turn.question) + _cap_phrases(turn.asked)]
            names = _cap_phrases(turn.answer)
            if len(names) == 1 and len(words(turn.answer)) <= 8 and \
                    len(words(names[0])) >= len(words(turn.answer)) - 1:
                cands.insert(0, (names[0], True, "entity"))  # the answer is a name: what follows is about it
            cands += [(p, True, "a") for p in names if len(p.split()) <= 4]
            cands += [(p, False, "q") for p in _noun_phrases(turn.question)]
            for text, is_name, where in cands:
                st = frozenset(stems(text))
                if not st:
                    continue
                key = " ".join(sorted(st))
                if key not in found:
                    found[key] = _Phrase(text, st, is_name, turn=age, asked=where != "a", entity=where == "entity")
                else:
                    found[key].name |= is_name
                    found[key].asked |= where != "a"
                    found[key].entity |= where == "entity"
        for p in found.values():
            p.score = sum(weight.get(s, 0.0) for s in p.stems) / (len(p.stems) ** 0.5) * (self.decay ** p.turn)
            p.name_score = max(named.get(s, 0.0) for s in p.stems) + 0.1 * len(p.stems)
            if p.entity:
                p.score += 2.0
                p.name_score += 1.0
        return sorted(found.values(), key=lambda p: (-p.score, p.turn, p.text))

    # ---- the rewrite ----------------------------------------------------------------------------
    def condense(self, question: str, history: Sequence[HistoryTurn]) -> Condensed:
        history = [h for h in history if h.asked.strip()]
        if not history:
            return Condensed(question, question, "unchanged", "the first turn")
        if self.stands_alone(question):
            return Condensed(question, question, "unchanged", "the question stands alone")
        cands = self.phrases(history)
        own = stems(question)
        cands = [p for p in cands if not p.stems <= own]
        if not cands:
            return Condensed(question, question, "unchanged", "nothing in the history to resolve against")
        asked = [p for p in cands if p.asked] or cands
        topic = asked[0]
        names = sorted((p for p in cands if p.name), key=lambda p: (-p.name_score, p.text))
        person = names[0] if names and names[0].name_score >= 1.0 else topic
        out, used = [], set()
        toks = re.split(r"(\W+)", question)
        replaced = False
        for i, t in enumerate(toks):
            n = t.lower()
            if n in PERSON_PRONOUNS and person.text not in used:
                out.append(person.text + PERSON_PRONOUNS[n])
                used.add(person.text)
                replaced = True
            elif n in THING_PRONOUNS and topic.text not in used:
                out.append(topic.text + THING_PRONOUNS[n])
                used.add(topic.text)
                replaced = True
            else:
                out.append(t)
        text = "".join(out)
        if not replaced:
            add = topic.text
            stripped = text.rstrip()
            end = stripped[-1] if stripped and stripped[-1] in "?.!" else ""
            body = stripped[:-1] if end else stripped
            text = f"{body} {add}{end or '?'}"
            reason = f"elliptical follow-up: added {add!r}"
        else:
            reason = "resolved: " + ", ".join(sorted(used))
        return Condensed(question, text, self.method, reason)
