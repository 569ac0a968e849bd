"""``gate lookup``'s output: one JSON object per code, streamed.

Plain GTINs (nearly every line of a bulk file) are parsed and looked up in C a chunk at a
time; every other line goes through the full decoder. Each control's part of the output is
rendered once and reused, so a line costs little more than writing it.

Each object: ``code``, ``key``, ``description`` when the writer ``describe``s (the
catalogue's, ``null`` when the item is not in the table), ``serial``, ``control``,
``category``, ``title``, ``flags``, and ``note`` or ``error`` when there is one. A description
costs a lookup of its own per distinct item (``DESCRIPTIONS`` kept rendered): about six times
the rest of a plain GTIN's line over a large table, so a bulk stream leaves it out unless
asked (``gate lookup --describe``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, BinaryIO

from gate.core.identifiers import decode
from gate.errors import InvalidCode, TableError
from gate.table.native import SLOT_NOT_FOUND, Table

CHUNK_BYTES = 1 << 20
#: Rendered descriptions kept (cleared when full: a file repeats a working set of items).
DESCRIPTIONS = 65_536


class LookupWriter:
    """Writes lookup results for codes, as UTF-8 JSON lines, to a binary stream."""

    def __init__(self, table: Table, out: IO[bytes], *, describe: bool = True) -> None:
        self.table = table
        self.out = out
        self.describe = describe
        self._tails: dict[int, str] = {}
        self._tail_bytes: dict[int, bytes] = {}
        self._descriptions: dict[int, bytes] = {}

    def _description(self, key: int) -> bytes:
        """``"description":...,`` of a catalogued item, rendered once (nothing when the
        writer does not describe)."""
        if not self.describe:
            return b""
        found = self._descriptions.get(key)
        if found is None:
            item = self.table.lookup(key)
            text = None if item is None else item.description
            found = b'"description":' + json.dumps(text).encode() + b","
            if len(self._descriptions) >= DESCRIPTIONS:
                self._descriptions.clear()
            self._descriptions[key] = found
        return found

    def _tail(self, control: int) -> str:
        tail = self._tails.get(control)
        if tail is None:
            c = self.table.control(control)
            if c is None:
                tail = '"control":null,"category":0,"title":null,"flags":[]}\n'
            else:
                tail = (
                    f'"control":{json.dumps(c.code)},"category":{c.category},'
                    f'"title":{json.dumps(c.title)},"flags":{json.dumps(sorted(c.flags))}}}\n'
                )
            self._tails[control] = tail
        return tail

    def _slow(self, code: str) -> str:
        """A line the C path did not take: decode it fully."""
        record: dict[str, object] = {"code": code}
        try:
            item = decode(code)
        except InvalidCode as exc:
            record["error"] = str(exc)
            return json.dumps(record, separators=(",", ":")) + "\n"
        record["key"] = item.key
        if self.describe:
            record["description"] = None
        record["serial"] = item.serial
        if item.key is None:
            record.update(sscc=item.sscc, control=None, category=None, title=None, flags=[])
            record["note"] = "logistics unit: contents come from a manifest"
            return json.dumps(record, separators=(",", ":")) + "\n"
        try:
            found = self.table.lookup(item.key)
        except TableError as exc:
            record["error"] = str(exc)
            return json.dumps(record, separators=(",", ":")) + "\n"
        if found is None:
            record.update(control=None, category=None, title=None, flags=[], note="not in table")
        else:
            if self.describe:
                record["description"] = found.description
            record.update(
                control=found.control or None,
                category=found.category,
                title=found.title or None,
                flags=sorted(found.flags),
            )
        return json.dumps(record, separators=(",", ":")) + "\n"

    def write_chunk(self, chunk: bytes) -> None:
        """Writes results for each line of ``chunk`` (complete lines only)."""
        lines = chunk.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        controls, keys = self.table.classify_lines(chunk)
        describe = self.describe
        unknown = '"description":null,' if describe else ""
        parts: list[bytes] = []
        tails = self._tail_bytes
        for i, raw in enumerate(lines):
            control = controls[i]
            if control >= 0:
                # C checked this line: digits only (then \r or spaces), valid check digit.
                code = raw.rstrip(b"\r ")
                tail = tails.get(control)
                if tail is None:
                    tail = tails[control] = self._tail(control).encode()
                parts.append(b'{"code":"' + code + b'","key":"' + code.zfill(14) + b'",')
                if describe:
                    parts.append(self._description(keys[i]))
                parts.append(b'"serial":null,' + tail)
                continue
            text = raw.decode("utf-8", "replace").strip()
            if not text:
                continue
            if control == SLOT_NOT_FOUND:
                parts.append(
                    (
                        f'{{"code":{json.dumps(text)},"key":"{keys[i]:014d}",{unknown}'
                        '"serial":null,'
                        '"control":null,"category":null,"title":null,"flags":[],'
                        '"note":"not in table"}\n'
                    ).encode()
                )
            else:
                parts.append(self._slow(text).encode())
        self.out.write(b"".join(parts))

    def write_codes(self, codes: Iterable[str]) -> None:
        self.write_chunk("\n".join(codes).encode("utf-8", "replace") + b"\n")

    def stream(self, source: BinaryIO) -> None:
        """Reads ``source`` to its end, writing results as each chunk completes."""
        pending = b""
        while True:
            data = source.read(CHUNK_BYTES)
            if not data:
                break
            data = pending + data
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > CHUNK_BYTES:  # one endless line: answer it (too long) and move on
                    self.write_chunk(data[:CHUNK_BYTES] + b"\n")
                    data = b""
                pending = data
                continue
            pending = data[cut + 1 :]
            self.write_chunk(data[: cut + 1])
        if pending:
            self.write_chunk(pending + b"\n")
