"""The real service: `pilah serve` (uvicorn) on a free loopback port, spoken to over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings


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

    import threading

    t = threading.Thread(target=slow_request)
    t.start()
    time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    t.join(timeout=60)
    # uvicorn finishes the request, then exits re-raising SIGTERM (status -15) or with 0.
    assert result.get("status") == 200
    assert proc.wait(timeout=40) in (0, -signal.SIGTERM)
