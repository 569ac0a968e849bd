"""Checks on what comes in before anything is decided or stored: a scan's fields, a shipment
body's ids and text, instants.

Every check raises the error the web face turns into a 400 problem (or a rejected scan
result) naming the field; nothing here changes state. Text must be storable as it came: a
lone surrogate (``"\\ud800"``, which JSON can carry but UTF-8 cannot) is refused here,
because SQLite would refuse it only at the write, after a decision was already made.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import reprlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.core.frozen_init import quick_init
from gate.core.identifiers import MAX_CODE_LENGTH
from gate.core.rules import require_instant
from gate.core.text import text_problem
from gate.errors import GateError, InvalidCode, InvalidShipment
from gate.storage import journal

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
SCAN_KINDS = frozenset({"gs1", "gtin", "sscc", "epc", "epc_uri"})
SCAN_FIELDS = frozenset({"scan_id", "reader", "door", "code", "kind", "ts", "shipment"})
#: The longest scan code taken (a GS1 element string with every optional AI is far shorter).
MAX_CODE = MAX_CODE_LENGTH  # the one limit on a code's length, owned by the core
#: The longest scan id, reader name, door or shipment a scan may name: they are stored and
#: journaled with each scan.
MAX_SCAN_NAME = 128
#: The scan's fields that are names, single-line text (``gate.core.text``): no control
#: characters, no invisible or bidirectional marks.
NAME_FIELDS = ("scan_id", "reader", "door", "shipment", "kind", "ts")
#: How many unknown fields a refusal names, and how much of each: a key is the client's (text,
#: bytes, a number, a msgpack extension), and the refusal is answered and journaled, so it
#: must not grow with it (a 60 KB bytes key came back, and was journaled, as 300 KB).
MAX_UNKNOWN_NAMED = 5
MAX_UNKNOWN_NAME = 64


@quick_init
@dataclass(frozen=True, slots=True)
class ScanInput:
    """One scan as received, its fields checked by ``check_scan``."""

    scan_id: str
    reader: str
    door: str
    code: str
    kind: str | None = None
    ts: str | None = None
    shipment: str | None = None


def storable(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scrub(value: Any) -> Any:
    """``value`` (text, or dicts and lists of it) with every character UTF-8 cannot hold
    written as a backslash escape: for journaling what was refused, as it came."""
    if isinstance(value, str):
        return value if storable(value) else value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, Mapping):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def refused_copy(raw: Any) -> str | None:
    """A bounded copy of a rejected input for the journal (lone surrogates escaped), with
    secrets taken out: a scanner's ``{"auth": TOKEN}`` sent again after its session began is
    a rejected scan, and its token must not be kept, however the key is written."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        # Any spelling of the key: "Auth", or b"auth" (a map keyed by bytes) kept the token.
        raw = {k: journal.REDACTED if "auth" in str(k).lower() else v for k, v in raw.items()}
    try:
        return json.dumps(journal.redact(raw), default=repr)[:1000]
    except (TypeError, ValueError, RecursionError):
        # msgpack can carry what JSON cannot (bytes or other non-text keys), or nest deeper
        # than the encoder goes: keep a bounded repr.
        return reprlib.repr(raw)[:1000]


def check_scan(raw: Any) -> ScanInput:
    """Checks one scan's shape. Raises InvalidCode naming the field that is wrong.

    The shape every reader sends all day (known fields, ASCII text within its limits, a
    valid ``ts`` or none) is taken in one pass of plain tests; anything else goes through
    every check one by one (``check_scan_fully``), which words the refusal. Both take the
    same scans (``tests/service/test_check_scan.py`` holds them to that)."""
    if type(raw) is dict and raw.keys() <= SCAN_FIELDS:
        get = raw.get
        scan_id, reader, door, code = get("scan_id"), get("reader"), get("door"), get("code")
        kind, shipment, ts = get("kind"), get("shipment"), get("ts")
        if (
            type(scan_id) is str
            and type(reader) is str
            and type(door) is str
            and type(code) is str
            and (shipment is None or type(shipment) is str)
            and (ts is None or (type(ts) is str and _instant(ts)))
            and (kind is None or (type(kind) is str and kind in SCAN_KINDS))
            and 0 < len(scan_id) <= MAX_SCAN_NAME
            and 0 < len(reader) <= MAX_SCAN_NAME
            and 0 < len(code) <= MAX_CODE
            and 0 < len(door) <= MAX_SCAN_NAME
            and (shipment is None or len(shipment) <= MAX_SCAN_NAME)
            and "|" not in scan_id
            and "|" not in reader
            # ASCII text has no lone surrogate: every field is storable as it is; and printable
            # ASCII no control character (the code is the decoder's: GS separates its parts).
            and (names := f"{scan_id}{reader}{door}{shipment or ''}{ts or ''}").isascii()
            and names.isprintable()
            and code.isascii()
        ):
            return ScanInput(scan_id, reader, door, code, kind, ts, shipment)
    return check_scan_fully(raw)


def _instant(text: str) -> bool:
    """Whether ``text`` is a time ``check_scan_fully`` takes (it words the refusal)."""
    try:
        require_instant(dt.datetime.fromisoformat(text))
    except ValueError:
        return False
    return True


def check_scan_fully(raw: Any) -> ScanInput:
    """``check_scan``, each field checked and worded in turn. Raises InvalidCode naming the
    field that is wrong."""
    if not isinstance(raw, dict):
        raise InvalidCode("a scan must be an object", field="scan")
    unknown = sorted(_field_name(k) for k in raw if k not in SCAN_FIELDS)
    if unknown:
        named = ", ".join(unknown[:MAX_UNKNOWN_NAMED])
        more = len(unknown) - MAX_UNKNOWN_NAMED
        rest = f" and {more} more" if more > 0 else ""
        raise InvalidCode(f"unknown field(s): {named}{rest}", field=unknown[0])
    values: dict[str, str | None] = {}
    for name in ("scan_id", "reader", "door", "code"):
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidCode(f"{name} must be a non-empty string", field=name)
        values[name] = value
    for name in ("kind", "ts", "shipment"):
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidCode(f"{name} must be a string", field=name)
        values[name] = value
    for name, text in values.items():
        if text is not None and not storable(text):
            raise InvalidCode(f"{name} is not valid text (a lone surrogate)", field=name)
    for name in NAME_FIELDS:
        # A name is stored and journaled as it came, and shown: a NUL or an escape sequence in
        # it would be too (the code's characters are the decoder's to judge).
        problem = text_problem(name, values[name] or "")
        if problem is not None:
            raise InvalidCode(problem, field=name)
    for name in ("scan_id", "reader"):
        text = values[name] or ""
        if len(text) > MAX_SCAN_NAME or "|" in text:
            raise InvalidCode(
                f"{name} must be at most {MAX_SCAN_NAME} characters, without '|'", field=name
            )
    for name in ("door", "shipment"):
        # Never a door's or shipment's id (64 characters at most), but answered and journaled.
        if len(values[name] or "") > MAX_SCAN_NAME:
            raise InvalidCode(f"{name} must be at most {MAX_SCAN_NAME} characters", field=name)
    if len(values["code"] or "") > MAX_CODE:
        raise InvalidCode(f"code is longer than {MAX_CODE} characters", field="code")
    if values["kind"] is not None and values["kind"] not in SCAN_KINDS:
        raise InvalidCode(f"kind must be one of {', '.join(sorted(SCAN_KINDS))}", field="kind")
    if values["ts"] is not None:
        try:
            require_instant(dt.datetime.fromisoformat(values["ts"]))
        except ValueError:
            raise InvalidCode(
                "ts must be an RFC 3339 timestamp with an offset, within the years the gate"
                " can hold",
                field="ts",
            ) from None
    return ScanInput(**values)  # type: ignore[arg-type]


def _field_name(key: Any) -> str:
    """An unknown key as a refusal names it: its text, at most ``MAX_UNKNOWN_NAME``
    characters of it."""
    text: str = scrub(key if isinstance(key, str) else repr(key)[: MAX_UNKNOWN_NAME + 1])
    return text if len(text) <= MAX_UNKNOWN_NAME else text[: MAX_UNKNOWN_NAME - 3] + "..."


def foreign_doors(raws: Iterable[Any], doors: Collection[str]) -> list[str]:
    """The doors outside ``doors`` that the scans in ``raws`` name, sorted, each once: what
    a client bound to ``doors`` may not scan for. A scan naming no door as storable text is
    left to ``check_scan``, which rejects it."""
    named = {raw.get("door") for raw in raws if isinstance(raw, dict)}
    return sorted(d for d in named if isinstance(d, str) and storable(d) and d not in doors)


def check_id(value: Any, what: str) -> str:
    """A shipment or door id. Raises InvalidShipment."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidShipment(
            f"{what} must be 1-64 characters: letters, digits and . _ : / - (got {value!r})"
        )
    return value


#: The one shipment field that may run over lines (tab, line feed, carriage return): the end
#: use, a description in words. Names, ids, roles and codes are single-line: a line break or a
#: carriage return in a consignee's name forged a line of ``gate report``'s CSV where it is read
#: as text (a terminal, ``grep``, a log), and a tab a column (attack19).
MULTILINE_FIELDS = frozenset({"body.end_use"})


def check_text(
    body: Any,
    where: str = "body",
    error: type[GateError] = InvalidShipment,
    multiline: Collection[str] = MULTILINE_FIELDS,
) -> None:
    """Refuses a body (any nesting of dicts and lists) holding text that cannot be stored or
    that would display otherwise than it is stored: lone surrogates, control characters,
    bidirectional overrides, and tabs and line breaks outside the ``multiline`` paths (a
    shipment's: ``MULTILINE_FIELDS``; the core's ``text_problem`` decides). Raises ``error``
    (InvalidShipment unless told) naming where and the character."""
    if isinstance(body, str):
        if not storable(body):
            raise error(f"{where} is not valid text (a lone surrogate)")
        problem = text_problem(where, body, multiline=where in multiline)
        if problem is not None:
            raise error(problem)
    elif isinstance(body, Mapping):
        for key, value in body.items():
            check_text(key, where, error, multiline)
            check_text(value, f"{where}.{scrub(str(key))}", error, multiline)
    elif isinstance(body, list | tuple):
        for i, value in enumerate(body):
            check_text(value, f"{where}[{i}]", error, multiline)
