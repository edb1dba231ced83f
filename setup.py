"""Build of the optional compiled ingest core (everything else is in pyproject.toml).

``llmpulse_collector.ingest._wire`` is a Cython extension; when Cython or a C compiler
is missing, or ``LLMPULSE_PURE_PYTHON=1`` is set, the package installs without it and
the collector uses the pure-Python path (the reference the extension is tested against).
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_PYX = "collector/llmpulse_collector/ingest/_wire.pyx"


class _OptionalBuildExt(build_ext):
    """Build the extensions if this machine can; never fail the install over them."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers, ...
            print(
                f"llmpulse: compiled ingest core not built ({exc}); using pure Python",
                file=sys.stderr,
            )

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"llmpulse: {ext.name} not built ({exc}); using pure Python", file=sys.stderr)


def _extensions() -> list[Extension]:
    if os.environ.get("LLMPULSE_PURE_PYTHON", "").strip() not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("llmpulse: Cython missing; compiled ingest core not built", file=sys.stderr)
        return []
    extension = Extension(
        "llmpulse_collector.ingest._wire", [_PYX], optional=True, extra_compile_args=["-O2"]
    )
    return list(cythonize([extension], quiet=True, language_level=3))


setup(ext_modules=_extensions(), cmdclass={"build_ext": _OptionalBuildExt})
