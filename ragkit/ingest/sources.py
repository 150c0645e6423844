"""Source names that stay unique across ingest roots.

A document's source is its path relative to its ingest root (or its corpus id): short, and what
citations show. Two roots can hold the same relative path (`a/README.md` and `b/README.md` are both
`README.md`); the first one stored keeps the plain name and a later one from another file is
qualified with the end of its root's path (`b/README.md`, then `x/b/README.md`, ...), so one never
overwrites the other. The owner of a name is recorded in the manifest, so a name, once given, stays
with its file across runs: re-ingesting either root in any order changes nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import Callable

from ragkit.ingest.manifest import DocEntry

Owner = Callable[[str], "DocEntry | None"]  # the stored document of a source, if any


def entry_file(root: str, origin: str) -> str:
    """The absolute file a manifest entry came from (a root is a folder, or the file itself)."""
    if os.path.isdir(root):
        return os.path.normpath(os.path.join(root, origin))
    return os.path.normpath(root)


def _labels(root: str) -> list[str]:
    """Path components naming a root, nearest first (a file root is named by its folder; a JSONL
    corpus also by its own stem, since its sources are ids)."""
    p = Path(root)
    parts = list(p.parts) if os.path.isdir(root) else [*p.parent.parts, *((p.stem,) if p.suffix == ".jsonl" else ())]
    parts = [x for x in parts if x not in ("/", "")]
    return list(reversed(parts))


def unique_source(source: str, root: str, origin: str, owner: Owner, claimed: dict[str, str]) -> str:
    """`source` when it is free or already this file's; else the shortest root-qualified name that
    is. `claimed` maps the sources planned in this run (not yet in the manifest) to their files."""
    here = entry_file(root, origin)

    def free(name: str) -> bool:
        if name in claimed:
            return claimed[name] == here
        entry = owner(name)
        return entry is None or entry_file(entry.root, entry.origin) == here

    if free(source):
        return source
    labels = _labels(root)
    for depth in range(1, len(labels) + 1):
        name = str(PurePosixPath(*reversed(labels[:depth]), source))
        if free(name):
            return name
    digest = hashlib.sha256(root.encode("utf-8")).hexdigest()[:8]
    return f"{digest}/{source}"
