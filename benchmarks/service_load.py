"""Load on the backtest service: 50 backtests submitted while 200 clients poll task status, on loopback.

Work (issue: the backtest service): a real ``research-env serve --workers 2`` on a free loopback port, its
data folder a temporary one holding the real daily bars of SPY (``../shared/data/bars/1d/SPY.csv``). Then,
in one asyncio loop with ``httpx.AsyncClient``:

* ``--pollers`` status pollers start first and keep one request each in flight until every task has
  ended: ``GET /api/backtest/{id}`` of the submitted tasks in turn (the task list while none is submitted
  yet), each ``--interval`` seconds apart;
* ``--tasks`` backtests of ``dual_ma_crossover`` on SPY, 1d, one year (``--year``), submitted at once.

Checks (exit status 1 when one fails): every submit answers 202 with a distinct task id; every request
answers 200; every task ends ``done``; each task is seen with one ``started_at`` and one ``finished_at``
only (it ran once); the task list holds exactly the submitted ids, each once. Prints the status latency
(p50/p95/max), the request rate and the task throughput, then a markdown table. The whole run is bounded
by ``--limit`` seconds.

    python benchmarks/service_load.py [--tasks 50] [--pollers 200] [--workers 2] [--interval 0]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.client.service_server import ServiceServer, import_daily_bars, service_environment  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402

FINAL = ("done", "failed", "cancelled")


@dataclass
class Tally:
    """What the load saw: latencies (seconds) per kind of request, failures, and per task what it was seen as."""

    status_latency: list[float] = field(default_factory=list)
    list_latency: list[float] = field(default_factory=list)
    submit_latency: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    last: dict[str, dict] = field(default_factory=dict)
    started: dict[str, set] = field(default_factory=dict)
    finished: dict[str, set] = field(default_factory=dict)
    all_done_at: float | None = None
    expected: int = 0

    def saw(self, task: dict) -> None:
        task_id = task["task_id"]
        self.last[task_id] = task
        if task.get("started_at"):
            self.started.setdefault(task_id, set()).add(task["started_at"])
        if task.get("finished_at"):
            self.finished.setdefault(task_id, set()).add(task["finished_at"])

    def ended(self) -> bool:
        return len(self.ids) == self.expected and all(self.last.get(i, {}).get("status") in FINAL for i in self.ids)


async def poll(client, tally: Tally, stop: asyncio.Event, start: int, interval: float) -> None:
    """Keep one status request in flight (``interval`` seconds apart) until ``stop`` is set."""
    for turn in itertools.count(start):
        if stop.is_set():
            return
        one = bool(tally.ids)  # one task's status, else the task list (nothing submitted yet)
        path = f"/api/backtest/{tally.ids[turn % len(tally.ids)]}" if one else "/api/backtest"
        t0 = time.perf_counter()
        try:
            answer = await client.get(path, params=None if one else {"per_page": 10})
        except Exception as e:  # a failed request is a finding, not a crash of the benchmark
            tally.failures.append(f"GET {path}: {type(e).__name__}: {e}")
            await asyncio.sleep(0.1)
            continue
        (tally.status_latency if one else tally.list_latency).append(time.perf_counter() - t0)
        if answer.status_code != 200:
            tally.failures.append(f"GET {path}: {answer.status_code} {answer.text[:200]}")
        elif one:
            tally.saw(answer.json())
            if tally.ended() and tally.all_done_at is None:
                tally.all_done_at = time.perf_counter()
                stop.set()
        if interval:
            await asyncio.sleep(interval)


async def submit(client, tally: Tally, count: int, year: int) -> None:
    """Submit ``count`` one-year backtests at once, adding each task id to ``tally.ids`` as its answer comes
    (``RuntimeError`` on any answer but 202)."""
    body = {"strategy": "dual_ma_crossover", "symbols": ["SPY"], "start": f"{year}-01-01",
            "end": f"{year + 1}-01-01", "timeframe": "1d"}

    async def one() -> None:
        t0 = time.perf_counter()
        answer = await client.post("/api/backtest", json=body)
        tally.submit_latency.append(time.perf_counter() - t0)
        if answer.status_code != 202:
            raise RuntimeError(f"a submit was refused: {answer.status_code} {answer.text[:200]}")
        tally.ids.append(answer.json()["task_id"])

    await asyncio.gather(*(one() for _ in range(count)))


async def listed_ids(client) -> list[str]:
    """Every task id of the task list, page by page."""
    ids: list[str] = []
    for page in itertools.count(1):
        answer = (await client.get("/api/backtest", params={"page": page, "per_page": 20})).json()
        ids += [t["task_id"] for t in answer["tasks"]]
        if page * answer["per_page"] >= answer["total"]:
            return ids


async def load(url: str, token: str, args) -> tuple[Tally, float, list[str], float]:
    """Run the load; returns the tally, when submitting began, the listed ids and the wall time of the load."""
    import httpx

    limits = httpx.Limits(max_connections=args.pollers + args.tasks + 10)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=60) as client:
        tally, stop = Tally(expected=args.tasks), asyncio.Event()
        pollers = [asyncio.create_task(poll(client, tally, stop, n, args.interval)) for n in range(args.pollers)]
        await asyncio.sleep(0.5)  # the pollers are running before the first submit
        began = time.perf_counter()
        await submit(client, tally, args.tasks, args.year)
        try:
            await asyncio.wait_for(stop.wait(), timeout=args.limit)
        except TimeoutError:
            stop.set()
            tally.failures.append(f"not every task ended within {args.limit:g} s: "
                                  f"{sum(t.get('status') in FINAL for t in tally.last.values())} of {args.tasks}")
        await asyncio.gather(*pollers)
        for task_id in tally.ids:  # the final record of each, once more
            answer = await client.get(f"/api/backtest/{task_id}")
            tally.saw(answer.json())
        listed = await listed_ids(client)
        return tally, began, listed, time.perf_counter() - began


def problems(tally: Tally, listed: list[str], tasks: int) -> list[str]:
    """Everything that is not as it should be: failed requests, lost, duplicated or re-run tasks."""
    found = list(tally.failures)
    if len(set(tally.ids)) != tasks:
        found.append(f"{tasks} submits gave {len(set(tally.ids))} distinct task ids")
    not_done = {i: tally.last.get(i, {}).get("status") for i in tally.ids if tally.last.get(i, {}).get("status")
                != "done"}
    if not_done:
        found.append(f"{len(not_done)} tasks did not end done: {dict(itertools.islice(not_done.items(), 5))}")
    twice = [i for i in tally.ids if len(tally.started.get(i, ())) != 1 or len(tally.finished.get(i, ())) != 1]
    if twice:
        found.append(f"{len(twice)} tasks were not seen started and finished exactly once, e.g. {twice[0]}")
    if sorted(listed) != sorted(tally.ids):
        found.append(f"the task list holds {len(listed)} ids ({len(set(listed))} distinct) for {tasks} submitted")
    return found


def spread(values: list[float]) -> str:
    """p50 / p95 / max of ``values`` (seconds) in milliseconds."""
    if not values:
        return "none"
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return f"{1000 * cuts[49]:.1f} / {1000 * cuts[94]:.1f} / {1000 * max(values):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between one poller's requests")
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--limit", type=float, default=150.0, help="seconds the tasks may take to end")
    args = parser.parse_args()
    if not (SHARED_DATA / "bars" / "1d" / "SPY.csv").is_file():
        raise SystemExit(f"real bars not found at {SHARED_DATA} (set RESEARCH_ENV_SHARED_DATA)")
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        data = import_daily_bars(SHARED_DATA, root / "data", ["SPY"])
        server = ServiceServer(service_environment(data), root, root / "server.log", token=token,
                               workers=args.workers)
        t0 = time.perf_counter()
        with server:
            print(f"research-env serve --workers {args.workers} answered on {server.url} after "
                  f"{time.perf_counter() - t0:.1f} s")
            tally, began, listed, wall = asyncio.run(load(server.url, token, args))
            log = server.output(3000)
    found = problems(tally, listed, args.tasks)
    tasks_seconds = (tally.all_done_at or began + wall) - began
    requests = len(tally.status_latency) + len(tally.list_latency)
    rows = [
        ("tasks submitted / done / distinct ids", f"{args.tasks} / "
         f"{sum(tally.last.get(i, {}).get('status') == 'done' for i in tally.ids)} / {len(set(tally.ids))}"),
        ("concurrent status pollers", f"{args.pollers} (interval {args.interval:g} s)"),
        ("failed requests", str(len(tally.failures))),
        ("status requests (GET /api/backtest/{id}) / task-list requests (before the first id)",
         f"{len(tally.status_latency):,} / {len(tally.list_latency):,}"),
        ("status latency p50 / p95 / max", spread(tally.status_latency)),
        ("submit latency (POST /api/backtest) p50 / p95 / max", spread(tally.submit_latency)),
        ("request rate (all GETs, first submit to last task done)", f"{requests / tasks_seconds:,.0f} req/s"),
        ("all tasks ended after", f"{tasks_seconds:.1f} s"),
        ("task throughput", f"{args.tasks / tasks_seconds:.2f} backtests/s"),
    ]
    print("\n| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if found:
        print("\nPROBLEMS:\n" + "\n".join(f"- {p}" for p in found) + f"\n\nserver log (tail):\n{log}")
        raise SystemExit(1)
    print("\nevery task ran once and ended done; no request failed")


if __name__ == "__main__":
    main()
