"""Names and noun phrases in a conversation's history, for the condenser (condense.py): capitalized
runs, short forms that credit a full name ("Zappa" for "Frank Zappa"), person, gender, group and
place cues, and which name each he/she in a text points at."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragkit.chat.words import CAP_CONNECT, GENERIC, PERSON_PRONOUNS, QUESTION_WORDS, SENT, THING_PRONOUNS, norm, words
from ragkit.text.stopwords import STOPWORDS


def _cap_follows(toks: list[str], i: int) -> bool:
    """Whether a capitalized word follows position i after at most one more connector ("and the M...")."""
    for t in toks[i:i + 2]:
        if t[:1].isupper():
            return True
        if norm(t) not in CAP_CONNECT:
            return False
    return False


def _common_opener(n: str) -> bool:
    """A sentence's first word that is a common word, not a name ("Privately", "According", "Later")."""
    return n in _OPENERS or n in VERBISH or n.endswith(("ly", "ing")) or (n.endswith("ed") and len(n) > 4)


def cap_phrases(text: str) -> list[str]:
    """Runs of capitalized words (with inner 'of', 'the', 'and'); a sentence's first word only
    when it is not a common word."""
    out: list[str] = []
    for sent in SENT.split(text):
        toks = words(sent)
        run: list[str] = []
        for i, t in enumerate(toks):
            n = norm(t)
            cap = t[:1].isupper() and not (i == 0 and (n in GENERIC or n in PERSON_PRONOUNS or n in THING_PRONOUNS
                                                       or _common_opener(n)))
            if cap and n not in QUESTION_WORDS and not (n in STOPWORDS and not run):
                run.append(t)
            elif run and n in CAP_CONNECT and _cap_follows(toks, i + 1):
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
        while ws and norm(ws[-1]) in CAP_CONNECT:
            ws.pop()
        while ws and norm(ws[0]) in STOPWORDS:
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


def noun_phrases(text: str, max_words: int = 3) -> list[str]:
    """Runs of topical words (not stopwords, question words, generic follow-up words or common
    verbs), each cut to its last `max_words` words (an English noun phrase ends in its head)."""
    out, run = [], []

    def flush():
        if run:
            out.append(" ".join(run[-max_words:]))
        run.clear()

    for t in words(text):
        n = norm(t)
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
PLACE_PREP = {"in", "at", "from", "near", "into", "across", "to", "throughout", "outside", "inside"}
TITLES = {"mr", "mrs", "ms", "miss", "dr", "sir", "lady", "lord", "king", "queen", "prince", "princess",
           "president", "general", "captain", "father", "saint", "st", "senator", "governor", "judge"}
# words that make a capitalized run an organisation, place, work or event rather than a person
NONPERSON = frozenset("""
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
PLACES = frozenset("""
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
    according during after before since while when though because however
""".split())
GROUPISH = frozenset("band group team brothers sisters family club crew duo trio quartet orchestra choir "
                      "boys girls people tribe members".split())
SUBJECT_VERBS = frozenset("""
    was is had has did said says became becomes won wrote writes played plays married died born
    began begins started starts joined left moved returned made makes went goes took takes gave
    released signed received decided continued worked works lived lives served sang recorded
    appeared announced claimed stated believed wanted tried felt thought knew told founded formed
""".split())


_NAME_CONNECT = {"of", "the", "and", "de", "da", "von", "van", "del", "la", "le", "du", "&", "di", "der", "den", "al",
                 "bin", "ibn", "y", "dos", "das"}
_PARTICLES = {"de", "da", "von", "van", "del", "la", "le", "du", "di", "der", "den", "al", "dos", "das"}
_DATES = frozenset("""january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split())


def tokens(text: str) -> list[str]:
    return _TOK.findall(text)


def name_key(form: str) -> frozenset:
    return frozenset(n for n in (norm(t) for t in words(form)) if n and n not in CAP_CONNECT)


def pronoun_links(text: str, forms: list[str]) -> dict[str, list[int]]:
    """Each he/his/she/her of `text` linked to the nearest name before it that could be a person
    and has not been linked to the other gender in this text: {name: [male, female]}."""
    pos = sorted({(m.start(), f) for f in set(forms)
                  if not any(norm(t) in NONPERSON or norm(t) in PLACES for t in words(f))
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
class Entity:
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
    short: float = 0.0  # mentions in a short answer (a span, not a passage)
    recent: int = 99  # age of the newest turn it was seen in
    seen: set = field(default_factory=set)  # the turns it was seen in

    @property
    def turns(self) -> int:
        return len(self.seen)

    @property
    def connected(self) -> bool:
        return any(norm(t) in {"and", "&"} for t in words(self.form))


def name_mentions(text: str, lower_seen: set[str]) -> list[tuple[str, str, str]]:
    """Runs of capitalized words in `text` with the word before and after each run. A sentence's
    first word counts only when it is not a common word (seen lowercased, a stopword, an -ly/-ing
    word)."""
    out: list[tuple[str, str, str]] = []
    for sent in SENT.split(text):
        toks = tokens(sent)
        run: list[str] = []
        start = 0
        first = 0
        while first < len(toks) and not toks[first][0].isalnum():
            first += 1

        def flush(end: int):
            ws = list(run)
            s = start
            while ws and norm(ws[-1]) in _NAME_CONNECT:
                ws.pop()
            while ws and (norm(ws[0]) in STOPWORDS or norm(ws[0]) in _NAME_CONNECT) and not (
                    ws[0][:1].isupper() and norm(ws[0]) in _PARTICLES and len(ws) > 1):
                ws.pop(0)  # "the", "of"; but a capitalized particle opens a surname ("Van Sant")
                s += 1
            if ws:
                prev = norm(toks[s - 1]) if s > 0 else ""
                nxt = toks[end] if end < len(toks) else ""
                if s > 0 and toks[s - 1] in {'"', "“", "‘"}:
                    prev = '"'  # a quoted title: a work, not a person
                out.append((" ".join(w.removesuffix("'s").removesuffix("’s") for w in ws), prev, nxt))
            run.clear()

        for j, t in enumerate(toks):
            n = norm(t)
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


def lowercase_names(text: str, known: set[str]) -> list[tuple[str, str, str]]:
    """Names typed in lowercase ("when was faith hill born?"): a lowercase word that the history
    shows capitalized as a name (`known`: "hill" for "Hill") after one or two topical lowercase
    words ("faith"), given capitalized: [("Faith Hill", prev, next)]. A lone word is not taken."""
    toks = tokens(text)
    out: list[tuple[str, str, str]] = []

    def plain(t: str) -> bool:
        n = norm(t)
        return bool(t[:1].islower() and len(n) > 1 and n not in STOPWORDS and n not in GENERIC and n not in VERBISH
                    and n not in PERSON_PRONOUNS and n not in THING_PRONOUNS and not n.endswith(("ing", "ed", "ly")))

    for j, t in enumerate(toks):
        if not (plain(t) and norm(t) in known):
            continue
        i = j
        while i > 0 and j - i < 2 and plain(toks[i - 1]) and not (norm(toks[i - 1]) in known and i - 1 < j - 1):
            i -= 1
        if i == j:
            continue  # a lone word: a common noun as likely as a name ("is asphalt cheaper?")
        form = " ".join(x[:1].upper() + x[1:] for x in toks[i:j + 1])
        out.append((form.removesuffix("'s").removesuffix("’s"), norm(toks[i - 1]) if i > 0 else "",
                    toks[j + 1] if j + 1 < len(toks) else ""))
    return out
