"""What a reviewer reads: checks in words, the gate's verdict, Data Docs that agree with the
gate, and stage pages that are titled, self-contained and hide code unless asked."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pandas as pd

from hotpass_lib import report
from hotpass_lib.charts import count_bars
from hotpass_lib.pages import render_stage
from hotpass_lib.profile import Profile
from hotpass_lib.validate import RESULT_COLUMNS


def _results(warn_fails: bool, error_fails: bool) -> pd.DataFrame:
    rows = [
        ("canonical_contacts", "expect_column_values_to_be_in_set", "emails_all_valid", "error",
         not error_fails, 40 if error_fails else 2, 469, ["False"], 0.9, "e-mails valid"),
        ("canonical_contacts", "expect_column_values_to_be_in_set", "reachable", "warn",
         not warn_fails, 300 if warn_fails else 0, 469, [], 0.5, "reachable"),
        ("quarantine", "pandera contract", None, "error", True, 0, 3, [], None, ""),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def test_checks_state_rule_threshold_counts_and_verdict(profile: Profile) -> None:
    table = report.checks(_results(warn_fails=True, error_fails=False), profile)
    emails, reachable, contract = table.to_dict("records")
    assert emails["rule"].startswith("in {True}; at least") and "% of rows" in emails["rule"]
    assert emails["failing rows"] == "2 of 469 (0.4%)"
    assert emails["verdict"] == "passed within tolerance"
    assert reachable["verdict"] == "warning (recorded, not blocking)"
    assert reachable["rule"] == "in {True}; at least 50% of rows"
    assert contract["rule"] == "pandera contract: every row"


def test_the_verdict_is_a_sentence_naming_each_failed_check(profile: Profile) -> None:
    passed = report.verdict(_results(warn_fails=True, error_fails=False), profile)
    assert passed.startswith("**Gate passed.** None of the 2 error-gated checks failed")
    assert "1 warn-level check(s) failed" in passed and "`reachable`" in passed
    failed = report.verdict(_results(warn_fails=False, error_fails=True), profile)
    assert failed.startswith("**Gate failed: the pipeline stops here.** 1 of the 2")
    assert "`emails_all_valid` in canonical_contacts" in failed and "40 of 469" in failed


def test_data_docs_status_follows_the_gate(profile: Profile, tmp_path: Path) -> None:
    index = report.write_data_docs(
        _results(warn_fails=True, error_fails=False), profile, tmp_path, "validate"
    )
    suite = json.loads((tmp_path / "datadocs" / "canonical_contacts.json").read_text())
    assert suite["status"] == "passed with warnings"
    page = index.read_text()
    assert "canonical_contacts.html" in page and "quarantine.html" in page
    assert "class='failed'" not in page and "passed with warnings" in page
    assert "http" not in page and "<script" not in page
    report.write_data_docs(_results(False, True), profile, tmp_path, "validate")
    suite = json.loads((tmp_path / "datadocs" / "canonical_contacts.json").read_text())
    assert suite["status"] == "failed"


def test_a_long_table_says_where_the_rest_is() -> None:
    frame = pd.DataFrame({"email": [f"person.{i}@example.co.za" for i in range(600)]})
    shown = report.table(frame, "Contacts", where="contacts.parquet").data
    assert "600 rows, the first 500 shown; all of them are in contacts.parquet" in shown
    assert "person.1@" not in shown and "p***@example.co.za" in shown


def _notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "hotpass", "display_name": "hotpass", "language": "python"}
    cell = nbformat.v4.new_code_cell("secret_code_line = load('/work/x')")
    png, meta = count_bars(pd.Series({"Cleaned": 12, "Contact Info": 7}), "Rows")._repr_png_()
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": base64.b64encode(png).decode()},
            metadata={"image/png": meta},
        ),
        nbformat.v4.new_output("stream", name="stdout", text="call (012) 345-6789\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · Ingest"), cell]
    path = tmp_path / "01_ingest.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_stage_page_is_titled_self_contained_and_hides_code(tmp_path: Path) -> None:
    target = tmp_path / "01_ingest.html"
    facts = {"Run": "20260101T000000Z-abcdef", "Git commit": "54a2288"}
    render_stage(
        _notebook(tmp_path), target, title="Ingest · run 20260101T000000Z-abcdef", facts=facts
    )
    page = target.read_text()
    assert "<title>Ingest · run 20260101T000000Z-abcdef</title>" in page
    assert "54a2288" in page and "Git commit" in page
    assert "secret_code_line" not in page
    assert "<script src" not in page and "mathjax" not in page.lower()
    assert 'alt="Rows: Cleaned 12, Contact Info 7"' in page
    assert "345-6789" not in page and "(***) ***-**89" in page
    render_stage(_notebook(tmp_path), target, title="Ingest", facts={}, show_code=True)
    assert "secret_code_line" in target.read_text()
