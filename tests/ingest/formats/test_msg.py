"""Outlook .msg: round trips on messages tests/ingest/formats/msg_writer.py writes (a real MS-CFB
compound file holding MS-OXMSG property streams), read by extract-msg through ragkit's loader and a
real ingest; bad files; the missing extra."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.errors import LoaderError
from ragkit.ingest.loaders import load_path
from ragkit.ingest.loaders.email import MsgLoader

sys.path.insert(0, str(Path(__file__).parent))
from msg_writer import compound_file, msg_bytes  # noqa: E402

pytestmark = pytest.mark.unit
olefile = pytest.importorskip("olefile")
extract_msg = pytest.importorskip("extract_msg")

SENT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def load(path: Path):
    return list(load_path(path, path.parent, 1 << 24))


def quarterly(path: Path, attachments=(("numbers.csv", b"k,v\na,1\nb,2\n"),), **kw) -> Path:
    args = dict(sender=("Ann Lee", "ann@example.com"), to=[("Bob", "bob@example.com"), "cy@example.com"],
                cc=[("Di", "di@example.com")], date=SENT, attachments=list(attachments))
    path.write_bytes(msg_bytes("Quarterly numbers", "Revenue grew.\r\nSee the sheet attached.", **{**args, **kw}))
    return path


def test_the_writer_makes_a_compound_file_olefile_reads_without_defects(tmp_path):
    path = quarterly(tmp_path / "q.msg", attachments=[("numbers.csv", b"k,v\n"), ("big.txt", b"word " * 2000)])
    data = path.read_bytes()
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and len(data) % 512 == 0
    ole = olefile.OleFileIO(str(path), raise_defects=olefile.DEFECT_POTENTIAL)  # any defect at all raises
    try:
        assert ole.parsing_issues == []
        assert (ole.minor_version, ole.dll_version, ole.sectorsize) == (0x3E, 3, 512)
        names = {"/".join(p) for p in ole.listdir(streams=True, storages=True)}
        assert {"__substg1.0_0037001F", "__substg1.0_0E04001F", "__substg1.0_1000001F", "__properties_version1.0",
                "__nameid_version1.0/__substg1.0_00020102", "__attach_version1.0_#00000001/__substg1.0_37010102",
                "__recip_version1.0_#00000002/__properties_version1.0"} <= names
        assert ole.openstream("__substg1.0_0037001F").read().decode("utf-16-le") == "Quarterly numbers"
        assert ole.openstream("__substg1.0_0E04001F").read().decode("utf-16-le") == "Bob; cy@example.com"
        # 10 KB go through the FAT, the small streams through the mini stream
        assert ole.get_size("__attach_version1.0_#00000001/__substg1.0_37010102") == 10000
        assert ole.openstream("__attach_version1.0_#00000001/__substg1.0_37010102").read() == b"word " * 2000
        assert ole.get_size("__nameid_version1.0/__substg1.0_00040102") == 0
    finally:
        ole.close()
    with pytest.raises(ValueError, match="duplicate"):
        compound_file({"A": b"1", "a": b"2"})


def test_msg_metadata_body_offsets_and_attachment_documents(tmp_path):
    docs = load(quarterly(tmp_path / "q.msg", attachments=[("numbers.csv", b"k,v\na,1\nb,2\n"),
                                                           ("notes.txt", "Fußnote: Übergabe um 9.".encode()),
                                                           ("photo.jpg", b"\xff\xd8\xff")]))
    msg = docs[0]
    assert msg.source == "q.msg" and msg.title == "Quarterly numbers"
    assert msg.metadata["email_from"] == "Ann Lee <ann@example.com>"
    assert msg.metadata["email_to"] == ["Bob <bob@example.com>", "cy@example.com"]  # no "None <...>"
    assert msg.metadata["email_cc"] == ["Di <di@example.com>"]
    assert datetime.fromisoformat(msg.metadata["email_date"]) == SENT  # extract-msg gives local time: same instant
    assert datetime.fromisoformat(msg.created) == SENT == datetime.fromisoformat(msg.modified)
    assert msg.metadata["attachments"] == ["numbers.csv", "notes.txt", "photo.jpg"]
    # Outlook's CRLF body reads as the .eml loader's LF text; the subject heads the body's section
    assert msg.text == "Quarterly numbers\n\nRevenue grew.\nSee the sheet attached."
    assert [(s.start, s.end, s.label) for s in msg.sections] == [(0, len(msg.text), "Quarterly numbers")]
    from ragkit.ingest.chunking.document import to_chunks
    from ragkit.types import TextPiece

    body_at = msg.text.index("Revenue")
    [chunk] = to_chunks(msg, [TextPiece(body_at, len(msg.text), msg.text[body_at:])])
    assert msg.text[chunk.start:chunk.end] == chunk.text == "Revenue grew.\nSee the sheet attached."
    assert chunk.section == "Quarterly numbers" and chunk.metadata["email_from"] == "Ann Lee <ann@example.com>"
    # the attachments ragkit reads are documents of their own, linked to the message; the JPEG is not
    assert [d.source for d in docs[1:]] == ["q.msg#numbers.csv", "q.msg#notes.txt"]
    assert all(d.metadata["attachment_of"] == "q.msg" for d in docs[1:])
    assert docs[1].text == "| k | v |\n| a | 1 |\n| b | 2 |" and docs[2].text == "Fußnote: Übergabe um 9."
    assert datetime.fromisoformat(docs[1].created) == SENT  # dated by its message
    assert "attachment_errors" not in msg.metadata


def test_recipients_from_display_to_when_the_message_has_no_recipient_table(tmp_path):
    path = tmp_path / "exported.msg"
    path.write_bytes(msg_bytes("Status", "All green.", sender="ops@example.com", to=["a@example.com"],
                               display_to="Team Alpha; Team Beta", recipient_storages=False, date=SENT))
    [doc] = load(path)
    assert doc.metadata["email_to"] == ["Team Alpha", "Team Beta"] and doc.metadata["email_from"] == "ops@example.com"
    assert "email_cc" not in doc.metadata


def test_an_unreadable_attachment_is_listed_and_the_message_kept(tmp_path):
    docs = load(quarterly(tmp_path / "q.msg", attachments=[("broken.docx", b"PK\x03\x04 truncated"), ("ok.txt", b"fine")]))
    assert [d.source for d in docs] == ["q.msg", "q.msg#ok.txt"]
    assert any(e.startswith("broken.docx:") and "truncated" in e for e in docs[0].metadata["attachment_errors"])


_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), min_size=0, max_size=80)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=_text, body=_text, when=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_round_trip_unicode_subjects_and_bodies(tmp_path_factory, subject, body, when):
    path = tmp_path_factory.mktemp("m") / "m.msg"
    when = when.replace(microsecond=0, tzinfo=timezone.utc)
    path.write_bytes(msg_bytes(subject, body.replace("\n", "\r\n"), sender=("Zoë", "zoe@example.com"), to=["x@example.com"],
                               date=when))
    title, text = " ".join(subject.split()), body.strip()  # what the loader keeps of each
    if not title and not text.strip():
        with pytest.raises(LoaderError, match="no subject and no text body"):
            load(path)
        return
    [doc] = load(path)
    assert doc.text == "\n\n".join(p for p in (title, text.strip("\n")) if p.strip())
    assert doc.title == (title or "m")
    assert datetime.fromisoformat(doc.metadata["email_date"]) == when
    if title:
        assert doc.sections[0].label == title and doc.text[doc.sections[0].start:].startswith(title)
    if text.strip():
        at = doc.text.rindex(text.strip("\n"))
        assert doc.text[at:] == text.strip("\n")  # the body's offsets point into the document text


def test_bad_msg_files_say_why(tmp_path):
    good = quarterly(tmp_path / "good.msg").read_bytes()

    def reason(name: str, data: bytes) -> str:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoaderError) as err:
            load(tmp_path / name)
        assert err.value.source == name
        return err.value.reason

    assert "truncated or damaged" in reason("half.msg", good[: len(good) // 2])
    assert "truncated or damaged" in reason("head.msg", good[:700])
    assert "truncated or damaged" in reason("garbage.msg", good[:8] + bytes(range(256)) * 8)
    assert "not an Outlook message" in reason("doc.msg", compound_file({"WordDocument": b"\x00" * 600}))
    assert "not an Outlook .msg" in reason("text.msg", b"From: x\n\nplain text named .msg")
    assert "no subject and no text body" in reason("empty.msg", msg_bytes("", "", sender="a@b.c"))


def test_missing_extract_msg_names_the_msg_extra(tmp_path, monkeypatch):
    path = quarterly(tmp_path / "q.msg")
    monkeypatch.setitem(sys.modules, "extract_msg", None)  # import extract_msg now raises ImportError
    with pytest.raises(LoaderError) as err:
        list(MsgLoader().load(path, "q.msg"))
    assert err.value.source == "q.msg"
    assert "pip install 'ragkit[msg]'" in err.value.reason and "extract-msg" in err.value.reason


@pytest.mark.integration
def test_msg_ingests_with_its_attachment_and_a_bad_msg_fails_alone(tmp_path, embedder_warm):
    from ragkit.rag import RAG

    root = tmp_path / "docs"
    root.mkdir()
    quarterly(root / "q.msg", attachments=[("parts.csv", b"part,litres\nseal,2\nvalve,5\n")])
    (root / "readme.txt").write_text("The pump manual lives in the wiki.", encoding="utf-8")
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}) as rag:
        first = rag.ingest(root)
        assert (first.added, first.failed) == (3, 0)
        chunks = rag.store.chunks_where(None)
        assert {c.source for c in chunks} == {"q.msg", "q.msg#parts.csv", "readme.txt"}
        mail = next(c for c in chunks if c.source == "q.msg")
        assert mail.metadata["email_to"] == ["Bob <bob@example.com>", "cy@example.com"]
        assert datetime.fromisoformat(mail.metadata["email_date"]) - SENT == timedelta(0)
        part = next(c for c in chunks if c.source == "q.msg#parts.csv")
        assert part.metadata["attachment_of"] == "q.msg" and "| valve | 5 |" in part.text
        n = rag.store.count()
        (root / "broken.msg").write_bytes((root / "q.msg").read_bytes()[:1500])
        second = rag.ingest(root)
        assert (second.unchanged, second.failed, second.removed) == (2, 1, 0)
        assert "truncated or damaged" in dict(second.failures)["broken.msg"]
        assert rag.store.count() == n
        hits = rag.search("valve litres", top_k=3).results
        assert hits and hits[0].chunk.source == "q.msg#parts.csv"
