"""Offline validation against the official OpenLineage JSON Schemas in ``schemas/openlineage``.

Every ``$ref`` resolves in a closed registry built from the vendored files (by their
``$id``): the registry has no way to retrieve anything, so a reference to a schema that is
not vendored raises ``referencing.exceptions.Unresolvable`` instead of going to the
network. Each facet is checked against the schema its ``_schemaURL`` names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas" / "openlineage"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
NOT_VENDORED = {
    "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json",
    "https://openlineage.io/spec/facets/1-0-0/TagsRunFacet.json",
}
"""Facet schemas the client names that could not be vendored (see NOTICE): such facets are
checked by the core schema only."""


@cache
def registry() -> Registry:
    """The vendored schemas by ``$id``; nothing else resolves."""
    resources = []
    for path in sorted(SCHEMAS.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def validator(ref: str) -> Draft202012Validator:
    """A validator for the schema at ``ref`` (a URL, with or without a JSON pointer)."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": ref}
    return Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())


def facets(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every facet of an event, with where it sits (``run.parent``, ``outputs[0].schema``)."""
    groups = [
        ("run", event.get("run", {}).get("facets")),
        ("job", event.get("job", {}).get("facets")),
    ]
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side, [])):
            for key in ("facets", "inputFacets", "outputFacets"):
                groups.append((f"{side}[{i}].{key}", dataset.get(key)))
    for where, group in groups:
        for name, facet in (group or {}).items():
            yield f"{where}.{name}", facet


def validate_event(event: dict[str, Any]) -> None:
    """Validate ``event`` against the official core schema its ``schemaURL`` names, then each
    facet against its own schema; raises ``jsonschema.ValidationError`` (or
    ``referencing.exceptions.Unresolvable`` for a schema that is not vendored)."""
    assert event["schemaURL"].startswith(CORE + "#"), event["schemaURL"]
    validator(event["schemaURL"]).validate(event)
    for where, facet in facets(event):
        url = facet["_schemaURL"]
        if url.split("#")[0] in NOT_VENDORED:
            continue
        try:
            validator(url).validate(facet)
        except Exception as exc:
            exc.add_note(f"in facet {where} ({url})")
            raise
