"""The gate side: a bundle pulled and verified with python-tuf's ngclient.

``fetch_bundle`` runs the TUF client workflow against the office's repository: the trusted
root (``[reference] root``, then any newer root the office signed with the old one), then
``timestamp``, ``snapshot`` and ``targets``, each checked for

- its signatures, by the keys and threshold the trusted root names (a bundle signed by another
  key is refused: ``signature``);
- its version, never lower than the one already trusted (``rollback``: an attacker or a
  mistaken mirror serving last month's bundle, with last month's lists, is refused);
- its expiry (``expired``: a repository nobody re-signs, or a replay of an old one, is
  refused: "freeze");

then downloads every file the manifest names and checks its length and SHA-256 against the
signed targets (``hash``). The files land in a folder of their own, ``bundles/v{N}``, that
is renamed into place only once every one of them verified. What is trusted is kept in
``metadata/`` (ngclient's cache), so a rollback is refused across restarts too.

Only then is the bundle handed to the service to load (gate/service/reference_swap.py). A
failure here is a ``Refused`` naming the check that failed; nothing of the gate's data has
changed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tuf.api import exceptions
from tuf.api.metadata import Metadata, Root, Targets
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

from gate.config.bundle_manifest import MANIFEST_NAME, Manifest, parse_manifest
from gate.errors import BundleError

#: The copy of the signed targets metadata kept in each bundle's folder (a name no manifest
#: file can have: those start with a letter or digit).
TARGETS_COPY = ".targets.json"


class Refused(BundleError):
    """A bundle refused by a TUF check; ``check`` names it: ``signature``, ``rollback``,
    ``expired``, ``hash``, ``manifest``, ``metadata`` (any other fault of the metadata) or
    ``download`` (the office out of reach). Its contents are checked later (``load``, in
    gate/service/reference_swap.py)."""

    def __init__(self, check: str, text: str) -> None:
        super().__init__(f"{check}: {text}")
        self.check = check
        self.text = text


@dataclass(frozen=True, slots=True)
class Verified:
    """A bundle whose every check passed: its manifest, the folder holding its files (each
    under its name in the manifest), and the expiry of its targets metadata."""

    manifest: Manifest
    folder: Path
    expires: dt.datetime

    def path(self, name: str) -> Path:
        return self.folder / name


class FileFetcher(FetcherInterface):
    """Reads ``file://`` URLs: ``gate bundle verify`` on a repository folder."""

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = Path(unquote(urlsplit(url).path))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise exceptions.DownloadHTTPError(f"{path} not found", 404) from None
        except OSError as exc:
            raise exceptions.DownloadError(f"{path}: {exc.strerror}") from None
        yield data


def _words(exc: BaseException) -> str:
    """What ``exc`` says, or the first of its causes that says anything (TUF raises some
    failures, a refused connection among them, with no words of their own), or its name."""
    seen: BaseException | None = exc
    while seen is not None:
        if str(seen):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def _without_credentials(refused: Refused, url: str) -> Refused:
    """``refused`` with the user and password of ``url`` taken out of its text: TUF's
    fetcher names the URL it failed on, and the text is alerted and journaled."""
    userinfo = urlsplit(url).netloc.rpartition("@")[0]
    if not userinfo or userinfo not in refused.text:
        return refused
    return Refused(refused.check, refused.text.replace(userinfo + "@", "[redacted]@"))


def _refusal(exc: Exception) -> Refused:
    """The check a TUF error failed, in words an operator can act on."""
    if isinstance(exc, Refused):
        return exc
    if isinstance(exc, exceptions.BadVersionNumberError):
        return Refused("rollback", f"older than the bundle this gate already trusts ({exc})")
    if isinstance(exc, exceptions.ExpiredMetadataError):
        return Refused("expired", f"the office's signature has run out ({exc})")
    if isinstance(exc, exceptions.UnsignedMetadataError):
        return Refused("signature", f"not signed by the office's key ({exc})")
    if isinstance(
        exc, exceptions.LengthOrHashMismatchError | exceptions.DownloadLengthMismatchError
    ):
        return Refused("hash", f"a file differs from the one the office signed ({exc})")
    if isinstance(exc, exceptions.RepositoryError):
        return Refused("metadata", str(exc))
    if isinstance(exc, exceptions.DownloadError | OSError):
        return Refused("download", f"cannot fetch the bundle: {_words(exc)}")
    return Refused("metadata", repr(exc))


def fetch_bundle(
    url: str,
    root: bytes,
    metadata_dir: Path,
    bundles_dir: Path,
    *,
    applied: int | None = None,
    floor: int = 0,
    timeout: float = 30.0,
) -> Verified | None:
    """Refreshes the trusted metadata from ``url`` and, when its bundle version is not
    ``applied``, downloads and verifies the bundle; None when there is nothing new. A version
    below ``floor`` (the newest this gate ever applied, kept outside ``metadata/``: TUF's
    own rollback check forgets everything when that folder is lost) is refused
    (``rollback``) before anything is downloaded.

    Blocking (network and disk): run it in a worker thread. Raises Refused.
    """
    # The gate's own folders: nobody else needs to read or write them.
    metadata_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    bundles_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fetcher: FetcherInterface
    if url.startswith("file:"):
        fetcher = FileFetcher()
    else:
        fetcher = Urllib3Fetcher(socket_timeout=max(1, round(timeout)))
    try:
        updater = Updater(
            str(metadata_dir),
            url,
            target_dir=None,
            target_base_url=url + "targets/",
            fetcher=fetcher,
            bootstrap=root,
        )
        updater.refresh()
        trusted = Metadata[Targets].from_bytes((metadata_dir / "targets.json").read_bytes())
        version = trusted.signed.version
        if version == applied:
            return None
        if version < floor:
            raise Refused(
                "rollback",
                f"bundle v{version} is older than v{floor}, which this gate already applied",
            )
        info = updater.get_targetinfo(MANIFEST_NAME)
        if info is None:
            raise Refused("manifest", f"the signed targets hold no {MANIFEST_NAME}")
        staging = bundles_dir / f".staging-v{version}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        updater.download_target(info, str(staging / MANIFEST_NAME))
        try:
            manifest = parse_manifest((staging / MANIFEST_NAME).read_bytes())
        except BundleError as exc:
            raise Refused("manifest", str(exc)) from None
        if manifest.version != version:
            raise Refused(
                "manifest", f"{MANIFEST_NAME} says version {manifest.version}, targets {version}"
            )
        for name in manifest.files:
            file_info = updater.get_targetinfo(name)
            if file_info is None:
                raise Refused("manifest", f"{MANIFEST_NAME} names {name}, which is not signed")
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            updater.download_target(file_info, str(target))
        # The signed targets this bundle was checked against, kept with it: a restart checks
        # the files again against them (``cached_bundle``), whatever the office sent since.
        shutil.copyfile(metadata_dir / "targets.json", staging / TARGETS_COPY)
        folder = bundles_dir / f"v{version}"
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
        return Verified(manifest, folder, trusted.signed.expires)
    except Exception as exc:  # every failure is a refusal naming its check
        raise _without_credentials(_refusal(exc), url) from exc


def cached_bundle(
    metadata_dir: Path, bundles_dir: Path, version: int, bootstrap: Path | None = None
) -> Verified | None:
    """Bundle ``version``, the one this gate had in use, read back from its own folder at
    start (no network): its signed targets (kept with it) checked again against the trusted
    root (``metadata/root.json``, or the ``bootstrap`` root of the config when that folder
    is lost), and every file checked again against them. None when it is not there or any
    check fails. Expiry is not checked: the bundle was in use before the restart, and the
    data's own age still holds it (2.3).

    Blocking: run it in a worker thread."""
    folder = bundles_dir / f"v{version}"
    try:
        trusted_root = metadata_dir / "root.json"
        if bootstrap is not None and not trusted_root.exists():
            trusted_root = bootstrap
        root = Metadata[Root].from_bytes(trusted_root.read_bytes())
        trusted = Metadata[Targets].from_bytes((folder / TARGETS_COPY).read_bytes())
        root.verify_delegate(Targets.type, trusted)
        manifest = parse_manifest((folder / MANIFEST_NAME).read_bytes())
        if not manifest.version == trusted.signed.version == version:
            return None
        for name in (MANIFEST_NAME, *manifest.files):
            with open(folder / name, "rb") as f:
                trusted.signed.targets[name].verify_length_and_hashes(f)
    except (OSError, ValueError, KeyError, BundleError, exceptions.RepositoryError):
        return None
    return Verified(manifest, folder, trusted.signed.expires)


def prune(bundles_dir: Path, keep: Path) -> None:
    """Removes every bundle folder but ``keep`` (and anything half-written)."""
    if not bundles_dir.is_dir():
        return
    for entry in bundles_dir.iterdir():
        if entry != keep:
            shutil.rmtree(entry, ignore_errors=True)
