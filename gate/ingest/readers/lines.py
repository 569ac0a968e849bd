"""Plain-text scanner streams: bytes in, bounded lines out. Pure: no I/O here.

A fixed barcode scanner sends one code per line. Two things make that less simple than
``readline``:

- Memory must stay bounded whatever a peer sends. A line longer than ``max_line`` bytes is
  reported once, as soon as it is known to be too long, and everything up to its terminator
  is discarded without being buffered; the stream then goes on with the next line. So a
  scanner that once sends garbage keeps its connection, and nothing else is affected.
- Scanners cannot always send GS (ASCII 29), the FNC1 separator of GS1 element strings: a
  keyboard-wedge or a configured prefix often stands in for it (``~``, ``<GS>``, ``{GS}``).
  ``to_code`` puts the real GS back before the code is decoded.

Terminators are configurable (LF, CRLF or CR). With LF a stray CR before it is dropped as
well, and blank lines are skipped: both are what scanners set to another terminator send.
"""

from __future__ import annotations

from dataclasses import dataclass

GS = "\x1d"
#: What a line is stripped of at both ends: never GS, which str.strip() would also remove.
_BLANKS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Overlong:
    """A line longer than the limit: ``seen`` bytes of it arrived before it was refused."""

    seen: int


Piece = bytes | Overlong


class LineSplitter:
    """Splits a byte stream into lines at ``terminator``; at most ``max_line`` bytes each."""

    def __init__(self, terminator: bytes = b"\n", max_line: int = 1024) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        self.terminator = terminator
        self.max_line = max_line
        self._buffer = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[Piece]:
        """The complete lines (without terminator) and refusals that ``data`` finishes."""
        out: list[Piece] = []
        self._buffer += data
        term = self.terminator
        start = 0
        while True:
            end = self._buffer.find(term, start)
            if end < 0:
                break
            if self._discarding:
                self._discarding = False
            elif end - start > self.max_line:
                out.append(Overlong(end - start))
            else:
                out.append(bytes(self._buffer[start:end]))
            start = end + len(term)
        del self._buffer[:start]
        # A terminator may be split over two reads: keep its possible first bytes.
        keep = len(term) - 1
        if len(self._buffer) > self.max_line + keep:
            if not self._discarding:
                out.append(Overlong(len(self._buffer)))
                self._discarding = True
            del self._buffer[: len(self._buffer) - keep]
        return out

    def finish(self) -> list[Piece]:
        """At end of stream: an unterminated last line counts as a line."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        if self._discarding or not rest:
            self._discarding = False
            return []
        if len(rest) > self.max_line:
            return [Overlong(len(rest))]
        return [rest]

    @property
    def buffered(self) -> int:
        return len(self._buffer)


def to_code(line: bytes, gs_substitute: str | None = None) -> str:
    """The code a line carries: decoded (bad bytes become U+FFFD, which decoding then
    refuses with a clear reason), trimmed of blanks, its GS substitute turned into GS."""
    text = line.decode("utf-8", errors="replace").strip(_BLANKS)
    if gs_substitute:
        text = text.replace(gs_substitute, GS)
    return text
