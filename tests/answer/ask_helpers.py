"""Shared by the ask tests: a small corpus written to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping


def write_corpus(tmp_path: Path, docs: Mapping[str, str]) -> Path:
    """`docs` (file name -> text) written under tmp_path/docs; returns that folder."""
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in docs.items():
        (root / name).write_text(text, encoding="utf-8")
    return root
