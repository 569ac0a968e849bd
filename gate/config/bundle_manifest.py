"""``bundle.json``: what a signed reference-data bundle holds and when it was published.

A bundle is a TUF repository (gate/links/reference/): its targets metadata lists every file
with its length and hashes, and signs them. One of those files is this manifest, so it is
signed like the rest. It says which file is which: the control list (with its Annex edition),
the catalogues, the country groups, and each screening list by name and format; and the
bundle's ``version`` (the targets metadata's version, which only grows) and ``published``
time: no piece of data in the bundle is younger than it (DESIGN 2.3; one that carries an older
date of its own is as old as that, ``gate.service.data_ages.bundled_age``).

File names are relative, plain (letters, digits, ``._-``, and ``/`` between parts), never
absolute and never climbing out with ``..``: a name is a place in the gate's own folder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from gate.config.lists import FORMATS, NAME_PATTERN
from gate.errors import BundleError

#: The manifest's own file name in the bundle, and its format number.
MANIFEST_NAME = "bundle.json"
MANIFEST_FORMAT = 1
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: How far ahead of a clock a bundle's ``published`` time may be: the office's ``make``
#: refuses a later time, and a gate refuses a bundle published later than its own now plus
#: this (its data would have a negative age).
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


def check_name(name: object, what: str) -> str:
    """``name`` if it is a plain relative file name in the bundle; else BundleError."""
    if not isinstance(name, str) or not name:
        raise BundleError(f"{MANIFEST_NAME}: {what} must be a file name")
    parts = name.split("/")
    if len(parts) > 4 or any(not _PART.fullmatch(p) or p in (".", "..") for p in parts):
        raise BundleError(f"{MANIFEST_NAME}: {what} {name!r} is not a plain relative file name")
    return name


@dataclass(frozen=True, slots=True)
class BundleList:
    """A screening list in the bundle: its name (a ``[[lists]]`` name), its format (as the
    config writes it) and its files (for ``ofac-sdn-csv``: sdn.csv, alt.csv, add.csv)."""

    name: str
    format: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Manifest:
    """A bundle's ``bundle.json``."""

    version: int
    published: dt.datetime
    control_list: str
    annex: str
    annex_date: dt.date | None
    catalogues: tuple[str, ...]
    countries: str
    lists: tuple[BundleList, ...] = ()
    #: The office's clearances of false positives (``clearances.json``), if it sends any.
    clearances: str | None = None

    @property
    def files(self) -> tuple[str, ...]:
        """Every data file the manifest names."""
        names = [self.control_list, *self.catalogues, self.countries]
        for item in self.lists:
            names.extend(item.files)
        if self.clearances is not None:
            names.append(self.clearances)
        return tuple(names)

    def doc(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "version": self.version,
            "published": self.published.isoformat().replace("+00:00", "Z"),
            "control_list": {
                "file": self.control_list,
                "annex": self.annex,
                "annex_date": None if self.annex_date is None else self.annex_date.isoformat(),
            },
            "catalogues": list(self.catalogues),
            "countries": self.countries,
            "lists": [
                {"name": x.name, "format": x.format, "files": list(x.files)} for x in self.lists
            ],
            "clearances": self.clearances,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.doc(), indent=2, sort_keys=True).encode() + b"\n"


def _published(value: object) -> dt.datetime:
    moment = None
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise BundleError(f"{MANIFEST_NAME}: published must be an RFC 3339 time with an offset")
    return moment.astimezone(dt.UTC)


def parse_manifest(data: bytes) -> Manifest:
    """Reads a ``bundle.json``. Raises BundleError saying what is wrong."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{MANIFEST_NAME}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        raise BundleError(f"{MANIFEST_NAME}: not a bundle manifest of format {MANIFEST_FORMAT}")
    try:
        version = doc["version"]
        control = doc["control_list"]
        catalogues = doc["catalogues"]
        lists = doc.get("lists", [])
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise BundleError(f"{MANIFEST_NAME}: version must be a positive integer")
        if not isinstance(control, dict) or not isinstance(catalogues, list) or not catalogues:
            raise BundleError(f"{MANIFEST_NAME}: control_list and catalogues are needed")
        annex_date = control.get("annex_date")
        if annex_date is not None:
            try:
                annex_date = dt.date.fromisoformat(annex_date)
            except (TypeError, ValueError):
                raise BundleError(f"{MANIFEST_NAME}: control_list.annex_date is no date") from None
        annex = control.get("annex", "")
        if not isinstance(annex, str) or not isinstance(lists, list):
            raise BundleError(f"{MANIFEST_NAME}: malformed control_list or lists")
        parsed = tuple(_list(item) for item in lists)
    except (KeyError, AttributeError, TypeError) as exc:
        raise BundleError(f"{MANIFEST_NAME}: malformed ({exc!r} missing or wrong)") from None
    names = [x.name for x in parsed]
    if len(set(names)) != len(names):
        raise BundleError(f"{MANIFEST_NAME}: a list name is used twice")
    return Manifest(
        version=version,
        published=_published(doc.get("published")),
        control_list=check_name(control.get("file"), "control_list.file"),
        annex=annex,
        annex_date=annex_date,
        catalogues=tuple(check_name(c, "catalogue") for c in catalogues),
        countries=check_name(doc["countries"], "countries"),
        lists=parsed,
        clearances=None
        if doc.get("clearances") is None
        else check_name(doc["clearances"], "clearances"),
    )


def _list(item: object) -> BundleList:
    if not isinstance(item, dict):
        raise BundleError(f"{MANIFEST_NAME}: each list must be an object")
    name, fmt, files = item.get("name"), item.get("format"), item.get("files")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise BundleError(f"{MANIFEST_NAME}: list name {name!r} is not a list name")
    if fmt not in FORMATS:
        raise BundleError(f"{MANIFEST_NAME}: list {name}: unknown format {fmt!r}")
    wanted = 3 if fmt == "ofac-sdn-csv" else 1
    if not isinstance(files, list) or len(files) != wanted:
        raise BundleError(f"{MANIFEST_NAME}: list {name}: {fmt} has {wanted} file(s)")
    return BundleList(name, str(fmt), tuple(check_name(f, f"list {name} file") for f in files))
