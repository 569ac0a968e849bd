"""``gate bundle``: the office's side of signed reference data (DESIGN 4, "Reference data").

- ``keygen KEY``: a new ed25519 office key (PEM, mode 0600).
- ``make --key KEY -o DIR``: the next bundle version of the config's data files (control
  list, catalogues, country groups, screening lists), signed, added to the repository DIR.
- ``verify --root ROOT SOURCE``: runs the same TUF checks a gate runs (signature, version,
  expiry, every file's hash) against a repository folder or URL, and with ``--config`` loads
  the contents as a gate would; exit 1 with the reason when anything fails.
- ``serve DIR``: a plain static HTTP server for the repository (the demo's office; any web
  server that serves files does the same).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from gate.config.settings import Config
from gate.errors import BundleError, ConfigError


def _instant(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def cmd_keygen(args: argparse.Namespace) -> int:
    from gate.links.reference.repository import new_key

    keyid = new_key(Path(args.key))
    print(f"wrote {args.key} (ed25519, key id {keyid[:16]}); keep it secret")
    return 0


def cmd_make(args: argparse.Namespace) -> int:
    from gate.config.settings import load_config
    from gate.links.reference.repository import Sources, load_signer, make_bundle

    config = load_config(args.config)
    key = load_signer(Path(args.key))
    root_key = load_signer(Path(args.root_key)) if args.root_key else None
    published = args.published
    expires = None
    if args.expires_days is not None:
        expires = (published or dt.datetime.now(dt.UTC)) + dt.timedelta(days=args.expires_days)
    made = make_bundle(
        Sources.from_config(config, Path(args.clearances) if args.clearances else None),
        Path(args.output),
        key,
        root_key=root_key,
        published=published,
        expires=expires,
    )
    print(
        f"bundle v{made.version} in {args.output}: {made.files} files, published"
        f" {made.published.isoformat()}, expires {made.expires.isoformat()};"
        f" gates trust {made.root}"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from gate.links.reference.fetch import fetch_bundle

    source = args.source
    if "://" not in source:
        folder = Path(source).resolve()
        if not folder.is_dir():
            raise BundleError(f"{source} is not a folder or URL")
        source = folder.as_uri()
    if not source.endswith("/"):
        source += "/"
    try:
        root = Path(args.root).read_bytes()
    except OSError as exc:
        raise ConfigError(f"--root {args.root}: {exc.strerror}") from None
    with tempfile.TemporaryDirectory(prefix="gate-bundle-") as tmp:
        work = Path(tmp)
        verified = fetch_bundle(source, root, work / "metadata", work / "bundles")
        assert verified is not None  # nothing was applied before
        manifest = verified.manifest
        if args.config:
            _load(args.config, verified.manifest, verified.folder)
        print(
            f"bundle v{manifest.version}: signature, version, expiry and the hash of"
            f" {len(manifest.files) + 1} files verified; published"
            f" {manifest.published.isoformat()}, expires {verified.expires.isoformat()}"
            + ("; contents load" if args.config else "")
        )
    return 0


def _load(config_path: str, manifest: object, folder: Path) -> None:
    """Loads the bundle's contents as a gate with ``config_path`` would; raises GateError."""
    from gate.config.bundle_manifest import Manifest
    from gate.config.settings import load_config
    from gate.service.policy_files import load_policy
    from gate.service.reference_swap import TABLE_NAME, bundle_config
    from gate.service.screening import list_source
    from gate.service.screening_lists import load_lists
    from gate.table.compiler import compile_table

    assert isinstance(manifest, Manifest)
    config: Config = bundle_config(load_config(config_path), manifest, folder)
    compile_table(config.table.control_list, config.table.catalogues, folder / TABLE_NAME)
    load_policy(config)
    sources = [list_source(x) for x in config.lists]
    _, refusals = load_lists(sources)
    if refusals:
        raise BundleError("; ".join(f"list {r.list_id}: {r.reason}" for r in refusals))


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    folder = Path(args.folder).resolve()
    if not (folder / "timestamp.json").is_file():
        raise BundleError(f"{folder} holds no bundle repository (no timestamp.json)")
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen: expected HOST:PORT, got {args.listen!r}")
    app = web.Application()
    app.router.add_static("/", folder, follow_symlinks=False)
    print(f"serving {folder} at http://{args.listen}/")
    asyncio.run(_serve(app, host, int(port)))
    return 0


async def _serve(app: object, host: str, port: int) -> None:
    from aiohttp import web

    assert isinstance(app, web.Application)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    with_config: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Adds ``gate bundle`` and its actions to the command line."""
    text = "make, check and serve signed reference-data bundles (the office's side)"
    bundle = commands.add_parser("bundle", help=text, description=text)
    actions = bundle.add_subparsers(dest="bundle_command", required=True, metavar="ACTION")

    def action(
        name: str, run: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    keygen = action("keygen", cmd_keygen, "write a new ed25519 office key (PEM, mode 0600)")
    keygen.add_argument("key", metavar="KEY", help="file to write (never overwritten)")

    make = action("make", cmd_make, "add the next signed bundle of the config's data files")
    with_config(make)
    make.add_argument("--key", required=True, help="the office key (signs every role)")
    make.add_argument("--root-key", help="a separate key for the root role (kept offline)")
    make.add_argument(
        "--clearances", help="the office's clearances of false positives (a JSON array)"
    )
    make.add_argument("-o", "--output", required=True, help="the repository folder (served)")
    make.add_argument(
        "--published", type=_instant, help="the data's publication time (default: now)"
    )
    make.add_argument(
        "--expires-days",
        type=float,
        help="days until gates stop trusting this version (default 7)",
    )

    verify = action("verify", cmd_verify, "check a bundle as a gate would; exit 1 if refused")
    verify.add_argument("--root", required=True, help="the trusted root.json")
    verify.add_argument(
        "--config", help="also load the contents as the gate with this config would"
    )
    verify.add_argument("source", metavar="SOURCE", help="repository folder or URL")

    serve = action("serve", cmd_serve, "serve a repository folder over plain HTTP")
    serve.add_argument("folder", metavar="DIR", help="the repository folder")
    serve.add_argument(
        "--listen", default="127.0.0.1:9091", help="HOST:PORT (default 127.0.0.1:9091)"
    )
