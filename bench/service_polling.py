"""The service under polling: 50 clients each poll ``GET /v1/sweeps/{id}`` of a 10,000-member
sweep once a second while 8 writer processes record its outcomes into PostgreSQL, against the
same 50 clients polling ``/healthz`` (the HTTP stack's floor: no store read) while the same
writers record another sweep, measured in the same run.

    .venv/bin/python -m bench.service_polling [--members 10000] [--clients 50] [--writers 8]

The service is ``railyard-batch serve`` (uvicorn), a real process, over a real PostgreSQL
server started for the run (tests/pg_server.py); the clients are httpx in one asyncio loop
in another process. Latency is from request sent to body read, per request.
Target (issue 14): p99 of the sweep poll at most 100 ms, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx

from bench._common import CLI, REPO
from railyard_batch.recording.store import MemberOutcome, RunStore, now
from railyard_batch.service.tokens import create_token
from tests.pg_server import PostgresServer
from tests.service.conftest import free_port


def _prepare(url: str, sweep_id: str, members: int) -> list[str]:
    store = RunStore(url)
    store.create_sweep(
        sweep_id,
        experiment="bench",
        command="bench",
        overrides=[],
        git_commit=None,
        git_dirty=None,
        package_versions={},
        backend="local",
    )
    ids = [f"{sweep_id}-0/m{i:05d}" for i in range(members)]
    store.create_run(
        f"{sweep_id}-0",
        sweep_id=sweep_id,
        job_num=0,
        overrides=[],
        config={},
        config_hash="h",
        estimator="LogisticRegression",
        data_path="d",
        data_md5="0" * 32,
        data_source="bench",
        artifact_uri="u",
        members=[
            (mid, f"m{i:05d}", f"m{i:05d}", 0, 1000, f"{sweep_id}{i}", None)
            for i, mid in enumerate(ids)
        ],
    )
    store.close()
    return ids


def _writer(url: str, ids: list[str], start: Any, rate: float) -> None:
    """Record ``ids``, one transaction each, at ``rate`` outcomes a second (0: at once)."""
    store = RunStore(url)
    start.wait()
    t0 = time.perf_counter()
    for k, mid in enumerate(ids):
        if rate:
            time.sleep(max(0.0, t0 + k / rate - time.perf_counter()))
        stamp = now()
        metrics = {"roc_auc": 0.9, "pr_auc": 0.5, "n_train": 1000}
        store.record_outcomes(
            [MemberOutcome(mid, "succeeded", stamp, now(), metrics=metrics, artifact_uri="u")]
        )
    store.close()


def _poll(base: str, path: str, token: str, clients: int, stop: Any, out: Any) -> None:
    """``clients`` pollers, each once a second until ``stop`` is set; the latencies (s) and
    the failures go to ``out``."""

    async def run() -> tuple[list[tuple[float, float]], list[str]]:
        latencies: list[tuple[float, float]] = []
        errors: list[str] = []
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, timeout=30
        ) as client:

            async def one(k: int) -> None:
                await asyncio.sleep(k / clients)  # spread the first requests over a second
                while not stop.is_set():
                    began = time.monotonic()
                    try:
                        response = await client.get(path)
                        response.read()
                        if response.status_code != 200:
                            errors.append(f"{response.status_code}: {response.text[:200]}")
                    except httpx.HTTPError as exc:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    elapsed = time.monotonic() - began
                    latencies.append((began, elapsed))
                    await asyncio.sleep(max(0.0, 1.0 - elapsed))

            await asyncio.gather(*(one(k) for k in range(clients)))
        return latencies, errors

    out.put(asyncio.run(run()))


def phase(
    url: str,
    base: str,
    token: str,
    path: str,
    ids: list[str],
    clients: int,
    writers: int,
    rate: float,
) -> tuple[list[float], list[str], float]:
    """Poll ``path`` while ``writers`` record ``ids``: the latencies of the requests sent
    while they recorded (not while the writer processes started), the errors and the
    recording's seconds."""
    ctx = multiprocessing.get_context("spawn")
    start, stop, out = ctx.Barrier(writers + 1), ctx.Event(), ctx.Queue()
    poller = ctx.Process(target=_poll, args=(base, path, token, clients, stop, out))
    poller.start()
    time.sleep(2.0)  # the pollers are steady before the recording starts
    procs = [
        ctx.Process(target=_writer, args=(url, ids[w::writers], start, rate / writers))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    start.wait()
    began = time.monotonic()
    for p in procs:
        p.join()
    ended = time.monotonic()
    recording = ended - began
    stop.set()
    timed, errors = out.get(timeout=120)
    latencies = [elapsed for sent, elapsed in timed if began <= sent <= ended]
    poller.join()
    if any(p.exitcode for p in procs):
        raise SystemExit("a writer failed")
    return latencies, errors, recording


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument(
        "--rate",
        type=float,
        default=500.0,
        help="outcomes a second, all writers together (0: as fast as they go)",
    )
    args = parser.parse_args()
    server = PostgresServer.start()
    service: subprocess.Popen[bytes] | None = None
    try:
        url = server.create_database("bench")
        floor_ids = _prepare(url, "bench-floor", args.members)
        sweep_ids = _prepare(url, "bench-sweep", args.members)
        token = create_token(url, name="bench-reader", role="reader")
        port = free_port()
        service = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--store", url],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if service.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the service did not start")
            time.sleep(0.2)
        rows = []
        for label, path, ids in (
            ("GET /healthz", "/healthz", floor_ids),
            ("GET /v1/sweeps/{id}", "/v1/sweeps/bench-sweep", sweep_ids),
        ):
            latencies, errors, recording = phase(
                url, base, token, path, ids, args.clients, args.writers, args.rate
            )
            rows.append((label, latencies, errors, recording))
        store = RunStore(url)
        counts = store.state_counts("bench-sweep")
        store.close()
        if counts != {"succeeded": args.members}:
            raise SystemExit(f"lost outcomes: {counts}")
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        server.stop()
    print(
        f"{args.clients} clients, each polling once a second while {args.writers} writers "
        f"record {args.members:,} outcomes into PostgreSQL "
        + (f"at {args.rate:g} a second" if args.rate else "as fast as they go")
    )
    print(
        f"{'':22} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'recording s':>12}"
    )
    for label, latencies, errors, recording in rows:
        print(
            f"{label:22} {len(latencies):8d} {len(errors):6d} {_p(latencies, 0.5) * 1e3:8.1f} "
            f"{_p(latencies, 0.99) * 1e3:8.1f} {max(latencies) * 1e3:8.1f} {recording:12.1f}"
        )
        for error in errors[:3]:
            print(f"  {error}", file=sys.stderr)
    sweep_p99 = _p(rows[1][1], 0.99)
    ratio = sweep_p99 / _p(rows[0][1], 0.99)
    print(
        f"p99 of the sweep poll: {sweep_p99 * 1e3:.1f} ms (target <= 100 ms, no errors: "
        f"{'met' if sweep_p99 <= 0.1 and not rows[1][2] else 'NOT met'}); "
        f"ratio to the /healthz floor: {ratio:.2f}x"
    )


if __name__ == "__main__":
    main()
