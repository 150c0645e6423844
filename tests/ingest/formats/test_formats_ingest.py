"""The new formats through a real ingest: a message and its attachments stay stored across
unchanged re-runs, and a bad office file fails alone without touching what is stored."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from ragkit.rag import RAG

pytestmark = pytest.mark.integration


def write_mail(path: Path, body: str) -> None:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "Pump maintenance", "ops@example.com", "team@example.com"
    m["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    m.set_content(body)
    m.add_attachment(b"part,litres\nseal,2\nvalve,5\n", maintype="text", subtype="csv", filename="parts.csv")
    path.write_bytes(bytes(m))


def test_message_and_attachment_survive_reruns_and_bad_files_fail_alone(tmp_path: Path, embedder_warm) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    write_mail(root / "pump.eml", "The beta pump seals are replaced every spring.")
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}) as rag:
        first = rag.ingest(root)
        assert first.added == 2 and first.failed == 0
        sources = {c.source for c in rag.store.chunks_where(None)}
        assert sources == {"pump.eml", "pump.eml#parts.csv"}
        n = rag.store.count()
        (root / "broken.docx").write_bytes(b"PK\x03\x04 a truncated zip")
        second = rag.ingest(root)
        assert second.unchanged == 1 and second.removed == 0 and second.failed == 1
        assert "truncated" in dict(second.failures)["broken.docx"]
        assert rag.store.count() == n and {c.source for c in rag.store.chunks_where(None)} == sources
        attachment = [c for c in rag.store.chunks_where(None) if c.source == "pump.eml#parts.csv"][0]
        assert attachment.metadata["attachment_of"] == "pump.eml" and attachment.section == "parts"
        mail = [c for c in rag.store.chunks_where(None) if c.source == "pump.eml"][0]
        assert mail.metadata["email_from"] == "ops@example.com" and mail.section == "Pump maintenance"
