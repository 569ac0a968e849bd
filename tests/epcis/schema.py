"""GS1's EPCIS 2.0 JSON schema (a copy in tests/data/epcis, see its README) as a validator
with format checks on, and the reference hash package as an oracle."""

from __future__ import annotations

import json
import tempfile
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

DATA = Path(__file__).resolve().parents[1] / "data" / "epcis"


@cache
def validator() -> jsonschema.Draft7Validator:
    """The schema's draft-07 validator, checking ``format`` (uri, date-time) too."""
    schema = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    # Without rfc3986-validator and rfc3339-validator installed, jsonschema skips these
    # formats without a word: the check would be weaker than it says.
    assert {"uri", "date-time"} <= set(checker.checkers)
    return jsonschema.Draft7Validator(schema, format_checker=checker)


def errors(doc: Any) -> list[str]:
    """The schema's complaints about ``doc`` (none: valid)."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(doc)]


def oracle_hashes(doc: dict[str, Any]) -> list[str]:
    """The event hashes of a document's events by the ``epcis-event-hash-generator``
    package (GS1's reference implementation of the CBV 2.0 algorithm), used in tests only."""
    from epcis_event_hash_generator import events_from_file_reader, hash_generator

    with tempfile.NamedTemporaryFile("w", suffix=".jsonld", delete=False) as f:
        json.dump(doc, f)
    try:
        # It reads its bundled JSON-LD contexts with importlib.resources.open_text, which
        # warns of its deprecation (and the suite turns warnings into errors).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            events = events_from_file_reader.event_list_from_file(f.name)
            return list(hash_generator.epcis_hashes_from_events(events))
    finally:
        Path(f.name).unlink()


def as_document(event: dict[str, Any]) -> dict[str, Any]:
    """A single event (with its own ``@context``) wrapped in an EPCISDocument."""
    event = dict(event)
    context = event.pop("@context")
    return {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2020-01-01T00:00:00.000Z",
        "epcisBody": {"eventList": [event]},
    }
