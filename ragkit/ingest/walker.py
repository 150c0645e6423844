"""Find the files to ingest under a root: include/exclude globs, sorted, symlinks checked."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence


@dataclass(frozen=True)
class FoundFile:
    path: Path
    source: str  # relative to the root, forward slashes (broken links included: the loader reports them)


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    for pat in patterns:
        if fnmatch.fnmatch(rel, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatch(rel, pat[3:]):  # "**/x" also matches top-level "x"
            return True
    return False


def walk(root: Path, include: Sequence[str], exclude: Sequence[str]) -> Iterator[FoundFile]:
    """Files under `root` (or `root` itself when it is a file) that match include and not exclude."""
    if root.is_file():
        yield FoundFile(root, root.name)
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if not _matches(rel, include) or _matches(rel, exclude):
                continue
            yield FoundFile(path, rel)
