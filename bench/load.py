"""HTTP service under load: part of `make bench`, or alone with `python bench/load.py --model DIR`.

Starts the real service (`pilah serve`) on a free loopback port, waits for /readyz, warms it up, then
measures:

1. an open-loop load: single complaint-size texts POSTed to /v1/analyze at a constant arrival rate. Each
   request has a scheduled send time; its latency runs from that time to the end of the response, so time
   spent queueing (in the client's connection pool or in the server) is counted, as in wrk2;
2. a closed loop (8 connections, next request on each answer): the single-request capacity;
3. sequential batch-of-100 requests to /v1/analyze/batch, each paired with an in-process `analyze` of the
   same 100 docs;
4. a generator check: the open loop against GET /healthz, to show the client itself can offer the rate.

All traffic goes to 127.0.0.1 and a server this module started. Every loop is bounded in count and time, and
the server is always stopped (SIGTERM, then SIGKILL to its process group).

The client is asyncio streams with h11 (the HTTP/1.1 parser httpx and uvicorn use), on uvloop when present.
httpx.AsyncClient was measured first on the 2-core box: it managed ~130 req/s against /healthz at most of a
core, too slow to offer 400 req/s; this client offers 400 req/s using ~0.2 of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import h11

__all__ = ["load_section", "main"]

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 1.0  # from the scheduled send time (40x the p99 target); later answers are timeouts
BATCH_SIZE = 100
BATCH_REQUESTS = 40
CLOSED_LOOP_CONNECTIONS = 8
BUDGET_S = 90.0  # the whole section; the 2-worker row is skipped when it would not fit


_T0 = time.perf_counter()


def _log(msg: str) -> None:
    print(f"[load {time.perf_counter() - _T0:5.1f} s] {msg}", file=sys.stderr, flush=True)


def complaint_texts(n: int, seed: int = 3) -> list[str]:
    """Complaint-size texts (40-60 words) from the shipped corpus, drawn with a fixed seed."""
    from pilah.corpus.records import read_corpus

    pool = [ex.text for ex in read_corpus() if ex.kind == "complaint" and 40 <= len(ex.text.split()) <= 60]
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(n)]


# --- the server -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _cpu_seconds(root_pid: int) -> float | None:
    """User + system CPU of a process and its descendants (Linux /proc), or None elsewhere."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2:].split()  # the command name may contain spaces
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    except (OSError, ValueError, AttributeError):
        return None
    total, frontier = 0.0, [root_pid]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0.0))[1]
        frontier += [child for child, (ppid, _) in stats.items() if ppid == pid]
    return total


class Server:
    """`pilah serve` on a free loopback port, as a context manager that always stops it."""

    def __init__(self, model_dir: Path, workers: int, workdir: Path) -> None:
        self.model_dir = model_dir
        self.workers = workers
        self.workdir = workdir
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"serve-{workers}w.log"

    def __enter__(self) -> Server:
        exe = Path(sys.executable).with_name("pilah")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pilah.service.cli"]
        cmd += ["serve", "--host", HOST, "--port", str(self.port), "--model", str(self.model_dir)]
        env = dict(os.environ, PILAH_WORKERS=str(self.workers), PILAH_GRACEFUL_TIMEOUT="2",
                   PILAH_FEEDBACK_DB=str(self.workdir / "feedback.sqlite3"))
        _log(f"starting {' '.join(cmd)} (PILAH_WORKERS={self.workers})")
        with self.log_path.open("wb") as log:
            # Own session: the server and its workers form one process group that __exit__ can kill.
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready(timeout_s=60.0)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _wait_ready(self, timeout_s: float) -> None:
        assert self.proc is not None
        t0 = time.perf_counter()
        deadline = t0 + timeout_s
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`pilah serve` exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2.0)
                try:
                    conn.request("GET", "/readyz")
                    if conn.getresponse().status == 200:
                        _log(f"ready on http://{HOST}:{self.port} after {time.perf_counter() - t0:.1f} s")
                        return
                finally:
                    conn.close()
            time.sleep(0.2)
        raise RuntimeError(f"`pilah serve` was not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cpu_seconds(self) -> float | None:
        return _cpu_seconds(self.proc.pid) if self.proc is not None else None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10.0)
            # uvicorn re-raises SIGTERM after its graceful shutdown, so -15 is a clean stop too.
            _log(f"server stopped (exit code {proc.returncode})")
        except subprocess.TimeoutExpired:
            _log("server did not stop within 10 s of SIGTERM; killing its process group")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5.0)


# --- the client -----------------------------------------------------------------------------------------


class _Connection:
    """One keep-alive HTTP/1.1 connection; h11 does the protocol, asyncio streams the I/O."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)

    async def request(self, method: str, target: str, body: bytes | None) -> tuple[int, bytes]:
        headers = [("Host", HOST)]
        if body is not None:
            headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        out = self.h11.send(h11.Request(method=method, target=target, headers=headers)) or b""
        if body is not None:
            out += self.h11.send(h11.Data(data=body)) or b""
        out += self.h11.send(h11.EndOfMessage()) or b""
        self.writer.write(out)
        status, chunks = 0, []
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server closed the connection mid-response")

    @property
    def reusable(self) -> bool:
        return self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE

    def close(self) -> None:
        self.writer.close()


class Client:
    """A bounded pool of keep-alive connections to one loopback port."""

    def __init__(self, port: int, max_connections: int = 64) -> None:
        self.port = port
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []

    async def request(self, method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else _Connection(*await asyncio.open_connection(HOST, self.port))
            try:
                status, data = await conn.request(method, target, body)
            except BaseException:  # including cancellation by a timeout: the connection is mid-message
                conn.close()
                raise
            if conn.reusable:
                conn.h11.start_next_cycle()
                self._idle.append(conn)
            else:
                conn.close()
            return status, data

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


def _run(coro_fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro_fn())


# --- measurements ---------------------------------------------------------------------------------------


def _percentile(sorted_xs: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence; nan when empty."""
    if not sorted_xs:
        return math.nan
    return sorted_xs[max(0, math.ceil(p / 100 * len(sorted_xs)) - 1)]


@dataclass
class LoadResult:
    label: str
    offered_rate: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    timeouts: int = 0
    closed_loop: bool = False
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)  # successful requests, from scheduled send time
    send_lag_s: list[float] = field(default_factory=list)  # how late the generator started each request
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0

    def pct_ms(self, p: float) -> float:
        """Percentile of latency in ms with timeouts counted as slower than every success (inf)."""
        xs = sorted(self.latencies_s) + [math.inf] * self.timeouts
        return _percentile(xs, p) * 1000

    @property
    def completed_rate(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0


async def _answered(client: Client, res: LoadResult, method: str, target: str, body: bytes | None,
                    timeout: float) -> float | None:
    """Send one request; the time its response had fully arrived when it was answered 200 with JSON in time,
    else None, counted in ``res``. Checking the JSON is the client's work, so it is not in that time."""
    try:
        status, data = await asyncio.wait_for(client.request(method, target, body), timeout=max(timeout, 0.001))
        done = time.perf_counter()
        if status != 200:
            res.errors += 1
            return None
        json.loads(data)
    except TimeoutError:
        res.timeouts += 1
        return None
    except Exception as exc:  # noqa: BLE001 - any other failure is an error of this request
        if not res.errors:
            _log(f"{res.label}: first error: {exc!r}")
        res.errors += 1
        return None
    return done


async def _open_loop(port: int, label: str, method: str, target: str, bodies: Sequence[bytes | None],
                     rate: float, duration_s: float, server: Server) -> LoadResult:
    """Constant-arrival-rate load: request i is due at start + i / rate, whatever happened before it."""
    res = LoadResult(label=label, offered_rate=rate, sent=max(1, round(rate * duration_s)))
    client = Client(port)
    cpu0, scpu0 = time.process_time(), server.cpu_seconds()
    start = time.perf_counter() + 0.05
    last_done = start

    async def one(i: int, due: float) -> None:
        nonlocal last_done
        res.send_lag_s.append(time.perf_counter() - due)
        remaining = due + REQUEST_TIMEOUT_S - time.perf_counter()
        now = await _answered(client, res, method, target, bodies[i % len(bodies)], remaining)
        if now is None:
            return
        res.latencies_s.append(now - due)
        last_done = max(last_done, now)

    tasks = []
    for i in range(res.sent):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    # Each request ends by its own timeout; the extra second is a backstop.
    _, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S + 1.0)
    for t in pending:
        t.cancel()
    res.timeouts += len(pending)
    res.ok = len(res.latencies_s)
    client.close()
    res.wall_s = max(last_done, start + duration_s) - start
    res.client_cpu_s = time.process_time() - cpu0
    scpu1 = server.cpu_seconds()
    res.server_cpu_s = scpu1 - scpu0 if scpu0 is not None and scpu1 is not None else None
    _log(f"{label}: {res.ok} ok, {res.errors} errors, {res.timeouts} timeouts, "
         f"p50 {res.pct_ms(50):.1f} ms, p99 {res.pct_ms(99):.1f} ms")
    return res


def open_loop(server: Server, label: str, method: str, target: str, bodies: Sequence[bytes | None],
              rate: float, duration_s: float) -> LoadResult:
    _log(f"{label}: {rate:.0f} req/s for {duration_s:.0f} s")
    res: LoadResult = _run(lambda: _open_loop(server.port, label, method, target, bodies, rate, duration_s, server))
    return res


async def _closed_loop(port: int, label: str, bodies: Sequence[bytes], connections: int, seconds: float,
                       server: Server) -> LoadResult:
    """Each of `connections` clients sends its next request as soon as the previous answer arrives."""
    res = LoadResult(label=label, offered_rate=math.nan, closed_loop=True)
    client = Client(port, max_connections=connections)
    cpu0, scpu0 = time.process_time(), server.cpu_seconds()
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(k: int) -> None:
        for i in range(k, 1_000_000, connections):
            t0 = time.perf_counter()
            if t0 > deadline:
                return
            res.sent += 1
            done = await _answered(client, res, "POST", "/v1/analyze", bodies[i % len(bodies)], REQUEST_TIMEOUT_S * 5)
            if done is not None:
                res.latencies_s.append(done - t0)

    await asyncio.gather(*(worker(k) for k in range(connections)))
    client.close()
    res.ok = len(res.latencies_s)
    res.wall_s = time.perf_counter() - start
    res.client_cpu_s = time.process_time() - cpu0
    scpu1 = server.cpu_seconds()
    res.server_cpu_s = scpu1 - scpu0 if scpu0 is not None and scpu1 is not None else None
    _log(f"{label}: {res.completed_rate:,.0f} req/s, p50 {res.pct_ms(50):.1f} ms, p99 {res.pct_ms(99):.1f} ms")
    return res


def closed_loop(server: Server, label: str, bodies: Sequence[bytes], seconds: float = 3.0) -> LoadResult:
    _log(f"{label}: {CLOSED_LOOP_CONNECTIONS} connections for {seconds:.0f} s")
    res: LoadResult = _run(lambda: _closed_loop(server.port, label, bodies, CLOSED_LOOP_CONNECTIONS, seconds, server))
    return res


def warm_up(port: int, single: Sequence[bytes], batch: bytes, seconds: float = 1.5, concurrency: int = 4) -> None:
    """A few concurrent single requests (so every worker sees some) and two batches; bounded in time."""

    async def go() -> int:
        client = Client(port, max_connections=concurrency)
        deadline = time.perf_counter() + seconds
        done = 0

        async def worker(k: int) -> None:
            nonlocal done
            for i in range(k, 10_000, concurrency):
                if time.perf_counter() > deadline:
                    return
                await asyncio.wait_for(client.request("POST", "/v1/analyze", single[i % len(single)]), 10.0)
                done += 1

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        for _ in range(2):
            await asyncio.wait_for(client.request("POST", "/v1/analyze/batch", batch), 30.0)
        client.close()
        return done

    _log(f"warmed up with {_run(go)} single requests and 2 batches")


@dataclass
class BatchResult:
    latencies_s: list[float]  # HTTP, one per sequential request
    errors: int
    in_process_s: list[float]  # `analyze` of the same documents in this process, one per timed pass
    label: str = "1 worker"
    pairs: list[tuple[float, float]] = field(default_factory=list)  # (in-process s, HTTP s) measured back to back

    @staticmethod
    def _docs_per_s(seconds: float) -> float:
        return BATCH_SIZE / seconds if seconds > 0 and not math.isnan(seconds) else 0.0

    def http_docs_per_s(self, p: float = 50) -> float:
        return self._docs_per_s(_percentile(sorted(self.latencies_s), p))

    def in_process_docs_per_s(self, p: float = 50) -> float:
        return self._docs_per_s(_percentile(sorted(self.in_process_s), p))

    def ratio(self, p: float = 50) -> float:
        """HTTP over in-process throughput, both at the same percentile of time per batch (50: medians)."""
        base = self.in_process_docs_per_s(p)
        return self.http_docs_per_s(p) / base if base else 0.0

    def paired_ratio(self) -> float:
        """Median over pairs of HTTP / in-process throughput, each pair measured back to back.

        A shared machine switches between fast and slow spells (the report gives the range of the in-process
        passes of the run); a pair almost always falls within one state, medians of the two
        sides taken separately need not.
        """
        ratios = sorted(ip / http for ip, http in self.pairs if http > 0)
        return _percentile(ratios, 50) if ratios else 0.0


def batch_latency(port: int, body: bytes, in_process_pass: Callable[[], float], requests: int = BATCH_REQUESTS,
                  budget_s: float = 20.0) -> BatchResult:
    """Sequential batch requests, each paired with an in-process pass over the same documents just before it,
    so that both sides see the same machine load (the server is idle during the in-process pass)."""

    async def go() -> BatchResult:
        client = Client(port, max_connections=1)
        lat: list[float] = []
        in_process_s: list[float] = []
        pairs: list[tuple[float, float]] = []
        errors = 0
        deadline = time.perf_counter() + budget_s
        for i in range(requests):
            if time.perf_counter() > deadline:
                break
            if i % 2 == 0:  # alternate which side of a pair goes first
                in_process_s.append(in_process_pass())  # blocks the loop; nothing else runs on it here
            t0 = time.perf_counter()
            try:
                status, data = await asyncio.wait_for(client.request("POST", "/v1/analyze/batch", body), 30.0)
                done = time.perf_counter()  # parsing the 140 kB answer (~2 ms) is the client's work, not the server's
                if status != 200 or len(json.loads(data)["results"]) != BATCH_SIZE:
                    errors += 1
                    continue
            except (TimeoutError, OSError, ValueError, KeyError, h11.ProtocolError):
                errors += 1
                continue
            finally:
                if i % 2 == 1:
                    in_process_s.append(in_process_pass())
            lat.append(done - t0)
            pairs.append((in_process_s[-1], done - t0))
        client.close()
        return BatchResult(lat, errors, in_process_s, pairs=pairs)

    res: BatchResult = _run(go)
    xs = sorted(res.latencies_s)
    _log(f"batch of {BATCH_SIZE}: {len(xs)} requests, p50 {_percentile(xs, 50) * 1000:.0f} ms, "
         f"{res.http_docs_per_s():,.0f} docs/s over HTTP vs {res.in_process_docs_per_s():,.0f} in-process "
         f"(medians): {res.ratio():.0%}; median of paired ratios {res.paired_ratio():.0%}")
    return res


def in_process(model_dir: Path, batch_texts: Sequence[str],
               single_texts: Sequence[str]) -> tuple[Callable[[], float], float]:
    """In-process baseline: a function timing one `analyze` of the whole batch (caches already warm), and
    the median cost in ms of a one-document `analyze` call (the floor under single-request latency)."""
    from pilah.models.analysis import Document
    from pilah.service.jobs import load_analyzer

    analyzer = load_analyzer(model_dir)
    docs = [Document(id=str(i), text=t) for i, t in enumerate(batch_texts)]
    analyzer.analyze(docs)  # warm-up: caches filled, as in a long-running service

    def one_pass() -> float:
        t0 = time.perf_counter()
        analyzer.analyze(docs)
        return time.perf_counter() - t0

    singles = []
    deadline = time.perf_counter() + 3.0
    for t in single_texts[:50]:
        if time.perf_counter() > deadline:
            break
        t0 = time.perf_counter()
        analyzer.analyze([Document(id=None, text=t)])
        singles.append(time.perf_counter() - t0)
    single_ms = _percentile(sorted(singles), 50) * 1000
    _log(f"in-process: one-document `analyze` call {single_ms:.1f} ms (median of {len(singles)})")
    return one_pass, single_ms


# --- the report -----------------------------------------------------------------------------------------


def _ms(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return f"> {REQUEST_TIMEOUT_S * 1000:,.0f} (timeout)"
    return f"{x:,.1f}"


def _cores(cpu_s: float | None, wall_s: float) -> str:
    return "n/a" if cpu_s is None or not wall_s else f"{cpu_s / wall_s:.2f}"


def load_section(model_dir: Path, *, duration_s: float = 20.0, rate: float = 400.0,
                 workers: Sequence[int] = (1, 2)) -> list[str]:
    """Markdown lines for BENCHMARKS.md: "## HTTP service under load".

    Starts `pilah serve` once per entry of `workers` (the first one also gets the generator check and the
    batch measurement), runs the open-loop single-document load at `rate` req/s for `duration_s` seconds,
    and stops each server before returning. About 75 s with the defaults on 2 cores; a server that would
    not fit in `BUDGET_S` is skipped and the skip is noted.
    """
    if not 0 < duration_s <= 30 or rate <= 0 or not workers:
        raise ValueError("duration_s must be in (0, 30], rate positive and workers non-empty")
    t_begin = time.perf_counter()
    model_dir = Path(model_dir)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    texts = complaint_texts(500)
    single = [json.dumps({"text": t}, ensure_ascii=False).encode() for t in texts]
    batch_texts = texts[:BATCH_SIZE]
    batch_body = json.dumps({"documents": [{"id": str(i), "text": t} for i, t in enumerate(batch_texts)]},
                            ensure_ascii=False).encode()
    in_process_pass, single_ms = in_process(model_dir, batch_texts, texts[BATCH_SIZE:])

    rows: list[LoadResult] = []
    batch: BatchResult | None = None
    skipped: list[int] = []
    with tempfile.TemporaryDirectory(prefix="pilah-load-") as tmp:
        for k, n_workers in enumerate(workers):
            first = k == 0
            needed = duration_s + 20.0 + (6.0 if first else 0.0)  # start (~11 s for 2 workers), warm-up, drain, stop
            if time.perf_counter() - t_begin + needed > BUDGET_S:
                _log(f"skipping {n_workers} worker(s): it would not fit in the {BUDGET_S:.0f} s budget")
                skipped.append(n_workers)
                continue
            name = f"{n_workers} worker{'s' if n_workers > 1 else ''}"
            with Server(model_dir, n_workers, Path(tmp)) as server:
                warm_up(server.port, single, batch_body)
                if first:
                    rows.append(open_loop(server, f"{name}: GET /healthz (generator check)", "GET", "/healthz",
                                          [None], rate, min(3.0, duration_s)))
                    batch = batch_latency(server.port, batch_body, in_process_pass)
                    batch.label = name
                rows.append(closed_loop(server, f"{name}: POST /v1/analyze, closed loop", single))
                rows.append(open_loop(server, f"{name}: POST /v1/analyze", "POST", "/v1/analyze", single,
                                      rate, duration_s))
    total_s = time.perf_counter() - t_begin
    _log(f"load section done in {total_s:.0f} s")
    return _render(rows, batch, rate=rate, duration_s=duration_s, single_ms=single_ms, skipped=skipped,
                   load_before=load_before, total_s=total_s)


def _render(rows: Sequence[LoadResult], batch: BatchResult | None, *, rate: float, duration_s: float,
            single_ms: float, skipped: Sequence[int], load_before: tuple[float, float, float] | None,
            total_s: float) -> list[str]:
    out = [
        "## HTTP service under load",
        "",
        f"Command: `python bench/load.py --model models/default --duration {duration_s:g} --rate {rate:g}` "
        f"(part of `make bench`; this section took {total_s:.0f} s).",
        "",
        "`pilah serve` runs on a free 127.0.0.1 port (`PILAH_WORKERS` as in each row, JSON access log on as",
        "shipped) and is warmed up; the load generator runs on the same machine, so server, workers and client",
        "share its cores. Texts are complaint-size (40-60 words, 500 drawn from the shipped corpus).",
        "",
        f"- Open loop: single texts to `POST /v1/analyze` at a constant {rate:g} requests/s for {duration_s:g} s,",
        "  whatever the answers do. Latency runs from each request's *scheduled* send time to the end of its",
        "  response, so queueing in the client or the server is counted (as in wrk2). Requests unanswered",
        f"  {REQUEST_TIMEOUT_S:g} s after their scheduled time are timeouts and rank above every success in the",
        "  percentiles; completed req/s counts answers within that time.",
        f"- Closed loop: {CLOSED_LOOP_CONNECTIONS} connections, each sending its next request when the previous "
        "answer arrives: the",
        "  most single-document requests per second the server completes; latency from send to answer.",
        "- Generator check: the open loop against `GET /healthz` (no analysis), to show whether the client itself",
        "  can offer the rate.",
        "",
        "The client is asyncio streams + h11 on uvloop, up to 64 keep-alive connections (httpx.AsyncClient",
        "managed only ~130 req/s on this machine). CPU columns are cores in use: CPU seconds / wall seconds.",
        "",
        "| run | requests | offered req/s | completed req/s | p50 ms | p90 ms | p99 ms | max ms "
        "| errors | timeouts | server CPU | client CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        offered = f"closed, {CLOSED_LOOP_CONNECTIONS} conns" if r.closed_loop else f"{r.offered_rate:,.0f}"
        out.append(f"| {r.label} | {r.sent:,} | {offered} | {r.completed_rate:,.0f} | "
                   f"{_ms(r.pct_ms(50))} | {_ms(r.pct_ms(90))} | {_ms(r.pct_ms(99))} | {_ms(r.pct_ms(100))} | "
                   f"{r.errors} | {r.timeouts} | {_cores(r.server_cpu_s, r.wall_s)} | "
                   f"{_cores(r.client_cpu_s, r.wall_s)} |")
    out.append("")
    if batch is not None:
        xs = sorted(batch.latencies_s)
        out += [
            f"Batch of {BATCH_SIZE}: the same {BATCH_SIZE} texts in one `POST /v1/analyze/batch`, {batch.label}, "
            f"{len(xs)} sequential requests",
            f"({batch.errors} errors), each just after a pass of `analyze` over the same documents in the "
            "benchmark process",
            "(caches warm, server idle; which side goes first alternates), so both sides of a pair see the same",
            "machine load. A shared machine switches between fast and slow spells (in this run the same in-process",
            f"pass took {min(batch.in_process_s) * 1000:.0f} to {max(batch.in_process_s) * 1000:.0f} ms), so the "
            "target is checked on the median of the per-pair",
            "ratios; the ratio of the two medians and of the two bests are beside it. With "
            f"{len(xs)} requests, p99 is the slowest.",
            "",
            "| batch | HTTP p50 ms | HTTP p99 ms | HTTP docs/s (median / best) | in-process docs/s (median / best) "
            "| HTTP / in-process: median of pairs / of medians / of bests |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {BATCH_SIZE} documents | {_ms(_percentile(xs, 50) * 1000)} | {_ms(_percentile(xs, 99) * 1000)} | "
            f"{batch.http_docs_per_s(50):,.0f} / {batch.http_docs_per_s(0):,.0f} | "
            f"{batch.in_process_docs_per_s(50):,.0f} / {batch.in_process_docs_per_s(0):,.0f} | "
            f"{batch.paired_ratio():.0%} / {batch.ratio(50):.0%} / {batch.ratio(0):.0%} |",
            "",
        ]
    analyze_rows = [r for r in rows if r.label.endswith("/v1/analyze")]
    out += ["Targets (2 cores, load generator included):", ""]
    for r in analyze_rows:
        p99 = r.pct_ms(99)
        ok = p99 < 25 and r.errors == 0 and r.timeouts == 0 and r.completed_rate >= 0.95 * rate
        out.append(f"- Single complaints at {rate:g} req/s, p99 < 25 ms, {r.label.split(':')[0]}: "
                   f"p99 {_ms(p99)} ms, {r.completed_rate:,.0f} req/s completed: **{'met' if ok else 'NOT met'}**.")
    if batch is not None and batch.latencies_s:
        out.append(f"- Batch requests at >= 80% of in-process throughput: {batch.paired_ratio():.0%} (median of "
                   f"paired ratios; {batch.ratio(50):.0%} as a ratio of medians): "
                   f"**{'met' if batch.paired_ratio() >= 0.8 else 'NOT met'}**.")
    out += ["", "Notes:", ""]
    gen = next((r for r in rows if "generator check" in r.label), None)
    if gen is not None:
        lag99 = _percentile(sorted(gen.send_lag_s), 99) * 1000
        sustained = gen.completed_rate >= 0.95 * rate and gen.timeouts == 0 and gen.errors == 0
        out.append(f"- Generator check: the same client offering {rate:g} req/s to `GET /healthz` (no analysis) "
                   f"completed {gen.completed_rate:,.0f} req/s, p99 {_ms(gen.pct_ms(99))} ms, send lag p99 "
                   f"{lag99:.1f} ms, client CPU {_cores(gen.client_cpu_s, gen.wall_s)} cores: the load generator "
                   + ("can sustain the offered rate, so a shortfall below is the server's."
                      if sustained else "could NOT sustain the offered rate here; read the rows below with that."))
    for r in analyze_rows:
        lag = sorted(r.send_lag_s)
        out.append(f"- {r.label}: generator send lag p99 {_percentile(lag, 99) * 1000:.1f} ms, "
                   f"max {_percentile(lag, 100) * 1000:.1f} ms.")
    out.append(f"- In-process, one `analyze` call on one complaint-size document costs {single_ms:.1f} ms (median), "
               f"so one worker cannot answer more than ~{1000 / single_ms:,.0f} single requests/s before any HTTP "
               "work; above that the open-loop queue grows until requests time out." if single_ms > 0 else
               "- In-process single-document cost not measured.")
    if any(r.timeouts for r in analyze_rows):
        out.append("- Past capacity the open loop collapses: requests queue in the server, its workers keep analysing "
                   "texts whose clients already gave up, and fewer requests complete in time than the closed loop "
                   "shows the server can do.")
    if skipped:
        out.append(f"- Skipped (time budget {BUDGET_S:.0f} s): {', '.join(f'{w} workers' for w in skipped)}.")
    if load_before is not None:
        out.append(f"- Load average before the run: {load_before[0]:.2f} / {load_before[1]:.2f} / "
                   f"{load_before[2]:.2f}. On a shared machine other processes take cores from both the server "
                   "and the client; compare runs made on an idle machine.")
    out.append("")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Pilah HTTP service under load (loopback only).")
    ap.add_argument("--model", default=str(ROOT / "models" / "default"), help="model directory to serve")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of open-loop load (at most 30)")
    ap.add_argument("--rate", type=float, default=400.0, help="offered single requests per second")
    ap.add_argument("--workers", default="1,2", help="comma-separated PILAH_WORKERS values, one server each")
    ap.add_argument("--out", default=None, help="write the Markdown section here instead of stdout")
    args = ap.parse_args()
    if not 0 < args.duration <= 30:
        ap.error("--duration must be in (0, 30] seconds")
    if not 0 < args.rate <= 5000:
        ap.error("--rate must be in (0, 5000] requests/s")
    workers = tuple(int(w) for w in args.workers.split(",") if w.strip())
    lines = load_section(Path(args.model), duration_s=args.duration, rate=args.rate, workers=workers)
    text = "\n".join(lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        _log(f"wrote {args.out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
