"""Evidence pages: stage notebooks rendered to self-contained HTML, and the small static
pages (runs index, Data Docs) written beside them.

Every page loads nothing from the network: the nbconvert template ``hotpass`` (in
``templates/``) is JupyterLab's without require.js, MathJax, Mermaid or widget scripts, with
a header naming the stage, run, date, input folder and git commit, and alt text on charts.
"""

from __future__ import annotations

import functools
import html
import threading
import warnings
from pathlib import Path
from typing import Any

from .atomic import write_text
from .privacy import mask_notebook

TEMPLATES_DIR = Path(__file__).with_name("templates")
CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}.passed{color:#1b5e20}.warn{color:#8a5a00}.failed{color:#b71c1c}"
    "code{background:#f3f3f3;padding:0 3px}.meta{color:#555}"
)
"""The one stylesheet of Hotpass's own pages (inline: nothing to fetch)."""


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def html_table(head: list[str], rows: list[list[str]]) -> str:
    """A table from already-escaped cell HTML."""
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def render_stage(
    notebook: Path,
    target: Path,
    *,
    title: str,
    facts: dict[str, str],
    mask: bool = True,
    show_code: bool = False,
) -> None:
    """Render an executed notebook to ``target``: titled ``title``, ``facts`` (run id, date,
    input folder, commit...) at the top, outputs masked unless ``mask`` is off, code cells
    hidden unless ``show_code``."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    if mask:
        mask_notebook(nb)
    nb.metadata["title"] = title
    resources: dict[str, Any] = {"hotpass": {"title": title, "facts": facts}}
    with _EXPORTING, warnings.catch_warnings():  # scraps have no HTML form: fine
        warnings.simplefilter("ignore", UserWarning)
        body, _ = _exporter(show_code).from_notebook_node(nb, resources=resources)
    write_text(target, body)


_EXPORTING = threading.Lock()
"""One page at a time per exporter (an exporter registers filters as it converts)."""


@functools.cache
def _exporter(show_code: bool) -> Any:
    """The HTML exporter of stage pages, made once per process: its Jinja environment keeps
    the compiled templates (about 40 of them, compiled again by every new exporter)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="hotpass",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
