"""Follow-up condensation: a follow-up question ("When did they disband?") made stand-alone before
retrieval, from what a live chat has (the earlier questions as condensed, and ragkit's own answers).

`OfflineCondenser` (the default) is deterministic and needs no model. It was designed on the
design half of CANARD dev (the dialogues whose context id hashes even) and on the TREC CAsT 2021
follow-ups (bench/conversation.py; docs/guides/conversations.md):

1. A question that already stands alone is left exactly as it is: one with no reference to the
   conversation (no pronoun or demonstrative, no "what about" / "and ..." opening, no "else" /
   "other" / "also" continuation, no definite noun without its modifier ("the band", but not
   "the deadliness of lobular carcinoma"), no comparison without its other side ("Which is
   cheaper?"), no "which one") and at least `min_content` topical words, or one naming something
   of its own; or one whose references an earlier sentence of the question itself resolves ("A
   heat pump seems suitable for my house. How much does it cost to install one?").
2. The names of the conversation are gathered from the earlier questions and answers (runs of
   capitalized words, a capitalized particle kept in a surname ("Van Sant"); a sentence's first
   word only when it is not a common word or an opening adverb ("Privately", "According")). A short
   mention credits the longer names it is part of ("Zappa" -> "Frank Zappa"). Each name has a
   salience (its mentions, 0.85^age, a question's mention 1.5 times an answer's, our own earlier
   rewrite a weak 0.3 echo) and cues: person (a title before it, "X said he", "X's", an answer's
   sentence opening with it), gender (he/his or she/her near it, in its answer, or in the
   question it answered), place / organisation / work (after "in" / "at", a quoted title, words
   such as University, Records, a US state or country, a date, a name after "the"). A name the
   user typed in lowercase after a first word ("when was faith hill born?") is taken in its
   capitalized form when the history shows its last word as a name ("Hill").
3. Pronouns are replaced in place, by gender and number: "he" / "his" by the most salient male
   person (salience plus what the user asked about, a person cue needed for full weight; "his" ->
   "X's"), "she" / "her" likewise; "they" / "their" by a group ("Zappa and the Mothers of
   Invention", "The Waterboys", an acronym) or a name the user asked about with no he/she cue
   ("Aerosmith", a little below a group word), else the subject; "it" by the topic phrase of
   the earlier questions. Names are given in their fullest person-like form.
4. A follow-up with no pronoun to resolve gets the conversation's subject (a name the user asked
   about, or a person that a short answer of at most 20 words named; names only in long answers
   are too noisy in retrieved passages), else the topic phrase, in parentheses. A "what else"
   follow-up also gets "besides <what the previous answer said>" (its first name, or its first
   noun phrase; after an abstention, the latest answer that said something), and a bare or
   determiner demonstrative ("What did this cause?", "When was that performance?") or a "what
   happened next" gets the previous answer's phrase.
   Ragkit's own "[Source: ...]" labels are removed from the answers first. No word of the
   question is ever removed (pronouns are replaced, nothing else is touched), so the question's
   own content words always survive.

`LLMCondenser` asks the small route (ledger stage `condense`, exact-cached by the gateway) and
falls back to the offline rewrite when the model's rewrite drops a content word of the question.

Code: words.py (word tools and lists), names.py (names and cues in the history), people.py (the
history's names ranked: the person, group and subject picked), references.py (what in a follow-up
points back); this module holds the condenser that puts them together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ragkit.chat.names import (
    FEMALE,
    MALE,
    NEUTER,
    PLURAL,
    POSSESSIVE,
    VERBISH,
    cap_phrases,
    name_mentions,
    noun_phrases,
)
from ragkit.chat.history import HistoryTurn
from ragkit.chat.people import NameRanking
from ragkit.chat.references import Refs, find_refs, question_sentences
from ragkit.chat.words import content_words, keeps_content_words, norm, stems, words
from ragkit.text.stopwords import STOPWORDS

__all__ = ["Condensed", "HistoryTurn", "OfflineCondenser", "content_words", "keeps_content_words"]


_CITATION = re.compile(r"\[(?:Source|Sources|source)\s*:[^\]]*\]")  # ragkit's own citation labels in its answers
_SEQUEL = re.compile(r"\b(?:next|then|afterwards?|after|later|before|first)\W*$", re.I)
_DONT_KNOW = re.compile(r"^\W*(?:i don'?t know|i do not know|cannotanswer|no answer)", re.I)

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


class OfflineCondenser(NameRanking):
    """Deterministic follow-up rewriting from the history (see the module docstring)."""

    method = "offline"

    def __init__(self, *, decay: float = 0.3, min_content: int = 2, max_turns: int = 6, answer_weight: float = 0.0,
                 name_decay: float = 0.85, asked_weight: float = 1.5, echo_weight: float = 0.3,
                 besides_words: int = 3, short_answer: int = 20):
        self.decay = decay  # topic phrases: weight of a turn n turns back
        self.min_content = min_content  # topical words a question without references needs to stand alone
        self.max_turns = max_turns  # topic phrases: how many earlier turns are read
        self.answer_weight = answer_weight  # topic phrases: weight of the answers' words
        self.name_decay = name_decay  # names: weight of a turn n turns back
        self.asked_weight = asked_weight  # names: a mention in a question against one in an answer
        self.echo_weight = echo_weight  # names: a mention in our own earlier rewrite
        self.besides_words = besides_words  # the longest noun phrase taken from the previous answer
        self.short_answer = short_answer  # words: an answer this short is a span that names its subject

    # ---- what the question needs --------------------------------------------------------------
    def references(self, question: str) -> Refs:
        return find_refs(question)

    def stands_alone(self, question: str) -> bool:
        """No reference to the conversation (pronoun, demonstrative, "what else", "what about",
        a definite noun without its modifier, a comparison without its other side, "which one")
        and at least `min_content` topical words of its own; or a reference that an earlier
        sentence of the question itself resolves ("A heat pump seems suitable. How much does it
        cost?")."""
        r = find_refs(question)
        if not r.any():
            return r.topical >= self.min_content or (r.own_name and r.topical >= 1)
        sents = question_sentences(question)
        for k in range(1, len(sents)):
            hr = find_refs(sents[k - 1])
            if not hr.pronouns() and hr.topical >= 2 and not find_refs(" ".join(sents[k:])).one and \
                    not any(find_refs(x).pronouns() for x in sents[:k]):
                return True
        return False

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
                named[s] = named.get(s, 0.0) + self.name_decay ** age * 0.5
            cands = [(p, True, "q") for p in cap_phrases(turn.question) + cap_phrases(turn.asked)]
            names = cap_phrases(turn.answer)
            if len(names) == 1 and len(words(turn.answer)) <= 8 and \
                    len(words(names[0])) >= len(words(turn.answer)) - 1:
                cands.insert(0, (names[0], True, "entity"))  # the answer is a name: what follows is about it
            cands += [(p, True, "a") for p in names if len(p.split()) <= 4]
            cands += [(p, False, "q") for p in noun_phrases(turn.question)]
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
        history = [HistoryTurn(h.question, _CITATION.sub(" ", h.answer), h.standalone) for h in history
                   if h.asked.strip()]
        if not history:
            return Condensed(question, question, "unchanged", "the first turn")
        if self.stands_alone(question):
            return Condensed(question, question, "unchanged", "the question stands alone")
        r = find_refs(question)
        own = stems(question)
        phrases = [p for p in self.phrases(history) if not p.stems <= own]
        asked = [p for p in phrases if p.asked] or phrases
        topic = asked[0].text if asked else None
        ents = [e for e in self.entities(history) if not stems(e.form) <= own]
        male, female, group = self._person(ents, "male"), self._person(ents, "female"), self._group(ents)
        subject = self._subject(ents)
        plural = group.form if group else (self._full(subject, ents) if subject else topic)
        out, used = [], []
        toks = re.split(r"(\W+)", question)
        for i, t in enumerate(toks):
            n = t.lower()
            nxt = next((x for x in toks[i + 1:] if x.strip() and x[0].isalnum()), "")
            gap = toks[i + 1] if i + 1 < len(toks) else ""
            poss = n in POSSESSIVE or (n == "her" and nxt[:1].islower() and norm(nxt) not in STOPWORDS
                                       and norm(nxt) not in VERBISH and "?" not in gap and "." not in gap)
            rep = None
            if n in MALE and male:
                rep = self._full(male, ents)
            elif n in FEMALE and female:
                rep = self._full(female, ents)
            elif n in PLURAL and plural:
                rep = plural
            elif n in NEUTER and topic:
                rep = topic
            if rep and rep not in used and not n.endswith("self") and not n.endswith("selves"):
                out.append(rep + ("'s" if poss else ""))
                used.append(rep)
            else:
                out.append(t)
        text = "".join(out)
        adds: list[str] = []
        if not used:
            add = self._full(subject, ents) if subject else topic
            if add:
                adds.append(add)
        # "what else", "after that", "this performance", "what happened next": what the previous
        # answer said is what the question goes on from
        if r.cont or r.demo or r.demo_det or _SEQUEL.search(question):
            last = history[-1]
            if r.cont:  # "what else": besides what the latest answer that said something said
                last = next((h for h in reversed(history[-3:]) if h.answer.strip() and not _DONT_KNOW.search(h.answer)),
                            last)
            prev = self._besides(last, own | stems(text) | {s for a in adds for s in stems(a)})
            if prev:
                adds.append(("besides " if r.cont else "") + prev)
        if not adds:
            if used:
                return Condensed(question, text, self.method, "resolved: " + ", ".join(used))
            return Condensed(question, question, "unchanged", "nothing in the history to resolve against")
        stripped = text.rstrip()
        end = stripped[-1] if stripped and stripped[-1] in "?.!" else ""
        body = stripped[:-1] if end else stripped
        reason = "; ".join((["resolved: " + ", ".join(used)] if used else []) + [f"added {a!r}" for a in adds])
        return Condensed(question, f"{body} ({'; '.join(adds)}){end or '?'}", self.method, reason)

    def _besides(self, turn: HistoryTurn, have: set) -> str:
        """What the previous answer said, for a "what else" follow-up: its first name, or else its
        first noun phrase, that the question does not already hold."""
        if not turn.answer.strip() or _DONT_KNOW.search(turn.answer):
            return ""
        for form, _prev, _nxt in name_mentions(turn.answer, set()):
            if len(words(form)) <= 4 and not stems(form) <= have:
                return form
        for np in noun_phrases(turn.answer, max_words=self.besides_words):
            if not stems(np) <= have:
                return np
        return ""
