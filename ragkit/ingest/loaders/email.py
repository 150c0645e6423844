"""E-mail: .eml (RFC 5322, standard library) and Outlook .msg (extract-msg, the `msg` extra).

A message is one document: its subject is the title and the section heading over the body (the
plain-text part, else the HTML part's visible text); from, to, cc and date are metadata
(`email_from`, `email_to`, `email_cc`, `email_date`), and the date is its created/modified date.
Each attachment whose type ragkit reads is loaded by that format's loader as a document of its
own, source `<message>#<file name>`, with `attachment_of` naming the message; an attachment that
cannot be read is listed under `attachment_errors` in the message's metadata and does not stop it.
"""

from __future__ import annotations

import os
import tempfile
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import file_dates, loader_fingerprint, loader_for, read_bytes, sha256_hex, with_settings
from ragkit.ingest.loaders.office import OLE_MAGIC, join_blocks, require
from ragkit.protocols import Loader
from ragkit.types import Document

MAX_ATTACHMENT_DEPTH = 2  # a message attached to a message attached to a message: not opened further

LoaderList = Callable[[], Sequence[Loader]]


def html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    from ragkit.ingest.loaders.html import _Blocks

    blocks = _Blocks()
    soup = BeautifulSoup(markup, "html.parser")
    blocks.walk(soup.body or soup)
    return blocks.joined()[0]


def _addresses(values) -> list[str]:
    return [f"{name} <{addr}>" if name else addr for name, addr in getaddresses([str(v) for v in values if v]) if addr or name]


def _message_doc(source: str, content_hash: str, subject: str, body: str, meta: dict, date: str | None,
                 path: Path) -> Document:
    subject = " ".join(subject.split())
    text, sections = join_blocks(([(subject, subject)] if subject else []) + [(body, None)])
    if not text.strip():
        raise LoaderError(source, "no subject and no text body in the message")
    stat_created, stat_modified = file_dates(path)
    return Document(source, text, content_hash, title=subject or path.stem, created=date or stat_created,
                    modified=date or stat_modified, sections=sections, metadata=meta)


def load_attachments(source: str, attachments: Iterable[tuple[str, bytes]], depth: int, meta: dict,
                     loaders_of: LoaderList) -> Iterator[Document]:
    """Each (file name, bytes) through the loader of its suffix (from `loaders_of()`, the registry's
    list), in a private temporary folder."""
    from datetime import datetime

    stamp = datetime.fromisoformat(meta["email_date"]).timestamp() if meta.get("email_date") else None
    loaders = loaders_of()
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ragkit-attach-") as tmp:
        for i, (name, data) in enumerate(attachments):
            safe = os.path.basename(name.replace("\\", "/")) or f"attachment-{i + 1}"
            loader = loader_for(Path(safe), loaders)
            if loader is None or not data:
                continue
            if isinstance(loader, (EmlLoader, MsgLoader)):
                if depth >= MAX_ATTACHMENT_DEPTH:
                    errors.append(f"{safe}: a message nested deeper than {MAX_ATTACHMENT_DEPTH} is not opened")
                    continue
                loader = type(loader)(loaders_of, depth=depth + 1)
            where = Path(tmp) / str(i) / safe
            where.parent.mkdir()
            where.write_bytes(data)
            if stamp is not None:  # an attachment without dates of its own is dated by its message
                os.utime(where, (stamp, stamp))
            try:
                for doc in loader.load(where, f"{source}#{safe}"):
                    yield Document(doc.source, doc.text, doc.content_hash, title=doc.title, created=doc.created,
                                   modified=doc.modified, pages=doc.pages, sections=doc.sections,
                                   metadata={**doc.metadata, "attachment_of": doc.metadata.get("attachment_of", source)})
            except LoaderError as exc:
                errors.append(f"{safe}: {exc.reason}")
    if errors:
        meta["attachment_errors"] = errors


class _MessageLoader:
    def __init__(self, loaders_of: LoaderList = tuple, depth: int = 0):
        self.loaders_of = loaders_of  # the loaders attachments go through (none by default)
        self.depth = depth
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """The attachment loaders' settings: a message file counts as changed when they change, so
        that its attachments are read again (ingest skips an unchanged file before loading it)."""
        if self._fingerprint is None:
            parts = {loader_fingerprint(lo) for lo in self.loaders_of() if not isinstance(lo, _MessageLoader)}
            self._fingerprint = ";".join(sorted(p for p in parts if p))
        return self._fingerprint


class EmlLoader(_MessageLoader):
    suffixes = (".eml",)

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        head = data[:4096]
        if b"\x00" in head:
            raise LoaderError(source, "not an .eml message: binary content (an Outlook .msg renamed? use the .msg suffix)")
        try:
            msg = BytesParser(policy=policy.default).parsebytes(data)
        except Exception as exc:
            raise LoaderError(source, f"malformed e-mail: {type(exc).__name__}: {exc}") from None
        if not any(msg.get(h) for h in ("From", "To", "Subject", "Date", "Message-ID")):
            raise LoaderError(source, "not an e-mail message: no From, To, Subject, Date or Message-ID header")
        body = ""
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is not None:
            try:
                content = part.get_content()
            except Exception:
                content = part.get_payload(decode=True) or b""
                content = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
            body = html_text(content) if part.get_content_type() == "text/html" else content.strip()
        date = None
        if msg.get("Date"):
            try:
                date = parsedate_to_datetime(str(msg["Date"])).isoformat()
            except (TypeError, ValueError):
                date = None
        attachments = []
        for att in msg.iter_attachments():
            name = att.get_filename() or ""
            try:
                payload = att.get_payload(decode=True)
            except Exception:
                payload = None
            if payload is None and att.get_content_type() == "message/rfc822":
                inner = att.get_payload()
                payload = inner[0].as_bytes() if isinstance(inner, list) and inner else None
                name = name or "message.eml"
            attachments.append((name, payload or b""))
        meta = _meta(_addresses([msg.get("From")]), _addresses(msg.get_all("To") or []),
                     _addresses(msg.get_all("Cc") or []), date, [n for n, _ in attachments if n])
        extra = list(load_attachments(source, attachments, self.depth, meta, self.loaders_of))
        subject = str(msg.get("Subject") or "")
        yield _message_doc(source, with_settings(sha256_hex(data), self.fingerprint), subject, body, meta, date, path)
        yield from extra


def _meta(sender: list[str], to: list[str], cc: list[str], date: str | None, names: list[str]) -> dict:
    meta: dict = {"email_from": ", ".join(sender), "email_to": to}
    if cc:
        meta["email_cc"] = cc
    if date:
        meta["email_date"] = date
    if names:
        meta["attachments"] = names
    return meta


class MsgLoader(_MessageLoader):
    suffixes = (".msg",)

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        if not data.startswith(OLE_MAGIC):
            raise LoaderError(source, "not an Outlook .msg file: no OLE compound-file header (wrong file extension?)")
        extract_msg = require(source, "extract_msg", "extract-msg", "msg", "Outlook .msg files")
        try:
            msg = extract_msg.openMsg(str(path))
        except Exception as exc:
            raise LoaderError(source, _open_error(exc)) from None
        try:
            body = (msg.body or "").replace("\r\n", "\n").strip()  # Outlook writes CRLF; .eml bodies read as LF
            if not body and getattr(msg, "htmlBody", None):
                html = msg.htmlBody
                body = html_text(html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html))
            date = msg.date.isoformat() if getattr(msg, "date", None) is not None and hasattr(msg.date, "isoformat") else None
            attachments = []
            for att in getattr(msg, "attachments", []) or []:
                payload = att.data if isinstance(getattr(att, "data", None), bytes) else b""
                attachments.append((att.longFilename or att.shortFilename or "", payload))
            to, cc = _msg_recipients(msg)
            meta = _meta([msg.sender] if msg.sender else [], to, cc, date, [n for n, _ in attachments if n])
            subject = msg.subject or ""
        except LoaderError:
            raise
        except Exception as exc:
            raise LoaderError(source, f"corrupt .msg file: {type(exc).__name__}: {exc}") from None
        finally:
            try:
                msg.close()
            except Exception:
                pass
        extra = list(load_attachments(source, attachments, self.depth, meta, self.loaders_of))
        yield _message_doc(source, with_settings(sha256_hex(data), self.fingerprint), subject, body, meta, date, path)
        yield from extra


def _open_error(exc: Exception) -> str:
    """Why extract-msg could not open a file that starts like a compound file."""
    kind = type(exc).__name__
    if kind == "OleFileError":  # olefile: the sector chains run past the end, or the header is damaged
        return f"corrupt .msg file (truncated or damaged compound file): {exc}"
    if kind in ("InvalidFileFormatError", "StandardViolationError") and "propert" in str(exc).lower() or \
            "not an MSG file" in str(exc):
        return (f"not an Outlook message: the compound file holds no message properties ({exc}); "
                "a legacy .doc/.xls/.ppt renamed to .msg?")
    return f"corrupt .msg file: {kind}: {exc}"


def _msg_recipients(msg) -> tuple[list[str], list[str]]:
    """(to, cc) of a .msg: from its recipient table ("Name <address>", or the address alone when
    there is no display name; extract-msg's own To/Cc strings say "None <address>" then), else from
    its transport headers, else from PR_DISPLAY_TO / PR_DISPLAY_CC (display names, "; "-separated)."""
    def formatted(r) -> str:
        name, addr = (r.name or "").strip(), (r.email or "").strip()
        return f"{name} <{addr}>" if name and addr and name != addr else (addr or name)

    split = lambda v: [x.strip() for x in str(v or "").split(";") if x.strip()]  # noqa: E731
    recipients = list(getattr(msg, "recipients", None) or [])
    if recipients:
        kinds = [(getattr(r.type, "value", r.type), formatted(r)) for r in recipients]
        return [f for k, f in kinds if k == 1 and f], [f for k, f in kinds if k == 2 and f]
    to, cc = split(msg.to), split(msg.cc)
    if not to:
        to = split(msg.getStringStream("__substg1.0_0E04"))  # PR_DISPLAY_TO
    if not cc:
        cc = split(msg.getStringStream("__substg1.0_0E03"))  # PR_DISPLAY_CC
    return to, cc
