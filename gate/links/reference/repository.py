"""The office side: a reference-data bundle made and signed as a TUF repository.

``make_bundle`` copies the office's data files (control list, catalogues, country groups,
screening lists) into a repository folder that any static web server can serve, and signs
them with The Update Framework's four roles (python-tuf's ``tuf.api.metadata``):

- ``root`` names the keys of every role. ``root.json`` (also kept as ``1.root.json``, the
  versioned name clients fetch) is what each gate trusts: its ``[reference] root``.
- ``targets`` lists every file with its length and SHA-256, and ``bundle.json`` (the
  manifest: which file is which, and the ``published`` time) among them. Its version is the
  bundle's version, and it grows by one at every ``make``.
- ``snapshot`` and ``timestamp`` pin which targets version is current; ``timestamp.json`` is
  written last, so a gate sees a new bundle only once every file of it is in place.

The repository uses consistent snapshots: metadata as ``N.targets.json``, files under
``targets/`` prefixed with their hash. A new ``make`` adds files and never overwrites those of
the bundle gates may be fetching at that moment.

Keys are ed25519 private keys in PEM files (``gate bundle keygen``). One key may sign every
role; an office that keeps its root key offline passes it separately (``--root-key``).
Changing keys (a new root version signed by the old root) is not done here: ``make`` refuses
a key the existing root does not name.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    TOP_LEVEL_ROLE_NAMES,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from gate.config.bundle_manifest import (
    MANIFEST_NAME,
    MAX_CLOCK_SKEW,
    BundleList,
    Manifest,
    check_name,
)
from gate.config.settings import Config
from gate.errors import BundleError
from gate.service.clock import utc_now

ROOT_DAYS = 365
CLEARANCES_NAME = "clearances.json"
SERIALIZER = JSONSerializer(compact=False)


def new_key(path: Path) -> str:
    """Writes a new ed25519 private key (PEM, mode 0600) to ``path``; returns its key id.
    Refuses to overwrite a file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BundleError(f"{path} exists: not overwriting a key") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return CryptoSigner(key).public_key.keyid


def load_signer(path: Path) -> CryptoSigner:
    """The signer for an ed25519 PEM private key file. Raises BundleError."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise BundleError(f"key {path}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise BundleError(f"key {path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError(f"key {path}: not an ed25519 key")
    return CryptoSigner(key)


@dataclass(frozen=True, slots=True)
class Sources:
    """The office's files for one bundle, and the control list's Annex edition."""

    control_list: Path
    catalogues: tuple[Path, ...]
    countries: Path
    lists: tuple[tuple[str, str, tuple[Path, ...]], ...]  # name, format, files
    annex: str
    annex_date: dt.date | None
    #: The office's clearances of false positives (a JSON array), if it sends any.
    clearances: Path | None = None

    @classmethod
    def from_config(cls, config: Config, clearances: Path | None = None) -> Sources:
        """The files a gate config names: [table], [policy] countries and [[lists]]."""
        return cls(
            control_list=config.table.control_list,
            catalogues=config.table.catalogues,
            countries=config.policy.countries,
            lists=tuple((x.name, x.format, x.paths) for x in config.lists),
            annex=config.table.annex,
            annex_date=config.table.annex_date,
            clearances=clearances,
        )


@dataclass(frozen=True, slots=True)
class Made:
    """What ``make_bundle`` wrote."""

    version: int
    published: dt.datetime
    expires: dt.datetime
    files: int
    root: Path


def _layout(sources: Sources) -> tuple[dict[str, Path], list[BundleList], tuple[str, ...]]:
    """Each source file under its name in the bundle, the lists, and the catalogue names."""
    files: dict[str, Path] = {"control-list.csv": sources.control_list}
    catalogues = []
    for i, path in enumerate(sources.catalogues):
        name = f"catalogues/{i}-{path.name}"
        files[name] = path
        catalogues.append(name)
    files["countries.toml"] = sources.countries
    lists = []
    for name, fmt, paths in sources.lists:
        names = tuple(f"lists/{name}/{p.name}" for p in paths)
        files.update(zip(names, paths, strict=True))
        lists.append(BundleList(name, fmt, names))
    if sources.clearances is not None:
        files[CLEARANCES_NAME] = sources.clearances
    for name in files:
        check_name(name, "file")  # refused here, not by every gate
    return files, lists, tuple(catalogues)


def _signed(md: Metadata[Any], signer: CryptoSigner) -> bytes:
    md.sign(signer)
    return md.to_bytes(SERIALIZER)


def _write(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a temporary name and a rename (a reader never sees
    half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _current(out: Path, signers: dict[str, CryptoSigner]) -> tuple[Metadata[Root], int]:
    """The repository's root and its targets version (0 for a new repository). Raises
    BundleError when the root does not name the keys given."""
    root_file = out / "root.json"
    if not root_file.exists():
        root = Root(expires=_now() + dt.timedelta(days=ROOT_DAYS), consistent_snapshot=True)
        for role in TOP_LEVEL_ROLE_NAMES:
            root.add_key(signers[role].public_key, role)
        md = Metadata(root)
        md.sign(signers["root"])
        return md, 0
    try:
        md = Metadata[Root].from_bytes(root_file.read_bytes())
        for role in TOP_LEVEL_ROLE_NAMES:
            if signers[role].public_key.keyid not in md.signed.roles[role].keyids:
                raise BundleError(
                    f"{root_file}: the key given for {role} is not the one this repository's"
                    " root names (use the office's key, or start a new repository)"
                )
        stamp = Metadata[Timestamp].from_bytes((out / "timestamp.json").read_bytes())
        snap_version = stamp.signed.snapshot_meta.version
        snap = Metadata[Snapshot].from_bytes((out / f"{snap_version}.snapshot.json").read_bytes())
        return md, snap.signed.meta["targets.json"].version
    except (OSError, ValueError, KeyError) as exc:
        raise BundleError(f"{out}: not a bundle repository gate can add to: {exc}") from None


def _now() -> dt.datetime:
    return utc_now().replace(microsecond=0)


def make_bundle(
    sources: Sources,
    out: Path,
    key: CryptoSigner,
    *,
    root_key: CryptoSigner | None = None,
    published: dt.datetime | None = None,
    expires: dt.datetime | None = None,
) -> Made:
    """Adds the next bundle version of ``sources`` to the repository folder ``out`` (made if
    absent), signed by ``key`` (and ``root_key`` for the root, if given). ``published``
    (default now) is the data's age at every gate; ``expires`` (default 7 days after
    ``published``) is when gates stop trusting this version unless a newer one came.

    Raises BundleError (nothing published) for a missing source or a wrong key.
    """
    published = (published or _now()).astimezone(dt.UTC)
    if published > _now() + MAX_CLOCK_SKEW:  # gates refuse it too
        raise BundleError(f"published {published.isoformat()} is in the future")
    expires = (expires or published + dt.timedelta(days=7)).astimezone(dt.UTC)
    signers = {role: key for role in TOP_LEVEL_ROLE_NAMES}
    if root_key is not None:
        signers["root"] = root_key
    out.mkdir(parents=True, exist_ok=True)
    root, previous = _current(out, signers)
    version = previous + 1
    files, lists, catalogues = _layout(sources)
    manifest = Manifest(
        version=version,
        published=published,
        control_list="control-list.csv",
        annex=sources.annex,
        annex_date=sources.annex_date,
        catalogues=catalogues,
        countries="countries.toml",
        lists=tuple(lists),
        clearances=None if sources.clearances is None else CLEARANCES_NAME,
    )
    targets = Targets(version=version, expires=expires)
    blobs = {MANIFEST_NAME: manifest.to_bytes()}
    for name, path in files.items():
        try:
            blobs[name] = path.read_bytes()
        except OSError as exc:
            raise BundleError(f"{path}: {exc.strerror}") from None
    for name, data in blobs.items():
        info = TargetFile.from_data(name, data, ["sha256"])
        targets.targets[name] = info
        folder, _, base = name.rpartition("/")
        digest = info.hashes["sha256"]
        _write(out / "targets" / folder / f"{digest}.{base}", data)
    snapshot = Snapshot(version=version, expires=expires)
    snapshot.meta["targets.json"] = MetaFile(version=version)
    timestamp = Timestamp(version=version, expires=expires)
    timestamp.snapshot_meta = MetaFile(version=version)
    if previous == 0:
        root_bytes = root.to_bytes(SERIALIZER)
        _write(out / "1.root.json", root_bytes)
        _write(out / "root.json", root_bytes)
    _write(out / f"{version}.targets.json", _signed(Metadata(targets), signers["targets"]))
    _write(out / f"{version}.snapshot.json", _signed(Metadata(snapshot), signers["snapshot"]))
    # Last: the moment this bundle is published.
    _write(out / "timestamp.json", _signed(Metadata(timestamp), signers["timestamp"]))
    return Made(version, published, expires, len(blobs), out / "root.json")
