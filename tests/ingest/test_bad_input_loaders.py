"""Every kind of bad input gives a LoaderError that names the file and the cause."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.errors import LoaderError
from ragkit.ingest.loaders import is_error_marker, load_path

pytestmark = pytest.mark.unit
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
REPO = Path(__file__).resolve().parents[2]


def test_each_bad_case_is_reported_with_its_cause(bad_corpus):
    assert {"empty.txt", "binary.txt", "latin1.txt", "corrupt.pdf", "encrypted.pdf", "scanned.pdf", "big.txt", "dangling.md"} <= set(bad_corpus.bad)
    for source, case in bad_corpus.bad.items():
        with pytest.raises(LoaderError) as err:
            list(load_path(case.path, bad_corpus.root, bad_corpus.max_bytes))
        assert err.value.source == source
        assert case.reason in err.value.reason.lower(), (source, err.value.reason)


def test_good_files_beside_bad_ones_all_load(bad_corpus):
    for source, path in bad_corpus.good.items():
        docs = list(load_path(path, bad_corpus.root, bad_corpus.max_bytes))
        assert docs and all(d.source == source and d.text.strip() for d in docs)
    docs = list(load_path(bad_corpus.root / "corpus.jsonl", bad_corpus.root, bad_corpus.max_bytes))
    assert [d.metadata["line"] for d in docs if is_error_marker(d)] == bad_corpus.bad_lines["corpus.jsonl"]


def test_messages_say_what_to_do(bad_corpus):
    def reason(name: str) -> str:
        with pytest.raises(LoaderError) as err:
            list(load_path(bad_corpus.root / name, bad_corpus.root, bad_corpus.max_bytes))
        return err.value.reason

    big = reason("big.txt")
    size = (bad_corpus.root / "big.txt").stat().st_size
    assert str(size) in big and str(bad_corpus.max_bytes) in big and "ingest.max_file_mb" in big
    assert "does-not-exist.md" in reason("dangling.md")
    assert "OCR" in reason("scanned.pdf")
    assert "password" in reason("encrypted.pdf")
    assert "NUL byte at byte offset 8" in reason("binary.txt")


def test_unsupported_suffix_and_non_files(tmp_path: Path):
    (tmp_path / "slides.key").write_bytes(b"PK\x03\x04")
    with pytest.raises(LoaderError) as err:
        list(load_path(tmp_path / "slides.key", tmp_path, 1 << 20))
    assert "unsupported file type '.key'" in err.value.reason and ".md" in err.value.reason
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(LoaderError, match="not a regular file"):
        list(load_path(tmp_path / "folder.txt", tmp_path, 1 << 20))
    with pytest.raises(LoaderError, match="not found"):
        list(load_path(tmp_path / "gone.txt", tmp_path, 1 << 20))


def test_text_that_is_not_a_pdf(tmp_path: Path):
    (tmp_path / "fake.pdf").write_text("I am only text with a .pdf name.", encoding="utf-8")
    with pytest.raises(LoaderError, match="not a PDF"):
        list(load_path(tmp_path / "fake.pdf", tmp_path, 1 << 20))


def test_binary_jsonl_is_refused_as_a_file(tmp_path: Path):
    (tmp_path / "blob.jsonl").write_bytes(b'{"_id": 1}\n\x00\x01\x02')
    with pytest.raises(LoaderError, match="binary content"):
        list(load_path(tmp_path / "blob.jsonl", tmp_path, 1 << 20))


@pytest.mark.skipif(IS_ROOT, reason="root reads chmod 000 files; test_unreadable_as_root_without_dac_override covers it")
def test_unreadable_file(bad_corpus):
    case = bad_corpus.bad["unreadable.txt"]
    with pytest.raises(LoaderError, match="permission denied"):
        list(load_path(case.path, bad_corpus.root, bad_corpus.max_bytes))


@pytest.mark.skipif(not IS_ROOT, reason="only needed as root; test_unreadable_file covers other users")
def test_unreadable_as_root_without_dac_override(tmp_path: Path):
    """Root reads chmod 000 files anyway, so the loader runs in a subprocess whose capability
    bounding set lacks CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (util-linux `setpriv`): root
    then gets the same EACCES an ordinary user gets."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("util-linux setpriv is not installed: cannot drop root's file-access override")
    target = tmp_path / "secret.txt"
    target.write_text("You cannot read me.", encoding="utf-8")
    target.chmod(0)
    code = (
        "import sys; from pathlib import Path\n"
        "from ragkit.errors import LoaderError\n"
        "from ragkit.ingest.loaders import load_path\n"
        "try:\n"
        f"    list(load_path(Path({str(target)!r}), Path({str(tmp_path)!r}), 1 << 20))\n"
        "except LoaderError as e:\n"
        "    print(e.source, '|', e.reason); sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-c", code],
        env=env, capture_output=True, text=True, timeout=120,
    )
    if out.returncode != 0 and "setpriv" in out.stderr:
        pytest.skip(f"setpriv cannot change the bounding set here: {out.stderr.strip()[-200:]}")
    target.chmod(0o644)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("secret.txt |") and "permission denied" in out.stdout
