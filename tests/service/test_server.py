"""The real service: `pilah serve` (uvicorn) on a free loopback port, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from support import wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(small_model_dir, tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, PILAH_FEEDBACK_DB=str(tmp_path_factory.mktemp("srv") / "fb.sqlite3"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilah.service.cli", "serve", "--port", str(port), "--model", str(small_model_dir)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError("server did not become ready in 90 s")
    yield base, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def test_real_server_answers_over_http(server):
    base, proc = server
    r = httpx.post(f"{base}/v1/analyze", json={"id": 1, "text": "jalan kabupaten rusak berlubang"}, timeout=10)
    assert r.status_code == 200
    assert r.json()["sector"]["label"] == "infrastruktur"
    page = httpx.get(f"{base}/", timeout=10)
    assert page.status_code == 200 and "Pilah" in page.text
    banner = proc.stdout.readline().decode()
    assert f"{base}/" in banner and "/docs" in banner


def test_openapi_fuzz_finds_no_server_errors(server):
    base, _ = server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []

    for op in schema.get_all_operations():
        operation = op.ok()
        strategy = operation.as_strategy()

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=base, timeout=20)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path} -> {response.status_code}: {response.text[:200]}")

        from hypothesis import given

        given(strategy)(check)()
    assert not failures, failures


def test_graceful_shutdown_drains_requests_in_flight(server):
    base, proc = server
    text = "jalan kabupaten rusak berlubang tolong diperbaiki segera " * 150
    docs = [{"id": i, "text": text} for i in range(4)]
    result: dict[str, int] = {}

    def slow_request() -> None:
        r = httpx.post(f"{base}/v1/analyze/batch", json={"documents": docs}, timeout=60)
        result["status"] = r.status_code

    t = threading.Thread(target=slow_request)
    t.start()
    time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    t.join(timeout=60)
    # uvicorn finishes the request, then exits re-raising SIGTERM (status -15) or with 0.
    assert result.get("status") == 200
    assert proc.wait(timeout=40) in (0, -signal.SIGTERM)


def _log_reader(proc: subprocess.Popen) -> tuple[list[dict], threading.Thread]:
    """Collect the server's JSON log lines (standard error) in a list, from a thread."""
    lines: list[dict] = []

    def read() -> None:
        for raw in proc.stderr:
            try:
                lines.append(json.loads(raw))
            except ValueError:
                lines.append({"msg": raw.decode(errors="replace")})

    t = threading.Thread(target=read, daemon=True)
    t.start()
    return lines, t


def test_a_reload_reaches_every_worker_process(small_model_dir, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(small_model_dir, new)
    port = _free_port()
    key = "w" * 24
    env = dict(os.environ, PILAH_FEEDBACK_DB=str(tmp_path / "fb.sqlite3"), PILAH_ADMIN_API_KEY=key)
    env.pop("PILAH_RUN_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilah.service.cli", "serve", "--port", str(port), "--workers", "2",
         "--model", str(small_model_dir)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    log, _ = _log_reader(proc)

    def pids(prefix: str) -> set[int]:
        return {e["pid"] for e in list(log) if str(e.get("msg", "")).startswith(prefix) and "pid" in e}

    try:
        wait_until(lambda: len(pids("serving model")) == 2, "two workers serving", limit=90, step=0.2, proc=proc)
        workers = pids("serving model")
        r = httpx.post(f"{base}/v1/admin/reload", json={"model_dir": str(new)}, headers={"X-API-Key": key},
                       timeout=60)
        assert r.status_code == 200 and r.json()["generation"] == 1
        wait_until(lambda: pids("reloaded") == workers, "both workers to log the reload", limit=90, step=0.2,
                   proc=proc)
        answers = set()
        for _ in range(20):  # a new connection each time, so that both processes answer some
            m = httpx.get(f"{base}/v1/model", timeout=10).json()
            answers.add((m["path"], m["generation"]))
        assert answers == {(str(new), 1)}
        swapped = [e for e in list(log) if str(e.get("msg", "")).startswith("reloaded")]
        assert {e["model_dir"] for e in swapped} == {str(new)} and {e["generation"] for e in swapped} == {1}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
