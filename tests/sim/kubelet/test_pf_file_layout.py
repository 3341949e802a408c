"""The files of configMap, secret and downward API volumes, laid out as the kubelet's atomic writer does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sugarlab.sim.kubelet.file_volumes import MountFailed, keyed_files, write

NOW = datetime(2026, 11, 30, 12, 0, 0)


def test_every_key_is_a_file_behind_the_data_link(tmp_path: Path) -> None:
    write(tmp_path, {"a": (b"alpha", 0o644), "dir/b": (b"beta", 0o600)}, NOW)
    assert (tmp_path / "a").read_text() == "alpha"
    assert (tmp_path / "dir" / "b").read_text() == "beta"
    assert (tmp_path / "a").readlink() == Path("..data/a")
    assert (tmp_path / "..data").readlink() == Path("..2026_11_30_12_00_00.000000")
    assert (tmp_path / "dir" / "b").stat().st_mode & 0o777 == 0o600


def test_a_second_write_swaps_every_file_and_drops_removed_keys(tmp_path: Path) -> None:
    write(tmp_path, {"a": (b"1", 0o644), "gone": (b"x", 0o644)}, NOW)
    write(tmp_path, {"a": (b"2", 0o644)}, NOW + timedelta(seconds=1))
    assert (tmp_path / "a").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["..2026_11_30_12_00_01.000000", "..data", "a"]


def test_items_pick_keys_to_paths_with_their_own_modes() -> None:
    keys = {"a": b"alpha", "b": b"beta"}
    source = {"items": [{"key": "a", "path": "x/y", "mode": 0o400}, {"key": "b", "path": "b"}]}
    assert keyed_files(keys, source, 0o644, "configmap") == {"x/y": (b"alpha", 0o400), "b": (b"beta", 0o644)}


def test_a_missing_item_key_fails_unless_the_source_is_optional() -> None:
    source = {"items": [{"key": "nope", "path": "n"}]}
    with pytest.raises(MountFailed, match=r"^configmap references non-existent config key: nope$"):
        keyed_files({"a": b""}, source, 0o644, "configmap")
    assert keyed_files({"a": b""}, {**source, "optional": True}, 0o644, "configmap") == {}
