"""``gate compile``: reads the control list and catalogues, checks every row, builds the table.

A compile either writes a complete, verified table or writes nothing: the first bad row
stops it with the file, the line and the problem, and the table already at the output path
stays as it was (the writer renames a finished temporary file over it).
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.core.gs1 import check_digit as gtin_check_digit
from gate.errors import CompileError, TableError
from gate.table import native as lookup_table
from gate.table.errors import DuplicateKey

CONTROL_LIST_HEADER = ["code", "category", "title", "flags"]
CATALOGUE_HEADER = ["gtin", "description", "control"]
#: MTCR Annex items 5, 7 and 8 are reserved: a code under them is a typo, not a control.
RESERVED_ITEMS = frozenset({5, 7, 8})
#: Items 1 and 2 are Category I, all others Category II.
CATEGORY_I_ITEMS = frozenset({1, 2})
KNOWN_FLAGS = frozenset({"production"})
CODE_PATTERN = re.compile(r"(\d{1,2})\.([A-E])(?:\.\d{1,2}(?:\.[a-z](?:\.\d{1,2})?)?)?")
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
MAX_DESCRIPTION_BYTES = 1024


@dataclass(frozen=True, slots=True)
class CompileResult:
    """What a compile wrote."""

    path: Path
    entries: int
    skipped_duplicates: int
    controls: int
    file_size: int
    source_digest: str
    parse_seconds: float
    build_seconds: float


class _Pool:
    """The string pool: each distinct string stored once."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.seen: dict[bytes, int] = {}

    def add(self, raw: bytes) -> tuple[int, int]:
        offset = self.seen.get(raw)
        if offset is None:
            offset = len(self.data)
            self.data += raw
            self.seen[raw] = offset
        return offset, len(raw)


def _rows(path: Path, header: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Yields (line number, fields) for each data row; raises CompileError for a bad header
    or a line the csv module cannot read."""
    name = str(path)
    try:
        # utf-8-sig: a spreadsheet saves "CSV UTF-8" with a byte order mark, which is no part
        # of the header's first name.
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CompileError(name, 0, f"cannot read: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            first = next(reader, None)
            if first is None:
                raise CompileError(name, 1, f"empty file: expected header {','.join(header)}")
            if [f.strip() for f in first] != header:
                raise CompileError(
                    name, 1, f"header is {','.join(first)!r}, expected {','.join(header)!r}"
                )
            for fields in reader:
                yield reader.line_num, fields
        except csv.Error as exc:
            raise CompileError(name, reader.line_num, f"malformed CSV line: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CompileError(name, reader.line_num + 1, f"not UTF-8: {exc.reason}") from exc


def _read_control_list(path: Path, pool: _Pool) -> tuple[dict[str, int], list[tuple[int, ...]]]:
    name = str(path)
    index: dict[str, int] = {}
    table: list[tuple[int, ...]] = []
    for line, fields in _rows(path, CONTROL_LIST_HEADER):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != 4:
            raise CompileError(name, line, f"expected 4 fields, found {len(fields)}")
        code, category_text, title, flags_text = (f.strip() for f in fields)
        match = CODE_PATTERN.fullmatch(code)
        if match is None:
            raise CompileError(
                name,
                line,
                f"control code {code!r} is not MTCR Annex numbering{_did_you_mean(code, ())}",
            )
        item = int(match.group(1))
        if not 1 <= item <= 20:
            raise CompileError(name, line, f"control code {code!r}: the Annex has items 1 to 20")
        if item in RESERVED_ITEMS:
            raise CompileError(name, line, f"control code {code!r}: item {item} is reserved")
        if category_text not in ("1", "2"):
            raise CompileError(name, line, f"category {category_text!r} must be 1 or 2")
        category = int(category_text)
        expected = 1 if item in CATEGORY_I_ITEMS else 2
        if category != expected:
            raise CompileError(
                name,
                line,
                f"control code {code}: item {item} is Category {expected}, not {category}",
            )
        if not title:
            raise CompileError(name, line, f"control code {code} has no title")
        flags = [f.strip() for f in flags_text.split(";") if f.strip()]
        for flag in flags:
            if flag not in KNOWN_FLAGS:
                raise CompileError(name, line, f"unknown flag {flag!r} (known: production)")
        if "production" in flags and category != 1:
            raise CompileError(name, line, f"flag production is for Category I only ({code})")
        if code in index:
            raise CompileError(name, line, f"control code {code} appears twice")
        if len(index) >= lookup_table.MAX_CONTROLS:
            raise CompileError(name, line, "too many control codes")
        co, cl = pool.add(code.encode())
        to, tl = pool.add(_bounded(title, name, line, "title"))
        fo, fl = pool.add(";".join(flags).encode())
        index[code] = len(table)
        table.append((co, cl, to, tl, fo, fl, category))
    return index, table


def _annex_case(code: str) -> str:
    """``code`` in the Annex's case: the category letter upper, a sub-item letter lower."""
    parts = code.split(".")
    if len(parts) >= 2:
        parts[1] = parts[1].upper()
    parts[2:] = [p.lower() for p in parts[2:]]
    return ".".join(parts)


def _did_you_mean(code: str, known: Iterable[str]) -> str:
    """``; did you mean 9.A.4?`` when ``code`` in the Annex's case is a known code (or, with
    no codes to compare, is Annex numbering at all), else nothing."""
    fixed = _annex_case(code.strip())
    if fixed == code:
        return ""
    codes = set(known)
    if (fixed in codes) if codes else CODE_PATTERN.fullmatch(fixed) is not None:
        return f"; did you mean {fixed}?"
    return ""


def _bounded(text: str, name: str, line: int, what: str) -> bytes:
    raw = text.encode()
    if len(raw) > MAX_DESCRIPTION_BYTES:
        raise CompileError(
            name, line, f"{what} is {len(raw)} bytes, at most {MAX_DESCRIPTION_BYTES}"
        )
    return raw


def _gtin14(text: str, name: str, line: int) -> int:
    if not text.isascii() or not text.isdigit() or len(text) not in GTIN_LENGTHS:
        raise CompileError(name, line, f"GTIN {text!r} must be 8, 12, 13 or 14 digits")
    expected = gtin_check_digit(text[:-1])
    if ord(text[-1]) - 48 != expected:
        raise CompileError(
            name, line, f"GTIN {text}: check digit is {text[-1]}, expected {expected}"
        )
    return int(text)


def source_digest(paths: Sequence[Path]) -> bytes:
    """SHA-256 over the sources' names and bytes, in order: names the table's inputs."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.digest()


def compile_table(control_list: Path, catalogues: Sequence[Path], output: Path) -> CompileResult:
    """Reads and checks the sources and writes the table to ``output`` atomically.

    Raises CompileError naming the file, line and problem (or the output, when it cannot be
    written); nothing is written then.
    """
    started = time.perf_counter()
    if not catalogues:
        raise CompileError(str(control_list), 0, "no catalogue given")
    pool = _Pool()
    codes, control_table = _read_control_list(control_list, pool)
    keys = array("Q")
    desc_offsets = array("I")
    desc_lengths = array("H")
    controls = array("H")
    origins: list[tuple[str, array[int]]] = []
    no_control = lookup_table.NO_CONTROL
    for path in catalogues:
        name = str(path)
        lines = array("I")
        origins.append((name, lines))
        for line, fields in _rows(path, CATALOGUE_HEADER):
            if len(fields) != 3:
                if not any(f.strip() for f in fields):
                    continue
                raise CompileError(name, line, f"expected 3 fields, found {len(fields)}")
            gtin, description, code = fields
            key = _gtin14(gtin.strip(), name, line)
            description = description.strip()
            if not description:
                raise CompileError(name, line, f"GTIN {gtin.strip()} has no description")
            code = code.strip()
            if code:
                control = codes.get(code)
                if control is None:
                    hint = _did_you_mean(code, codes)
                    raise CompileError(name, line, f"unknown control code {code!r}{hint}")
            else:
                control = no_control
            offset, length = pool.add(_bounded(description, name, line, "description"))
            keys.append(key)
            desc_offsets.append(offset)
            desc_lengths.append(length)
            controls.append(control)
            lines.append(line)
    digest = source_digest([control_list, *catalogues])
    parsed = time.perf_counter()
    try:
        entries, skipped, size = lookup_table.write_table(
            output,
            keys=keys,
            desc_offsets=desc_offsets,
            desc_lengths=desc_lengths,
            controls=controls,
            control_table=control_table,  # type: ignore[arg-type]
            strings=bytes(pool.data),
            build_time=int(time.time()),
            source_digest=digest,
        )
    except DuplicateKey as exc:
        if exc.rows is None:  # the builder always names the rows; this keeps mypy honest
            raise CompileError(str(control_list), 0, str(exc)) from exc
        first, second = (_origin(origins, row) for row in exc.rows)
        raise CompileError(
            second[0],
            second[1],
            f"GTIN {keys[exc.rows[1]]:014d} appears again with another control code "
            f"(first at {first[0]}:{first[1]})",
        ) from exc
    except OSError as exc:
        raise CompileError(str(output), 0, f"cannot write the table: {exc.strerror}") from exc
    built = time.perf_counter()
    return CompileResult(
        path=output,
        entries=entries,
        skipped_duplicates=skipped,
        controls=len(control_table),
        file_size=size,
        source_digest=digest.hex(),
        parse_seconds=parsed - started,
        build_seconds=built - parsed,
    )


def _origin(origins: list[tuple[str, array[int]]], row: int) -> tuple[str, int]:
    for name, lines in origins:
        if row < len(lines):
            return name, lines[row]
        row -= len(lines)
    return "?", 0


def is_stale(output: Path, sources: Sequence[Path]) -> bool:
    """True when the table must be compiled before use: missing, older than any of its
    sources, or unusable (the reader refuses it: truncated, overwritten, damaged). A start
    then rebuilds the table from its sources instead of refusing to run.

    Reads and verifies the whole table when it is newer than its sources.
    """
    try:
        built = output.stat().st_mtime
    except FileNotFoundError:
        return True
    if any(source.stat().st_mtime > built for source in sources):
        return True
    try:
        lookup_table.Table.open(output)
    except TableError:
        return True
    return False
