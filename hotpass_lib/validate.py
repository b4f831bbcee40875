"""Validation gates: pandera contracts and Great Expectations suites with a gate policy.

Each check carries a gate: ``error`` stops the pipeline, ``warn`` is recorded and shown.
Results come back as one tidy table so notebooks can show them and the runner can log them.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .errors import HotpassError
from .normalise import OFFICIAL_PROVINCES
from .profile import Profile
from .resources import contracts_dir
from .telemetry import traced

CONTRACTS_DIR = contracts_dir()
RESULT_COLUMNS = [
    "suite",
    "check",
    "column",
    "gate",
    "success",
    "failed_count",
    "element_count",
    "examples",
    "mostly",
    "why",
]

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


class GateError(HotpassError, RuntimeError):
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
        checks.append(
            (name, str(check), column, "error", False, len(group), len(frame), examples, None, "")
        )
    if not checks:
        checks.append((name, "pandera contract", None, "error", True, 0, len(frame), [], None, ""))
    return pd.DataFrame(checks, columns=RESULT_COLUMNS)


def _none(lists: pd.Series) -> pd.Series:
    """Whether each list is empty (one pass in C over the lists)."""
    sizes = np.fromiter(map(len, lists.to_numpy()), dtype=np.int64, count=len(lists))
    return pd.Series(sizes == 0, index=lists.index)


def organisation_view(orgs: pd.DataFrame) -> pd.DataFrame:
    """The columns the organisation suite checks; e-mail/phone validity as booleans, so that
    Data Docs never show personal data."""
    return pd.DataFrame(
        {
            "source_record_id": orgs["source_record_id"],
            "organisation_name": orgs["organisation_name"],
            "province": orgs["province"],
            "website": orgs["website"],
            "emails_all_valid": _none(orgs["invalid_emails"]),
            "phones_all_valid": _none(orgs["invalid_phones"]),
        }
    )


def contact_view(contacts: pd.DataFrame) -> pd.DataFrame:
    """The columns the contact suite checks (no personal data)."""
    reachable = ~_none(contacts["emails"]) | ~_none(contacts["phones"])
    return pd.DataFrame(
        {
            "organisation_source_record_id": contacts["organisation_source_record_id"],
            "identified": contacts["name"].notna() | contacts["role"].notna() | reachable,
            "emails_all_valid": _none(contacts["invalid_emails"]),
            "phones_all_valid": _none(contacts["invalid_phones"]),
            "reachable": reachable,
        }
    )


def ssot_view(orgs: pd.DataFrame) -> pd.DataFrame:
    """The columns the SSOT suite checks (no personal data)."""
    return pd.DataFrame(
        {
            "organisation_id": orgs["organisation_id"],
            "organisation_name": orgs["organisation_name"],
            "province": orgs["province"],
            "website": orgs["website"],
            "data_quality_score": orgs["data_quality_score"],
            "has_email_or_phone": orgs["primary_email"].notna() | orgs["primary_phone"].notna(),
        }
    )


def load_suite(name: str, profile: Profile, contracts_dir: Path = CONTRACTS_DIR) -> dict:
    """Read ``contracts/expectations/<name>.json`` and fill ``$placeholders`` from the
    profile's thresholds (and ``$provinces``). Expectations on the official provinces apply
    to South African profiles only: elsewhere the region column holds states or counties
    as written."""
    path = contracts_dir / "expectations" / f"{name}.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    values = {**profile.thresholds.model_dump(), "provinces": list(OFFICIAL_PROVINCES)}
    if profile.country != "ZA":
        suite["expectations"] = [
            e for e in suite["expectations"] if "$provinces" not in e["kwargs"].values()
        ]
    for exp in suite["expectations"]:
        for key, value in exp["kwargs"].items():
            if isinstance(value, str) and value.startswith("$"):
                if value[1:] not in values:
                    raise KeyError(f"{path}: unknown placeholder {value} in {exp['type']}")
                exp["kwargs"][key] = values[value[1:]]
        if exp.get("meta", {}).get("gate") not in {"error", "warn"}:
            raise ValueError(f"{path}: {exp['type']} needs meta.gate 'error' or 'warn'")
    return suite


def _context(gx_dir: Path | None) -> Any:
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context: Any
    if gx_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        gx_dir.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(gx_dir))
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def run_suites(checks: list[tuple[pd.DataFrame, dict]], gx_dir: Path | None = None) -> pd.DataFrame:
    """Run each (frame, suite) through its own GX checkpoint in one context; with ``gx_dir``
    the context is file-backed there and the Data Docs are built into it."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = _context(gx_dir)
    source = context.data_sources.add_or_update_pandas("hotpass")
    rows = []
    for frame, suite in checks:
        name = suite["name"]
        if name in source.get_asset_names():
            source.delete_asset(name)
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
        gx_suite = context.suites.add_or_update(gx.ExpectationSuite(name=name))
        for exp in suite["expectations"]:
            gx_suite.add_expectation_configuration(ExpectationConfiguration(**exp))
        gx_suite.save()
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
        )
        actions: list[Any] = (
            [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if gx_dir else []
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[definition], actions=actions)
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
        for result in outcome.run_results.values():
            for res in result.results:
                cfg, detail = res.expectation_config, res.result or {}
                examples = [str(v) for v in detail.get("partial_unexpected_list", [])[:3]]
                rows.append(
                    (
                        name,
                        cfg.type,
                        cfg.kwargs.get("column"),
                        cfg.meta.get("gate", "error"),
                        bool(res.success),
                        int(detail.get("unexpected_count") or 0),
                        int(detail.get("element_count") or len(frame)),
                        examples,
                        cfg.kwargs.get("mostly"),
                        str(cfg.meta.get("why", "")),
                    )
                )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def data_docs_index(gx_dir: Path) -> Path:
    """Where the Data Docs of a GX folder built by :func:`run_suite` start."""
    return gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def small_samples_warn(results: pd.DataFrame, min_rows: int) -> pd.DataFrame:
    """Ratio checks (``mostly``) judge a system, not a cell: over fewer than ``min_rows``
    rows a failure is a warning (the rows stay flagged), never a stop."""
    small = results["mostly"].notna() & (results["element_count"] < min_rows)
    out = results.copy()
    downgrade = small & (out["gate"] == "error")
    out.loc[downgrade, "gate"] = "warn"
    out.loc[downgrade, "why"] = (
        out.loc[downgrade, "why"] + f" (fewer than {min_rows} rows: a warning, not a stop)"
    )
    return out


def describe_failure(r: Any) -> str:
    """A failed check in words: rule, threshold and counts."""
    rule = f"{r.suite}: {r.check}" + (f" on {r.column}" if isinstance(r.column, str) else "")
    passed = r.element_count - r.failed_count
    text = f"{rule}: {r.failed_count} of {r.element_count} rows fail"
    mostly, why = getattr(r, "mostly", None), getattr(r, "why", "")
    if mostly is not None and not pd.isna(mostly):
        share = passed / r.element_count if r.element_count else 1.0
        text += f" ({share:.0%} pass; the threshold is {float(mostly):.0%})"
    if isinstance(why, str) and why:
        text += f". Rule: {why}"
    return text


def gate(results: pd.DataFrame) -> None:
    """Raise :class:`GateError` naming every failed ``error``-gated check, with its rule,
    threshold and counts; print the verdict either way."""
    failed = results[(~results["success"]) & (results["gate"] == "error")]
    warned = results[(~results["success"]) & (results["gate"] == "warn")]
    if failed.empty:
        print(f"Gate passed: {len(results)} checks, {len(warned)} warning(s), no blocking failure.")
        return
    lines = [f"- {describe_failure(r)}" for r in failed.itertuples()]
    raise GateError(f"{len(failed)} blocking check(s) failed:\n" + "\n".join(lines))


@traced("hotpass.validate.validate_ingest")
def validate_ingest(
    tables: dict[str, pd.DataFrame], profile: Profile, gx_dir: Path | None = None
) -> pd.DataFrame:
    """All checks of the ingest outputs: pandera contracts, then one GX suite per sheet kind."""
    suites = [
        (
            organisation_view(tables["organisations"]),
            load_suite("canonical_organisations", profile),
        ),
        (contact_view(tables["contacts"]), load_suite("canonical_contacts", profile)),
        (
            tables["addresses"][["organisation_source_record_id", "address"]],
            load_suite("canonical_addresses", profile),
        ),
    ]
    results = pd.concat(
        [
            check_contract(tables["organisations"], "canonical_organisations"),
            check_contract(tables["contacts"], "canonical_contacts"),
            check_contract(tables["quarantine"], "quarantine"),
            run_suites(suites, gx_dir),
        ],
        ignore_index=True,
    )
    return small_samples_warn(results, profile.thresholds.min_rows_for_ratio)


@traced("hotpass.validate.validate_ssot")
def validate_ssot(
    tables: dict[str, pd.DataFrame], profile: Profile, gx_dir: Path | None = None
) -> pd.DataFrame:
    """pandera contracts of the published tables, and the SSOT expectation suite."""
    names = ("organisations", "contacts", "review_queue", "quarantine")
    suite = [(ssot_view(tables["organisations"]), load_suite("ssot_organisations", profile))]
    results = pd.concat(
        [*(check_contract(tables[n], n) for n in names), run_suites(suite, gx_dir)],
        ignore_index=True,
    )
    return small_samples_warn(results, profile.thresholds.min_rows_for_ratio)


SUITE_DATASETS = {
    "canonical_organisations": "organisations.parquet",
    "canonical_contacts": "contacts.parquet",
    "canonical_addresses": "addresses.parquet",
    "quarantine": "quarantine.parquet",
    "ssot_organisations": "organisations.parquet",
    "organisations": "organisations.parquet",
    "contacts": "contacts.parquet",
    "review_queue": "review_queue.parquet",
}
"""The Parquet file each suite or contract validates (for lineage facets)."""


def suite_metrics(results: pd.DataFrame) -> dict[str, int]:
    """Per suite: checks evaluated, passed and failed (for MLflow)."""
    out: dict[str, int] = {}
    for suite, group in results.groupby("suite", sort=True):
        out[f"{suite}_evaluated"] = len(group)
        out[f"{suite}_passed"] = int(group["success"].sum())
        out[f"{suite}_failed"] = int((~group["success"]).sum())
    return out


def assertions(results: pd.DataFrame, folders: list[Path]) -> dict[str, list[dict[str, object]]]:
    """Results as OpenLineage data-quality assertions, keyed by the absolute path of the
    validated Parquet file (the first of ``folders`` that holds it)."""
    out: dict[str, list[dict[str, object]]] = {}
    for row in results.itertuples():
        name = SUITE_DATASETS.get(row.suite, f"{row.suite}.parquet")
        found = next((f / name for f in folders if (f / name).is_file()), folders[0] / name)
        entry = {"assertion": row.check, "success": bool(row.success), "severity": row.gate}
        if isinstance(row.column, str):
            entry["column"] = row.column
        out.setdefault(str(found.resolve()), []).append(entry)
    return out


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
        filled = col.map(len) > 0 if any(isinstance(v, list) for v in col) else col.notna()
        shares[name] = float(filled.mean()) if len(frame) else 0.0
    return pd.Series(shares, name="share_present").sort_values()
