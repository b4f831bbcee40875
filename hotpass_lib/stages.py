"""The stage registry: the one declaration of the pipeline's shape.

Each stage names its notebook, the tables it reads (by the stage that wrote them) and
writes, the params keys its results depend on, the files besides tables that it reads, and
the libraries its kernel imports lazily. ``dvc.yaml`` and the workspace ``dvc.yaml`` that
``hotpass init`` writes (:mod:`hotpass_lib.dvcfile`), lineage and manifest hashes
(:class:`~hotpass_lib.settings.Settings`), kernel warm-up (:mod:`hotpass_lib.kernels`),
:func:`hotpass_lib.store.load_inputs` and the benchmark all derive from it.

Paths may name a params key in braces (``{input_dir}/ground_truth.csv``), resolved against
the workspace's params.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stage:
    """One pipeline stage: a notebook run by ``hotpass stage <name>``."""

    name: str
    notebook: str
    title: str
    reads: dict[str, tuple[str, ...]]
    """Tables read, by the stage that writes them (``{interim_dir}/<stage>/<table>.parquet``)."""
    writes: tuple[str, ...]
    """Tables written to :attr:`out`."""
    out: str
    params: tuple[str, ...]
    """Keys of ``params/pipeline.yaml`` its outputs or evidence depend on."""
    reads_input_dir: bool = False
    files: tuple[str, ...] = ()
    """Other files or folders read (profiles, reviewer decisions, contracts)."""
    optional_files: tuple[str, ...] = ()
    """Files read when present (the input folder's ground truth)."""
    warm_imports: tuple[str, ...] = ()
    """Libraries its library calls import on first use (not in the notebook's cells)."""
    extra_outs: tuple[str, ...] = ()
    plots: dict[str, dict[str, object]] = field(default_factory=dict)


PROFILES = "params/profiles"
DECISIONS = "params/review_decisions.yaml"
EXPECTATIONS = "contracts/expectations"
GROUND_TRUTH = "{input_dir}/ground_truth.csv"

VALIDATION_IMPORTS = (
    "great_expectations",
    "great_expectations.expectations",
    # pandera imports its check backends (and with them Hypothesis) on first validation
    "pandera.backends.pandas.builtin_checks",
)
"""What the validate and publish stages' kernels import ahead of their first cell."""

STAGES: tuple[Stage, ...] = (
    Stage(
        name="ingest",
        notebook="01_ingest.ipynb",
        title="Ingest",
        reads={},
        reads_input_dir=True,
        writes=(
            "organisations",
            "contacts",
            "addresses",
            "quarantine",
            "skipped",
            "accounting",
            "link_review",
            "mapping",
            "unread",
        ),
        out="{interim_dir}/ingest",
        params=("profile", "evidence"),
        files=(PROFILES, DECISIONS),
    ),
    Stage(
        name="validate",
        notebook="02_validate.ipynb",
        title="Validate",
        reads={"ingest": ("organisations", "contacts", "addresses", "quarantine")},
        writes=("results",),
        out="{interim_dir}/validate",
        params=("profile", "evidence"),
        files=(PROFILES, EXPECTATIONS),
        warm_imports=VALIDATION_IMPORTS,
    ),
    Stage(
        name="refine",
        notebook="03_refine.ipynb",
        title="Refine",
        reads={
            "validate": ("results",),
            "ingest": ("organisations", "contacts", "addresses", "link_review"),
        },
        writes=(
            "organisations",
            "contacts",
            "review_queue",
            "conflicts",
            "match_pairs",
            "match_plan",
        ),
        out="{interim_dir}/refine",
        params=("profile", "resolve", "evidence"),
        files=(PROFILES, DECISIONS),
        optional_files=(GROUND_TRUTH,),
        # the sqlglot dialects and comparison levels Splink imports on its first queries
        warm_imports=(
            "splink",
            "splink.comparison_library",
            "splink.comparison_level_library",
            "sqlglot.dialects.athena",
            "sqlglot.dialects.duckdb",
            "duckdb",
        ),
    ),
    Stage(
        name="publish",
        notebook="04_publish.ipynb",
        title="Publish",
        reads={
            "refine": ("organisations", "contacts", "review_queue", "conflicts"),
            "ingest": ("quarantine", "skipped", "accounting"),
        },
        writes=("organisations", "contacts", "review_queue", "quarantine", "skipped_rows"),
        out="{refined_dir}",
        params=("profile", "evidence"),
        files=(PROFILES, EXPECTATIONS),
        warm_imports=(*VALIDATION_IMPORTS, "rvgsrust_xlsxwriter"),
        extra_outs=("{plots_dir}",),
        plots={
            "{plots_dir}/quality_scores.csv": {
                "template": "bar_horizontal",
                "x": "organisations",
                "y": "score_band",
                "title": "Organisations per data-quality score band",
            }
        },
    ),
)
"""The stages, in pipeline order."""

BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def stage(name: str) -> Stage:
    """The stage called ``name``; a ``ValueError`` lists the stages otherwise."""
    if name not in BY_NAME:
        raise ValueError(f"unknown stage {name!r}; stages: {list(NAMES)}")
    return BY_NAME[name]


def expand(path: str, values: dict[str, str]) -> str:
    """``path`` with ``{key}`` replaced by the params' values."""
    return path.format(**values)
