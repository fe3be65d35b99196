"""Helpers shared by test modules (``tests`` is on pytest's ``pythonpath``, see pyproject.toml)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType


def load_beside(test_file: str, filename: str, name: str) -> ModuleType:
    """Import ``filename`` from the folder of ``test_file`` as module ``name`` (once per session): the
    verbatim copies of earlier code that equality tests compare with are files, not packages."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(test_file).with_name(filename))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


def wait_until(predicate: Callable[[], object], what: str, *, limit: float = 30.0, step: float = 0.1,
               proc: subprocess.Popen | None = None) -> None:
    """Poll until ``predicate()``; the limit only bounds a broken run, no assertion is about time. With
    ``proc``, a process that exits meanwhile fails the wait at once."""
    deadline = time.monotonic() + limit
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(step)
