"""The package's layers are folders, and imports only go down.

The order, lowest first: ``errors`` (the exception root), ``core`` (pure decisions),
``config``, ``table`` (the C door), ``storage``, ``service``, ``links``, ``ingest``, ``web``,
``cli``. A module may import its own layer and any layer below it, never one above: the
checker reads every ``import`` in the package with ``ast`` (imports under ``TYPE_CHECKING``
count too: a type that must come from above is a design smell, not an exception).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gate

PACKAGE = Path(gate.__file__).parent
LAYERS = (
    "errors",
    "core",
    "config",
    "table",
    "storage",
    "service",
    "links",
    "ingest",
    "web",
    "cli",
)
# Modules that sit directly in gate/ and belong to no layer: the package marker and the
# ``python -m gate`` entry (which is a command, so it ranks with cli).
TOP_LEVEL = {"__init__": None, "__main__": "cli", "errors": "errors"}
MAX_LINES = 600
# Modules still waiting for their split (issue 10); each leaves this set when it is split.
NOT_YET_SPLIT: set[str] = set()


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name inside ``gate``, or None for outside modules."""
    parts = module.split(".")
    if parts[0] != "gate":
        return None
    if len(parts) == 1:
        return None
    if parts[1] in TOP_LEVEL:
        return TOP_LEVEL[parts[1]]
    return parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, resolved to absolute dotted names, with line numbers."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from gate import web` names a layer through the package.
            if target == "gate":
                found.extend((node.lineno, f"gate.{alias.name}") for alias in node.names)
    return found


def violations(root: Path) -> list[str]:
    """Each import in ``root`` that goes up a layer, as ``file:line: a -> b``."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    found = []
    for path in sorted(root.rglob("*.py")):
        mine = layer_of(module_name(path))
        if mine is None:
            continue
        for line, target in imports_of(path):
            theirs = layer_of(target)
            if theirs is None or theirs not in rank:
                continue
            if rank[theirs] > rank[mine]:
                found.append(f"{path.relative_to(root.parent)}:{line}: {mine} -> {theirs}")
    return found


def test_every_module_sits_in_a_known_layer() -> None:
    """Each module in gate/ belongs to one of the named layers (or is a top-level marker)."""
    strays = []
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if name == "gate":
            continue
        if layer_of(name) not in LAYERS:
            strays.append(name)
    assert [] == strays


def test_imports_only_go_down() -> None:
    """No module imports a layer above its own."""
    assert [] == violations(PACKAGE)


def test_checker_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself can fail: a core module importing the web face is reported."""
    fake = tmp_path / "gate"
    (fake / "core").mkdir(parents=True)
    (fake / "web").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "core" / "__init__.py").write_text("")
    (fake / "web" / "__init__.py").write_text("")
    (fake / "core" / "bad.py").write_text("from gate.web import app\nfrom ..web import api\n")
    found = violations_in(fake)
    assert 2 == len(found)
    assert all("core -> web" in f for f in found)


def violations_in(root: Path) -> list[str]:
    global PACKAGE
    saved = PACKAGE
    PACKAGE = root
    try:
        return violations(root)
    finally:
        PACKAGE = saved


def test_gate_folder_holds_only_a_handful_of_modules() -> None:
    """The layers are folders: only the package marker, the -m entry and errors sit at the top."""
    assert set(TOP_LEVEL) == {p.stem for p in PACKAGE.glob("*.py")}


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_module_is_too_long_to_read(path: Path) -> None:
    """No module is over about 600 lines: a longer one has seams to split along."""
    if str(path.relative_to(PACKAGE)) in NOT_YET_SPLIT:
        return
    assert len(path.read_text("utf-8").splitlines()) <= MAX_LINES
