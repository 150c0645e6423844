"""Issue 13 item 3: a suite whose corpus files fail to ingest says which files failed and why
(not "no index ... run ragkit ingest first"); a run where only some fail names them in its notes."""

from __future__ import annotations

import json

import pytest

from tests.evals.conftest import DOCS, QA, run_cli, write_suite

pytestmark = pytest.mark.integration
BAD_PDF = b"%PDF-1.4 this is not a PDF"
BAD_UTF16 = b"\xff\xfe\x00\xd8bad"  # a UTF-16 BOM, then a lone surrogate


def _corpus(root, files: dict[str, bytes]):
    (root / "docs").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / "docs" / name).write_bytes(data)
    (root / "qa.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QA[:2]))


def test_every_file_failing_names_the_files_and_why(tmp_path):
    _corpus(tmp_path, {"broken.pdf": BAD_PDF, "garbled.md": BAD_UTF16})
    suite = write_suite(tmp_path, name="allfail")
    res = run_cli(str(suite), "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2, res.output
    out = res.output
    assert "no index" not in out and "ragkit ingest" not in out, out
    assert "2 of 2" in out and "failed to ingest" in out, out
    assert "broken.pdf" in out and "corrupt PDF" in out, out
    assert "garbled.md" in out and "UTF-16" in out, out
    assert str(suite.resolve()) in out


def test_a_corpus_with_no_readable_file_says_so(tmp_path):
    _corpus(tmp_path, {"image.png": b"\x89PNG\r\n\x1a\n"})
    suite = write_suite(tmp_path, name="nofiles")
    res = run_cli(str(suite), "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2, res.output
    assert "no index" not in res.output and "no file to ingest" in res.output, res.output
    assert str(tmp_path / "docs") in res.output


def test_some_files_failing_are_named_in_the_notes(tmp_path):
    _corpus(tmp_path, {"broken.pdf": BAD_PDF, **{k: v.encode() for k, v in DOCS.items()}})
    suite = write_suite(tmp_path, name="somefail", checks=["retrieval"])
    out = tmp_path / "out"
    res = run_cli(str(suite), "--work-dir", str(tmp_path / "work"), "--out", str(out))
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    notes = [n for n in report["run"]["notes"] if "failed to ingest" in n]
    assert len(notes) == 1 and "1 of 3" in notes[0] and "broken.pdf" in notes[0] and "corrupt PDF" in notes[0]
    assert "broken.pdf" in (out / "report.md").read_text()
