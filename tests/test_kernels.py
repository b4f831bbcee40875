"""Warm kernels: started ahead, imports done silently, the notebook's evidence unchanged."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill

from hotpass_lib.kernels import WarmKernel, import_code


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "hotpass", "display_name": "hotpass", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# probe"),
        nbformat.v4.new_code_cell("import sys\nprint('colorsys' in sys.modules)"),
        nbformat.v4.new_code_cell(
            "import colorsys\nfrom pathlib import Path\nprint(Path.cwd().name)"
        ),
        nbformat.v4.new_code_cell("%time x = 1"),  # magics are skipped, not a failure
    ]
    nbformat.write(nb, path)
    return path


def test_import_code_collects_top_level_imports(tmp_path: Path) -> None:
    code = import_code(_notebook(tmp_path / "probe.ipynb"), extra=("json",))
    assert code.splitlines() == [
        "import json",
        "import sys",
        "import colorsys",
        "from pathlib import Path",
    ]


def test_a_warm_kernel_has_imported_before_the_first_cell(tmp_path: Path) -> None:
    source = _notebook(tmp_path / "probe.ipynb")
    kernel = WarmKernel("hotpass", source)
    try:
        out = papermill.execute_notebook(
            str(source), str(tmp_path / "out.ipynb"), km=kernel.take(), progress_bar=False
        )
    finally:
        kernel.shutdown()
    code = [c for c in out.cells if c.cell_type == "code"]
    assert code[0].outputs[0]["text"].strip() == "True"  # colorsys was imported by the warm-up
    assert code[1].outputs[0]["text"].strip() == tmp_path.name  # started in the notebook's folder
    assert [c.execution_count for c in code] == [1, 2, 3]  # the warm-up left no trace
    assert not kernel.km.is_alive()
