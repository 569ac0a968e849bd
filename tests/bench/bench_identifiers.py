"""Identifier decoding: the pure-Python fast path against the reference libraries.

Both sides run uncached (``decode_uncached`` and ``_decode_with_libraries``) and auto-detect
the form, as ``decode`` does on a cache miss. Each figure is the best of three runs of
about 0.3 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gate.core import identifiers
from gate.core.gs1 import check_gtin, valid_sscc
from gate.core.identifiers import _decode_with_libraries, decode, decode_uncached
from gate.core.text import text_problem

Emit = Callable[[str, str, str], None]

GS = "\x1d"
FORMS = [
    ("plain GTIN-14", "09506000134352"),
    ("plain GTIN-13", "9506000134352"),
    ("element string, ]C1 and GS", f"]C10109506000134352{GS}21ABC123{GS}10L42"),
    ("bracketed", "(01)09506000134352(21)ABC123(10)L42"),
    ("SGTIN-96 hex", "3074257BF7194E4000001A85"),
    ("SSCC-96 hex", "3174257BF4499602D2000000"),
    ("EPC URI (sgtin)", "urn:epc:id:sgtin:0614141.812345.6789"),
]
SECONDS = 0.3


def rate(call: Callable[[str], object], code: str) -> float:
    """Calls per second of ``call(code)``: best of three runs of about SECONDS each."""
    best = 0.0
    for _ in range(3):
        count, batch = 0, 64
        started = time.perf_counter()
        while True:
            for _ in range(batch):
                call(code)
            count += batch
            elapsed = time.perf_counter() - started
            if elapsed >= SECONDS:
                break
            batch *= 2
        best = max(best, count / elapsed)
    return best


def per_second(value: float) -> str:
    return f"{value / 1000:,.1f}k/s" if value < 1e5 else f"{value / 1000:,.0f}k/s"


def run(emit: Emit) -> None:
    identifiers.preload()  # import cost is not decode cost
    for name, code in FORMS:
        decode_uncached(code)  # fail loudly here, not inside a timing loop
        fast = rate(decode_uncached, code)
        libraries = rate(_decode_with_libraries, code)
        emit(
            f"decode {name}: fast path vs libraries",
            f"{per_second(fast)} vs {per_second(libraries)} = {fast / libraries:.0f}x",
            "fast path > libraries",
        )

    from biip import parse
    from epcpy import hex_to_tag_encodable

    element_string = FORMS[2][1]
    emit("biip.parse alone (]C1 element string)", per_second(rate(parse, element_string)), "")
    emit(
        "epcpy.hex_to_tag_encodable alone (SGTIN-96)",
        per_second(rate(hex_to_tag_encodable, FORMS[4][1])),
        "",
    )
    emit("decode, cache hit (portal re-reads)", per_second(rate(decode, FORMS[4][1])), "")

    # The checks a manifest line and a shipment's free text go through (gate.core.gs1, .text)
    emit("check_gtin (manifest line)", per_second(rate(check_gtin, FORMS[0][1])), "")
    emit("valid_sscc (manifest container)", per_second(rate(valid_sscc, "106141412345678908")), "")
    name = "Müller & Söhne Präzisionsmechanik GmbH, Werk Süd (Lager 4)"
    emit(
        f"text_problem ({len(name)}-character party name)",
        per_second(rate(lambda value: text_problem("name", value), name)),
        "",
    )
