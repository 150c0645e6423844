"""The names of a conversation ranked for the condenser (condense.py): each name's salience and
its person, gender, group and place cues gathered from the history (`entities`), and the picks
made from them: the person a he / she points at, the group a they points at, the conversation's
subject, and a name's fullest person-like form. `OfflineCondenser` inherits these; its settings
(name_decay, asked_weight, echo_weight, short_answer) are read from it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from ragkit.chat.names import (
    GROUPISH,
    NONPERSON,
    PLACE_PREP,
    PLACES,
    SUBJECT_VERBS,
    TITLES,
    Entity,
    lowercase_names,
    name_key,
    name_mentions,
    pronoun_links,
)
from ragkit.chat.words import norm, words

if TYPE_CHECKING:
    from ragkit.chat.history import HistoryTurn


class NameRanking:
    """The history's names and the picks made from them (mixed into `OfflineCondenser`)."""

    name_decay: float
    asked_weight: float
    echo_weight: float
    short_answer: int

    def entities(self, history: Sequence[HistoryTurn]) -> list[Entity]:
        """The names of the conversation, each with its salience and its person / gender cues.
        A shorter mention ("Zappa") credits each longer name it is part of ("Frank Zappa")."""
        recent = list(history)
        lower_seen = {w.lower() for h in recent for t in (h.asked, h.answer) for w in words(t) if w[:1].islower()}
        found: list[tuple] = []  # form, prev, next, age, source, text, the gender its question asked about
        for age, turn in enumerate(reversed(recent)):
            sources = [(turn.question, 1), (turn.answer, 0)]
            if turn.standalone and turn.standalone != turn.question:
                sources.append((turn.standalone, 2))  # our own earlier rewrite: a weak echo, no cues
            ql = turn.question.lower()
            qgender = ("m" if re.search(r"\b(?:he|him|his)\b", ql) else "") + \
                ("f" if re.search(r"\b(?:she|her|hers)\b", ql) else "")
            for text, asked in sources:
                for form, prev, nxt in name_mentions(text, lower_seen):
                    if len(words(form)) <= 6:
                        found.append((form, prev, nxt, age, asked, text, qgender if not asked else ""))
        # names the user typed in lowercase ("when was faith hill born?") that the history shows capitalized
        known = {norm(t) for f in found if f[4] != 2 for t in words(f[0])[-1:]}
        for age, turn in enumerate(reversed(recent)):
            for form, prev, nxt in lowercase_names(turn.question, known):
                found.append((form, prev, nxt, age, 3, turn.question, ""))  # weighs as asked; not the subject
        if not found:
            return []
        forms: dict[frozenset, Entity] = {}
        for form, *_ in found:
            k = name_key(form)
            if k and k not in forms:
                forms[k] = Entity(form, k)
        ents = list(forms.values())
        for form, prev, nxt, age, asked, text, qgender in found:
            k = name_key(form)
            if not k:
                continue
            w = self.name_decay ** age * (self.asked_weight if asked in (1, 3) else self.echo_weight if asked else 1.0)
            if asked == 2:
                for e in ents:
                    if k <= e.key:
                        e.weight += w * len(k) / len(e.key)
                continue
            low = text.lower()
            he = len(re.findall(r"\b(?:he|him|his|himself)\b", low))
            she = len(re.findall(r"\b(?:she|her|hers|herself)\b", low))
            they = len(re.findall(r"\b(?:they|them|their|themselves)\b", low))
            nn = norm(nxt) if nxt[:1].isalnum() else nxt
            link = pronoun_links(text, [f[0] for f in found if f[5] is text]).get(form)
            subj = not asked and re.search(r"(?:^|[.!?;]\s+)\W*" + re.escape(form) + r"(?:'s)?\s+[a-z]", text)
            for e in ents:
                share = len(k & e.key) / len(e.key)
                if not share:
                    continue
                e.weight += w * share
                e.count += 1
                e.asked += w * share if asked == 1 else 0.0
                e.recent = min(e.recent, age)
                e.seen.add(age)
                e.male += he * share * 0.5
                e.female += she * share * 0.5
                e.plural += they * share * 0.5
                if asked == 0 and len(words(text)) <= self.short_answer:
                    e.short += share
                if prev in TITLES or nn in SUBJECT_VERBS or nxt in {"'s", "’s"} or form.endswith("'s"):
                    e.person += share
                if (prev in PLACE_PREP or prev in {'"', "the"}) and k <= e.key:
                    e.other += share  # "the Johnny Bench Award" says nothing of "Johnny Bench"
                if subj:
                    e.person += share  # an answer's sentence opens with it: what the answer is about
                if "m" in qgender:
                    e.male += share * 0.5
                if "f" in qgender:
                    e.female += share * 0.5
                if link:
                    e.person += share  # "Thompson said he", "Dickinson referred to her tutor"
                    e.male += link[0] * share
                    e.female += link[1] * share
        for e in ents:
            ks = [norm(t) for t in words(e.form)]
            if any(t in NONPERSON or t in PLACES for t in ks) or any(t.isdigit() for t in ks):
                e.other += 2.0
            if len(ks) == 1 and e.form.isupper() and len(e.form) > 1:
                e.other += 1.0  # an acronym: an organisation or a band
            if 2 <= len(ks) <= 3 and not e.connected:
                e.person += 0.5
        return sorted(ents, key=lambda e: (-e.weight, e.recent, e.form))

    def _full(self, e: Entity, ents: list[Entity]) -> str:
        """The fullest person-like form of a name seen in the history ("Zappa" -> "Frank Zappa")."""
        best = e
        for o in ents:
            ks = [norm(t) for t in words(o.form)]
            if o.key > e.key and len(ks) <= 3 and not o.connected and not any(t in NONPERSON for t in ks) \
                    and (best is e or o.weight > best.weight):
                best = o
        return best.form

    def _person(self, ents: list[Entity], gender: str) -> Entity | None:
        best, best_s = None, 0.0
        for e in ents:
            if e.connected:
                continue
            personness = (1.0 + e.person) / (1.0 + e.person + e.other)
            if personness < 0.5:
                continue
            same, opp = (e.male, e.female) if gender == "male" else (e.female, e.male)
            g = 0.1 if opp > same else (1.0 + same) / (1.0 + same + opp)  # the other gender: hardly
            # salience (a name the user asked about counts twice), person cues (a positive one needed
            # for full weight), gender
            s = (e.weight + e.asked) * personness ** 2 * g * (0.5 + 0.5 * min(1.0, e.person))
            if s > best_s:
                best, best_s = e, s
        return best

    def _subject(self, ents: list[Entity]) -> Entity | None:
        """The most salient name the user asked about, or a person (he / she points at it) that a
        short answer named: a span names what the conversation is about, a retrieved passage names
        many things (answer-only names in CAsT 2021's passages: hit@5 0.817 against 0.836)."""
        return next((e for e in ents if e.asked > 0 or (e.short and e.person >= 1 and (e.male or e.female))), None)

    def _group(self, ents: list[Entity]) -> Entity | None:
        best, best_s = None, 0.0
        for e in ents:
            ks = {norm(t) for t in words(e.form)}
            groupish = e.connected or bool(ks & GROUPISH) or (e.form.isupper() and len(e.form) > 1) \
                or (e.form.split()[-1].endswith("s") and e.form.split()[0].lower() == "the")
            if not groupish and (e.male or e.female or not e.asked):
                continue  # a name he / she points at is no group; nor one only the answers gave
            # a name the user asked about with no group word and no gender cue ("Aerosmith", "the
            # Menominee") counts a little below a group word
            s = e.weight * (1.0 + e.plural) / (1.0 + e.plural + e.male + e.female) * (2.0 if groupish else 1.5)
            if s > best_s:
                best, best_s = e, s
        return best

