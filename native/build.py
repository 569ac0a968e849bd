"""Builds gate's native table module with cffi (out-of-line API mode).

Run from anywhere: ``python native/build.py``. Compiles into ``build/`` and copies the
extension into ``gate/table/`` as ``gate.table._gtable``. ``compile()`` changes directory, so
every path here is absolute.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cffi import FFI

NATIVE = Path(__file__).resolve().parent
ROOT = NATIVE.parent
BUILD = ROOT / "build" / "native"
PACKAGE = ROOT / "gate" / "table"

CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]


def make_ffi() -> FFI:
    ffi = FFI()
    ffi.cdef((NATIVE / "table.cdef").read_text())
    ffi.set_source(
        "gate.table._gtable",
        '#include "table.h"',
        sources=[str(NATIVE / "table.c")],
        include_dirs=[str(NATIVE)],
        extra_compile_args=CFLAGS,
    )
    return ffi


def main() -> int:
    BUILD.mkdir(parents=True, exist_ok=True)
    built = Path(make_ffi().compile(tmpdir=str(BUILD), verbose=False))
    for old in PACKAGE.glob("_gtable*.so"):
        old.unlink()
    target = PACKAGE / built.name
    shutil.copy2(built, target)
    print(f"built {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
