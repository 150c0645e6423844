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
   capitalized words; a sentence's first word only when it is not a common word). A short
   mention credits the longer names it is part of ("Zappa" -> "Frank Zappa"). Each name has a
   salience (its mentions, 0.85^age, a question's mention 1.5 times an answer's, our own earlier
   rewrite a weak 0.3 echo) and cues: person (a title before it, "X said he", "X's", an answer's
   sentence opening with it), gender (he/his or she/her near it, in its answer, or in the
   question it answered), place / organisation / work (after "in" / "at", a quoted title, words
   such as University, Records, a US state or country, a date).
3. Pronouns are replaced in place, by gender and number: "he" / "his" by the most salient male
   person ("his" -> "X's"), "she" / "her" likewise; "they" / "their" by a group ("Zappa and the
   Mothers of Invention", "The Waterboys", an acronym), else the subject; "it" by the topic
   phrase of the earlier questions. Names are given in their fullest person-like form.
4. A follow-up with no pronoun to resolve gets the conversation's subject (a name the user asked
   about; names only in answers are too noisy in retrieved passages), else the topic phrase, in
   parentheses. A
   "what else" follow-up also gets "besides <what the previous answer said>" (its first name, or
   its first noun phrase), and a bare or determiner demonstrative ("What did this cause?", "When
   was that performance?") or a "what happened next" gets the previous answer's phrase.
   Ragkit's own "[Source: ...]" labels are removed from the answers first. No word of the
   question is ever removed (pronouns are replaced, nothing else is touched), so the question's
   own content words always survive.

`LLMCondenser` asks the small route (ledger stage `condense`, exact-cached by the gateway) and
falls back to the offline rewrite when the model's rewrite drops a content word of the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


_TOK = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-.&]*[A-Za-z0-9]|[A-Za-z0-9]|[^\sA-Za-z0-9]")
MALE = {"he", "him", "his", "himself"}
FEMALE = {"she", "her", "hers", "herself"}
PLURAL = {"they", "them", "their", "theirs", "themselves"}
NEUTER = {"it", "its", "itself"}
POSSESSIVE = {"his", "its", "their", "theirs", "hers"}
_PLACE_PREP = {"in", "at", "from", "near", "into", "across", "to", "throughout", "outside", "inside"}
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "sir", "lady", "lord", "king", "queen", "prince", "princess",
           "president", "general", "captain", "father", "saint", "st", "senator", "governor", "judge"}
# words that make a capitalized run an organisation, place, work or event rather than a person
_NONPERSON = frozenset("""
    university college school academy institute hospital church cathedral hotel theatre theater hall
    museum gallery library army navy force forces corps regiment division brigade battalion fleet
    company corporation inc ltd records label studios studio group band orchestra choir club team
    league association society party council committee parliament congress senate court government
    ministry department bureau agency office commission foundation trust fund bank award awards prize
    medal cup championship championships tournament games olympics festival series show tour album
    film movie song book novel magazine newspaper journal times news radio tv television channel
    network station street road avenue square bridge river lake mountain mount island islands park
    county city town village state states kingdom republic empire province district region north
    south east west northern southern eastern western central new united national international
    royal federal war battle revolution act treaty day week year century january february march april
    may june july august september october november december monday tuesday wednesday thursday
    friday saturday sunday christmas easter world america american europe european africa african
    asia asian england english britain british france french germany german spain spanish italy
    italian china chinese japan japanese india indian russia russian canada canadian australia
    australian mexico mexican ireland irish scotland scottish wales welsh
""".split())
# places a capitalized run is often about (US states, countries, big cities): not a person
_PLACES = frozenset("""
    alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
    mississippi missouri montana nebraska nevada hampshire jersey mexico york carolina dakota ohio oklahoma
    oregon pennsylvania rhode tennessee texas utah vermont virginia washington wisconsin wyoming
    argentina brazil chile peru colombia venezuela cuba jamaica haiti portugal netherlands holland belgium
    switzerland austria sweden norway denmark finland iceland poland hungary greece turkey egypt israel
    iran iraq syria lebanon jordan arabia pakistan afghanistan bangladesh vietnam korea thailand indonesia
    philippines malaysia singapore zealand nigeria kenya ethiopia ghana uganda zimbabwe morocco algeria
    tunisia libya sudan congo ukraine romania bulgaria serbia croatia czech slovakia scandinavia
    london paris berlin rome madrid moscow tokyo beijing chicago boston philadelphia detroit atlanta
    seattle miami dallas houston toronto montreal vancouver sydney melbourne dublin edinburgh glasgow
    manchester liverpool vienna prague amsterdam brussels stockholm hollywood vegas angeles francisco
    orleans nashville memphis baltimore cleveland pittsburgh brooklyn manhattan harlem oxford cambridge
""".split())
_OPENERS = frozenset("""
    meanwhile recent recently mainstream later early eventually initially afterwards originally today
    currently soon instead overall finally following despite throughout upon once prior shortly
    together unlike like additionally subsequently thereafter nevertheless nonetheless also although
""".split())
_GROUPISH = frozenset("band group team brothers sisters family club crew duo trio quartet orchestra choir "
                      "boys girls people tribe members".split())
_SUBJECT_VERBS = frozenset("""
    was is had has did said says became becomes won wrote writes played plays married died born
    began begins started starts joined left moved returned made makes went goes took takes gave
    released signed received decided continued worked works lived lives served sang recorded
    appeared announced claimed stated believed wanted tried felt thought knew told founded formed
""".split())


_CITATION = re.compile(r"\[(?:Source|Sources|source)\s*:[^\]]*\]")  # ragkit's own citation labels in its answers
_SEQUEL = re.compile(r"\b(?:next|then|afterwards?|after|later|before|first)\W*$", re.I)
_DONT_KNOW = re.compile(r"^\W*(?:i don'?t know|i do not know|cannotanswer|no answer)", re.I)
_NAME_CONNECT = {"of", "the", "and", "de", "da", "von", "van", "del", "la", "le", "du", "&", "di", "der", "den", "al",
                 "bin", "ibn", "y", "dos", "das"}
_DATES = frozenset("""january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split())


def _tokens(text: str) -> list[str]:
    return _TOK.findall(text)


def _key(form: str) -> frozenset:
    return frozenset(n for n in (_norm(t) for t in words(form)) if n and n not in _CAP_CONNECT)


def _pronoun_links(text: str, forms: list[str]) -> dict[str, list[int]]:
    """Each he/his/she/her of `text` linked to the nearest name before it that could be a person
    and has not been linked to the other gender in this text: {name: [male, female]}."""
    pos = sorted({(m.start(), f) for f in set(forms)
                  if not any(_norm(t) in _NONPERSON or _norm(t) in _PLACES for t in words(f))
                  for m in re.finditer(r"\b" + re.escape(f) + r"\b", text)}, reverse=True)
    gender: dict[str, int] = {}
    out: dict[str, list[int]] = {}
    for m in re.finditer(r"\b(he|him|his|himself|she|her|hers|herself)\b", text, re.I):
        g = 0 if m.group(1).lower() in MALE else 1
        for p, f in pos:
            if p < m.start() and gender.get(f, g) == g:
                gender[f] = g
                out.setdefault(f, [0, 0])[g] += 1
                break
    return out


@dataclass
class _Entity:
    form: str
    key: frozenset
    weight: float = 0.0  # salience: mentions decayed by the age of their turn
    count: int = 0
    asked: float = 0.0  # of which in the questions
    person: float = 0.0  # cues that it is a person (a pronoun follows it, a title precedes it, ...)
    other: float = 0.0  # cues that it is a place, organisation, work or date
    male: float = 0.0
    female: float = 0.0
    plural: float = 0.0
    recent: int = 99  # age of the newest turn it was seen in
    seen: set = field(default_factory=set)  # the turns it was seen in

    @property
    def turns(self) -> int:
        return len(self.seen)

    @property
    def connected(self) -> bool:
        return any(_norm(t) in {"and", "&"} for t in words(self.form))


def _name_mentions(text: str, lower_seen: set[str]) -> list[tuple[str, str, str]]:
    """Runs of capitalized words in `text` with the word before and after each run. A sentence's
    first word counts only when it is not a common word (seen lowercased, a stopword, an -ly/-ing
    word)."""
    out: list[tuple[str, str, str]] = []
    for sent in _SENT.split(text):
        toks = _tokens(sent)
        run: list[str] = []
        start = 0
        first = 0
        while first < len(toks) and not toks[first][0].isalnum():
            first += 1

        def flush(end: int):
            ws = list(run)
            s = start
            while ws and _norm(ws[-1]) in _NAME_CONNECT:
                ws.pop()
            while ws and (_norm(ws[0]) in STOPWORDS or _norm(ws[0]) in _NAME_CONNECT):
                ws.pop(0)
                s += 1
            if ws:
                prev = _norm(toks[s - 1]) if s > 0 else ""
                nxt = toks[end] if end < len(toks) else ""
                if s > 0 and toks[s - 1] in {'"', "“", "‘"}:
                    prev = '"'  # a quoted title: a work, not a person
                out.append((" ".join(w.removesuffix("'s").removesuffix("’s") for w in ws), prev, nxt))
            run.clear()

        for j, t in enumerate(toks):
            n = _norm(t)
            word = t[0].isalnum()
            cap = word and t[:1].isupper() and n not in QUESTION_WORDS and n not in MALE | FEMALE | PLURAL | NEUTER \
                and n != "i" and not re.match(r"i['’]", t, re.I) and n not in _DATES and not (n in STOPWORDS and not run)
            if cap and j == first and not run:
                common = n in GENERIC or n in _OPENERS or n in lower_seen or n.endswith(("ly", "ing")) or \
                    (n.endswith("ed") and len(n) > 4) or n in VERBISH
                nxt_cap = j + 1 < len(toks) and toks[j + 1][:1].isupper()
                cap = not common or (nxt_cap and n not in GENERIC and n not in lower_seen)
            if cap:
                if not run:
                    start = j
                run.append(t)
            elif run and word and n in _NAME_CONNECT and _cap_follows(toks, j + 1):
                run.append(t)
            else:
                if run:
                    flush(j)
        if run:
            flush(len(toks))
    return out

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
class _Refs:
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


def _sentences(question: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?:;])\s+", question.strip()) if s.strip()]


def _refs(text: str) -> _Refs:
    r = _Refs()
    toks = _tokens(text)
    n = [_norm(t) if t[0].isalnum() else t for t in toks]
    for i, w in enumerate(n):
        nxt = n[i + 1] if i + 1 < len(n) else ""
        if w in MALE:
            r.male.append(i)
        elif w in FEMALE:
            r.female.append(i)
        elif w in PLURAL:
            r.plural.append(i)
        elif w in NEUTER and not (w == "it" and nxt in {"is", "was"} and _norm(n[i + 2] if i + 2 < len(n) else "")
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
    r.own_name = any(t[:1].isupper() and k > 0 and _norm(t) not in GENERIC and _norm(t) != "i"
                     for k, t in enumerate(ws)) or bool(re.search(r"[\"“].+?[\"”]", text))
    return r




class OfflineCondenser:
    """Deterministic follow-up rewriting from the history (see the module docstring)."""

    method = "offline"

    def __init__(self, *, decay: float = 0.3, min_content: int = 2, max_turns: int = 6, answer_weight: float = 0.0,
                 name_decay: float = 0.85, asked_weight: float = 1.5, echo_weight: float = 0.3,
                 besides_words: int = 3):
        self.decay = decay  # topic phrases: weight of a turn n turns back
        self.min_content = min_content  # topical words a question without references needs to stand alone
        self.max_turns = max_turns  # topic phrases: how many earlier turns are read
        self.answer_weight = answer_weight  # topic phrases: weight of the answers' words
        self.name_decay = name_decay  # names: weight of a turn n turns back
        self.asked_weight = asked_weight  # names: a mention in a question against one in an answer
        self.echo_weight = echo_weight  # names: a mention in our own earlier rewrite
        self.besides_words = besides_words  # the longest noun phrase taken from the previous answer

    # ---- what the question needs --------------------------------------------------------------
    def references(self, question: str) -> _Refs:
        return _refs(question)

    def stands_alone(self, question: str) -> bool:
        """No reference to the conversation (pronoun, demonstrative, "what else", "what about",
        a definite noun without its modifier, a comparison without its other side, "which one")
        and at least `min_content` topical words of its own; or a reference that an earlier
        sentence of the question itself resolves ("A heat pump seems suitable. How much does it
        cost?")."""
        r = _refs(question)
        if not r.any():
            return r.topical >= self.min_content or (r.own_name and r.topical >= 1)
        sents = _sentences(question)
        for k in range(1, len(sents)):
            hr = _refs(sents[k - 1])
            if not hr.pronouns() and hr.topical >= 2 and not _refs(" ".join(sents[k:])).one and \
                    not any(_refs(x).pronouns() for x in sents[:k]):
                return True
        return False

    # ---- the history's names ------------------------------------------------------------------
    def entities(self, history: Sequence[HistoryTurn]) -> list[_Entity]:
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
                for form, prev, nxt in _name_mentions(text, lower_seen):
                    if len(words(form)) <= 6:
                        found.append((form, prev, nxt, age, asked, text, qgender if not asked else ""))
        if not found:
            return []
        forms: dict[frozenset, _Entity] = {}
        for form, *_ in found:
            k = _key(form)
            if k and k not in forms:
                forms[k] = _Entity(form, k)
        ents = list(forms.values())
        for form, prev, nxt, age, asked, text, qgender in found:
            k = _key(form)
            if not k:
                continue
            w = self.name_decay ** age * (self.asked_weight if asked == 1 else self.echo_weight if asked else 1.0)
            if asked == 2:
                for e in ents:
                    if k <= e.key:
                        e.weight += w * len(k) / len(e.key)
                continue
            low = text.lower()
            he = len(re.findall(r"\b(?:he|him|his|himself)\b", low))
            she = len(re.findall(r"\b(?:she|her|hers|herself)\b", low))
            they = len(re.findall(r"\b(?:they|them|their|themselves)\b", low))
            nn = _norm(nxt) if nxt[:1].isalnum() else nxt
            link = _pronoun_links(text, [f[0] for f in found if f[5] is text]).get(form)
            subj = not asked and re.search(r"(?:^|[.!?;]\s+)\W*" + re.escape(form) + r"(?:'s)?\s+[a-z]", text)
            for e in ents:
                share = len(k & e.key) / len(e.key)
                if not share:
                    continue
                e.weight += w * share
                e.count += 1
                e.asked += w * share if asked else 0.0
                e.recent = min(e.recent, age)
                e.seen.add(age)
                e.male += he * share * 0.5
                e.female += she * share * 0.5
                e.plural += they * share * 0.5
                if prev in _TITLES or nn in _SUBJECT_VERBS or nxt in {"'s", "’s"} or form.endswith("'s"):
                    e.person += share
                if prev in _PLACE_PREP or prev == '"':
                    e.other += share
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
            ks = [_norm(t) for t in words(e.form)]
            if any(t in _NONPERSON or t in _PLACES for t in ks) or any(t.isdigit() for t in ks):
                e.other += 2.0
            if len(ks) == 1 and e.form.isupper() and len(e.form) > 1:
                e.other += 1.0  # an acronym: an organisation or a band
            if 2 <= len(ks) <= 3 and not e.connected:
                e.person += 0.5
        return sorted(ents, key=lambda e: (-e.weight, e.recent, e.form))

    def _full(self, e: _Entity, ents: list[_Entity]) -> str:
        """The fullest person-like form of a name seen in the history ("Zappa" -> "Frank Zappa")."""
        best = e
        for o in ents:
            ks = [_norm(t) for t in words(o.form)]
            if o.key > e.key and len(ks) <= 3 and not o.connected and not any(t in _NONPERSON for t in ks) \
                    and (best is e or o.weight > best.weight):
                best = o
        return best.form

    def _person(self, ents: list[_Entity], gender: str) -> _Entity | None:
        best, best_s = None, 0.0
        for e in ents:
            if e.connected:
                continue
            personness = (1.0 + e.person) / (1.0 + e.person + e.other)
            if personness < 0.5:
                continue
            same, opp = (e.male, e.female) if gender == "male" else (e.female, e.male)
            g = 0.1 if opp > same else (1.0 + same) / (1.0 + same + opp)  # the other gender: hardly
            s = e.weight * personness * g
            if s > best_s:
                best, best_s = e, s
        return best

    def _group(self, ents: list[_Entity]) -> _Entity | None:
        best, best_s = None, 0.0
        for e in ents:
            ks = {_norm(t) for t in words(e.form)}
            groupish = e.connected or bool(ks & _GROUPISH) or (e.form.isupper() and len(e.form) > 1) \
                or (e.form.split()[-1].endswith("s") and e.form.split()[0].lower() == "the")
            if not groupish:
                continue
            s = e.weight * (1.0 + e.plural) / (1.0 + e.plural + e.male + e.female) * (2.0 if groupish else 0.5)
            if s > best_s:
                best, best_s = e, s
        return best

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
        history = [HistoryTurn(h.question, _CITATION.sub(" ", h.answer), h.standalone) for h in history
                   if h.asked.strip()]
        if not history:
            return Condensed(question, question, "unchanged", "the first turn")
        if self.stands_alone(question):
            return Condensed(question, question, "unchanged", "the question stands alone")
        r = _refs(question)
        own = stems(question)
        phrases = [p for p in self.phrases(history) if not p.stems <= own]
        asked = [p for p in phrases if p.asked] or phrases
        topic = asked[0].text if asked else None
        ents = [e for e in self.entities(history) if not stems(e.form) <= own]
        male, female, group = self._person(ents, "male"), self._person(ents, "female"), self._group(ents)
        # the conversation's subject: the most salient name the user asked about (names only in
        # the answers are noisy in retrieved passages: CAsT hit@5 0.817 against 0.836)
        subject = next((e for e in ents if e.asked > 0), None)
        plural = group.form if group else (self._full(subject, ents) if subject else topic)
        out, used = [], []
        toks = re.split(r"(\W+)", question)
        for i, t in enumerate(toks):
            n = t.lower()
            nxt = next((x for x in toks[i + 1:] if x.strip() and x[0].isalnum()), "")
            gap = toks[i + 1] if i + 1 < len(toks) else ""
            poss = n in POSSESSIVE or (n == "her" and nxt[:1].islower() and _norm(nxt) not in STOPWORDS
                                       and _norm(nxt) not in VERBISH and "?" not in gap and "." not in gap)
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
            prev = self._besides(history[-1], own | stems(text) | {s for a in adds for s in stems(a)})
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
        for form, _prev, _nxt in _name_mentions(turn.answer, set()):
            if len(words(form)) <= 4 and not stems(form) <= have:
                return form
        for np in _noun_phrases(turn.answer, max_words=self.besides_words):
            if not stems(np) <= have:
                return np
        return ""
