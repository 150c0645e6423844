"""Builders for ingest test inputs: good files of every format and every kind of bad input.

Everything is written into pytest's tmp dirs by real writers (reportlab for PDFs, pypdf to
encrypt). `bad_corpus` gives a folder holding good files, each bad case and a JSONL corpus with
one bad line, plus what each bad case's LoaderError reason must mention.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
BAD_MAX_BYTES = 64 * 1024  # the size limit the oversized case exceeds (max_file_mb = 1/16)


# ---- writers -------------------------------------------------------------------------------------
def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """A PDF with one page per string (each string drawn as lines of text)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    if title:
        c.setTitle(title)
    for text in pages:
        y = 800
        for line in text.split("\n"):
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()
    return path


def make_scanned_pdf(path: Path, n_pages: int = 2) -> Path:
    """A PDF whose pages hold only drawings: no text layer, like a scan."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for i in range(n_pages):
        c.rect(72, 500 - 20 * i, 300, 200, fill=1)
        c.line(72, 100, 500, 700)
        c.showPage()
    c.save()
    return path


def make_encrypted_pdf(path: Path, user_password: str, pages: list[str] | None = None) -> Path:
    """A text PDF encrypted with RC4-128 (needs no extra crypto package to open)."""
    from pypdf import PdfReader, PdfWriter

    plain = path.with_suffix(".plain.tmp")
    make_pdf(plain, pages or ["Secret quarterly numbers. Nobody should read this."])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    plain.unlink()
    return path


GUIDE_MD = """---
title: Operator Guide
date: 2024-03-01
updated: 2024-05-17
tags: [ops, guide]
---
Intro paragraph before any heading. It has two sentences.

# Installing

Run the installer. It takes a minute.

## Configuring the index

Set store.path in the config. Restart afterwards.

```
# not a heading, inside a code fence
```

Upgrading
---------

Read the changelog first.
"""

PAGE_HTML = """<!doctype html>
<html><head><title>Release Notes</title>
<meta name="dcterms.created" content="2023-01-02">
<meta property="article:modified_time" content="2023-02-03T04:05:06Z">
<style>body { color: red; }</style>
<script>var secret = "do not index me";</script>
</head>
<body>
<noscript>Enable JavaScript, please.</noscript>
<h1>Version 2</h1>
<p>The new version is faster. It also uses less memory.</p>
<h2>Fixes</h2>
<ul><li>Fixed the crash on start.</li><li>Fixed a leak.</li></ul>
<h2>Known issues</h2>
<p>Large PDFs are slow<br>on small machines.</p>
<script>console.log("tracking");</script>
</body></html>
"""

CORPUS_LINES = [
    {"_id": "d1", "title": "Aspirin and headaches", "text": "Aspirin relieves tension headaches. It is cheap."},
    {"_id": "d2", "title": "", "text": "Statins lower LDL cholesterol."},
    "{not json at all",
    {"_id": "d3", "title": "Sleep", "text": "Adults need seven hours of sleep.", "metadata": {"year": 2020}},
]


def write_corpus(path: Path, lines=CORPUS_LINES) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


# ---- the bad-input corpus ------------------------------------------------------------------------
@dataclass(frozen=True)
class BadCase:
    path: Path
    reason: str  # a lowercase fragment the LoaderError reason must contain


@dataclass
class BadCorpus:
    root: Path
    max_bytes: int
    good: dict[str, Path] = field(default_factory=dict)  # source -> path, each loads fine
    bad: dict[str, BadCase] = field(default_factory=dict)  # source -> case
    bad_lines: dict[str, list[int]] = field(default_factory=dict)  # corpus source -> bad line numbers

    @property
    def max_file_mb(self) -> float:
        return self.max_bytes / (1024 * 1024)


def build_bad_corpus(root: Path) -> BadCorpus:
    """Good files, every bad case, and a JSONL corpus with one bad line, all under `root`.

    The unreadable case (chmod 000) is left out when running as root, who can read it anyway;
    tests/ingest/test_bad_input_loaders.py checks it as an unprivileged user instead.
    """
    root.mkdir(parents=True, exist_ok=True)
    corpus = BadCorpus(root=root, max_bytes=BAD_MAX_BYTES)

    def good(name: str, path: Path) -> None:
        corpus.good[name] = path

    def bad(name: str, reason: str) -> Path:
        path = root / name
        corpus.bad[name] = BadCase(path, reason)
        return path

    (root / "good.txt").write_text("A plain good file. It has two sentences.\n", encoding="utf-8")
    good("good.txt", root / "good.txt")
    (root / "guide.md").write_text(GUIDE_MD, encoding="utf-8")
    good("guide.md", root / "guide.md")
    (root / "notes.html").write_text(PAGE_HTML, encoding="utf-8")
    good("notes.html", root / "notes.html")
    good("report.pdf", make_pdf(root / "report.pdf", ["First page text.", "Second page text.", "Third page text."]))
    write_corpus(root / "corpus.jsonl")
    corpus.bad_lines["corpus.jsonl"] = [3]

    bad("empty.txt", "empty file").write_bytes(b"")
    bad("blank.md", "empty file").write_bytes(b"  \n\t\n")
    bad("binary.txt", "binary content").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    bad("latin1.txt", "invalid utf-8 at byte offset 3").write_bytes("café au lait".encode("latin-1"))
    bad("corrupt.pdf", "corrupt pdf").write_bytes(b"%PDF-1.7\n" + b"\x8f garbage, no objects, no xref " * 20)
    make_encrypted_pdf(bad("encrypted.pdf", "encrypted pdf"), user_password="s3cret")
    make_scanned_pdf(bad("scanned.pdf", "no text layer"))
    bad("big.txt", "ingest.max_file_mb").write_text("Too big to ingest. " * (BAD_MAX_BYTES // 19 + 100), encoding="utf-8")
    os.symlink(root / "does-not-exist.md", bad("dangling.md", "broken symlink"))
    if not IS_ROOT:
        path = bad("unreadable.txt", "permission denied")
        path.write_text("You cannot read me.", encoding="utf-8")
        path.chmod(0)
    return corpus


@pytest.fixture
def ingest_inputs():
    """The writers and sample texts above, for tests (conftest modules cannot be imported by name
    reliably when several conftest.py files exist)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        make_pdf=make_pdf,
        make_scanned_pdf=make_scanned_pdf,
        make_encrypted_pdf=make_encrypted_pdf,
        write_corpus=write_corpus,
        build_bad_corpus=build_bad_corpus,
        GUIDE_MD=GUIDE_MD,
        PAGE_HTML=PAGE_HTML,
        CORPUS_LINES=CORPUS_LINES,
        IS_ROOT=IS_ROOT,
    )


@pytest.fixture
def bad_corpus(tmp_path: Path):
    corpus = build_bad_corpus(tmp_path / "corpus")
    yield corpus
    for case in corpus.bad.values():  # let pytest clean up the chmod 000 file
        if case.path.exists() and not case.path.is_symlink():
            case.path.chmod(0o644)
