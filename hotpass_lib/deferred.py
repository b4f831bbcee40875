"""Work deferred from import time to first use, where a library's import does it eagerly.

``jsonschema`` (imported by nbformat, papermill, nbconvert and Great Expectations) imports
``rfc3987_syntax`` when it is installed (Jupyter's server requires it), to check the
``iri`` and ``iri-reference`` formats; that module builds 39 Lark grammars as it is imported:
about 1.1 s of CPU in every process that imports jsonschema, for formats nothing in a run
checks. :func:`defer_iri_grammars` puts a stand-in in its place that imports the real module
when a format check first calls it, so results are the same and the grammars are built only
if they are used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

IRI_MODULE = "rfc3987_syntax"


class _DeferredIri(types.ModuleType):
    """Stands in for ``rfc3987_syntax`` until something uses it."""

    def _real(self) -> types.ModuleType:
        if sys.modules.get(IRI_MODULE) is self:
            del sys.modules[IRI_MODULE]
        module = importlib.import_module(IRI_MODULE)
        # later imports get the real module
        sys.modules[IRI_MODULE] = module
        return module

    def is_valid_syntax(self, term: str, value: str) -> bool:
        """``rfc3987_syntax.is_valid_syntax``, the function jsonschema imports by name."""
        return bool(self._real().is_valid_syntax(term, value))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._real(), name)


def defer_iri_grammars() -> bool:
    """Defer ``rfc3987_syntax``'s grammars to their first use; call before anything imports
    jsonschema. Whether the stand-in is (now) in place."""
    current = sys.modules.get(IRI_MODULE)
    if isinstance(current, _DeferredIri):
        return True
    if current is not None or "jsonschema" in sys.modules:
        return False  # too late: already imported
    spec = importlib.util.find_spec(IRI_MODULE)
    if spec is None:
        return False  # not installed: jsonschema does without
    stand_in = _DeferredIri(IRI_MODULE, "rfc3987_syntax, imported on first use")
    stand_in.__spec__ = spec
    stand_in.__path__ = list(spec.submodule_search_locations or [])
    sys.modules[IRI_MODULE] = stand_in
    return True
