"""A bundle's clearances of false positives (DESIGN 2.1), read into the core's ``Clearance``.

The office sends clearances two ways: one at a time, signed like a callback (``POST
/clearances``), or all of them in its signed bundle (``clearances.json``). Both end in the same
table and journal record; a bundle only adds (a clearance the office withdraws stops
mattering when the entry's version changes, as for one sent by callback).
"""

from __future__ import annotations

import datetime as dt
import json

from gate.config.bundle_manifest import Manifest
from gate.core.countries import parse_country
from gate.core.screening.clearances import Clearance, cleared_ids
from gate.errors import BundleError, GateError


def _instant(value: object, where: str) -> dt.datetime:
    moment = None
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise BundleError(f"{where}: cleared_at must be an RFC 3339 time with an offset")
    return moment.astimezone(dt.UTC)


def parse_clearances(data: bytes, manifest: Manifest) -> tuple[Clearance, ...]:
    """A bundle's ``clearances.json``: a JSON array of clearances as ``POST /clearances``
    takes them (``party`` {``name``, ``country``, ``ids``?}, ``list``, ``entry``,
    ``version``), each optionally with its ``cleared_at`` (default: the bundle's
    ``published``), stored under the webhook id ``bundle-v{version}``. Raises BundleError
    naming the first that is wrong."""
    try:
        items = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"clearances: not JSON: {exc}") from None
    if not isinstance(items, list):
        raise BundleError("clearances: expected a JSON array of clearances")
    found = []
    for i, item in enumerate(items):
        where = f"clearances[{i}]"
        try:
            party = item["party"]
            name, country = party["name"], parse_country(party["country"], where=where)
            ids = cleared_ids(party.get("ids"))
            texts = [item["list"], item["entry"], item["version"], name, *(v for _, v in ids)]
            if not all(isinstance(t, str) and t.strip() and len(t) <= 200 for t in texts):
                raise BundleError("list, entry, version, name and ids must be text")
            cleared = item.get("cleared_at")
            at = manifest.published if cleared is None else _instant(cleared, where)
        except (KeyError, TypeError, AttributeError) as exc:
            raise BundleError(f"{where}: malformed ({exc!r} missing or wrong)") from None
        except GateError as exc:
            raise BundleError(f"{where}: {exc}") from None
        except ValueError as exc:  # ids neither an object nor a list
            raise BundleError(f"{where}: {exc}") from None
        found.append(
            Clearance(
                list=item["list"],
                entry=item["entry"],
                version=item["version"],
                name=name,
                country=country,
                ids=ids,
                cleared_at=at,
                webhook_id=f"bundle-v{manifest.version}",
            )
        )
    return tuple(found)
