"""What in a follow-up refers to the history (condense.py): pronouns, demonstratives, "what about",
"else/other", a bare definite noun, a comparison without its other side, "which one"; and whether
the question resolves such a reference itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragkit.chat.names import FEMALE, MALE, NEUTER, PLURAL, VERBISH, tokens
from ragkit.chat.words import DEMONSTRATIVES, GENERIC, content_words, norm, words
from ragkit.text.stopwords import STOPWORDS

_POSTMOD = {"of", "between", "in", "on", "for", "about", "with", "from", "among", "that", "who", "which", "whose",
            "where", "when", "than", "called", "named", "known", "and", "or", '"', "“", "'", "‘", "by", "at", "during"}
_COMPARATIVE = re.compile(r"\b(?:cheaper|better|worse|faster|slower|bigger|smaller|larger|higher|lower|safer|"
                          r"healthier|easier|harder|stronger|weaker|longer|shorter|greater|riskier|costlier|"
                          r"more \w+|less \w+|similar|compare[sd]?|comparison|differ|differently|different|"
                          r"difference|differences)\b", re.I)
_COMPARED_TO = re.compile(r"\b(?:than|to|from|between|with|and|or|versus|vs)\b", re.I)
_ELSE = {"else", "other", "another", "besides", "also", "too", "again", "additional", "further", "others"}
_ABOUT = re.compile(r"^\W*(?:(?:and|so|ok|okay|really|but)\W+)*(?:what|how)\s+about\b|^\W*and\b", re.I)


@dataclass
class Refs:
    male: list = field(default_factory=list)
    female: list = field(default_factory=list)
    plural: list = field(default_factory=list)
    neuter: list = field(default_factory=list)
    demo: list = field(default_factory=list)  # a bare demonstrative: "What did this cause?"
    demo_det: list = field(default_factory=list)  # "that performance"
    cont: list = field(default_factory=list)  # "what else", "any other"
    about: bool = False
    definite: list = field(default_factory=list)  # "the band", "the album": a definite noun without its modifier
    comparative: bool = False
    one: bool = False  # "which one", "the first one"
    topical: int = 0
    own_name: bool = False

    def any(self) -> bool:
        return bool(self.male or self.female or self.plural or self.neuter or self.demo or self.demo_det
                    or self.cont or self.about or self.definite or self.comparative or self.one)

    def pronouns(self) -> bool:
        return bool(self.male or self.female or self.plural or self.neuter or self.demo)


def question_sentences(question: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?:;])\s+", question.strip()) if s.strip()]


def find_refs(text: str) -> Refs:
    r = Refs()
    toks = tokens(text)
    n = [norm(t) if t[0].isalnum() else t for t in toks]
    for i, w in enumerate(n):
        nxt = n[i + 1] if i + 1 < len(n) else ""
        if w in MALE:
            r.male.append(i)
        elif w in FEMALE:
            r.female.append(i)
        elif w in PLURAL:
            r.plural.append(i)
        elif w in NEUTER and not (w == "it" and nxt in {"is", "was"} and norm(n[i + 2] if i + 2 < len(n) else "")
                                  in {"true", "possible", "safe", "likely", "necessary", "important", "ok", "okay"}):
            r.neuter.append(i)
        elif w in DEMONSTRATIVES:
            noun = nxt and nxt[0].isalnum() and nxt not in STOPWORDS and nxt not in VERBISH
            (r.demo_det if noun else r.demo).append(i)
        elif w in _ELSE:
            r.cont.append(i)
        elif w in {"one", "ones"} and i > 0 and (
                n[i - 1] in {"which", "the", "this", "that", "first", "second", "third", "last", "other", "best",
                             "new", "cheapest", "better"} or (w == "ones" and n[i - 1] not in STOPWORDS)):
            r.one = True
        elif w == "the" and nxt and nxt[0].isalnum():
            j = i + 1
            while j < len(n) and n[j][0].isalnum() and n[j] not in STOPWORDS and not toks[j][:1].isupper() \
                    and j - i <= 3:
                j += 1
            head = n[j - 1] if j > i + 1 else ""
            after = n[j] if j < len(n) else ""
            named = j < len(toks) and toks[j][:1].isupper() or toks[i + 1][:1].isupper()
            if head and head not in GENERIC and after not in _POSTMOD and not named:
                r.definite.append(head)
    r.about = bool(_ABOUT.match(text))
    m = _COMPARATIVE.search(text)
    if m and not _COMPARED_TO.search(text[m.end():]) and not re.match(r"(?:more|less) (?:than|of)\b", m.group(0), re.I):
        r.comparative = True
    r.topical = len([w for w in content_words(text) if w not in GENERIC])
    ws = words(text)
    r.own_name = any(t[:1].isupper() and k > 0 and norm(t) not in GENERIC and norm(t) != "i"
                     for k, t in enumerate(ws)) or bool(re.search(r"[\"“].+?[\"”]", text))
    return r
