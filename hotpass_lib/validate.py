"""Validation gates: pandera contracts and Great Expectations suites with a gate policy.

Each check carries a gate: ``error`` stops the pipeline, ``warn`` is recorded and shown.
Results come back as one tidy table so notebooks can show them and the runner can log them.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .normalise import OFFICIAL_PROVINCES
from .profile import Profile

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
RESULT_COLUMNS = ["suite", "check", "column", "gate", "success", "failed_count",
                  "element_count", "examples"]  # fmt: skip

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


class GateError(RuntimeError):
    """An ``error``-gated check failed: the pipeline must stop."""


def check_contract(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Validate ``frame`` against contract ``name`` lazily (all failures at once): one
    result row per failing column and check, or one passing row."""
    from .contracts import contract

    try:
        contract(name).validate(frame, lazy=True)
        failures = pd.DataFrame(columns=["column", "check", "failure_case"])
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
        row_level = failures["schema_context"] == "DataFrameSchema"  # a check over whole rows
        failures.loc[row_level, "column"] = None
        failures.loc[row_level, "failure_case"] = failures.loc[row_level, "index"].astype(str)
        failures = failures.drop_duplicates(["column", "check", "index"])
    checks = []
    for (column, check), group in failures.groupby(["column", "check"], dropna=False, sort=True):
        examples = group["failure_case"].dropna().astype(str).unique()[:3].tolist()
        column = None if pd.isna(column) else column
        checks.append((name, str(check), column, "error", False, len(group), len(frame), examples))
    if not checks:
        checks.append((name, "pandera contract", None, "error", True, 0, len(frame), []))
    return pd.DataFrame(checks, columns=RESULT_COLUMNS)


def organisation_view(orgs: pd.DataFrame) -> pd.DataFrame:
    """The columns the organisation suite checks; e-mail/phone validity as booleans, so that
    Data Docs never show personal data."""
    return pd.DataFrame({
        "source_record_id": orgs["source_record_id"],
        "organisation_name": orgs["organisation_name"],
        "province": orgs["province"],
        "website": orgs["website"],
        "emails_all_valid": orgs["invalid_emails"].map(len) == 0,
        "phones_all_valid": orgs["invalid_phones"].map(len) == 0,
    })  # fmt: skip


def load_suite(name: str, profile: Profile, contracts_dir: Path = CONTRACTS_DIR) -> dict:
    """Read ``contracts/expectations/<name>.json`` and fill ``$placeholders`` from the
    profile's thresholds (and ``$provinces``)."""
    path = contracts_dir / "expectations" / f"{name}.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    values = {**profile.thresholds.model_dump(), "provinces": list(OFFICIAL_PROVINCES)}
    for exp in suite["expectations"]:
        for key, value in exp["kwargs"].items():
            if isinstance(value, str) and value.startswith("$"):
                if value[1:] not in values:
                    raise KeyError(f"{path}: unknown placeholder {value} in {exp['type']}")
                exp["kwargs"][key] = values[value[1:]]
        if exp.get("meta", {}).get("gate") not in {"error", "warn"}:
            raise ValueError(f"{path}: {exp['type']} needs meta.gate 'error' or 'warn'")
    return suite


def _context(gx_dir: Path | None):
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    if gx_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        gx_dir.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(gx_dir))
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def run_suite(frame: pd.DataFrame, suite: dict, gx_dir: Path | None = None) -> pd.DataFrame:
    """Run an expectation suite through a GX checkpoint; Data Docs go under ``gx_dir``."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = _context(gx_dir)
    name = suite["name"]
    source = context.data_sources.add_or_update_pandas("hotpass")
    asset = source.add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("whole")
    gx_suite = context.suites.add_or_update(gx.ExpectationSuite(name=name))
    for exp in suite["expectations"]:
        gx_suite.add_expectation_configuration(ExpectationConfiguration(**exp))
    gx_suite.save()
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
    )
    actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if gx_dir else []
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=[definition], actions=actions)
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    rows = []
    for result in outcome.run_results.values():
        for res in result.results:
            cfg = res.expectation_config
            detail = res.result or {}
            examples = [str(v) for v in detail.get("partial_unexpected_list", [])[:3]]
            rows.append((name, cfg.type, cfg.kwargs.get("column"), cfg.meta.get("gate", "error"),
                         bool(res.success), int(detail.get("unexpected_count") or 0),
                         int(detail.get("element_count") or len(frame)), examples))  # fmt: skip
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def data_docs_index(gx_dir: Path) -> Path:
    """Where the Data Docs of a GX folder built by :func:`run_suite` start."""
    return gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def gate(results: pd.DataFrame) -> None:
    """Raise :class:`GateError` naming every failed ``error``-gated check."""
    failed = results[(~results["success"]) & (results["gate"] == "error")]
    if failed.empty:
        return
    lines = [f"- {r.suite}: {r.check} on {r.column}: {r.failed_count} of {r.element_count} rows"
             for r in failed.itertuples()]  # fmt: skip
    raise GateError(f"{len(failed)} blocking check(s) failed:\n" + "\n".join(lines))


def validate_ingest(tables: dict[str, pd.DataFrame], profile: Profile,
                    gx_dir: Path | None = None) -> pd.DataFrame:  # fmt: skip
    """All checks of the ingest outputs: pandera contracts, then the GX organisation suite."""
    orgs = tables["organisations"]
    results = [
        check_contract(orgs, "canonical_organisations"),
        check_contract(tables["contacts"], "canonical_contacts"),
        check_contract(tables["quarantine"], "quarantine"),
        run_suite(organisation_view(orgs), load_suite("canonical_organisations", profile), gx_dir),
    ]
    return pd.concat(results, ignore_index=True)


def validate_ssot(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """pandera contracts of the published tables."""
    names = ("organisations", "contacts", "review_queue", "quarantine")
    return pd.concat([check_contract(tables[n], n) for n in names], ignore_index=True)  # fmt: skip


def headline(results: pd.DataFrame) -> dict[str, int]:
    """Checks run, passed, failed and blocking failures."""
    failed = ~results["success"]
    return {
        "checks_run": len(results),
        "checks_passed": int((~failed).sum()),
        "checks_failed": int(failed.sum()),
        "blocking_failures": int((failed & (results["gate"] == "error")).sum()),
        "warnings": int((failed & (results["gate"] == "warn")).sum()),
    }


def completeness(frame: pd.DataFrame, fields: list[str]) -> pd.Series:
    """Share of rows with a value in each field (lists count when non-empty)."""
    shares = {}
    for name in fields:
        col = frame[name]
        filled = col.map(len) > 0 if col.map(lambda v: isinstance(v, list)).any() else col.notna()
        shares[name] = float(filled.mean()) if len(frame) else 0.0
    return pd.Series(shares, name="share_present").sort_values()
