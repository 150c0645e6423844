"""A small writer of Outlook .msg files for the tests: no installed library writes them.

Two layers, both written from the specifications:

* `compound_file(tree)`: an OLE Compound File (MS-CFB, major version 3: 512-byte sectors, one FAT
  listed in the header's DIFAT, a directory of 128-byte entries, streams under 4096 bytes in the
  mini stream with its mini FAT). `tree` is a nested dict: a str key with a bytes value is a
  stream, with a dict value a storage. Each storage's children form a binary search tree in the
  order MS-CFB defines (shorter names first, then by upper-cased code points), balanced, every
  node black (a valid red-black colouring of a tree this writer builds perfectly balanced is not
  needed: MS-CFB lets a writer colour every node black).
* `msg_bytes(...)`: an MS-OXMSG message in such a file: the message class, subject, sender,
  display-to/cc, plain-text body, a `__properties_version1.0` stream (top-level header, dates,
  flags, one entry per variable-length property), the `__nameid_version1.0` storage, one
  recipient storage per recipient and one attachment storage per (file name, bytes).
"""

from __future__ import annotations

import struct
from datetime import datetime, timezone

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
HEADER = struct.Struct("<8s16sHHHHH6sIIIIIIIII")  # the 76 bytes before the DIFAT array
DIRENT = struct.Struct("<64sHBBIII16sIQQIQ")  # 128 bytes
STORAGE, STREAM, ROOT = 1, 2, 5
BLACK = 1


def _cfb_key(name: str) -> tuple[int, str]:
    return len(name.encode("utf-16-le")) // 2, "".join(ch.upper() for ch in name)


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        if len(name) > 31:
            raise ValueError(f"directory entry name over 31 characters: {name!r}")
        self.name, self.kind, self.data = name, kind, data
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = ENDOFCHAIN, 0


def compound_file(tree: dict) -> bytes:
    entries: list[_Entry] = [_Entry("Root Entry", ROOT)]

    def add_children(parent: _Entry, children: dict) -> None:
        ids = []
        for name, value in children.items():
            entry = _Entry(name, STORAGE if isinstance(value, dict) else STREAM,
                           b"" if isinstance(value, dict) else bytes(value))
            ids.append(len(entries))
            entries.append(entry)
            if isinstance(value, dict):
                add_children(entry, value)
        ids.sort(key=lambda i: _cfb_key(entries[i].name))
        if len({_cfb_key(entries[i].name) for i in ids}) != len(ids):
            raise ValueError(f"duplicate names (case-insensitive) under {parent.name!r}")

        def balanced(lo: int, hi: int) -> int:
            if lo >= hi:
                return NOSTREAM
            mid = (lo + hi) // 2
            node = entries[ids[mid]]
            node.left, node.right = balanced(lo, mid), balanced(mid + 1, hi)
            return ids[mid]

        parent.child = balanced(0, len(ids))

    add_children(entries[0], tree)

    # streams under the cutoff go to the mini stream, 64-byte mini sectors chained in the mini FAT
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != STREAM:
            continue
        e.size = len(e.data)
        if e.size == 0:
            continue  # an empty stream has no sectors: start stays ENDOFCHAIN
        if e.size >= MINI_CUTOFF:
            big.append(e)
            continue
        n = -(-e.size // MINI_SECTOR)
        e.start = len(minifat)
        minifat += [e.start + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
        mini += e.data + b"\x00" * (n * MINI_SECTOR - e.size)

    n_dir = -(-len(entries) // 4)
    n_minifat = -(-len(minifat) * 4 // SECTOR)
    n_mini = -(-len(mini) // SECTOR)
    n_big = [-(-e.size // SECTOR) for e in big]
    others = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < others + n_fat:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("file too large for a header-only DIFAT (109 FAT sectors)")

    fat: list[int] = [FATSECT] * n_fat
    sectors: list[bytes] = []

    def chain(data: bytes, count: int) -> int:
        """Append `count` sectors holding `data`, chained in the FAT; the first sector's index."""
        first = len(fat)
        for i in range(count):
            fat.append(first + i + 1 if i < count - 1 else ENDOFCHAIN)
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\x00"))
        return first

    dir_start = len(fat)
    fat += [0] * n_dir  # filled below, once every start sector is known
    sectors += [b""] * n_dir
    minifat_start = chain(b"".join(struct.pack("<I", v) for v in minifat).ljust(n_minifat * SECTOR, b"\xff"),
                          n_minifat) if n_minifat else ENDOFCHAIN
    if n_mini:
        entries[0].start, entries[0].size = chain(bytes(mini), n_mini), len(mini)
    for e, n in zip(big, n_big):
        e.start = chain(e.data, n)
    for i in range(n_dir):
        fat[dir_start + i] = dir_start + i + 1 if i < n_dir - 1 else ENDOFCHAIN

    raw_dir = bytearray()
    for e in entries:
        name = e.name.encode("utf-16-le") + b"\x00\x00"
        raw_dir += DIRENT.pack(name, len(name), e.kind, BLACK, e.left, e.right, e.child, b"\x00" * 16, 0, 0, 0,
                               e.start if e.kind != STORAGE else 0, e.size)
    while len(raw_dir) < n_dir * SECTOR:
        raw_dir += DIRENT.pack(b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0)
    for i in range(n_dir):
        sectors[dir_start - n_fat + i] = bytes(raw_dir[i * SECTOR:(i + 1) * SECTOR])

    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    header = HEADER.pack(MAGIC, b"\x00" * 16, 0x003E, 3, 0xFFFE, 9, 6, b"\x00" * 6, 0, n_fat, dir_start, 0,
                         MINI_CUTOFF, minifat_start, n_minifat, ENDOFCHAIN, 0)
    difat = struct.pack("<109I", *(list(range(n_fat)) + [FREESECT] * (109 - n_fat)))
    return header + difat + fat_bytes + b"".join(sectors)


# ---- MS-OXMSG ----------------------------------------------------------------------------------
PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001F, 0x0102
READABLE_WRITABLE = 0x00000006
STORE_UNICODE_OK = 0x00040000  # PR_STORE_SUPPORT_MASK: string properties are UTF-16LE
MSGFLAG_READ = 0x1
ATTACH_BY_VALUE = 1
MAPI_TO, MAPI_CC = 1, 2


def filetime(when: datetime) -> int:
    """100-ns intervals since 1601-01-01 UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return round((when.timestamp() + 11644473600) * 10_000_000)


class _Props:
    """One object's property streams and its `__properties_version1.0` entries."""

    def __init__(self) -> None:
        self.streams: dict[str, bytes] = {}
        self.entries: list[bytes] = []

    def fixed(self, prop_id: int, ptype: int, value: int) -> None:
        self.entries.append(struct.pack("<HHIQ", ptype, prop_id, READABLE_WRITABLE, value))

    def string(self, prop_id: int, value: str | None) -> None:
        if value is None:
            return
        data = value.encode("utf-16-le")
        self.streams[f"__substg1.0_{prop_id:04X}{PT_UNICODE:04X}"] = data
        # a variable-length entry holds the stream's size (strings: with their 2-byte terminator)
        self.entries.append(struct.pack("<HHIII", PT_UNICODE, prop_id, READABLE_WRITABLE, len(data) + 2, 0))

    def binary(self, prop_id: int, data: bytes) -> None:
        self.streams[f"__substg1.0_{prop_id:04X}{PT_BINARY:04X}"] = data
        self.entries.append(struct.pack("<HHIII", PT_BINARY, prop_id, READABLE_WRITABLE, len(data), 0))

    def storage(self, header: bytes) -> dict:
        return {**self.streams, "__properties_version1.0": header + b"".join(self.entries)}


def _address(value: str | tuple[str | None, str]) -> tuple[str | None, str]:
    return (None, value) if isinstance(value, str) else value


def msg_bytes(subject: str | None, body: str | None, *, sender: tuple[str | None, str] | str | None = None,
              to: list = (), cc: list = (), date: datetime | None = None,
              attachments: list[tuple[str, bytes]] = (), display_to: str | None = None,
              recipient_storages: bool = True, message_class: str = "IPM.Note") -> bytes:
    """An Outlook message. Addresses are "a@b" or (display name, "a@b"). `display_to` defaults
    to the To names joined by "; " (what Outlook writes); `recipient_storages=False` leaves out the
    recipient table, as some exporters do, so only PR_DISPLAY_TO names the recipients."""
    to, cc = [_address(a) for a in to], [_address(a) for a in cc]
    top = _Props()
    top.string(0x001A, message_class)  # PR_MESSAGE_CLASS
    top.string(0x0037, subject)  # PR_SUBJECT
    if sender is not None:
        name, email = _address(sender)
        top.string(0x0C1A, name)  # PR_SENDER_NAME
        top.string(0x0C1F, email)  # PR_SENDER_EMAIL_ADDRESS
        top.string(0x0C1E, "SMTP")  # PR_SENDER_ADDRTYPE
        top.string(0x5D01, email)  # PR_SENDER_SMTP_ADDRESS
    shown = display_to if display_to is not None else "; ".join(n or e for n, e in to)
    top.string(0x0E04, shown)  # PR_DISPLAY_TO
    top.string(0x0E03, "; ".join(n or e for n, e in cc))  # PR_DISPLAY_CC
    top.string(0x1000, body)  # PR_BODY
    if date is not None:
        top.fixed(0x0039, PT_SYSTIME, filetime(date))  # PR_CLIENT_SUBMIT_TIME
        top.fixed(0x0E06, PT_SYSTIME, filetime(date))  # PR_MESSAGE_DELIVERY_TIME
    top.fixed(0x0E07, PT_LONG, MSGFLAG_READ)  # PR_MESSAGE_FLAGS: read, not unsent
    top.fixed(0x340D, PT_LONG, STORE_UNICODE_OK)  # PR_STORE_SUPPORT_MASK
    tree: dict = {}
    recipients = [(kind, n, e) for kind, group in ((MAPI_TO, to), (MAPI_CC, cc)) for n, e in group]
    if not recipient_storages:
        recipients = []
    for i, (kind, name, email) in enumerate(recipients):
        r = _Props()
        r.string(0x3001, name)  # PR_DISPLAY_NAME
        r.string(0x3002, "SMTP")  # PR_ADDRTYPE
        r.string(0x3003, email)  # PR_EMAIL_ADDRESS
        r.string(0x39FE, email)  # PR_SMTP_ADDRESS
        r.fixed(0x0C15, PT_LONG, kind)  # PR_RECIPIENT_TYPE
        r.fixed(0x3000, PT_LONG, i)  # PR_ROWID
        tree[f"__recip_version1.0_#{i:08X}"] = r.storage(b"\x00" * 8)
    for i, (filename, data) in enumerate(attachments):
        a = _Props()
        a.string(0x3707, filename)  # PR_ATTACH_LONG_FILENAME
        a.string(0x3704, filename[:12])  # PR_ATTACH_FILENAME (8.3)
        a.string(0x3703, "." + filename.rsplit(".", 1)[-1] if "." in filename else "")  # PR_ATTACH_EXTENSION
        a.binary(0x3701, data)  # PR_ATTACH_DATA_BIN
        a.fixed(0x3705, PT_LONG, ATTACH_BY_VALUE)  # PR_ATTACH_METHOD
        a.fixed(0x0E20, PT_LONG, len(data))  # PR_ATTACH_SIZE
        a.fixed(0x0E21, PT_LONG, i)  # PR_ATTACH_NUM
        tree[f"__attach_version1.0_#{i:08X}"] = a.storage(b"\x00" * 8)
    # named properties: the GUID, entry and string streams MUST exist, here empty (none are used)
    tree["__nameid_version1.0"] = {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"",
                                   "__substg1.0_00040102": b""}
    n_recip, n_att = len(recipients), len(attachments)
    # top-level header: 8 reserved, next recipient id, next attachment id, recipient count, attachment count, 8 reserved
    header = b"\x00" * 8 + struct.pack("<4I", n_recip, n_att, n_recip, n_att) + b"\x00" * 8
    tree.update(top.storage(header))
    return compound_file(tree)
