"""The SQuAD 2.0 protocol (RAG.ask issue, acceptance 1), built reproducibly from dev-v2.0.json.

Half of the articles are ingested: by position in the file, the even ones (0, 2, 4, ...) or the
odd ones. Each paragraph of an ingested article is one document of a BEIR-form JSONL corpus
(`_id` "<article title>/<paragraph index>", `title` the article title with spaces, `text` the
paragraph), written into the evaluation's work dir, never into the repository. Questions:

* `answerable`: the answerable questions of the ingested articles (gold: their paragraph);
* `out_of_corpus`: every question of the articles NOT ingested (their answers are not in the
  corpus: ragkit must abstain);
* `in_corpus_unanswerable`: SQuAD's own unanswerable questions of the ingested articles,
  reported on their own (written to look answerable from the corpus).

Questions also fall into two fixed halves by their id (`question_half`): "calib", on which the
abstention thresholds are calibrated (bench/calibrate_abstention.py), and "eval", held out for
evaluation; a suite can keep one half only (`queries.squad2.half`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ragkit.errors import SuiteError
from ragkit.evals.items import SEPARATE_TAG, EvalItem, sample

GROUPS = ("answerable", "out_of_corpus", SEPARATE_TAG)


def load_squad(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise SuiteError(f"SQuAD 2.0 file not found: {p} (set RAGKIT_SHARED_DIR to the shared data folder)")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SuiteError(f"{p}: not a SQuAD 2.0 file with a 'data' list ({exc})") from None
    return data


def split_articles(articles: list[dict[str, Any]], ingest: str = "even") -> tuple[list[dict], list[dict]]:
    """(ingested, not ingested): deterministic, by position in the file."""
    if ingest not in ("even", "odd"):
        raise SuiteError(f"squad2.ingest must be 'even' or 'odd', got {ingest!r}")
    first = 0 if ingest == "even" else 1
    return articles[first::2], articles[1 - first::2]


def question_half(question_id: str) -> str:
    """"calib" or "eval": a fixed split of question ids (sha1 of the id, first byte parity)."""
    return "calib" if hashlib.sha1(question_id.encode("utf-8")).digest()[0] % 2 == 0 else "eval"


def paragraph_id(title: str, index: int) -> str:
    return f"{title}/{index}"


def corpus_lines(ingested: list[dict[str, Any]]) -> list[str]:
    lines = []
    for art in ingested:
        title = str(art["title"])
        for i, para in enumerate(art["paragraphs"]):
            row = {"_id": paragraph_id(title, i), "title": title.replace("_", " "), "text": para["context"]}
            lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True))
    return lines


def write_corpus(articles: list[dict[str, Any]], out: str | Path, ingest: str = "even") -> Path:
    """Write the ingested half as a BEIR JSONL corpus at `out`; the same bytes every time (an
    unchanged file is not rewritten, so an incremental ingest skips it)."""
    ingested, _ = split_articles(articles, ingest)
    data = ("\n".join(corpus_lines(ingested)) + "\n").encode("utf-8")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def squad_items(articles: list[dict[str, Any]], ingest: str = "even", sizes: dict[str, int | None] | None = None,
                seed: int = 0, half: str | None = None) -> list[EvalItem]:
    """The three question groups, each sampled to `sizes[group]` with `seed` (None: all); only
    the questions of one half ("calib" or "eval") when `half` is given."""
    ingested, other = split_articles(articles, ingest)
    groups: dict[str, list[EvalItem]] = {g: [] for g in GROUPS}
    for art in ingested:
        for i, para in enumerate(art["paragraphs"]):
            pid = paragraph_id(str(art["title"]), i)
            for q in para["qas"]:
                if q.get("is_impossible"):
                    groups[SEPARATE_TAG].append(EvalItem(
                        id=q["id"], question=q["question"], answerable=False, tags=(SEPARATE_TAG,), group=SEPARATE_TAG))
                else:
                    golds = tuple(dict.fromkeys(a["text"] for a in q["answers"]))
                    groups["answerable"].append(EvalItem(
                        id=q["id"], question=q["question"], answers=golds, answerable=True, gold={pid: 1},
                        group="answerable"))
    for art in other:
        for para in art["paragraphs"]:
            for q in para["qas"]:
                groups["out_of_corpus"].append(EvalItem(
                    id=q["id"], question=q["question"], answerable=False, tags=("out_of_corpus",), group="out_of_corpus"))
    sizes = sizes or {}
    out: list[EvalItem] = []
    for k, g in enumerate(GROUPS):
        pool = [it for it in groups[g] if half is None or question_half(it.id) == half]
        out += sample(pool, sizes.get(g), seed + k)
    return out
