"""Profiles are validated on load, with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotpass_lib.profile import PROFILES_DIR, ProfileError, load_profile


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_bundled_profiles_load() -> None:
    for path in PROFILES_DIR.glob("*.yaml"):
        assert load_profile(path.stem).sources


def test_unknown_field_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load((PROFILES_DIR / "aviation.yaml").read_text())
    data["sources"][0]["sheets"][0]["columns"]["organisation_nme"] = ["X"]
    with pytest.raises(ProfileError, match=r"sources\.0\.sheets\.0\.columns.*organisation_nme"):
        load_profile(_write(tmp_path, data))


def test_contacts_sheet_needs_a_link(tmp_path: Path) -> None:
    data = yaml.safe_load((PROFILES_DIR / "aviation.yaml").read_text())
    del data["sources"][1]["sheets"][1]["link"]
    with pytest.raises(ProfileError, match="needs a 'link'"):
        load_profile(_write(tmp_path, data))


def test_typo_in_a_key_is_rejected(tmp_path: Path) -> None:
    data = yaml.safe_load((PROFILES_DIR / "aviation.yaml").read_text())
    data["thresholds"]["match_probabilty"] = 0.8
    with pytest.raises(ProfileError, match=r"thresholds\.match_probabilty"):
        load_profile(_write(tmp_path, data))


def test_unknown_profile_lists_the_available_ones() -> None:
    with pytest.raises(ProfileError, match="available"):
        load_profile("no-such-profile")
