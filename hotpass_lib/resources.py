"""Where the files Hotpass ships with are: notebooks, bundled profiles, expectation suites.

The repository's top-level folders (``notebooks/``, ``params/profiles/``,
``contracts/expectations/``) are the source of truth. A wheel carries copies of them as
package resources under ``hotpass_lib/bundled/`` (mapped in ``pyproject.toml``); an
editable install or a checkout uses the folders themselves.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
"""The source checkout this module sits in (meaningful only when :func:`in_checkout`)."""
BUNDLED: dict[str, str] = {
    "notebooks": "notebooks",
    "profiles": "params/profiles",
    "expectations": "contracts/expectations",
    "params": "params",
}
"""Each resource folder, by name, and its source folder in the repository."""


def in_checkout() -> bool:
    """Whether this package runs from a source checkout (not an installed wheel)."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "notebooks").is_dir()


def resource_dir(name: str) -> Path:
    """The folder of resource ``name`` (see :data:`BUNDLED`)."""
    packaged = Path(str(files("hotpass_lib").joinpath("bundled", name)))
    if packaged.is_dir():
        return packaged
    return CHECKOUT / BUNDLED[name]


def decisions_template() -> Path:
    """``params/review_decisions.yaml`` with no decisions: what ``hotpass init`` writes."""
    return resource_dir("params") / "review_decisions.yaml"


def notebooks_dir() -> Path:
    """The stage notebooks."""
    return resource_dir("notebooks")


def profiles_dir() -> Path:
    """The bundled industry profiles."""
    return resource_dir("profiles")


def contracts_dir() -> Path:
    """The folder holding ``expectations/`` (the Great Expectations suites)."""
    return resource_dir("expectations").parent
