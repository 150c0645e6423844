"""bench/verification.py's case set: the planted-error kinds, the hand-made docs cases and the
seeded SQuAD cases (generated from the shared dev set; only their specs are kept in the repo).

The text helpers here (sentence split, numbers, names) are independent of ragkit's own text
toolkit on purpose: the cases must not be built by the code they measure.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

from ragkit.answer.context import citation_label
from ragkit.types import Chunk

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / "data" / "verification"
DOCS_CASES = DATA / "docs_cases.json"
SQUAD_CASES = DATA / "squad_cases.jsonl"
KINDS = ("correct", "wrong_citation", "altered_number", "altered_name", "negation", "other_document")
ERROR_KINDS = KINDS[1:]
CONTEXT = 4  # chunks given to verification per case
AMBIGUOUS = 0.6  # a sentence with this share of its words in the wrongly cited chunk is not used


@dataclass(frozen=True)
class Case:
    id: str
    origin: str  # "docs" | "squad"
    kind: str
    answer: str
    chunks: tuple[Chunk, ...]
    note: str = ""

    @property
    def expected_flagged(self) -> bool:
        return self.kind != "correct"


def shared_dir() -> Path:
    return Path(os.environ.get("RAGKIT_SHARED_DIR", REPO.parent / "shared")).resolve()


def squad_path() -> Path:
    return shared_dir() / "data" / "squad2" / "dev-v2.0.json"


# ---- text helpers of the generator (independent of ragkit's own) -------------------------------
_ABBR = {"mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "vs", "no", "co", "inc", "ltd", "gen", "col", "lt", "prof"}
_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")
_NUM = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Za-z]+)?(?:\s+(?:of\s+|de\s+)?[A-Z][a-z]+(?:[-'][A-Za-z]+)?)*")
_AUX = re.compile(r"\b(is|was|are|were|has|have|had|can|could|will|would|should|may|might|must|does|did)\b")
_NEG = re.compile(r"\b(not|never|no|n't|cannot|nor|without)\b|n't\b", re.IGNORECASE)
_NOT_NAMES = {"The", "A", "An", "In", "On", "At", "By", "For", "From", "To", "Of", "And", "But", "Or", "It", "Its",
              "This", "That", "These", "Those", "He", "She", "They", "His", "Her", "Their", "As", "After", "Before",
              "During", "When", "While", "With", "However", "There", "Although", "Since", "Many", "Some", "Most"}
_WORD = re.compile(r"[a-z0-9]+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: a split after . ! ? … (and closing quotes) before a capital or digit,
    except after an initial ("J.", "U.S.") or a common abbreviation ("St.")."""
    out, start = [], 0
    for m in _END.finditer(text):
        nxt = text[m.end():].lstrip("\"'“‘([")
        word = re.findall(r"[\w'’]+$", text[start:m.start()])
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit()) or (
                word and ((len(word[0]) == 1 and word[0].isupper()) or word[0].lower() in _ABBR)):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def word_share(sentence: str, passage: str) -> float:
    """Share of the sentence's words of 4+ letters found in the passage (lower case, exact)."""
    mine = {w for w in _WORD.findall(sentence.lower()) if len(w) >= 4}
    theirs = set(_WORD.findall(passage.lower()))
    return len(mine & theirs) / len(mine) if mine else 1.0


def name_spans(sentence: str) -> list[tuple[int, str]]:
    """Capitalised word runs that are not the sentence's first word nor a function word."""
    out = []
    for m in _NAME.finditer(sentence):
        text = m.group(0)
        if m.start() == 0 or text in _NOT_NAMES:
            continue
        out.append((m.start(), text))
    return out


def alter_number(sentence: str, rng: random.Random) -> tuple[int, str, str] | None:
    nums = [(m.start(), m.group(0)) for m in _NUM.finditer(sentence)]
    if not nums:
        return None
    at, old = rng.choice(nums)
    value = old.replace(",", "")
    if "." in value:
        head, tail = value.split(".")
        new = f"{head}.{tail[:-1]}{(int(tail[-1]) + rng.randint(1, 8)) % 10}"
    else:
        n = int(value)
        step = rng.choice([1, 2, 3, 5, 10]) if 1000 <= n <= 2100 else rng.choice([1, 2, n or 1, 10])
        new = str(n + step if rng.random() < 0.5 or n - step <= 0 else n - step)
        if "," in old:
            new = f"{int(new):,}"
    return (at, old, new) if new not in sentence else None


def alter_name(sentence: str, chunk_text: str, pool: list[str], rng: random.Random) -> tuple[int, str, str] | None:
    spans = name_spans(sentence)
    if not spans:
        return None
    at, old = rng.choice(spans)
    n_words = len(old.split())
    fits = [p for p in pool if len(p.split()) == n_words and p not in chunk_text and p not in sentence] or \
           [p for p in pool if p not in chunk_text and p not in sentence]
    return (at, old, rng.choice(fits)) if fits else None


def negate(sentence: str) -> tuple[int, str, str] | None:
    if _NEG.search(sentence):
        return None
    m = _AUX.search(sentence, 1)
    return (m.start(), m.group(0), m.group(0) + " not") if m else None


def apply_edit(sentence: str, edit: list | tuple) -> str:
    at, old, new = edit
    if sentence[at:at + len(old)] != old:
        raise ValueError(f"edit {edit!r} does not match {sentence!r}")
    return sentence[:at] + new + sentence[at + len(old):]


# ---- SQuAD cases ---------------------------------------------------------------------------------
def squad_paragraphs(articles: list[dict]) -> dict[str, dict]:
    """paragraph id "<title>/<i>" -> {"title", "text", "article"}."""
    out = {}
    for art in articles:
        for i, p in enumerate(art["paragraphs"]):
            out[f"{art['title']}/{i}"] = {"title": art["title"].replace("_", " "), "text": p["context"],
                                          "article": art["title"]}
    return out


def by_article(paras: dict[str, dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pid, p in paras.items():
        out.setdefault(p["article"], []).append(pid)
    return out


def _ix(pid: str) -> int:
    """The paragraph index of a paragraph id "<title>/<i>"."""
    return int(pid.rsplit("/", 1)[1])


def usable(sentence: str) -> bool:
    words = len(sentence.split())
    return (8 <= words <= 60 and sentence[-1:] in ".!?\"'" and "\n" not in sentence
            and bool(re.match(r"[\"'“(]?[A-Z0-9]", sentence)))


def generate_squad_specs(articles: list[dict], seed: int = 0, n_correct: int = 200, per_error: int = 40) -> list[dict]:
    """The SQuAD case list, drawn with `seed`: ids, paragraphs, sentence indices and hashes, edits."""
    paras = squad_paragraphs(articles)
    arts = by_article(paras)
    names_by_article = {a: sorted({nm for pid in pids for s in split_sentences(paras[pid]["text"])
                                   for _, nm in name_spans(s)}) for a, pids in arts.items()}
    specs = []
    for k, kind in enumerate(KINDS):
        rng = random.Random(f"{seed}:{kind}")
        want = n_correct if kind == "correct" else per_error
        order = sorted(paras)
        rng.shuffle(order)
        made = 0
        for pid in order:
            if made >= want:
                break
            art = paras[pid]["article"]
            others = [q for q in arts[art] if q != pid]
            if len(others) < CONTEXT:
                continue
            picked = rng.sample(others, CONTEXT)
            distractors, outside = picked[:CONTEXT - 1], picked[CONTEXT - 1]
            sents = split_sentences(paras[pid]["text"])
            idx = [i for i, s in enumerate(sents) if usable(s)]
            if not idx:
                continue
            si = rng.choice(idx)
            s = sents[si]
            spec = {"id": f"squad-{kind}-{made:03d}", "kind": kind, "art": art, "p": _ix(pid), "s": si,
                    "sha": sha(s), "cite": _ix(pid), "ctx": [_ix(pid), *map(_ix, distractors)]}
            if kind == "wrong_citation":
                fits = [d for d in distractors if word_share(s, paras[d]["text"]) < AMBIGUOUS]
                if not fits:
                    continue
                spec["cite"] = _ix(rng.choice(fits))
            elif kind == "other_document":
                osents = [(i, t) for i, t in enumerate(split_sentences(paras[outside]["text"]))
                          if usable(t) and word_share(t, paras[pid]["text"]) < AMBIGUOUS]
                if not osents:
                    continue
                oi, ot = rng.choice(osents)
                spec.update({"p": _ix(outside), "s": oi, "sha": sha(ot)})
            elif kind != "correct":
                pool = [nm for a, ns in names_by_article.items() if a != art for nm in ns]
                edit = (alter_number(s, rng) if kind == "altered_number" else
                        alter_name(s, paras[pid]["text"], pool, rng) if kind == "altered_name" else negate(s))
                if edit is None:
                    continue
                spec["edit"] = list(edit)
            specs.append(spec)
            made += 1
    return specs


def squad_chunk(pid: str, para: dict) -> Chunk:
    return Chunk(chunk_id=pid, source=pid, text=para["text"], start=0, end=len(para["text"]), index=0,
                 content_hash=sha(para["text"]), title=para["title"])


def squad_cases(specs: list[dict], articles: list[dict]) -> list[Case]:
    """The cases of a SQuAD case list, with their texts read back from the dev set."""
    paras = squad_paragraphs(articles)
    cases = []
    for sp in specs:
        def pid(i: int, art: str = sp["art"]) -> str:
            return f"{art}/{i}"

        sentence = split_sentences(paras[pid(sp["p"])]["text"])[sp["s"]]
        if sha(sentence) != sp["sha"]:
            raise ValueError(f"{sp['id']}: sentence hash differs (data set or splitter changed): {sentence!r}")
        claim = apply_edit(sentence, sp["edit"]) if "edit" in sp else sentence
        chunks = {i: squad_chunk(pid(i), paras[pid(i)]) for i in sp["ctx"]}
        answer = f"{claim} {citation_label(chunks[sp['cite']])}"
        cases.append(Case(sp["id"], "squad", sp["kind"], answer, tuple(chunks.values())))
    return cases


def load_squad_specs(path: Path = SQUAD_CASES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_squad_specs(specs: list[dict], path: Path = SQUAD_CASES) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(s, ensure_ascii=False, separators=(",", ":")) + "\n" for s in specs)
    path.write_text("".join(lines), encoding="utf-8")


# ---- docs cases ----------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


def find_chunk(chunks: list[Chunk], source: str, text: str | None = None, page: int | None = None,
               near: str = "") -> Chunk | None:
    """The chunk of `source` (and `page`) containing `text` (whitespace-insensitive), or, without
    `text`, the one sharing most words with `near`."""
    mine = [c for c in chunks if c.source == source and (page is None or c.page == page)]
    if text is not None:
        return next((c for c in mine if _norm(text) in _norm(c.text)), None)
    return max(mine, key=lambda c: (word_share(near, c.text), -c.start), default=None)


def _cited(claim: str, chunk: Chunk, inside: bool = False) -> str:
    """`claim` with its citation after it, or (`inside`) before its final punctuation."""
    if inside and claim[-1:] in ".;:!?":
        return f"{claim[:-1]} {citation_label(chunk)}{claim[-1]}"
    return f"{claim} {citation_label(chunk)}"


def docs_cases(cases: list[dict], chunks: list[Chunk], search) -> tuple[list[Case], list[str]]:
    """Hand-made docs cases over the stored chunks; `search(query)` gives ranked context chunks.
    Returns the cases and the ids that could not be built (their text no longer in the docs)."""
    out, stale = [], []
    for c in cases:
        own = find_chunk(chunks, c["source"], c["text"])
        claim = c.get("claim", c["text"])
        cited = own if "cite" not in c and "cite_page" not in c else find_chunk(
            chunks, c.get("cite", c["source"]), c.get("cite_text"), c.get("cite_page"), near=claim)
        before = [(b["claim"], find_chunk(chunks, b["source"], b["text"])) for b in c.get("before", [])]
        if own is None or cited is None or any(ch is None for _, ch in before):
            stale.append(c["id"])
            continue
        need = [cited, *(ch for _, ch in before)] + ([own] if c["kind"] != "other_document" else [])
        ctx = {x.chunk_id: x for x in need}
        for x in search(c.get("query", c["text"])):
            if len(ctx) >= CONTEXT + len(before):
                break
            if c["kind"] != "other_document" or x.chunk_id != own.chunk_id:
                ctx.setdefault(x.chunk_id, x)
        inside = bool(c.get("inside"))
        answer = " ".join([*(_cited(t, ch, inside) for t, ch in before), _cited(claim, cited, inside)])
        out.append(Case(c["id"], "docs", c["kind"], answer, tuple(ctx.values()), c.get("note", "")))
    return out, stale


def ingest_docs(home: Path):
    """docs/ ingested with the default pipeline (no reranker, no cache) into `home`; the RAG."""
    from ragkit.rag import RAG

    rag = RAG({"home": str(home), "rerank": {"enabled": False}, "cache": {"enabled": False}})
    rag.ingest(REPO / "docs")
    return rag
