"""
Enqueue-to-result latency of a no-op job on an idle worker: median and 99th percentile.

    python examples/latency.py [JOBS]

Starts an embedded Redis (unless ``ARQ_REDIS_URL`` is set) and a worker through
``python -m arq``, then enqueues one no-op job at a time and awaits its result. The
benchmark can call ``measure_latency(settings, jobs)`` itself.
"""

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from arq import Actor, BaseWorker, RedisServer, RedisSettings, concurrent

ROOT = Path(__file__).resolve().parent.parent


class Pinger(Actor):
    @concurrent
    async def noop(self) -> None:
        return None


class Worker(BaseWorker):
    shadows = [Pinger]

    @classmethod
    def logging_config(cls, verbose: bool) -> dict:
        # job lines at warning, as the benchmark runs; the start line still shows
        config = super().logging_config(verbose)
        config['loggers']['arq.jobs'] = {'level': 'WARNING'}
        return config


async def measure_latency(settings: RedisSettings, jobs: int = 2000,
                          warmup: int = 100) -> dict[str, float]:
    """Enqueue ``jobs`` no-op jobs one at a time, each awaited; return latencies in ms.

    A worker running ``Worker`` (or any worker with ``Pinger`` in its shadows) must be
    idle on the same Redis and namespace.
    """
    samples = []
    async with Pinger(redis_settings=settings) as pinger:
        for i in range(warmup + jobs):
            started = time.perf_counter()
            job = await pinger.noop()
            await job.result(timeout=10)
            if i >= warmup:
                samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {'jobs': jobs, 'median_ms': statistics.median(samples),
            'p99_ms': samples[int(len(samples) * 0.99) - 1], 'max_ms': samples[-1]}


def main() -> int:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    os.chdir(ROOT)
    server = None
    if not os.environ.get('ARQ_REDIS_URL'):
        server = RedisServer().start()
        os.environ['ARQ_REDIS_URL'] = server.url
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    worker = subprocess.Popen([sys.executable, '-m', 'arq', 'examples/latency.py:Worker'],
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in worker.stderr:  # wait until the worker listens
            if 'Running worker' in line:
                break
        # then keep reading its log lines, lest a full pipe block it
        threading.Thread(target=worker.stderr.read, daemon=True).start()
        figures = asyncio.run(measure_latency(RedisSettings.from_env(), jobs))
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        if server is not None:
            server.stop()
    print(f'enqueue-to-result latency, no-op job, idle worker, {figures["jobs"]} jobs: '
          f'median {figures["median_ms"]:.3f} ms, p99 {figures["p99_ms"]:.3f} ms, '
          f'max {figures["max_ms"]:.3f} ms')
    return 0


if __name__ == '__main__':
    sys.exit(main())
