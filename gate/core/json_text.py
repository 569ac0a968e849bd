"""JSON text for the hot paths: orjson where it takes the value, the standard library where
it does not.

A scan is encoded several times on its way (its stored answer, its event, the HTTP answer),
and the standard library's encoder was a tenth of a scan's CPU: orjson encodes the same
dicts about ten times faster. Its text differs only in form (no spaces after separators,
UTF-8 rather than ``\\u`` escapes, ``1e16`` for ``1e+16``), never in the value it decodes
to, and a non-finite float becomes ``null`` where the standard library writes ``NaN``, which
is not JSON; an ``Enum`` member is encoded as its value (the standard library takes only
the ``str`` and ``int`` kinds). Where orjson refuses a value (a lone surrogate, an integer
beyond 64 bits, a key that is not text, a type JSON has no form for) the standard library
encodes it, or raises exactly as it always did: the fallback keeps every caller's old
behaviour at the edges. ``tests/core/test_json_text.py`` checks both against the standard
library.

The journal keeps its own canonical form (``gate.storage.journal.canonical_json``): its
text is hashed, and it must refuse a NaN rather than write ``null``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Types orjson would encode where the standard library raises (dataclasses, datetimes,
#: subclasses of the JSON types) go to the fallback, which raises or encodes as before.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dumps_bytes(value: Any) -> bytes:
    """``value`` as UTF-8 JSON text."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value).encode()


def dumps(value: Any) -> str:
    """``value`` as JSON text."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(value)
