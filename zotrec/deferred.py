"""scipy.stats imported when it is used, not when scikit-learn loads.

scikit-learn imports ``scipy.stats`` as it loads (its metrics, model selection and loss modules take
``rankdata`` and ``gmean`` from it) but calls it only inside functions zotrec's daily run never
reaches; executing ``scipy.stats`` costs about 0.6 s of CPU, a quarter of a small run.
:func:`defer_scipy_stats` installs an import hook: the first ``import scipy.stats`` gets a stand-in
module whose ``rankdata`` and ``gmean`` are thin functions calling the real ones, and the first
other use of it (any other attribute, ``from scipy.stats import x``) imports the real module, which
then takes its place (its submodules import as usual meanwhile). Code that uses scipy.stats sees no
difference.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable, Sequence
from typing import Any

NAME = "scipy.stats"
AT_IMPORT = ("rankdata", "gmean")  # the names scikit-learn's modules take from scipy.stats as they load


class _Deferred(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finder and loader of the stand-in ``scipy.stats`` (one per process)."""

    def __init__(self) -> None:
        self.stub: types.ModuleType | None = None
        self.lock = threading.RLock()

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if fullname != NAME or self.stub is not None:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.submodule_search_locations is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=real.origin, is_package=True)
        spec.submodule_search_locations = list(real.submodule_search_locations)
        return spec

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        self.stub = module
        for name in AT_IMPORT:
            setattr(module, name, self._forward(name))
        module.__getattr__ = lambda name: getattr(self.load(), name)  # type: ignore[method-assign]

    def _forward(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.load(), name)(*args, **kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    def load(self) -> types.ModuleType:
        """The real scipy.stats, imported on first use; the stand-in takes on its contents."""
        with self.lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            if sys.modules.get(NAME) is self.stub:
                del sys.modules[NAME]
            real = importlib.import_module(NAME)
            if self.stub is not None and self.stub is not real:
                self.stub.__dict__.update(real.__dict__)
            return real


_HOOK = _Deferred()


def defer_scipy_stats() -> None:
    """Install the hook, unless scipy.stats is loaded already (then there is nothing to save)."""
    if NAME not in sys.modules and _HOOK.stub is None and _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)
