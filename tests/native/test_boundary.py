"""The C boundary keeps its promises: values from the header, every status named, one door."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import gate
from gate.errors import GateError, TableError
from gate.table import errors as te
from gate.table import native as lt

ROOT = Path(__file__).resolve().parents[2]
NATIVE = ROOT / "native"
PACKAGE = Path(gate.__file__).parent
DEFINE = re.compile(r"^#define (GTAB_\w+) (.+?)(?:\s*/\*.*)?$", re.MULTILINE)


def header_values() -> dict[str, int]:
    """Every integer #define of native/table.h, evaluated as C would (suffixes dropped)."""
    values = {}
    for name, text in DEFINE.findall((NATIVE / "table.h").read_text()):
        values[name] = int(text.strip().rstrip("ULul"), 0)
    return values


def test_cdef_takes_every_value_from_the_header() -> None:
    """Every #define in table.cdef is `...`, so no value is copied (the ABI check is real)."""
    cdef = DEFINE.findall((NATIVE / "table.cdef").read_text())
    assert cdef, "table.cdef declares the constants"
    assert [] == [name for name, value in cdef if value.strip() != "..."]
    assert set(header_values()) >= {name for name, _ in cdef}


def test_module_constants_are_the_headers() -> None:
    """The built module's constants are the header's (a stale build would differ)."""
    values = header_values()
    assert {name: getattr(lt.lib, name) for name in values} == values


def test_every_status_code_has_its_own_named_error() -> None:
    """Each status code C can return (GTAB_NOT_FOUND and every GTAB_E_*) raises its own
    TableError subclass, under the one root, with the path in the message."""
    codes = {name: getattr(lt.lib, name) for name in dir(lt.lib) if name.startswith("GTAB_E_")}
    codes["GTAB_NOT_FOUND"] = lt.lib.GTAB_NOT_FOUND
    raised: dict[str, type[BaseException]] = {}
    for name, code in codes.items():
        with pytest.raises(TableError) as info:
            lt._raise_for(code, "/some/table.gtab")
        assert "/some/table.gtab" in str(info.value)
        raised[name] = type(info.value)
    assert all(issubclass(kind, GateError) for kind in raised.values())
    assert TableError not in raised.values(), "a status fell through to the bare root"
    assert len(codes) == len(set(raised.values())), raised
    lt._raise_for(lt.lib.GTAB_OK, "unused")


def test_abi_and_format_checks_name_the_rebuild() -> None:
    """A native module of another ABI or format version is refused with `make native`."""
    lt.check_abi(lt.EXPECTED_ABI)
    assert lt.EXPECTED_ABI == lt.lib.gtab_abi_version() == lt.lib.GTAB_ABI_VERSION
    assert lt.EXPECTED_FORMAT == lt.FORMAT_VERSION
    with pytest.raises(te.TableABIMismatch, match="make native"):
        lt.check_abi(lt.EXPECTED_ABI + 1)
    with pytest.raises(te.TableABIMismatch, match=r"table format version 9.*make native"):
        lt.check_abi(9, lt.EXPECTED_FORMAT, what="table format")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_the_door_imports_the_extension() -> None:
    """gate/table/native.py is the one module that imports the built C extension."""
    importers = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any("_gtable" in name for name in _imports(path))
    ]
    assert ["table/native.py"] == importers


def test_the_product_never_uses_the_bench_probe() -> None:
    """Probe (raw lookups for the bench and the oracle tests) is outside the product: no
    module of gate names it but the one that defines it."""
    users = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "native.py" and re.search(r"\bProbe\b", path.read_text("utf-8"))
    ]
    assert [] == users
    product = {name for name in dir(lt.Table) if not name.startswith("_")}
    expected = {"open", "map", "header_bytes", "verify", "info", "controls", "control"}
    assert expected | {"lookup", "classify_lines"} == product
