"""Progress reporting: tqdm when it is installed, else a plain line on stderr.

``progress`` arguments take True (a bar, or lines when tqdm is missing),
False/None (silent), or a callable ``f(done, total)`` called after each step.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, Optional, Union

ProgressArg = Union[bool, None, Callable[[int, int], Any]]


class Progress:
    def __init__(self, progress: ProgressArg, total: int, desc: str, unit: str = "rows") -> None:
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self._callback: Optional[Callable[[int, int], Any]] = progress if callable(progress) else None
        self._bar = None
        self._printer = False
        self._desc = desc
        self._unit = unit
        self._last_print = 0.0
        if progress is True:
            try:
                from tqdm.auto import tqdm

                self._bar = tqdm(total=total, desc=desc, unit=unit)
            except ImportError:
                self._printer = True

    def set(self, done: int, total: Optional[int] = None) -> None:
        with self._lock:
            if total is not None and total != self.total:
                self.total = total
                if self._bar is not None:
                    self._bar.total = total
            step = done - self.done
            self.done = done
            if self._bar is not None and step:
                self._bar.update(step)
            self._emit()

    def advance(self, step: int) -> None:
        with self._lock:
            self.done += step
            if self._bar is not None:
                self._bar.update(step)
            self._emit()

    def _emit(self) -> None:
        if self._callback is not None:
            self._callback(self.done, self.total)
        if self._printer:
            now = time.monotonic()
            if now - self._last_print >= 1.0 or self.done >= self.total:
                self._last_print = now
                print(f"{self._desc}: {self.done:,}/{self.total:,} {self._unit}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
