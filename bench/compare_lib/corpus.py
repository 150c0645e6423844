"""The benchmark's working corpus: a copy of SciFact (or a subset for --quick) outside the repo,
and the "1% of documents changed" edit applied to it in place.

Every framework reads the same file and builds the same document text, title + blank line + text
(as ragkit's BEIR loader does), keyed by the BEIR `_id`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Iterator, Mapping, Sequence

EDIT_MARK = " This abstract was revised for the re-ingestion benchmark."


def doc_text(title: str, text: str) -> str:
    """The one text every framework indexes for a BEIR record (ragkit's JSONL loader does the same)."""
    return f"{title}\n\n{text}" if title else text


def read_records(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def read_docs(path: Path) -> list[tuple[str, str]]:
    """(doc id, indexed text) per record of a BEIR corpus.jsonl."""
    return [(str(r["_id"]), doc_text(str(r.get("title") or ""), str(r.get("text") or ""))) for r in read_records(path)]


def pick_queries(qrels: Mapping[str, Mapping[str, int]], queries: Mapping[str, str], limit: int | None) -> list[str]:
    """Test query ids that have text and a relevant document, in qrels order, at most `limit`."""
    qids = [q for q, rels in qrels.items() if q in queries and any(g > 0 for g in rels.values())]
    return qids[:limit] if limit else qids


def subset_ids(all_ids: Sequence[str], must: set[str], n_docs: int | None, seed: int = 13) -> set[str] | None:
    """None (whole corpus) when n_docs is falsy; else the `must` ids plus a seeded sample up to n_docs."""
    if not n_docs or n_docs >= len(all_ids):
        return None
    keep = {d for d in all_ids if d in must}
    rest = [d for d in all_ids if d not in keep]
    random.Random(seed).shuffle(rest)
    keep.update(rest[: max(0, n_docs - len(keep))])
    return keep


def write_corpus(src: Path, dst: Path, keep: set[str] | None) -> int:
    """Copy the records of `src` whose id is in `keep` (all when None) to `dst`; returns the count."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            if not line.strip():
                continue
            if keep is not None and str(json.loads(line)["_id"]) not in keep:
                continue
            g.write(line if line.endswith("\n") else line + "\n")
            n += 1
    return n


def edit_fraction(path: Path, fraction: float, seed: int = 29) -> list[str]:
    """Change the text of `fraction` of the records in place (a sentence appended); returns their ids.

    At least one record is changed. The ids are picked with a fixed seed, so every framework sees
    the same edit."""
    rows = list(read_records(path))
    n = max(1, round(len(rows) * fraction))
    picked = sorted(random.Random(seed).sample(range(len(rows)), n))
    for i in picked:
        rows[i] = {**rows[i], "text": str(rows[i].get("text") or "") + EDIT_MARK}
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as g:
        for r in rows:
            g.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return [str(rows[i]["_id"]) for i in picked]
