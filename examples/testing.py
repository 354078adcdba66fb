"""
Testing your actors without a Redis server, on fakeredis (``pip install 'arq[testing]'``).

    python examples/testing.py

The functions named ``test_*`` are ordinary async tests: with pytest and pytest-asyncio
(``asyncio_mode = "auto"``) copy them into your test suite as they are; run as a script,
this file calls them one by one.
"""

import asyncio
import sys

from arq import Actor, MockRedis, MockRedisMixin, MockRedisWorker, RaiseWorker, concurrent


# the code under test, as it would be in your application
class Greeter(Actor):
    @concurrent
    async def greet(self, name: str) -> str:
        redis = await self.get_redis()
        await redis.rpush('greetings', f'hello {name}')
        return f'hello {name}'

    @concurrent
    async def refuse(self, name: str) -> None:
        raise ValueError(f'no greeting for {name}')


# in your tests: the same actor on the in-memory Redis, keeping the name 'Greeter'
class MockGreeter(MockRedisMixin, Greeter):
    pass


class RaisingWorker(MockRedisMixin, RaiseWorker):
    """Re-raises a job's exception out of ``run()``, so the test sees it."""

    shadows = [Greeter]


async def test_greet_runs_on_a_worker() -> None:
    redis = MockRedis()  # every MockRedis() shares one in-memory server
    await redis.flushall()
    async with MockGreeter() as greeter:
        await greeter.greet('ada')
        await greeter.greet('grace')
    worker = MockRedisWorker(shadows=[Greeter], burst=True)  # burst: stop once idle
    await worker.run()
    await worker.close()
    assert worker.jobs_complete == 2, worker.jobs_complete
    assert await redis.lrange('greetings', 0, -1) == [b'hello ada', b'hello grace']
    await redis.aclose()


async def test_greet_in_process_returns_its_value() -> None:
    # concurrency_enabled=False: each call runs at once, after the same msgpack round
    # trip as on a worker, and the handle carries the return value
    async with MockGreeter(concurrency_enabled=False) as greeter:
        handle = await greeter.greet('linus')
    assert handle.result_value == 'hello linus', handle.result_value


async def test_refuse_raises_out_of_the_worker() -> None:
    await MockRedis().flushall()
    async with MockGreeter() as greeter:
        await greeter.refuse('mallory')
    worker = RaisingWorker(burst=True)
    try:
        await worker.run()
    except ValueError as exc:
        assert str(exc) == 'no greeting for mallory', exc
    else:
        raise AssertionError('the job did not raise')
    finally:
        await worker.close()


def main() -> int:
    tests = [f for name, f in sorted(globals().items()) if name.startswith('test_')]
    for test in tests:
        asyncio.run(test())
        print(f'ok {test.__name__}')
    print(f'{len(tests)} tests passed, no Redis server used')
    return 0


if __name__ == '__main__':
    sys.exit(main())
