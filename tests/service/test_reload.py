"""Reloads: the shared board of one server's workers, followers catching up, label-set changes, the log."""

from __future__ import annotations

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import wait_until

from pilah.service.app import create_app
from pilah.service.metrics import ServiceMetrics
from pilah.service.reload import catch_up
from pilah.service.settings import Settings
from pilah.service.state import ModelHolder, ReloadBoard, ServedModel, load_and_check

KEY = "r" * 24


@pytest.fixture(scope="module")
def two_sector_model_dir(tmp_path_factory, small_examples, small_taxonomy) -> Path:
    """A model whose label set differs from the small model's: no "infrastruktur"."""
    from pilah.corpus.taxonomy import Taxonomy
    from pilah.models.persistence import save_model
    from pilah.models.train import train_model

    taxonomy = Taxonomy(name="two", version=1, abstain="lainnya",
                        sectors=tuple(s for s in small_taxonomy.sectors if s.id != "infrastruktur"))
    examples = [ex for ex in small_examples if ex.labels[0] != "infrastruktur"]
    result = train_model(examples, examples[:4], taxonomy=taxonomy, folds=3, seed=7)
    out = tmp_path_factory.mktemp("models") / "two"
    save_model(result.model, out, card=result.card)
    return out


def test_publish_gives_each_reload_the_next_generation_and_reset_starts_over(tmp_path):
    board = ReloadBoard(tmp_path / "run")
    assert board.read() is None
    board.reset(Path("models/a"))
    assert board.read() == ServedModel(0, Path("models/a"))
    assert board.publish(Path("models/b")) == 1
    assert board.publish(Path("models/c")) == 2
    assert board.read() == ServedModel(2, Path("models/c"))
    board.reset(Path("models/a"))  # a new server start forgets the last run's reloads
    assert board.read() == ServedModel(0, Path("models/a"))
    assert [p.name for p in (tmp_path / "run").iterdir() if p.name.startswith(".model.")] == []


def test_concurrent_publishes_never_share_a_generation(tmp_path):
    boards = [ReloadBoard(tmp_path) for _ in range(4)]  # one per "worker", the same directory
    with ThreadPoolExecutor(8) as pool:
        generations = list(pool.map(lambda i: boards[i % 4].publish(Path(f"m{i}")), range(40)))
    assert sorted(generations) == list(range(1, 41))
    last = boards[0].read()
    assert last is not None and last.generation == 40
    assert last.model_dir == Path(f"m{generations.index(40)}")


def _holder(model_dir: Path, generation: int = 0) -> ModelHolder:
    holder = ModelHolder()
    holder.swap(load_and_check(model_dir), model_dir, generation)
    return holder


def test_a_follower_loads_a_newer_generation_once(tmp_path, small_model_dir):
    from prometheus_client import CollectorRegistry

    newer = tmp_path / "newer"
    shutil.copytree(small_model_dir, newer)
    board = ReloadBoard(tmp_path / "run")
    board.reset(small_model_dir)
    holder = _holder(small_model_dir)
    metrics = ServiceMetrics(CollectorRegistry())
    assert asyncio.run(catch_up(holder, metrics, board)) is False  # nothing new
    board.publish(newer)
    assert asyncio.run(catch_up(holder, metrics, board)) is True
    assert (holder.generation, holder.model_dir) == (1, newer)
    assert asyncio.run(catch_up(holder, metrics, board)) is False


def test_a_follower_that_cannot_load_keeps_its_model_logs_once_and_does_not_retry(tmp_path, small_model_dir,
                                                                                  caplog):
    from prometheus_client import CollectorRegistry

    board = ReloadBoard(tmp_path / "run")
    holder = _holder(small_model_dir)
    metrics = ServiceMetrics(CollectorRegistry())
    board.publish(tmp_path / "gone")
    with caplog.at_level("INFO", logger="pilah.service"):
        assert asyncio.run(catch_up(holder, metrics, board)) is False
        assert asyncio.run(catch_up(holder, metrics, board)) is False
    assert (holder.generation, holder.model_dir) == (0, small_model_dir)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "gone" in errors[0].getMessage() and errors[0].code == "model_error"


def test_a_reload_in_one_app_reaches_another_app_sharing_the_run_dir(tmp_path, small_model_dir):
    """Two apps in one process stand for two workers: each has its own holder and polls the same board."""
    new = tmp_path / "new"
    shutil.copytree(small_model_dir, new)
    run_dir = tmp_path / "run"
    ReloadBoard(run_dir).reset(small_model_dir)
    settings = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "fb.sqlite3", admin_api_key=KEY,
                        run_dir=run_dir)
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
        r = a.post("/v1/admin/reload", json={"model_dir": str(new)}, headers={"X-API-Key": KEY})
        assert r.status_code == 200 and r.json()["generation"] == 1
        assert a.get("/v1/model").json()["path"] == str(new)
        wait_until(lambda: b.get("/v1/model").json()["generation"] == 1, "the second app to follow")
        assert b.get("/v1/model").json()["path"] == str(new)
        # A worker started after the reload (uvicorn replacing one that died) serves the same model.
        with TestClient(create_app(settings)) as c:
            assert (c.get("/v1/model").json()["path"], c.get("/v1/model").json()["generation"]) == (str(new), 1)


def test_a_model_with_another_label_set_needs_an_explicit_flag(tmp_path, small_model_dir, two_sector_model_dir,
                                                              caplog):
    settings = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "fb.sqlite3", admin_api_key=KEY)
    with TestClient(create_app(settings)) as c, caplog.at_level("INFO", logger="pilah.service"):
        r = c.post("/v1/admin/reload", json={"model_dir": str(two_sector_model_dir)}, headers={"X-API-Key": KEY})
        assert r.status_code == 409 and r.json()["code"] == "label_set_changed"
        assert "drops ['infrastruktur']" in r.json()["detail"] and "allow_label_change" in r.json()["detail"]
        assert c.get("/v1/model").json()["path"] == str(small_model_dir)
        r = c.post("/v1/admin/reload", json={"model_dir": str(two_sector_model_dir), "allow_label_change": True},
                   headers={"X-API-Key": KEY})
        assert r.status_code == 200 and "drops ['infrastruktur']" in r.json()["label_change"]
        assert c.get("/v1/model").json()["labels"] == ["adminduk", "kesehatan"]
    logged = [(r.levelname, getattr(r, "model_dir", None), getattr(r, "code", None))
              for r in caplog.records if "reload" in r.getMessage()]
    assert logged == [("WARNING", str(two_sector_model_dir), "label_set_changed"),
                      ("INFO", str(two_sector_model_dir), None)]


def test_every_reload_is_logged_with_its_model_dir_and_outcome(tmp_path, small_model_dir, caplog):
    settings = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "fb.sqlite3", admin_api_key=KEY)
    with TestClient(create_app(settings)) as c, caplog.at_level("INFO", logger="pilah.service"):
        bad = c.post("/v1/admin/reload", json={"model_dir": str(tmp_path / "nothing")}, headers={"X-API-Key": KEY})
        good = c.post("/v1/admin/reload", json={}, headers={"X-API-Key": KEY})
    assert bad.status_code == 422 and good.status_code == 200
    records = [r for r in caplog.records if "reload" in r.getMessage()]
    assert [(r.levelname, r.model_dir) for r in records] == [
        ("WARNING", str(tmp_path / "nothing")), ("INFO", str(small_model_dir))
    ]
    assert records[0].code == bad.json()["code"]
    assert records[1].model_version == good.json()["model"]["version"] and records[1].generation == 1
    from pilah.service.app import JsonFormatter

    line = json.loads(JsonFormatter().format(records[1]))
    assert line["model_dir"] == str(small_model_dir) and line["generation"] == 1 and line["pid"]


def test_a_removed_or_unreadable_board_never_restarts_the_count_below_the_publisher(tmp_path, caplog):
    board = ReloadBoard(tmp_path / "run")
    assert board.publish(Path("m1")) == 1
    board.path.unlink()  # a tmp cleaner
    assert board.publish(Path("m2"), after=1) == 2  # the others serve generation 1: they must see a newer one
    board.path.write_text("garbage{", encoding="utf-8")
    with caplog.at_level("ERROR", logger="pilah.service"):
        assert board.read() is None
        assert board.read() is None
    assert len([r for r in caplog.records if "cannot read the reload state" in r.getMessage()]) == 1
    assert board.publish(Path("m3"), after=2) == 3  # the next reload rewrites it
    assert board.read() == ServedModel(3, Path("m3"))


def test_a_worker_started_after_the_reloaded_model_went_away_serves_the_configured_one(tmp_path, small_model_dir,
                                                                                      caplog):
    """uvicorn stops every worker when a replacement fails to start: a replacement must start."""
    gone = tmp_path / "gone"
    shutil.copytree(small_model_dir, gone)
    run_dir = tmp_path / "run"
    board = ReloadBoard(run_dir)
    board.reset(small_model_dir)
    board.publish(gone)
    shutil.rmtree(gone)
    settings = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "fb.sqlite3", admin_api_key=KEY,
                        run_dir=run_dir)
    with caplog.at_level("ERROR", logger="pilah.service"), TestClient(create_app(settings)) as c:
        served = c.get("/v1/model").json()
        assert (served["path"], served["generation"]) == (str(small_model_dir), 0)
        assert c.post("/v1/analyze", json={"text": "jalan rusak"}).status_code == 200
    assert any("cannot load the reloaded model" in r.getMessage() for r in caplog.records)
