"""
Tests of arq against a real Redis server that the suite starts itself (``RedisServer``).

Groups follow ``arq.py``: settings and connection, encoding, actors, drain, worker,
cron, process side and command line, logging, testing helpers and examples. Actors and
workers sit at module level so that a work process started through ``python -m arq
test_arq:Worker`` can import them; their jobs record what they did in Redis, where a
test in another process can see it.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import datetime
import enum
import functools
import gc
import io
import itertools
import logging
import logging.config
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from collections import OrderedDict
from pathlib import Path
from typing import Any, NamedTuple

import hypothesis
import msgpack
import pytest
import redis as sync_redis
import trustme
from hypothesis import strategies as st

import arq
from arq import (
    Actor,
    ArqError,
    BaseWorker,
    ConfigurationError,
    ConnectionFailed,
    DatetimeJob,
    Drain,
    Job,
    JobAborted,
    JobDecodeError,
    JobExpired,
    JobFailed,
    JobHandle,
    JobInfo,
    JobNotFound,
    JobSerialisationError,
    JobStatus,
    JobStopped,
    JobTimedOut,
    RedisServer,
    RedisSettings,
    Retry,
    StopJob,
    concurrent,
    cron,
    current_job,
    next_cron,
)

REPO = Path(__file__).resolve().parent
HEX6 = '[0-9a-f]{6}'


# ───────────────────────────────────────────────────────────────────────────── fixtures ──

@pytest.fixture(scope='session')
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture
def settings(redis_server) -> RedisSettings:
    """Settings for the suite's server, on a database flushed for this test."""
    with sync_redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return RedisSettings.from_url(redis_server.url)


@pytest.fixture
async def redis(settings):
    """An async client of the test database, to look at what arq wrote."""
    client = await settings.create_redis()
    yield client
    await client.aclose()


@pytest.fixture
def sync_client(settings, redis_server):
    with sync_redis.Redis.from_url(redis_server.url) as client:
        yield client


@pytest.fixture
async def start_worker():
    """Run (non-burst) workers in tasks: ``worker, task = await start_worker(settings)``.

    Whatever a failing test leaves running is cancelled and closed at the end.
    """
    started = []

    async def start(settings, worker_class=None, **kwargs):
        worker = (worker_class or Worker)(redis_settings=settings, **kwargs)
        task = asyncio.create_task(worker.run())
        started.append((worker, task))
        return worker, task

    yield start
    for worker, task in started:
        if not task.done():
            worker.handle_sig(signal.SIGTERM)
            worker.handle_sig(signal.SIGTERM)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
        await worker.close()


@pytest.fixture(autouse=True)
def _reset_counters():
    Recorder.running = Recorder.max_running = 0
    Recorder.last_shadow = Recorder.last_redis = None
    Lifecycle.events = []
    yield


# ──────────────────────────────────────────────────────────── actors and workers used ──

def results_key(namespace: str = 'arq') -> str:
    return f'{namespace}:test-results'


def started_key(namespace: str = 'arq') -> str:
    return f'{namespace}:test-started'


class Recorder(Actor):
    """Jobs that record what they did under ``<namespace>:test-results`` in Redis."""

    running: int = 0
    max_running: int = 0
    last_shadow: Recorder | None = None
    last_redis: Any = None

    @concurrent
    async def add(self, a, b):
        await self._record(f'add:{a + b}')
        return a + b

    @concurrent(Actor.HIGH_QUEUE)
    async def urgent(self, tag):
        await self._record(f'high:{tag}')

    @concurrent(Actor.LOW_QUEUE)
    async def later(self, tag):
        await self._record(f'low:{tag}')

    @concurrent
    async def note(self, tag):
        await self._record(f'dft:{tag}')

    async def plain(self, x):
        """A public coroutine method without @concurrent: still a job."""
        await self._record(f'plain:{x}')
        return x * 2

    @concurrent
    async def echo(self, *args, **kwargs):
        return [args, kwargs]

    @concurrent
    async def sleep(self, seconds, tag):
        """Signal the start under ``test-started``, sleep, record the end."""
        cls = type(self)
        cls.running += 1
        cls.max_running = max(cls.max_running, cls.running)
        try:
            redis = await self.get_redis()
            await redis.rpush(started_key(self.namespace), tag)
            await asyncio.sleep(seconds)
            await self._record(f'end:{tag}')
        finally:
            cls.running -= 1
        return tag

    @concurrent
    async def stop_early(self, warning):
        raise StopJob('enough for today', warning=warning)

    @concurrent
    async def fail(self, message):
        raise ValueError(message)

    @concurrent
    async def own_timeout(self):
        raise TimeoutError('my own timeout')

    @concurrent
    async def whoami(self):
        Recorder.last_shadow = self
        Recorder.last_redis = await self.get_redis()
        return self.is_shadow

    def helper(self):
        """Not a coroutine: never a job."""
        return 'helper'

    async def _secret(self):
        await self._record('secret')

    async def _record(self, value):
        redis = await self.get_redis()
        await redis.rpush(results_key(self.namespace), value)


class ReEnqueuer(Recorder):
    """The same jobs, put back on their queue when cancelled at shutdown."""

    re_enqueue_jobs = True


class Lifecycle(Actor):
    events: list[str] = []

    async def startup(self):
        Lifecycle.events.append(f'startup shadow={self.is_shadow}')

    async def shutdown(self):
        redis = await self.get_redis()
        Lifecycle.events.append(f'shutdown ping={await redis.ping()}')

    @concurrent
    async def ping(self):
        Lifecycle.events.append('ping')


class DatetimeActor(Actor):
    job_class = DatetimeJob

    @concurrent
    async def when(self, moment):
        redis = await self.get_redis()
        await redis.rpush(results_key(self.namespace), repr(moment))
        return moment


def gate_key(namespace: str = 'arq') -> str:
    return f'{namespace}:test-gate'


class Tries(Actor):
    """Jobs about tries, results and aborts; each records ``tag:try`` under test-results."""

    @concurrent
    async def flaky(self, tag, succeed_on=None, defer=0.01):
        """Raise Retry until try ``succeed_on`` (never, if None)."""
        job_try = current_job().job_try
        await self._record(f'{tag}:{job_try}')
        if succeed_on is None or job_try < succeed_on:
            raise Retry(defer=defer)
        return f'{tag} ok on try {job_try}'

    @concurrent(keep_result=0)
    async def forget(self, tag):
        await self._record(f'{tag}:{current_job().job_try}')
        return tag

    @concurrent(keep_result=0)
    async def forget_slowly(self, seconds):
        redis = await self.get_redis()
        await redis.rpush(started_key(self.namespace), 'forget_slowly')
        await asyncio.sleep(seconds)

    @concurrent(retry_on_timeout=True, max_tries=2)
    async def stubborn(self, tag, seconds):
        await self._record(f'{tag}:{current_job().job_try}')
        await asyncio.sleep(seconds)

    @concurrent
    async def gated(self, tag):
        """Wait for a token on the gate list, then return ``tag``."""
        redis = await self.get_redis()
        await redis.blpop([gate_key(self.namespace)], 0)
        return tag

    @concurrent
    async def until_flag(self, tag):
        redis = await self.get_redis()
        await self._record(f'{tag}:{current_job().job_try}')
        if not await redis.exists(f'{self.namespace}:test-flag'):
            raise Retry
        return 'flag seen'

    async def _record(self, value):
        redis = await self.get_redis()
        await redis.rpush(results_key(self.namespace), value)


class Worker(BaseWorker):
    """The worker of the CLI tests (and the default class name the CLI looks for)."""

    shadows = [Recorder, ReEnqueuer, Lifecycle, DatetimeActor, Tries]
    shutdown_delay = 5


class OtherWorker(Worker):
    """The same worker under another name, for ``MODULE:CLASS`` on the command line."""


class CustomShadowWorker(BaseWorker):
    shadows = [Recorder]
    made: list[Actor] = []

    def shadow_kwargs(self):
        return {**super().shadow_kwargs(), 'concurrency_enabled': False}

    async def shadow_factory(self):
        shadows = await super().shadow_factory()
        shadows.append(Lifecycle(**self.shadow_kwargs()))
        CustomShadowWorker.made = shadows
        return shadows


class QuickWarnDrain(Drain):
    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, 'semaphore_timeout': 0.05})


class Renamed(Actor):
    name = 'billing'

    @concurrent
    async def charge(self, amount):
        await (await self.get_redis()).rpush(results_key(), f'charged:{amount}')


class CrashingWorker(BaseWorker):
    """No shadows: ``run()`` raises as it starts."""


class NoSlotsWorker(Worker):
    max_concurrent_tasks = 0


class BurstWorker(Worker):
    """A worker whose class says burst: the CLI keeps it without ``--burst``."""

    burst = True


class SlowStart(Actor):
    """An actor whose startup() never ends, to stop a worker while it starts."""

    waiting = asyncio.Event()

    async def startup(self):
        SlowStart.waiting.set()
        await asyncio.Event().wait()


class SlowStartWorker(BaseWorker):
    shadows = [Lifecycle, SlowStart]


class Unstoppable(Actor):
    """A job that swallows every cancellation, so the drain has to abandon it."""

    @concurrent
    async def hold(self, tag):
        await (await self.get_redis()).rpush(started_key(self.namespace), tag)
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)


class UnstoppableWorker(BaseWorker):
    shadows = [Unstoppable]


class HealthWorker(Worker):
    """Writes its health line every second, for ``--check`` against live processes."""

    health_check_interval = 1


class LoggingWorker(Worker):
    """Installs its own logging settings through ``logging_config``."""

    @classmethod
    def logging_config(cls, verbose):
        config = arq.default_log_config(verbose)
        config['formatters']['arq.standard']['format'] = 'custom: %(name)s %(message)s'
        return config


async def record(actor: Actor, value: str) -> None:
    await (await actor.get_redis()).rpush(results_key(actor.namespace), value)


class Ticker(Actor):
    """A cron job due every two seconds."""

    @cron(second=set(range(0, 60, 2)), microsecond=0)
    async def tick(self):
        await record(self, f'tick:{os.getpid()}')


class TickWorker(BaseWorker):
    """Two of these in two processes share one Redis and one schedule."""

    shadows = [Ticker]


class Hourly(Actor):
    @cron(hour=3)
    async def report(self):
        await record(self, 'report')


class EveryMinute(Actor):
    @cron()
    async def tick(self):
        await record(self, 'tick')


class CronTimeouts(Actor):
    @cron(hour=0, timeout_seconds=0.2)
    async def short(self, seconds=5):
        await asyncio.sleep(seconds)
        await record(self, 'short:end')

    @cron(hour=0, timeout_seconds=None)
    async def unlimited(self, seconds=0.3):
        await asyncio.sleep(seconds)
        await record(self, 'unlimited:end')

    @concurrent
    async def plain(self, seconds=0.3):
        await asyncio.sleep(seconds)
        await record(self, 'plain:end')


class AtStartup(Actor):
    @cron(month=1, day=1, run_at_startup=True, dft_queue=Actor.LOW_QUEUE)
    async def warm_up(self):
        await record(self, 'warm')


async def run_burst(settings: RedisSettings, worker_class: type[BaseWorker] = Worker,
                    **kwargs: Any) -> BaseWorker:
    """Run a burst worker in this process until the queues are empty."""
    worker = worker_class(burst=True, redis_settings=settings, **kwargs)
    try:
        await asyncio.wait_for(worker.run(), 15)
    finally:
        await worker.close()
    return worker


async def results(redis, namespace: str = 'arq') -> list[str]:
    return [v.decode() for v in await redis.lrange(results_key(namespace), 0, -1)]


async def wait_started(redis, count: int, namespace: str = 'arq',
                       timeout: float = 10) -> list[str]:
    """Block (BLPOP) until ``count`` jobs have signalled their start; return their tags."""
    tags = []
    for _ in range(count):
        popped = await redis.blpop([started_key(namespace)], timeout=timeout)
        assert popped is not None, f'only {tags} started within {timeout}s'
        tags.append(popped[1].decode())
    return tags


async def wait_for(predicate, timeout: float = 10, interval: float = 0.01):
    """Poll a predicate (sync or async) until it is true; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f'condition not met within {timeout}s'
        await asyncio.sleep(interval)


async def arq_keys(redis) -> list[str]:
    """The keys in Redis, leaving out what the test jobs wrote and the results kept."""
    return sorted(k.decode() for k in await redis.keys('*')
                  if b':test-' not in k and b':result:' not in k)


#: how the log line of a dead-lettered payload ends: the payload quoted, and its size
DEAD_LINE_END = r"""; moved to the dead-letter list: b['"].+ \(\d+ bytes\)$"""


def job_messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == 'arq.jobs']


def closed_port() -> int:
    return arq._free_port()


async def _equals(get, expected):
    return await get() == expected


def _raw(class_name, func_name, *args):
    return Job(class_name, func_name, args).encode()


async def stop_worker(worker, task, timeout: float = 10):
    worker.stop()
    try:
        await asyncio.wait_for(task, timeout)
    finally:
        await worker.close()


class FakeClock:
    """The cron loop's clock (``worker._now``, ``worker._sleep``): it moves when told to."""

    def __init__(self, start: datetime.datetime) -> None:
        self.now = start.timestamp()
        self.wake_at: list[float] = []
        self._moved = asyncio.Condition()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        self.wake_at.append(target)
        try:
            async with self._moved:
                await self._moved.wait_for(lambda: self.now >= target)
        finally:
            self.wake_at.remove(target)

    async def idle(self) -> None:
        """Wait until the (one) cron loop sleeps towards a time still to come."""
        await wait_for(lambda: len(self.wake_at) == 1 and self.wake_at[0] > self.now)

    async def set(self, moment: datetime.datetime) -> None:
        """Move to ``moment``, then wait until the cron loop has done what was due."""
        async with self._moved:
            self.now = moment.timestamp()
            self._moved.notify_all()
        await self.idle()


LONDON = zoneinfo.ZoneInfo('Europe/London')


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


async def start_clocked_worker(settings, clock: FakeClock, actor: type[Actor], **kwargs):
    """A non-burst worker whose cron loop runs on ``clock``, in London time."""
    worker = BaseWorker(shadows=[actor], redis_settings=settings, cron_tz=LONDON, **kwargs)
    worker._now = clock.time
    worker._sleep = clock.sleep
    task = asyncio.create_task(worker.run())
    await clock.idle()
    return worker, task


async def cron_claims(redis, job: str) -> list[datetime.datetime]:
    """The scheduled instants claimed for ``job`` (``Actor.method``), in London time."""
    keys = await redis.keys(f'arq:cron:{job}:*')
    return sorted(datetime.datetime.fromtimestamp(int(k.rsplit(b':', 1)[1]) / 1000, LONDON)
                  for k in keys)


def health_re(*queues: str) -> str:
    """A health line's pattern, capturing each count."""
    return (r'[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d j_complete=(\d+) j_failed=(\d+) '
            r'j_timedout=(\d+) j_ongoing=(\d+)' + ''.join(rf' q_{q}=(\d+)' for q in queues))


# ─────────────────────────────────────────────────────────────── settings, connection ──

def test_redis_settings_defaults():
    s = RedisSettings()
    assert (s.host, s.port, s.database, s.password, s.username) == (
        'localhost', 6379, 0, None, None)
    assert (s.conn_timeout, s.conn_retries, s.conn_retry_delay) == (1, 5, 1)
    assert (s.ssl, s.unix_socket_path, s.namespace) == (False, None, 'arq')
    assert s.address == 'redis://localhost:6379/0'
    assert repr(s) == "<RedisSettings redis://localhost:6379/0 namespace 'arq'>"


def test_from_url_redis_with_percent_encoded_password():
    s = RedisSettings.from_url('redis://alice:p%40ss%3Aw%2Fd@example.com:6380/2')
    assert (s.host, s.port, s.database) == ('example.com', 6380, 2)
    assert (s.username, s.password) == ('alice', 'p@ss:w/d')
    assert s.ssl is False
    assert 'p@ss' not in repr(s) and 'alice' in repr(s)


def test_from_url_password_without_user():
    s = RedisSettings.from_url('redis://:sekret@127.0.0.1')
    assert (s.host, s.port, s.database, s.username, s.password) == (
        '127.0.0.1', 6379, 0, None, 'sekret')


def test_from_url_rediss_is_tls():
    s = RedisSettings.from_url('rediss://h:6390/1?ssl_cert_reqs=none&ssl_ca_certs=/ca.pem')
    assert (s.ssl, s.host, s.port, s.database) == (True, 'h', 6390, 1)
    assert (s.ssl_cert_reqs, s.ssl_ca_certs) == ('none', '/ca.pem')
    assert s.address == 'rediss://h:6390/1'


def test_from_url_unix_socket():
    s = RedisSettings.from_url('unix://:pw@/run/redis/redis.sock?db=3')
    assert (s.unix_socket_path, s.database, s.password) == ('/run/redis/redis.sock', 3, 'pw')
    assert s.address == 'unix:///run/redis/redis.sock db 3'
    # the path is percent-decoded, as the password is
    assert RedisSettings.from_url('unix:///tmp/my%20app%23/r.sock').unix_socket_path == (
        '/tmp/my app#/r.sock')


@pytest.mark.parametrize('url, database', [
    ('redis://h/5', 5),
    ('redis://h?db=7', 7),
    ('redis://h/5?db=7', 7),
    ('redis://h/', 0),
])
def test_from_url_database_in_path_or_query(url, database):
    assert RedisSettings.from_url(url).database == database


def test_from_url_ipv6_host_and_its_address():
    s = RedisSettings.from_url('redis://[::1]:6380/1')
    assert (s.host, s.port, s.database, s.address) == ('::1', 6380, 1, 'redis://[::1]:6380/1')


def test_from_url_namespace_retries_and_overrides():
    s = RedisSettings.from_url(
        'redis://h?namespace=app&conn_retries=2&conn_retry_delay=0.01&conn_timeout=0.5',
        database=4)
    assert (s.namespace, s.conn_retries, s.conn_retry_delay, s.conn_timeout, s.database) == (
        'app', 2, 0.01, 0.5, 4)
    assert s == RedisSettings(host='h', database=4, conn_retries=2, conn_retry_delay=0.01,
                              conn_timeout=0.5, namespace='app')


@pytest.mark.parametrize('url, message', [
    ('http://h:6379', r"scheme must be 'redis', 'rediss' or 'unix', not 'http'"),
    ('h:6379', r"scheme must be 'redis', 'rediss' or 'unix', not 'h'"),
    ('redis://:hunter2@h:99999', r"invalid Redis URL 'redis://:\*\*\*@h:99999': Port out of"),
    ('redis://h:abc', r"invalid Redis URL 'redis://h:abc': Port could not be cast"),
    ('redis://h/abc', r"invalid Redis URL 'redis://h/abc': invalid literal for int"),
    ('redis://h?db=x', r"invalid Redis URL 'redis://h\?db=x': invalid literal for int"),
    ('redis://h?conn_retries=-1', r'conn_retries must be an int >= 0, not -1'),
    ('redis://h?namespace=a%20b', r"namespace must be a non-empty string without spaces"),
    ('unix://', r"unix URL 'unix://' has no socket path"),
    ('unix://:hunter2@run/redis.sock', r"unix URL 'unix://:\*\*\*@run/redis.sock' names a host: "
                                       r"write the socket path after 'unix://' "),
])
def test_from_url_rejects_bad_urls(url, message):
    with pytest.raises(ConfigurationError, match=message) as info:
        RedisSettings.from_url(url)
    assert 'hunter2' not in str(info.value)


def test_from_url_rejects_port_zero():
    with pytest.raises(ConfigurationError, match='port must be an int from 1 to 65535, not 0'):
        RedisSettings.from_url('redis://h:0')


def test_from_url_unix_without_path_hides_password():
    with pytest.raises(ConfigurationError, match='has no socket path') as info:
        RedisSettings.from_url('unix://:hunter2@')
    assert 'hunter2' not in str(info.value)


@pytest.mark.parametrize('kwargs, message', [
    ({'port': 0}, 'port must be an int from 1 to 65535, not 0'),
    ({'port': '6379'}, "port must be an int from 1 to 65535, not '6379'"),
    ({'database': -1}, 'database must be an int >= 0, not -1'),
    ({'conn_retries': 1.5}, 'conn_retries must be an int >= 0, not 1.5'),
    ({'conn_timeout': 0}, 'conn_timeout must be > 0 and conn_retry_delay >= 0, not 0 and 1'),
    ({'ssl_cert_reqs': 'maybe'}, "ssl_cert_reqs must be 'required', 'optional' or 'none'"),
    ({'namespace': ''}, "namespace must be a non-empty string without spaces or any of "
                        "*?[]\\, not ''"),
    ({'namespace': 'ap*'}, "not 'ap*'"),
    ({'port': True}, 'port must be an int from 1 to 65535, not True'),
    ({'database': True}, 'database must be an int >= 0, not True'),
    ({'conn_timeout': '1'}, "conn_timeout must be > 0 and conn_retry_delay >= 0, not '1'"),
    ({'conn_retry_delay': None}, 'conn_retry_delay >= 0, not 1 and None'),
])
def test_redis_settings_rejects_bad_values(kwargs, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        RedisSettings(**kwargs)


def test_from_url_rejects_unknown_query_arguments():
    with pytest.raises(ConfigurationError,
                       match=r"unknown argument\(s\) dbb in Redis URL 'redis://:\*\*\*@h/\?dbb=3'"):
        RedisSettings.from_url('redis://:pw@h/?dbb=3')


def loopback_listener() -> tuple[socket.socket, int]:
    """A listening socket on a free loopback port that nobody serves."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(8)
    return listener, listener.getsockname()[1]


async def test_silent_server_times_out_each_attempt_then_fails(caplog):
    # a listener that accepts connections and never answers, like a proxy or a TLS port
    silent, port = loopback_listener()
    try:
        s = RedisSettings('127.0.0.1', port, conn_timeout=0.2, conn_retries=1,
                          conn_retry_delay=0)
        started = time.monotonic()
        with pytest.raises(ConnectionFailed,
                           match=rf'cannot connect to Redis at redis://127.0.0.1:{port}/0 after '
                                 r'2 attempts: no answer to PING within 0.2s'):
            await s.create_redis()
        assert time.monotonic() - started < 2
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    finally:
        silent.close()


async def test_server_that_is_not_redis_is_a_clear_error():
    http, port = loopback_listener()

    def answer() -> None:
        conn, _ = http.accept()
        conn.recv(1024)
        conn.sendall(b'HTTP/1.1 400 Bad Request\r\n\r\n')
        conn.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        s = RedisSettings('127.0.0.1', port, conn_timeout=2, conn_retries=0)
        with pytest.raises(ConnectionFailed,
                           match=rf'Redis at redis://127.0.0.1:{port}/0 answered: \w+'):
            await s.create_redis()
    finally:
        thread.join(2)
        http.close()


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv('ARQ_REDIS_URL', 'redis://envhost:7000/3?namespace=envns')
    assert RedisSettings.from_env() == RedisSettings('envhost', 7000, 3, namespace='envns')
    assert Recorder().redis_settings == RedisSettings('envhost', 7000, 3, namespace='envns')
    assert Worker().namespace == 'envns'
    monkeypatch.delenv('ARQ_REDIS_URL')
    assert RedisSettings.from_env() == RedisSettings()
    assert Recorder().redis_settings.address == 'redis://localhost:6379/0'


def test_settings_keyword_beats_class_attribute_beats_env(monkeypatch):
    monkeypatch.setenv('ARQ_REDIS_URL', 'redis://envhost:7000')

    class Configured(Actor):
        redis_settings = RedisSettings('classhost')

    assert Configured().redis_settings.host == 'classhost'
    assert Configured(redis_settings=RedisSettings('kwhost')).redis_settings.host == 'kwhost'
    with pytest.raises(ConfigurationError, match="must be a RedisSettings instance, not 'x'"):
        Recorder(redis_settings='x')


async def test_connection_retries_then_names_the_address(caplog):
    port = closed_port()
    s = RedisSettings(host='127.0.0.1', port=port, conn_retries=2, conn_retry_delay=0.01)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed,
                       match=rf'cannot connect to Redis at redis://127.0.0.1:{port}/0 '
                             r'after 3 attempts'):
        await s.create_redis()
    assert time.monotonic() - started < 3
    warnings = [r.getMessage() for r in caplog.records
                if r.name == 'arq.main' and r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith(f'cannot connect to Redis at redis://127.0.0.1:{port}/0')
    assert 'retry 1 of 2' in warnings[0] and 'retry 2 of 2' in warnings[1]


async def test_connection_retries_loop_rather_than_recurse(caplog):
    # more attempts than the recursion limit allows frames: a recursive retry would fail
    retries = sys.getrecursionlimit() + 50
    s = RedisSettings(host='127.0.0.1', port=closed_port(), conn_retries=retries,
                      conn_retry_delay=0)
    with pytest.raises(ConnectionFailed, match=f'after {retries + 1} attempts'):
        await s.create_redis()
    assert len([r for r in caplog.records if r.name == 'arq.main']) == retries


async def test_connection_without_retries_fails_at_once(caplog):
    s = RedisSettings(host='127.0.0.1', port=closed_port(), conn_retries=0)
    with pytest.raises(ConnectionFailed, match='after 1 attempts'):
        await s.create_redis()
    assert [r for r in caplog.records if r.name == 'arq.main'] == []


async def test_get_redis_raises_connection_failed_for_actor():
    s = RedisSettings(host='127.0.0.1', port=closed_port(), conn_retries=0)
    actor = Recorder(redis_settings=s)
    with pytest.raises(ConnectionFailed, match='cannot connect'):
        await actor.add(1, 2)


@pytest.fixture(scope='module')
def password_server():
    with RedisServer('--requirepass', 'sekret') as server:
        yield server


@pytest.mark.parametrize('password', [None, 'wrong'])
async def test_bad_password_fails_fast_without_retries(password_server, password, caplog):
    s = RedisSettings.from_url(password_server.url, password=password, conn_retries=5,
                               conn_retry_delay=1)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed,
                       match=rf'Redis at redis://127.0.0.1:{password_server.port}/0 refused '
                             r'the credentials'):
        await s.create_redis()
    assert time.monotonic() - started < 0.9
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_right_password_connects(password_server):
    url = password_server.url.replace('redis://', 'redis://:sekret@')
    async with Recorder(redis_settings=RedisSettings.from_url(url)) as actor:
        await actor.add(2, 3)
        redis = await actor.get_redis()
        assert await redis.llen('arq:q:dft') == 1


async def test_unix_socket_connection(tmp_path):
    path = tmp_path / 'redis.sock'
    with RedisServer('--unixsocket', str(path), '--unixsocketperm', '700'):
        s = RedisSettings.from_url(f'unix://{path}?db=2')
        async with Recorder(redis_settings=s) as actor:
            await actor.add(1, 1)
            redis = await actor.get_redis()
            info = await redis.client_info()
            assert info['db'] == 2
            assert str(path) in info['laddr']
            assert await redis.llen('arq:q:dft') == 1


async def test_rediss_speaks_tls(settings):
    # the embedded server has no TLS: a TLS client gets no answer to its handshake there,
    # where a plain client on the same port is served
    tls = RedisSettings.from_url(f'rediss://127.0.0.1:{settings.port}/0?ssl_cert_reqs=none'
                                 '&conn_timeout=0.3&conn_retries=0')
    with pytest.raises(ConnectionFailed,
                       match=rf'cannot connect to Redis at rediss://127.0.0.1:{settings.port}/0'):
        await tls.create_redis()
    plain = await settings.create_redis()
    assert await plain.ping() is True
    await plain.aclose()


async def test_log_redis_info(settings, caplog):
    caplog.set_level(logging.INFO, logger='arq')
    async with Recorder(redis_settings=settings) as actor:
        await actor.add(1, 2)
        await actor.log_redis_info()
    [message] = [r.getMessage() for r in caplog.records if r.name == 'arq.work']
    assert re.fullmatch(r'redis_version=\d+\.\d+\.\d+ mem_usage=\S+ clients_connected=\d+ '
                        r'db_keys=2', message), message  # the queue and the job's record


# ──────────────────────────────────────────────────────────────────────────── encoding ──

class Colour(enum.IntEnum):
    RED = 3


class Shade(enum.StrEnum):
    DARK = 'dark'


class Name(str):
    pass


TZ_PLUS = arq.create_tz(5 * 3600 + 1800)
TZ_MINUS = arq.create_tz(-8 * 3600)

ROUND_TRIPS = [
    pytest.param(0, 0, id='zero'),
    pytest.param(-17, -17, id='negative'),
    pytest.param(2**63 - 1, 2**63 - 1, id='int64-max'),
    pytest.param(-(2**63), -(2**63), id='int64-min'),
    pytest.param(2**64 - 1, 2**64 - 1, id='uint64-max'),
    pytest.param(1.5, 1.5, id='float'),
    pytest.param(-1e300, -1e300, id='big-float'),
    pytest.param(float('inf'), float('inf'), id='inf'),
    pytest.param('héllo ✓', 'héllo ✓', id='str'),
    pytest.param('', '', id='empty-str'),
    pytest.param(b'\x00\xffbin', b'\x00\xffbin', id='bytes'),
    pytest.param(bytearray(b'ab'), b'ab', id='bytearray'),
    pytest.param(None, None, id='none'),
    pytest.param(True, True, id='true'),
    pytest.param(False, False, id='false'),
    pytest.param([1, [2, [3, 'x']]], [1, [2, [3, 'x']]], id='nested-list'),
    pytest.param({'a': {'b': [1, {'c': None}]}}, {'a': {'b': [1, {'c': None}]}}, id='dicts'),
    pytest.param({1: 'int key'}, {1: 'int key'}, id='int-keys'),
    pytest.param({1, 'two', b'3'}, {1, 'two', b'3'}, id='set'),
    pytest.param(set(), set(), id='empty-set'),
    pytest.param(frozenset({1, 2}), frozenset({1, 2}), id='frozenset'),
    pytest.param((1, (2, 'x'), []), (1, (2, 'x'), []), id='tuples'),
    pytest.param([{1, 2}, ({'k': frozenset({3})},)], [{1, 2}, ({'k': frozenset({3})},)],
                 id='sets-in-lists-and-tuples'),
    pytest.param(Colour.RED, 3, id='intenum'),
    pytest.param(Shade.DARK, 'dark', id='str-enum'),
    pytest.param(Name('n'), 'n', id='str-subclass'),
    pytest.param(OrderedDict(a=1), {'a': 1}, id='dict-subclass'),
    pytest.param({Colour.RED}, {3}, id='intenum-in-set'),
    pytest.param({(1, 2): 'x', frozenset({3}): 'y'}, {(1, 2): 'x', frozenset({3}): 'y'},
                 id='tuple-and-frozenset-keys'),
]


def _assert_same(value, expected):
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, (list, tuple)):
        for v, e in zip(value, expected, strict=True):
            _assert_same(v, e)
    elif isinstance(expected, dict):
        for k in expected:
            _assert_same(value[k], expected[k])
    elif isinstance(expected, (set, frozenset)):
        assert {type(v) for v in value} == {type(e) for e in expected}


@pytest.mark.parametrize('job_class', [Job, DatetimeJob])
@pytest.mark.parametrize('value, expected', ROUND_TRIPS)
def test_job_round_trip(job_class, value, expected):
    job = job_class('Actor', 'func', [value], {'kw': value}, queue='dft')
    decoded = job_class.decode(job.encode(), queue='high')
    _assert_same(decoded.args, (expected,))
    _assert_same(decoded.kwargs, {'kw': expected})
    assert (decoded.id, decoded.queued_at, decoded.class_name, decoded.func_name) == (
        job.id, job.queued_at, 'Actor', 'func')
    assert decoded.queue == 'high'
    assert decoded == job_class('Actor', 'func', [expected], {'kw': expected}, job_id=job.id,
                                queued_at=job.queued_at)


DATETIMES = [
    pytest.param(datetime.datetime(2020, 2, 29, 23, 59, 58, 123456), id='naive'),
    pytest.param(datetime.datetime(1969, 7, 20, 20, 17), id='naive-before-epoch'),
    pytest.param(datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), id='utc'),
    pytest.param(datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=TZ_PLUS), id='plus-0530'),
    pytest.param(datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=TZ_MINUS), id='minus-0800'),
    pytest.param(datetime.datetime(2020, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo('Europe/Paris')),
                 id='zoneinfo-summer'),
    pytest.param(datetime.date(2021, 12, 31), id='date'),
]


@pytest.mark.parametrize('value', DATETIMES)
def test_datetime_job_round_trip_keeps_naive_and_offsets(value):
    job = DatetimeJob('A', 'f', [value, [value], {value}], {'at': value})
    decoded = Job.decode(job.encode())  # any decoder reads what DatetimeJob wrote
    moment, [in_list], in_set = decoded.args
    for got in (moment, in_list, next(iter(in_set)), decoded.kwargs['at']):
        assert got == value
        assert type(got) is type(value)
        if isinstance(value, datetime.datetime):
            assert got.utcoffset() == value.utcoffset()
            assert (got.tzinfo is None) == (value.tzinfo is None)


@pytest.mark.parametrize('value, type_name', [
    (object(), "type 'object' is not supported"),
    ({object()}, "type 'object' is not supported"),
    (datetime.datetime(2020, 1, 1), 'datetime is not supported by Job; use DatetimeJob'),
    (datetime.date(2020, 1, 1), 'date is not supported by Job; use DatetimeJob'),
    (Colour, "type 'EnumType' is not supported"),
])
def test_unencodable_argument_names_function_and_type(value, type_name):
    with pytest.raises(JobSerialisationError,
                       match=rf'cannot encode arguments of Thing\.do: {type_name}'):
        Job('Thing', 'do', [value]).encode()
    with pytest.raises(JobSerialisationError, match=type_name):
        Job('Thing', 'do', [], {'k': [value]}).encode()


def test_int_too_big_names_its_type():
    with pytest.raises(JobSerialisationError, match=r'Thing\.do: .*\bint\b'):
        Job('Thing', 'do', [2**64]).encode()
    with pytest.raises(JobSerialisationError, match=r'outside -2\*\*63 to 2\*\*64-1'):
        Job('Thing', 'do', [], {'n': -2**63 - 1}).encode()


def test_datetime_job_still_rejects_other_objects():
    with pytest.raises(JobSerialisationError, match="Thing.do: type 'time' is not supported"):
        DatetimeJob('Thing', 'do', [datetime.time(12)]).encode()


async def test_unencodable_enqueue_writes_nothing(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        with pytest.raises(JobSerialisationError,
                           match="cannot encode arguments of Recorder.add: type 'object'"):
            await actor.add(object(), 2)
        with pytest.raises(JobSerialisationError, match='Recorder.echo: datetime is not'):
            await actor.echo(when=datetime.datetime.now())
        assert await redis.keys('*') == []
        # a failing encode leaves nothing behind: the next good one goes through
        handle = await actor.add(1, 2)
    [payload] = await redis.lrange('arq:q:dft', 0, -1)
    job = Job.decode(payload)
    assert (job.id, job.class_name, job.func_name, job.args) == (handle.id, 'Recorder', 'add',
                                                                 (1, 2))


def test_failing_encode_then_good_encode():
    with pytest.raises(JobSerialisationError):
        Job('A', 'f', [1, {2: object()}]).encode()
    assert Job.decode(Job('A', 'f', [1, {2: 3}]).encode()).args == (1, {2: 3})


@pytest.mark.parametrize('data, message', [
    (b'', 'payload is not valid msgpack'),
    (b'\xc1', 'payload is not valid msgpack'),
    (b'not msgpack at all', 'payload is not valid msgpack'),
    (msgpack.packb([1, 2, 3]), 'payload must be an array of at least 6 fields, not'),
    (msgpack.packb({'id': 1}), 'payload must be an array of at least 6 fields'),
    (msgpack.packb(['id', 'now', 'A', 'f', [], {}]), 'payload fields have the wrong types'),
    (msgpack.packb(['id', 1, 'A', 'f', {}, {}]), 'payload fields have the wrong types'),
    (msgpack.packb(['id', 1, 'A', 'f', [], {1: 2}]), 'payload fields have the wrong types'),
    (msgpack.packb(['id', 1, 'A', 'f', [msgpack.ExtType(99, b'')], {}]),
     'unknown msgpack ext type 99'),
    (Job('A', 'f', [1]).encode()[:-1], 'payload is not valid msgpack'),
])
def test_decode_garbage_raises_job_decode_error(data, message):
    with pytest.raises(JobDecodeError, match=message):
        Job.decode(data)


def test_decode_ignores_fields_appended_later():
    data = msgpack.packb(['a' * 32, 5, 'A', 'f', [1], {'k': 2}, 'future', 1])
    job = Job.decode(data)
    assert (job.id, job.queued_at, job.args, job.kwargs) == ('a' * 32, 5, (1,), {'k': 2})


def test_job_to_string_and_curtail():
    job = Job('Downloader', 'fetch', ['x' * 100], {'retries': 3}, job_id='3f9a1c' + '0' * 26)
    assert job.short_ref() == '3f9a1c'
    assert job.to_string() == ("3f9a1c Downloader.fetch('" + 'x' * 78 + '…)')
    assert job.to_string(20) == "3f9a1c Downloader.fetch('" + 'x' * 18 + '…)'
    assert str(Job('A', 'f', [1, 'b'], {'c': None}, job_id='abcdef12')) == (
        "abcdef A.f(1, 'b', c=None)")
    assert repr(Job('A', 'f', job_id='abcdef12', queue='dft')) == (
        "<Job abcdef A.f() queue='dft'>")


def test_job_ids_are_unique_hex_and_queued_at_is_now():
    before = int(time.time() * 1000)
    jobs = [Job('A', 'f') for _ in range(1000)]
    after = int(time.time() * 1000)
    assert len({j.id for j in jobs}) == 1000
    assert all(re.fullmatch('[0-9a-f]{32}', j.id) for j in jobs)
    assert all(before <= j.queued_at <= after for j in jobs)
    assert jobs[0].short_ref() == jobs[0].id[:6]


# ────────────────────────────────────────────────────────────────────────────── actors ──

def test_duplicate_queues_fail_at_class_creation():
    with pytest.raises(ConfigurationError,
                       match=r"Dup.queues has duplicates: \('high', 'dft', 'high'\)"):
        class Dup(Actor):
            queues = ('high', 'dft', 'high')


def test_default_queue_must_be_one_of_the_queues():
    with pytest.raises(ConfigurationError, match=r"NoDft.DEFAULT_QUEUE 'dft' is not in its"):
        class NoDft(Actor):
            queues = ('a', 'b')


def test_concurrent_on_non_coroutine_is_type_error():
    with pytest.raises(TypeError, match=r'@concurrent needs a coroutine function \(async def\)'):
        class Sync(Actor):
            @concurrent
            def work(self):
                pass
    with pytest.raises(TypeError, match='@concurrent needs a coroutine function'):
        concurrent('high')(lambda self: None)
    with pytest.raises(TypeError, match='@concurrent takes a function or a queue name, not 3'):
        concurrent(3)


def test_concurrent_with_unknown_queue_fails_at_class_creation():
    with pytest.raises(ConfigurationError,
                       match=r"Bad.work uses queue 'nope', which is not in Bad.queues"):
        class Bad(Actor):
            @concurrent('nope')
            async def work(self):
                pass


def test_custom_queues_and_concurrent_queue():
    class Custom(Actor):
        queues = ('urgent', 'dft')

        @concurrent('urgent')
        async def work(self):
            pass

    assert Custom.work.queue == 'urgent'
    assert Custom(redis_settings=RedisSettings()).queue_keys == {
        'urgent': 'arq:q:urgent', 'dft': 'arq:q:dft'}


def test_actor_class_names():
    assert (Actor.HIGH_QUEUE, Actor.DEFAULT_QUEUE, Actor.LOW_QUEUE) == ('high', 'dft', 'low')
    assert Actor.queues == ('high', 'dft', 'low')
    assert Actor.QUEUE_PREFIX == 'q:'
    assert Recorder.job_class is Job and DatetimeActor.job_class is DatetimeJob
    assert (Recorder.re_enqueue_jobs, ReEnqueuer.re_enqueue_jobs) == (False, True)
    actor = Recorder(redis_settings=RedisSettings())
    assert (actor.name, actor.is_shadow, actor.concurrency_enabled) == ('Recorder', False, True)
    assert Recorder._job_methods == {'add', 'urgent', 'later', 'note', 'plain', 'echo', 'sleep',
                                     'stop_early', 'fail', 'own_timeout', 'whoami'}


class JobsMixin:
    """A plain mixin: its @concurrent and public coroutine methods are jobs too."""

    @concurrent
    async def mixed(self):
        return 'mixed'

    async def mixed_plain(self):
        return 'plain'


class MixedActor(JobsMixin, Actor):
    borrowed = asyncio.sleep  # an outside coroutine under a name: not a job

    async def own(self):
        return 'own'


@pytest.mark.parametrize('name', ['close', 'job', 'startup', '_hidden'])
def test_a_concurrent_method_with_a_reserved_or_private_name_is_refused(name):
    with pytest.raises(ConfigurationError, match=rf"Bad.{name}: a job cannot be named '{name}'"):
        type('Bad', (Actor,), {name: concurrent(EveryMinute.tick.func)})


def test_jobs_come_from_mixins_but_not_from_assigned_outside_coroutines():
    assert MixedActor._job_methods == {'mixed', 'mixed_plain', 'own'}


@pytest.mark.parametrize('func_name', [
    'nope', '_secret', '_record', 'close', 'startup', 'shutdown', 'enqueue_job', 'get_redis',
    'log_redis_info', 'helper', 'name', '__init__', '_enqueue',
])
async def test_enqueue_job_refuses_what_is_not_a_job(settings, redis, func_name):
    async with Recorder(redis_settings=settings) as actor:
        with pytest.raises(ConfigurationError,
                           match=rf"'{func_name}' is not a job method of Recorder; choose "
                                 r"from \['add', 'echo'"):
            await actor.enqueue_job(func_name)
    assert await redis.keys('*') == []


async def test_enqueue_job_on_unknown_queue(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        with pytest.raises(ConfigurationError,
                           match=r"queue 'nope' is not one of Recorder.queues \('high', 'dft', "
                                 r"'low'\)"):
            await actor.enqueue_job('add', 1, 2, queue='nope')
        with pytest.raises(ConfigurationError, match="queue 'nope' is not one of"):
            await actor.add.defer(1, 2, queue_name='nope')
    assert await redis.keys('*') == []


async def test_enqueue_job_pushes_one_payload(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.enqueue_job('plain', 21)
        other = await actor.enqueue_job('add', 1, b=2, queue='low')
        assert repr(handle) == f"<JobHandle {handle.id} Recorder.plain queue='dft'>"
    [payload] = await redis.lrange('arq:q:dft', 0, -1)
    job = Job.decode(payload)
    assert (job.id, job.class_name, job.func_name, job.args, job.kwargs) == (
        handle.id, 'Recorder', 'plain', (21,), {})
    [payload] = await redis.lrange('arq:q:low', 0, -1)
    assert Job.decode(payload).kwargs == {'b': 2}
    assert (other.queue, other.function, other.result_value) == ('low', 'Recorder.add', None)


async def test_enqueue_many_keeps_each_calls_error_and_enqueues_the_rest(settings, redis,
                                                                        start_worker):
    async with Recorder(redis_settings=settings) as actor:
        await redis.script_flush()  # the batch loads the script it lacks and sends again
        outcomes = await actor.enqueue_many([
            ('add', (1, 2)),
            ('echo', [object()]),  # msgpack cannot carry it
            ('plain', [21], {'_job_id': 'once'}),
            ('nope',),
            ('plain', [4], {'_job_id': 'once'}),  # the id is known by now
            'add',
            ('add', (3,), {'b': 4}),
            ('echo', 'text'),  # not echo('t', 'e', 'x', 't')
            ('add', {'a': 1, 'b': 2}),  # kwargs in the place of args
        ])
        first, bad, once, unknown, again, shapeless, last, text, mapping = outcomes
        for outcome, spec in ((text, r"\('echo', 'text'\)"), (mapping, r"\('add', \{'a': 1")):
            with pytest.raises(ConfigurationError, match=r'a call must be \(func_name, args, '
                               r'kwargs\) with a sequence of args and a dict of kwargs, not '
                               + spec):
                raise outcome
        assert [first.function, once.id, again, last.queue] == [
            'Recorder.add', 'once', None, 'dft']
        with pytest.raises(JobSerialisationError, match='cannot encode arguments of '
                                                        'Recorder.echo'):
            raise bad
        with pytest.raises(ConfigurationError, match="'nope' is not a job method"):
            raise unknown
        with pytest.raises(ConfigurationError, match=r"a call must be \(func_name, args, "
                                                      r"kwargs\), not 'add'"):
            raise shapeless
        queued = [Job.decode(p) for p in await redis.lrange('arq:q:dft', 0, -1)]
        assert [(j.id, j.args, j.kwargs) for j in queued] == [
            (first.id, (1, 2), {}), ('once', (21,), {}), (last.id, (3,), {'b': 4})]
        await start_worker(settings)
        assert [await h.result(timeout=10) for h in (first, once, last)] == [3, 42, 7]


async def test_concurrent_call_defer_and_queues(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        h1 = await actor.add(1, 2)
        h2 = await actor.urgent('u')
        h3 = await actor.later('l')
        h4 = await actor.add.defer(3, 4, queue_name='high')
        h5 = await actor.later.defer('x')
    assert [h.queue for h in (h1, h2, h3, h4, h5)] == ['dft', 'high', 'low', 'high', 'low']
    high = [Job.decode(p) for p in await redis.lrange('arq:q:high', 0, -1)]
    assert [(j.id, j.func_name, j.args) for j in high] == [
        (h2.id, 'urgent', ('u',)), (h4.id, 'add', (3, 4))]
    assert await redis.llen('arq:q:dft') == 1
    assert await redis.llen('arq:q:low') == 2


async def test_direct_runs_now_without_redis(settings, redis):
    actor = Recorder(redis_settings=settings)
    assert await actor.echo.direct(1, k=2) == [(1,), {'k': 2}]
    assert actor._redis is None
    assert Recorder.add.func.__name__ == 'add'
    assert 'without @concurrent' in Recorder.plain.__doc__
    assert await redis.keys('*') == []


async def test_async_with_closes_the_client(settings, redis):
    async def clients():
        return len(await redis.client_list())

    async with Recorder(redis_settings=settings) as actor:
        await actor.add(1, 2)
        assert await clients() == 2
    assert await wait_for(lambda: _equals(clients, 1))


async def test_concurrency_disabled_runs_in_process(settings, redis):
    async with Recorder(redis_settings=settings, concurrency_enabled=False) as actor:
        handle = await actor.add(3, 4)
        assert handle.result_value == 7
        echoed = await actor.echo((1, {2}), Colour.RED, k=Name('v'))
        # the same encode/decode round trip as on a worker
        _assert_same(echoed.result_value, [((1, {2}), 3), {'k': 'v'}])
        with pytest.raises(JobSerialisationError, match='Recorder.echo'):
            await actor.echo(object())
        with pytest.raises(ValueError, match='boom'):
            await actor.fail('boom')
        added, bad = await actor.enqueue_many([('add', (1, 1)), ('echo', [object()])])
        assert (added.result_value, type(bad)) == (2, JobSerialisationError)
    assert await results(redis) == ['add:7', 'add:2']
    assert sorted(await redis.keys('*')) == [results_key().encode()]


async def test_redis_settings_namespace_prefixes_queue_keys(settings, redis):
    ns = RedisSettings.from_url(f'redis://127.0.0.1:{settings.port}/0?namespace=app')
    async with Recorder(redis_settings=ns) as actor:
        assert actor.namespace == 'app'
        add = await actor.add(1, 2)
        urgent = await actor.urgent('x')
    assert sorted(await redis.keys('*')) == sorted([
        b'app:q:dft', b'app:q:high', f'app:job:{add.id}'.encode(),
        f'app:job:{urgent.id}'.encode()])


async def test_actor_does_not_close_a_client_it_was_given(settings, redis):
    actor = Recorder(redis_settings=settings, existing_redis=redis)
    await actor.add(1, 2)
    assert await actor.get_redis() is redis
    await actor.close()
    assert await redis.ping() is True
    assert await redis.llen('arq:q:dft') == 1


async def test_close_with_shutdown_runs_the_hook(settings):
    actor = Lifecycle(redis_settings=settings)
    await actor.close(shutdown=True)
    assert Lifecycle.events == ['shutdown ping=True']


def test_bare_concurrent_with_parentheses():
    class Parens(Actor):
        @concurrent()
        async def work(self):
            pass

    assert Parens.work.queue is None
    assert Parens._job_methods == {'work'}

# ─────────────────────────────────────────────────────────────────────────────── drain ──

async def test_drain_runs_raw_lists_in_priority_order(redis):
    await redis.rpush('my:low', b'l1', b'l2')
    await redis.rpush('my:high', b'h1', b'h2')
    seen = []

    async def handle(raw):
        seen.append((raw.queue, raw.data))

    async with Drain(redis=redis, max_concurrent_tasks=1) as drain:
        async for raw in drain.iter('my:high', 'my:low'):
            assert isinstance(raw, arq.RawJob)
            drain.add(handle(raw), raw)
    assert seen == [('my:high', b'h1'), ('my:high', b'h2'), ('my:low', b'l1'), ('my:low', b'l2')]
    assert (drain.jobs_complete, drain.jobs_failed, drain.jobs_timed_out) == (4, 0, 0)
    # acked, lease deleted, worker unregistered: nothing left behind
    assert await redis.keys('*') == []


async def test_drain_burst_exits_at_once_when_empty(redis):
    started = time.monotonic()
    async with Drain(redis=redis, burst_mode=True) as drain:
        async for _raw in drain.iter('my:q', pop_timeout=5):
            raise AssertionError('nothing to pop')
    assert time.monotonic() - started < 1
    assert drain.jobs_complete == 0


async def test_drain_bounds_concurrency(redis):
    await redis.rpush('my:q', *[str(i).encode() for i in range(30)])
    running = peak = 0
    done = []

    async def handle(raw):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        done.append(int(raw.data))

    async with Drain(redis=redis, max_concurrent_tasks=4) as drain:
        async for raw in drain.iter('my:q'):
            assert drain.jobs_ongoing < 4
            drain.add(handle(raw), raw)
    assert peak == 4
    assert sorted(done) == list(range(30))
    assert drain.jobs_complete == 30


async def test_drain_job_is_in_flight_with_a_lease_while_it_runs(redis):
    await redis.rpush('my:q', b'payload')
    entered, release = asyncio.Event(), asyncio.Event()

    async def handle():
        entered.set()
        await release.wait()

    async with Drain(redis=redis, worker_id='w1', lease_ms=3000) as drain:
        async for raw in drain.iter('my:q'):
            drain.add(handle(), raw)
            await entered.wait()
            assert await redis.lrange('my:q', 0, -1) == []
            assert await redis.lrange('arq:inflight:w1:my:q', 0, -1) == [b'payload']
            assert await redis.hgetall('arq:workers') == {b'w1': b'my:q'}
            assert 2000 < await redis.pttl('arq:lease:w1') <= 3000
            release.set()
    assert await redis.keys('*') == []


async def test_drain_cancels_job_past_timeout(redis, caplog):
    await redis.rpush('my:q', b'slow', b'fast')

    async def handle(raw):
        if raw.data == b'slow':
            await asyncio.sleep(30)

    started = time.monotonic()
    async with Drain(redis=redis, timeout_seconds=0.05) as drain:
        async for raw in drain.iter('my:q'):
            drain.add(handle(raw), raw)
    assert time.monotonic() - started < 2
    assert (drain.jobs_complete, drain.jobs_timed_out, drain.jobs_failed) == (1, 1, 0)
    [message] = [r.getMessage() for r in caplog.records if r.name == 'arq.jobs']
    assert message == "task timed out after 0.05s: job from my:q (b'slow')"
    assert await redis.keys('*') == []


async def test_drain_per_task_timeout_overrides(redis):
    async with Drain(redis=redis, timeout_seconds=0.01) as drain:
        drain.add(asyncio.sleep(0.05), timeout_seconds=None)
        drain.add(asyncio.sleep(0.05), timeout_seconds=1)
    assert (drain.jobs_complete, drain.jobs_timed_out) == (2, 0)


async def test_drain_task_raising_timeout_error_itself_is_failed(redis):
    async def handle():
        raise TimeoutError('mine')

    async with Drain(redis=redis, timeout_seconds=30) as drain:
        drain.add(handle())
    assert (drain.jobs_failed, drain.jobs_timed_out) == (1, 0)


async def test_drain_counts_and_logs_failures(redis, caplog):
    await redis.rpush('my:q', b'bad', b'good')

    async def handle(raw):
        if raw.data == b'bad':
            raise ValueError('bad payload')

    async with Drain(redis=redis) as drain:
        async for raw in drain.iter('my:q'):
            drain.add(handle(raw), raw)
    assert (drain.jobs_complete, drain.jobs_failed) == (1, 1)
    [record] = [r for r in caplog.records if r.name == 'arq.jobs']
    assert record.getMessage() == "task failed: job from my:q (b'bad')"
    assert record.exc_info[0] is ValueError
    assert await redis.keys('*') == []


async def test_drain_raise_task_exception_reraises(redis):
    await redis.rpush('my:q', b'1', b'2', b'3')

    async def handle(raw):
        raise KeyError(raw.data)

    with pytest.raises(KeyError, match='1'):
        async with Drain(redis=redis, raise_task_exception=True, max_concurrent_tasks=1) as drain:
            async for raw in drain.iter('my:q'):
                drain.add(handle(raw), raw)
    assert drain.jobs_failed == 1
    # the drain stopped at the first error: the others are still queued
    assert await redis.lrange('my:q', 0, -1) == [b'2', b'3']


async def test_drain_not_in_burst_mode_waits_for_jobs_then_stops(redis):
    seen = asyncio.Queue()

    async def consume(drain):
        async for raw in drain.iter('my:a', 'my:b', pop_timeout=5):
            drain.add(seen.put(raw), raw)

    async with Drain(redis=redis, burst_mode=False) as drain:
        task = asyncio.create_task(consume(drain))
        await asyncio.sleep(0.05)  # let the drain go idle, blocking on both lists
        for key, value in (('my:b', b'x'), ('my:a', b'y')):
            await redis.rpush(key, value)
            raw = await asyncio.wait_for(seen.get(), 2)  # idle wait wakes at once
            assert (raw.queue, raw.data) == (key, value)
        started = time.monotonic()
        drain.stop()
        await asyncio.wait_for(task, 2)
        assert time.monotonic() - started < 1
    assert drain.jobs_complete == 2
    assert await redis.keys('*') == []


@pytest.mark.parametrize('re_enqueue', [True, False])
async def test_drain_shutdown_cancels_late_jobs(redis, caplog, re_enqueue):
    await redis.rpush('my:q', b'quick', b'slow')
    finished = []

    async def handle(raw, seconds):
        await asyncio.sleep(seconds)
        finished.append(raw.data)

    started = time.monotonic()
    async with Drain(redis=redis, burst_mode=False, shutdown_delay=0.2) as drain:
        async for raw in drain.iter('my:q'):
            drain.add(handle(raw, 0.05 if raw.data == b'quick' else 30), raw, re_enqueue)
            if drain.jobs_ongoing == 2:
                drain.stop()
    assert 0.2 <= time.monotonic() - started < 2
    assert finished == [b'quick']
    assert drain.jobs_complete == 1
    assert (drain.jobs_re_enqueued, drain.jobs_cancelled) == (
        (1, 0) if re_enqueue else (0, 1))
    assert await redis.lrange('my:q', 0, -1) == ([b'slow'] if re_enqueue else [])
    assert await redis.keys('arq:*') == []
    assert 'shutdown: cancelling 1 job(s) still running' in caplog.messages


class StubbornDrain(Drain):
    cancel_grace_seconds = 0.1


@pytest.mark.parametrize('re_enqueue', [False, True], ids=['dropped', 're-enqueued'])
async def test_drain_abandons_a_job_that_ignores_cancellation(redis, caplog, re_enqueue):
    await redis.rpush('my:q', b'stubborn')
    release, running = asyncio.Event(), asyncio.Event()
    ended = []

    async def stubborn():
        running.set()
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await release.wait()
        ended.append('done')

    async with StubbornDrain(redis=redis, burst_mode=False, shutdown_delay=0) as drain:
        async for raw in drain.iter('my:q'):
            task = drain.add(stubborn(), raw, re_enqueue)
            await running.wait()
            drain.stop()
    assert 'shutdown: abandoning 1 job(s) that ignored cancellation' in caplog.messages
    assert drain.jobs_ongoing == 0
    # put back exactly once when asked for, else settled: never both run and re-queued
    assert await redis.lrange('my:q', 0, -1) == ([b'stubborn'] if re_enqueue else [])
    assert await redis.keys('arq:*') == []
    release.set()
    await task
    assert ended == ['done']
    assert await redis.lrange('my:q', 0, -1) == ([b'stubborn'] if re_enqueue else [])


async def test_drain_stopped_mid_batch_puts_the_rest_back_in_order(redis):
    await redis.rpush('my:q', *[str(i).encode() for i in range(100)])
    ran = []

    async def handle(raw):
        ran.append(raw.data)

    async with Drain(redis=redis, burst_mode=False) as drain:
        async for raw in drain.iter('my:q'):
            drain.add(handle(raw), raw)
            drain.stop()
    assert ran == [b'0']
    assert await redis.lrange('my:q', 0, -1) == [str(i).encode() for i in range(1, 100)]
    assert await redis.keys('arq:*') == []


async def test_drain_finish_now_skips_shutdown_delay(redis):
    async with Drain(redis=redis, shutdown_delay=30) as drain:
        task = drain.add(asyncio.sleep(30))
        await asyncio.sleep(0)
        started = time.monotonic()
        drain.finish_now()
    assert time.monotonic() - started < 1
    assert task.cancelled()
    assert drain.jobs_cancelled == 1


async def test_drain_bad_arguments(redis):
    with pytest.raises(ConfigurationError, match='max_concurrent_tasks must be an int >= 1, not 0'):
        Drain(redis=redis, max_concurrent_tasks=0)
    with pytest.raises(ConfigurationError, match='timeout_seconds must be > 0 or None, not 0'):
        Drain(redis=redis, timeout_seconds=0)
    with pytest.raises(ConfigurationError, match='shutdown_delay must be >= 0 and lease_ms'):
        Drain(redis=redis, shutdown_delay=-1)
    drain = Drain(redis=redis)
    coro = asyncio.sleep(0)
    with pytest.raises(ArqError, match='the drain is not running: use it inside "async with"'):
        drain.add(coro)
    async with drain:
        with pytest.raises(ConfigurationError, match=r'iter\(\) needs at least one queue key'):
            async for _ in drain.iter():
                pass


async def test_drain_pops_in_batches_when_busy(redis):
    await redis.rpush('my:q', *[str(i).encode() for i in range(30)])
    seen_inflight = []

    async def handle(drain):
        seen_inflight.append(await redis.llen(f'arq:inflight:{drain.worker_id}:my:q'))

    async with Drain(redis=redis, max_concurrent_tasks=10, worker_id='batcher') as drain:
        async for raw in drain.iter('my:q'):
            drain.add(handle(drain), raw)
    # one pop moved ten jobs into flight at once, not one job per round trip
    assert seen_inflight[0] == 10
    assert drain.jobs_complete == 30


# ────────────────────────────────────────────────────────────────────────────── worker ──

async def test_burst_worker_runs_jobs_and_logs_start_and_end(settings, redis, caplog):
    caplog.set_level(logging.INFO, logger='arq')
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(1, 2)
        await actor.enqueue_job('plain', 'x')
    worker = await run_burst(settings, max_concurrent_tasks=1)
    assert await results(redis) == ['add:3', 'plain:x']
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_timed_out) == (2, 0, 0)
    assert await redis.llen('arq:q:dft') == 0
    ref = handle.id[:6]
    messages = job_messages(caplog)
    assert re.fullmatch(rf'dft  queued  \d\.\d{{3}}s → {ref} Recorder\.add\(1, 2\)',
                        messages[0]), messages[0]
    assert re.fullmatch(rf'dft  ran in  \d\.\d{{3}}s ← {ref} Recorder\.add ● 3',
                        messages[1]), messages[1]
    assert re.fullmatch(rf"dft  ran in  \d\.\d{{3}}s ← {HEX6} Recorder\.plain ● 'xx'",
                        messages[3]), messages[3]
    work = [r.getMessage() for r in caplog.records if r.name == 'arq.work']
    assert work[0] == f'Initialising work manager, burst mode: True, {settings.address}'
    assert any(m.startswith('redis_version=') for m in work)
    assert 'Running worker with 5 shadow(s) listening to 3 queue(s): high, dft, low' in work
    assert re.fullmatch(r'shutting down worker after \d+\.\d{3}s ◆ 2 jobs done ◆ 0 failed ◆ '
                        r'0 timed out', work[-1]), work[-1]


async def test_worker_runs_high_then_dft_then_low(settings, redis, caplog):
    caplog.set_level(logging.INFO, logger='arq')
    async with Recorder(redis_settings=settings) as actor:
        await actor.later('1')
        await actor.note('1')
        await actor.later('2')
        await actor.urgent('1')
        await actor.note('2')
        await actor.urgent('2')
    await run_burst(settings, max_concurrent_tasks=1)
    assert await results(redis) == ['high:1', 'high:2', 'dft:1', 'dft:2', 'low:1', 'low:2']
    starts = [m[:11] for m in job_messages(caplog) if ' queued ' in m]
    assert starts == ['high queued'] * 2 + ['dft  queued'] * 2 + ['low  queued'] * 2


async def test_worker_queues_setting_limits_and_orders_queues(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        await actor.urgent('1')
        await actor.later('1')
        await actor.note('1')
    worker = await run_burst(settings, queues=['low', 'dft'], max_concurrent_tasks=1)
    assert await results(redis) == ['low:1', 'dft:1']
    assert worker.jobs_complete == 2
    assert await redis.llen('arq:q:high') == 1


async def test_worker_bounds_concurrency(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        for i in range(12):
            await actor.sleep(0.02, str(i))
    worker = await run_burst(settings, max_concurrent_tasks=3)
    assert worker.jobs_complete == 12
    assert Recorder.max_running == 3
    assert sorted(await results(redis)) == sorted(f'end:{i}' for i in range(12))


async def test_worker_counts_timeout(settings, redis, caplog):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.sleep(30, 'slow')
        await actor.add(1, 1)
    started = time.monotonic()
    worker = await run_burst(settings, timeout_seconds=0.1)
    assert time.monotonic() - started < 3
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_timed_out) == (1, 0, 1)
    assert await results(redis) == ['add:2']
    [message] = [m for m in job_messages(caplog) if 'timed out' in m]
    assert re.fullmatch(rf"dft  timed out after  0\.1\d\ds ← {handle.id[:6]} "
                        rf"Recorder\.sleep\(30, 'slow'\)", message), message
    assert await redis.llen('arq:q:dft') == 0


async def test_job_raising_timeout_error_itself_is_failed_not_timed_out(settings, redis, caplog):
    async with Recorder(redis_settings=settings) as actor:
        await actor.own_timeout()
    worker = await run_burst(settings, timeout_seconds=30)
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_timed_out) == (0, 1, 0)
    [message] = job_messages(caplog)
    assert message.endswith('Recorder.own_timeout(): TimeoutError: my own timeout')


async def test_two_workers_never_run_a_job_twice(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        for i in range(200):
            await actor.note(i)
    first, second = await asyncio.gather(run_burst(settings, max_concurrent_tasks=7),
                                         run_burst(settings, max_concurrent_tasks=5))
    done = await results(redis)
    assert sorted(done) == sorted(f'dft:{i}' for i in range(200))
    assert first.jobs_complete + second.jobs_complete == 200
    assert await arq_keys(redis) == []


@pytest.mark.parametrize('warning, level', [(False, logging.INFO), (True, logging.WARNING)])
async def test_stop_job_counts_complete_and_logs_square(settings, redis, caplog, warning, level):
    caplog.set_level(logging.INFO, logger='arq')
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.stop_early(warning)
    worker = await run_burst(settings)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    [record] = [r for r in caplog.records if r.name == 'arq.jobs' and ' ran in ' in r.getMessage()]
    assert record.levelno == level
    assert re.fullmatch(rf'dft  ran in  \d\.\d{{3}}s ← {handle.id[:6]} Recorder\.stop_early ■ '
                        r'enough for today', record.getMessage()), record.getMessage()


async def test_failed_job_counted_and_traceback_logged(settings, redis, caplog):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.fail('kaboom')
        await actor.add(2, 2)
    worker = await run_burst(settings)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 1)
    assert await results(redis) == ['add:4']
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.name == 'arq.jobs'
    assert re.fullmatch(rf"dft  ran in  \d\.\d{{3}}s ! {handle.id[:6]} Recorder\.fail\('kaboom'\):"
                        r' ValueError: kaboom', record.getMessage()), record.getMessage()
    assert record.exc_info[0] is ValueError
    assert 'Traceback (most recent call last)' in caplog.text
    assert "raise ValueError(message)" in caplog.text


async def test_worker_rejects_what_it_must_not_run_and_carries_on(settings, redis, caplog):
    bad = {
        b'\xc1garbage': 'cannot decode job from queue',
        msgpack.packb([1, 2]): 'cannot decode job from queue',
        _raw('Nobody', 'add', 1, 2): "names 'Nobody.add', which is not a job this worker runs",
        _raw('Recorder', 'nope'): "names 'Recorder.nope', which is not a job",
        _raw('Recorder', 'close'): "names 'Recorder.close', which is not a job",
        _raw('Recorder', 'startup'): "names 'Recorder.startup', which is not a job",
        _raw('Recorder', 'shutdown'): "names 'Recorder.shutdown', which is not a job",
        _raw('Recorder', 'enqueue_job', 'add', 1, 2): "names 'Recorder.enqueue_job', which",
        _raw('Recorder', '_secret'): "names 'Recorder._secret', which is not a job",
        _raw('Recorder', '_record', 'x'): "names 'Recorder._record', which is not a job",
        _raw('Recorder', 'helper'): "names 'Recorder.helper', which is not a job",
        _raw('Recorder', '__init__'): "names 'Recorder.__init__', which is not a job",
        # what reaches the log from Redis cannot forge lines or drive the terminal
        _raw('Recorder', 'a\n04:00:00 forged'): r"names 'Recorder.a\n04:00:00 forged', which",
        msgpack.packb(['\x1b[2J', 0, 'Recorder', 'add', [], {}]): 'bad id or enqueue time',
        msgpack.packb(['abc', 2**63, 'Recorder', 'add', [], {}]): 'bad id or enqueue time',
    }
    for payload in bad:
        await redis.rpush('arq:q:dft', payload)
    await redis.rpush('arq:q:dft', _raw('Recorder', 'add', 20, 22))
    worker = await run_burst(settings)
    assert (worker.jobs_failed, worker.jobs_complete) == (len(bad), 1)
    assert await results(redis) == ['add:42']
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == len(bad)
    for message, expected in zip(errors, bad.values(), strict=True):
        assert expected in message
        assert re.search(DEAD_LINE_END, message)
    dead = [msgpack.unpackb(d) for d in await redis.lrange('arq:dead', 0, -1)]
    assert {d['data'] for d in dead} == set(bad)
    for d in dead:
        assert d['queue'] == 'arq:q:dft'
        assert bad[d['data']] in d['reason']
        assert abs(d['time'] / 1000 - time.time()) < 60
    assert await redis.llen('arq:q:dft') == 0
    assert await redis.keys('arq:inflight:*') == []


async def test_hundreds_of_jobs_calling_redis_at_once_share_the_client(settings, redis):
    # redis-py 8 limits a client to 100 connections unless told otherwise
    async with Recorder(redis_settings=settings) as actor:
        for i in range(300):
            await actor.sleep(0.3, f't{i}')
    worker = await run_burst(settings, max_concurrent_tasks=300)
    assert (worker.jobs_complete, worker.jobs_failed) == (300, 0)
    assert Recorder.max_running == 300
    assert len(await results(redis)) == 300


async def test_worker_runs_datetime_jobs(settings, redis):
    moment = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=TZ_MINUS)
    async with DatetimeActor(redis_settings=settings) as actor:
        await actor.when(moment)
        await actor.when(datetime.date(2020, 1, 2))
    await run_burst(settings)
    assert sorted(await results(redis)) == sorted([repr(moment), repr(datetime.date(2020, 1, 2))])


async def test_worker_runs_startup_and_shutdown_of_shadows(settings, redis):
    async with Lifecycle(redis_settings=settings) as actor:
        await actor.ping()
    worker = await run_burst(settings, shadows=[Lifecycle])
    assert Lifecycle.events == ['startup shadow=True', 'ping', 'shutdown ping=True']
    assert worker.jobs_complete == 1


async def test_shadows_get_the_workers_settings_and_redis(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        await actor.whoami()
    worker = Worker(burst=True, redis_settings=settings, log_curtail=10)
    await worker.run()
    shadow = Recorder.last_shadow
    assert shadow.is_shadow is True
    assert shadow.redis_settings is worker.redis_settings
    assert Recorder.last_redis is await worker.get_redis()
    # the shadows closed at the end of the run, but not the client they borrowed
    assert await (await worker.get_redis()).ping() is True
    await worker.close()
    assert worker.jobs_complete == 1


async def test_shadow_factory_and_shadow_kwargs_are_overridable(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        await actor.whoami()
        await actor.add(1, 2)
    async with Lifecycle(redis_settings=settings) as actor:
        await actor.ping()
    worker = await run_burst(settings, CustomShadowWorker)
    assert [type(s) for s in CustomShadowWorker.made] == [Recorder, Lifecycle]
    assert all(s.concurrency_enabled is False and s.is_shadow for s in CustomShadowWorker.made)
    assert Recorder.last_shadow is CustomShadowWorker.made[0]
    assert Lifecycle.events == ['startup shadow=True', 'ping', 'shutdown ping=True']
    assert worker.jobs_complete == 3


@pytest.mark.parametrize('shadows, message', [
    ([], 'Worker.shadows is empty: list the actor classes to run'),
    ([Recorder, int], r"Worker.shadows must hold Actor subclasses, not <class 'int'>"),
])
async def test_worker_bad_shadows(settings, shadows, message):
    worker = Worker(burst=True, redis_settings=settings, shadows=shadows)
    with pytest.raises(ConfigurationError, match=message):
        await worker.run()
    await worker.close()


def test_worker_bad_settings():
    s = RedisSettings()
    with pytest.raises(ConfigurationError, match=r"unknown worker setting\(s\) \['bogus'\]"):
        Worker(redis_settings=s, bogus=1)
    with pytest.raises(ConfigurationError, match='timeout_seconds must be > 0 or None, not -1'):
        Worker(redis_settings=s, timeout_seconds=-1)
    with pytest.raises(ConfigurationError, match='health_check_interval must be > 0, not 0'):
        Worker(redis_settings=s, health_check_interval=0)


def test_worker_defaults():
    w = Worker(redis_settings=RedisSettings())
    assert (BaseWorker.max_concurrent_tasks, BaseWorker.timeout_seconds,
            BaseWorker.shutdown_delay, BaseWorker.health_check_interval) == (50, 60, 6, 60)
    assert (w.reusable, w.log_curtail, w.repeat_health_check_logs, w.burst) == (
        True, 80, False, False)
    assert w.drain_class is Drain
    assert w.health_check_key is None
    assert re.fullmatch(r'arq:health-check:\S+-\d+-[0-9a-f]{4}', w.health_key)
    assert w.health_key.endswith(w.worker_name)
    assert (w.jobs_complete, w.jobs_failed, w.jobs_timed_out, w.jobs_ongoing) == (0, 0, 0, 0)
    other = Worker(redis_settings=RedisSettings(namespace='x'))
    assert other.health_key == f'x:health-check:{other.worker_name}' != w.health_key
    assert Worker(redis_settings=RedisSettings(), health_check_key='k').health_key == 'k'


async def test_worker_not_reusable_refuses_second_run(settings, redis):
    worker = Worker(burst=True, redis_settings=settings, reusable=False)
    await worker.run()
    with pytest.raises(ArqError, match='Worker has run once and is not reusable'):
        await worker.run()
    await worker.close()


async def test_reusable_worker_runs_again(settings, redis):
    worker = Worker(burst=True, redis_settings=settings)
    async with Recorder(redis_settings=settings) as actor:
        await actor.add(1, 1)
        await worker.run()
        await actor.add(2, 2)
        await worker.run()
    await worker.close()
    assert await results(redis) == ['add:2', 'add:4']


async def test_health_check_key_value_and_ttl(settings, redis, caplog, capsys, start_worker):
    caplog.set_level(logging.INFO, logger='arq')
    checker = Worker(redis_settings=settings)
    assert await checker.check_health() == 1
    assert capsys.readouterr().out == (
        "Health check failed: no health check sentinel value found at 'arq:health-check:*'\n")
    async with Recorder(redis_settings=settings) as actor:
        await actor.later('x')
        await actor.add(1, 1)
        await actor.fail('x')
        worker, task = await start_worker(settings, queues=['high', 'dft'],
                                          health_check_interval=5)
        key = f'arq:health-check:{worker.worker_name}'
        assert await wait_for(lambda: redis.exists(key))
        assert worker.health_key == key
        assert 5000 < await redis.pttl(key) <= 6000
        value = (await redis.get(key)).decode()
        assert re.fullmatch(health_re('high', 'dft'), value), value
        assert await checker.check_health() == 0
        assert capsys.readouterr().out == f'Health check successful: {worker.worker_name} {value}\n'
        await wait_for(lambda: _equals(lambda: redis.llen('arq:q:dft'), 0))
        await stop_worker(worker, task)
    # a stopped worker is not alive: its key goes
    assert not await redis.exists(key)
    assert await checker.check_health() == 1
    await checker.close()
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 1)
    health_logs = [m for m in caplog.messages if m.startswith('recording health: ')]
    assert health_logs == [f'recording health: {value}']


async def test_health_keys_are_per_worker_so_one_stopping_keeps_the_others(
        settings, redis, capsys, start_worker):
    first, first_task = await start_worker(settings, health_check_interval=5)
    second, _ = await start_worker(settings, health_check_interval=5)
    keys = [f'arq:health-check:{w.worker_name}' for w in (first, second)]
    assert first.worker_name != second.worker_name
    assert await wait_for(lambda: redis.exists(*keys)) == 2
    assert await first.check_health() == 0
    lines = [f'Health check successful: {w.worker_name} {(await redis.get(k)).decode()}'
             for w, k in zip((first, second), keys, strict=True)]
    assert sorted(capsys.readouterr().out.splitlines()) == sorted(lines)
    await stop_worker(first, first_task)
    assert (await redis.exists(keys[0]), await redis.exists(keys[1])) == (0, 1)


async def test_health_check_fixed_key_outlives_the_worker(settings, redis, capsys):
    async with Recorder(redis_settings=settings) as actor:
        await actor.add(1, 1)
        await actor.fail('x')
        await actor.later('x')
    worker = await run_burst(settings, health_check_key='custom:health',
                             health_check_interval=5)
    value = (await redis.get('custom:health')).decode()
    assert re.fullmatch(health_re('high', 'dft', 'low'), value).groups() == (
        '2', '1', '0', '0', '0', '0', '0')
    assert 5000 < await redis.pttl('custom:health') <= 6000
    assert await worker.check_health() == 0
    assert capsys.readouterr().out == f'Health check successful: custom:health {value}\n'
    await worker.close()


async def test_worker_stop_lets_short_jobs_finish(settings, redis, caplog, start_worker):
    caplog.set_level(logging.INFO, logger='arq')
    async with Recorder(redis_settings=settings) as actor:
        await actor.sleep(0.2, 'a')
        await actor.sleep(0.3, 'b')
        worker, task = await start_worker(settings, shutdown_delay=5)
        assert sorted(await wait_started(redis, 2)) == ['a', 'b']
        started = time.monotonic()
        await stop_worker(worker, task)
    assert time.monotonic() - started < 2
    assert sorted(await results(redis)) == ['end:a', 'end:b']
    assert worker.jobs_complete == 2
    assert 'shutdown: cancelling' not in caplog.text
    assert await arq_keys(redis) == []


@pytest.mark.parametrize('actor_class, back', [(ReEnqueuer, 1), (Recorder, 0)])
async def test_shutdown_cancels_late_jobs_and_re_enqueues_once(settings, redis, caplog,
                                                               actor_class, back, start_worker):
    caplog.set_level(logging.INFO, logger='arq')
    async with actor_class(redis_settings=settings) as actor:
        await actor.sleep(0.05, 'quick')
        late = await actor.sleep(30, 'late')
        worker, task = await start_worker(settings, shutdown_delay=0.3)
        assert sorted(await wait_started(redis, 2)) == ['late', 'quick']
        started = time.monotonic()
        await stop_worker(worker, task)
    assert 0.3 <= time.monotonic() - started < 2
    assert await results(redis) == ['end:quick']
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_timed_out) == (1, 0, 0)
    queued = [Job.decode(p) for p in await redis.lrange('arq:q:dft', 0, -1)]
    assert [(j.id, j.class_name, j.args) for j in queued] == (
        [(late.id, actor_class.__name__, (30, 'late'))] * back)
    assert 'shutdown: cancelling 1 job(s) still running' in caplog.messages
    assert ('shutdown: 1 job(s) put back on their queues' in caplog.messages) == bool(back)
    assert await redis.keys('arq:inflight:*') == []
    assert await redis.keys('arq:lease:*') == []
    assert await redis.hgetall('arq:workers') == {}
    if back:
        # the job put back runs on the next worker, once
        await run_burst(settings, timeout_seconds=0.05)
        assert await redis.llen('arq:q:dft') == 0


async def test_handle_sig_stops_gracefully_then_cancels(settings, redis, caplog, start_worker):
    caplog.set_level(logging.INFO, logger='arq')
    async with ReEnqueuer(redis_settings=settings) as actor:
        await actor.sleep(0.1, 'short')
        await actor.sleep(30, 'long')
        worker, task = await start_worker(settings, shutdown_delay=30)
        await wait_started(redis, 2)
        worker.handle_sig(signal.SIGTERM)
        await wait_for(lambda: worker.jobs_complete == 1)
        assert await results(redis) == ['end:short']
        assert not task.done()
        started = time.monotonic()
        worker.handle_sig(signal.SIGINT)
        await asyncio.wait_for(task, 5)
        await worker.close()
    assert time.monotonic() - started < 1
    assert worker.jobs_complete == 1
    warnings = [r.getMessage() for r in caplog.records
                if r.name == 'arq.work' and r.levelno == logging.WARNING]
    assert warnings[:2] == [
        'got signal SIGTERM, stopping: running jobs get 30s to finish (send it again to cancel '
        'them now)',
        'got signal SIGINT again, cancelling 1 running job(s) now',
    ]
    [payload] = await redis.lrange('arq:q:dft', 0, -1)
    assert Job.decode(payload).args == (30, 'long')


async def test_stop_before_run_returns_at_once(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        await actor.add(1, 2)
    worker = Worker(redis_settings=settings)
    worker.stop()
    await asyncio.wait_for(worker.run(), 5)
    await worker.close()
    assert await redis.llen('arq:q:dft') == 1


async def test_worker_waits_idle_then_runs_new_jobs(settings, redis, start_worker):
    worker, task = await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        await wait_for(lambda: redis.hlen('arq:workers'))
        await actor.urgent('1')
        assert await redis.blpop([results_key()], timeout=5) == (results_key().encode(),
                                                                  b'high:1')
        await actor.later('2')
        assert await redis.blpop([results_key()], timeout=5) == (results_key().encode(),
                                                                  b'low:2')
    await stop_worker(worker, task)
    assert worker.jobs_complete == 2


async def test_worker_recovers_jobs_of_a_dead_worker(settings, redis, caplog):
    dead = 'deadhost-1-abcd'
    payloads = [_raw('Recorder', 'add', 1, 2), _raw('Recorder', 'urgent', 'h')]
    await redis.rpush(f'arq:inflight:{dead}:arq:q:dft', payloads[0])
    await redis.rpush(f'arq:inflight:{dead}:arq:q:high', payloads[1])
    await redis.hset('arq:workers', dead, 'arq:q:high\narq:q:dft')
    # a worker that is alive (its lease key exists) keeps its jobs
    await redis.rpush('arq:inflight:alive-2-ef01:arq:q:dft', _raw('Recorder', 'add', 5, 5))
    await redis.hset('arq:workers', 'alive-2-ef01', 'arq:q:dft')
    await redis.set('arq:lease:alive-2-ef01', '1', px=10_000)
    worker = await run_burst(settings)
    assert sorted(await results(redis)) == ['add:3', 'high:h']
    assert worker.jobs_complete == 2
    assert 'put 2 job(s) of dead workers back on their queues' in caplog.messages
    assert await redis.hgetall('arq:workers') == {b'alive-2-ef01': b'arq:q:dft'}
    assert await redis.keys(f'arq:inflight:{dead}:*') == []
    assert await redis.llen('arq:inflight:alive-2-ef01:arq:q:dft') == 1


async def test_namespaces_isolate_applications(settings, redis, start_worker):
    app1 = RedisSettings.from_url(f'redis://127.0.0.1:{settings.port}/0?namespace=app1')
    app2 = RedisSettings.from_url(f'redis://127.0.0.1:{settings.port}/0?namespace=app2')
    async with Recorder(redis_settings=app1) as actor:
        await actor.add(1, 2)
        await actor.urgent('u')
        await actor.sleep(0.3, 's')
    await redis.rpush('app1:q:dft', b'garbage')
    # a worker of the other application sees none of it
    other = await run_burst(app2)
    assert (other.jobs_complete, other.jobs_failed) == (0, 0)
    assert await redis.llen('app1:q:dft') == 3

    worker, task = await start_worker(app1)
    await wait_started(redis, 1, namespace='app1')
    await wait_for(lambda: redis.exists(worker.health_key))
    # while a job runs: in-flight list, lease, registry and health key, all prefixed
    keys = sorted(k.decode() for k in await redis.keys('*'))
    assert {k.split(':')[1] for k in keys} >= {'inflight', 'lease', 'workers', 'health-check',
                                               'test-results'}
    assert all(k.startswith('app1:') or k.startswith('app2:') for k in keys), keys
    assert f'app1:inflight:{worker.worker_name}:app1:q:dft' in keys
    await stop_worker(worker, task)
    assert (worker.jobs_complete, worker.jobs_failed) == (3, 1)
    assert sorted(await results(redis, 'app1')) == ['add:3', 'end:s', 'high:u']
    assert await redis.llen('app1:dead') == 1
    assert await arq_keys(redis) == ['app1:dead']
    assert len(await redis.keys('app1:result:*')) == 3



async def test_idle_worker_blocks_instead_of_polling(settings, redis, start_worker):
    worker, task = await start_worker(settings)
    await wait_for(lambda: redis.hlen('arq:workers'))
    await asyncio.sleep(0.1)
    await redis.config_resetstat()
    await asyncio.sleep(1.3)  # over one blocking wait's timeout (1s)
    stats = await redis.info('commandstats')
    await stop_worker(worker, task)
    calls = {k.removeprefix('cmdstat_'): v['calls'] for k, v in stats.items()}
    # per second: a blocking wait per queue, then a pop; a busy loop would make hundreds
    assert calls.get('blmove', 0) <= 6, calls
    assert sum(calls.values()) <= 15, calls


async def test_all_slots_busy_is_logged(settings, redis, caplog):
    async with Recorder(redis_settings=settings) as actor:
        await actor.sleep(0.3, 'a')
        await actor.add(1, 1)
    worker = await run_burst(settings, max_concurrent_tasks=1, drain_class=QuickWarnDrain)
    assert isinstance(worker.drain, QuickWarnDrain)
    assert worker.jobs_complete == 2
    assert 'all 1 task slots busy for 0s' in caplog.messages


async def test_log_curtail_cuts_long_arguments(settings, redis, caplog):
    caplog.set_level(logging.INFO, logger='arq')
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.echo('x' * 50)
    await run_burst(settings, log_curtail=12)
    start, end = job_messages(caplog)
    assert start.endswith(f"→ {handle.id[:6]} Recorder.echo('xxxxxxxxxx…)")
    assert end.endswith("Recorder.echo ● [('xxxxxxxx…")


async def test_actor_name_routes_jobs(settings, redis):
    async with Renamed(redis_settings=settings) as actor:
        assert repr(actor) == f"<Renamed 'billing' default {settings.address}>"
        await actor.charge(5)
    [payload] = await redis.lrange('arq:q:dft', 0, -1)
    assert Job.decode(payload).class_name == 'billing'
    await run_burst(settings, shadows=[Renamed])
    assert await results(redis) == ['charged:5']


async def test_two_shadows_with_one_name_are_refused(settings):
    class Billing(Actor):
        name = 'billing'

    with pytest.raises(ConfigurationError, match="two shadows are named 'billing'"):
        await run_burst(settings, shadows=[Renamed, Billing])


# ──────────────────────────────────────────────────────────────────────────────── cron ──

def dt(*args: int) -> datetime.datetime:
    return datetime.datetime(*args)


@pytest.mark.parametrize('after, fields, expected', [
    pytest.param(dt(2026, 1, 31, 23, 59, 59), {}, dt(2026, 2, 1, 0, 0, 0, 123456),
                 id='every-minute-across-month-end'),
    pytest.param(dt(2026, 12, 31, 23, 59, 30), {}, dt(2027, 1, 1, 0, 0, 0, 123456),
                 id='every-minute-across-year-end'),
    pytest.param(dt(2026, 12, 31, 23, 59, 59, 999999),
                 dict(day=31, hour=23, minute=59, second=59, microsecond=999999),
                 dt(2027, 1, 31, 23, 59, 59, 999999), id='last-microsecond-of-the-year'),
    pytest.param(dt(2026, 1, 31, 12), dict(day=31), dt(2026, 3, 31, 0, 0, 0, 123456),
                 id='no-31-february'),
    pytest.param(dt(2026, 4, 1), dict(day=31), dt(2026, 5, 31, 0, 0, 0, 123456),
                 id='no-31-april'),
    pytest.param(dt(2026, 3, 1), dict(month=2, day=29), dt(2028, 2, 29, 0, 0, 0, 123456),
                 id='29-february-waits-for-a-leap-year'),
    pytest.param(dt(2024, 2, 28, 12), dict(month=2, day=29), dt(2024, 2, 29, 0, 0, 0, 123456),
                 id='29-february-in-a-leap-year'),
    pytest.param(dt(2096, 3, 1), dict(month=2, day=29), dt(2104, 2, 29, 0, 0, 0, 123456),
                 id='2100-is-not-a-leap-year'),
    pytest.param(dt(1999, 3, 1), dict(month=2, day=29), dt(2000, 2, 29, 0, 0, 0, 123456),
                 id='2000-is-a-leap-year'),
    pytest.param(dt(2026, 3, 5, 2, 59, 59), dict(hour=3), dt(2026, 3, 5, 3, 0, 0, 123456),
                 id='hour-only-means-on-the-hour'),
    pytest.param(dt(2026, 3, 5, 3, 0, 0, 123456), dict(hour=3), dt(2026, 3, 6, 3, 0, 0, 123456),
                 id='hour-only-runs-once-that-hour'),
    pytest.param(dt(2026, 3, 5, 3, 0, 1), dict(hour=3), dt(2026, 3, 6, 3, 0, 0, 123456),
                 id='hour-only-not-every-minute-of-it'),
    pytest.param(dt(2026, 3, 5, 3, 0, 1), dict(hour=3, second=None),
                 dt(2026, 3, 5, 3, 0, 1, 123456), id='explicit-any-second-is-kept'),
    pytest.param(dt(2026, 12, 3, 10), dict(weekday='fri', hour=9), dt(2026, 12, 4, 9, 0, 0, 123456),
                 id='weekday-by-name'),
    pytest.param(dt(2026, 12, 4, 10), dict(weekday={'Saturday', 6}),
                 dt(2026, 12, 5, 0, 0, 0, 123456), id='weekday-set-of-name-and-number'),
    pytest.param(dt(2026, 1, 1), dict(weekday=0, day=13), dt(2026, 4, 13, 0, 0, 0, 123456),
                 id='day-and-weekday-both-match'),
    pytest.param(dt(2026, 3, 5, 12, 0, 5, 500000), dict(second=5, microsecond=None),
                 dt(2026, 3, 5, 12, 0, 5, 500001), id='any-microsecond'),
    pytest.param(dt(2026, 3, 5, 12, 0, 5, 500000), dict(minute={0, 30}, second={0, 30},
                                                       microsecond=0),
                 dt(2026, 3, 5, 12, 0, 30), id='sets-of-minutes-and-seconds'),
    pytest.param(dt(2026, 3, 5, 12, 0, 0, 123456), dict(second={0, 2}),
                 dt(2026, 3, 5, 12, 0, 2, 123456), id='strictly-after-a-matching-time'),
])
def test_next_cron(after, fields, expected):
    assert next_cron(after, **fields) == expected


@pytest.mark.parametrize('tz', [arq.create_tz(3600), arq.create_tz(-5 * 3600), LONDON],
                         ids=['plus-1h', 'minus-5h', 'europe-london'])
def test_next_cron_keeps_the_timezone_of_an_aware_time(tz):
    after = datetime.datetime(2026, 12, 31, 23, 59, 30, tzinfo=tz)
    result = next_cron(after, hour=0)
    assert result == datetime.datetime(2027, 1, 1, 0, 0, 0, 123456, tzinfo=tz)
    assert result.tzinfo is tz
    assert next_cron(after.replace(tzinfo=None), hour=0).tzinfo is None


@pytest.mark.parametrize('fields, message', [
    (dict(hour=24), 'cron hour must be an int from 0 to 23, or a set of them, not 24'),
    (dict(minute='5'), "cron minute must be an int from 0 to 59, or a set of them, not '5'"),
    (dict(second=True), 'cron second must be an int from 0 to 59, or a set of them, not True'),
    (dict(month={1, 13}), 'cron month must be an int from 1 to 12, or a set of them, not'),
    (dict(weekday='funday'), "cron weekday must be an int from 0 to 6 or 'mon'...'sun', or a "
                             "set of them, not 'funday'"),
    (dict(day=set()), 'cron day must be an int from 1 to 31, or a set of them, not an empty '
                      'set'),
    (dict(weekday='monkey'), "or 'mon'...'sun', or a set of them, not 'monkey'"),
    (dict(hour=3.0), 'cron hour must be an int from 0 to 23, or a set of them, not 3.0'),
    (dict(hour={3: 'x'}), "cron hour must be an int from 0 to 23, or a set of them, not {3: 'x'}"),
    (dict(hour=b'\x03'), "cron hour must be an int from 0 to 23, or a set of them, not b'\\x03'"),
    (dict(microsecond=None), 'not None: a run every microsecond is not a schedule'),
    (dict(timeout_seconds=float('nan')), 'cron timeout_seconds must be a number > 0 or None, '
                                         'not nan'),
    (dict(month=2, day=30), 'cron fields match no date'),
    (dict(month={4, 6}, day=31), 'cron fields match no date'),
    (dict(timeout_seconds=0), 'cron timeout_seconds must be a number > 0 or None, not 0'),
    (dict(timeout_seconds='5'), "cron timeout_seconds must be a number > 0 or None, not '5'"),
])
def test_cron_rejects_bad_fields_at_import_time(fields, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        cron(**fields)


@pytest.mark.parametrize('weekday', ['mon', 'wed', 'thu', 'fri', 'sat', 'sun', 'tue'])
def test_cron_finds_29_february_on_any_weekday(weekday):
    # such a date can be 40 years away; the Gregorian cycle of 400 years has them all
    cron(month=2, day=29, weekday=weekday)
    found = next_cron(datetime.datetime(2029, 1, 1), month=2, day=29, weekday=weekday)
    assert (found.month, found.day, found.weekday()) == (2, 29, arq.WEEKDAY_NAMES.index(weekday))
    assert found > datetime.datetime(2029, 1, 1)
    assert found.year % 4 == 0


def test_cron_weekday_names_short_or_full_in_any_case():
    assert next_cron(datetime.datetime(2026, 12, 4), weekday='SUNDAY', hour=0) == (
        datetime.datetime(2026, 12, 6, 0, 0, 0, 123456))
    assert cron(weekday={'Mon', 'friday'})(EveryMinute.tick.func).fields['weekday'] == (0, 4)


def test_cron_needs_a_coroutine_and_a_queue_of_the_actor():
    with pytest.raises(TypeError, match='needs a coroutine function'):
        cron(hour=1)(lambda self: None)
    with pytest.raises(ConfigurationError, match="uses queue 'nightly', which is not in"):
        class Bad(Actor):
            @cron(hour=1, dft_queue='nightly')
            async def report(self):
                pass


async def test_cron_job_is_still_a_job_you_can_enqueue(settings, redis):
    assert 'tick' in EveryMinute._job_methods
    assert repr(EveryMinute.tick) == '<cron EveryMinute.tick second=(0,) microsecond=(123456,)>'
    async with EveryMinute(redis_settings=settings) as actor:
        await actor.tick()
    await run_burst(settings, shadows=[EveryMinute])
    assert await results(redis) == ['tick']


async def test_cron_hour_only_runs_once_at_that_hour(settings, redis):
    clock = FakeClock(london(2026, 3, 5, 2, 59, 59))
    worker, task = await start_clocked_worker(settings, clock, Hourly)
    await clock.set(london(2026, 3, 5, 3, 0, 0, 200000))
    await clock.set(london(2026, 3, 5, 3, 1, 0, 200000))
    await clock.set(london(2026, 3, 5, 3, 59, 59))
    assert await cron_claims(redis, 'Hourly.report') == [london(2026, 3, 5, 3, 0, 0, 123000)]
    await clock.set(london(2026, 3, 6, 3, 0, 0, 200000))
    assert await cron_claims(redis, 'Hourly.report') == [
        london(2026, 3, 5, 3, 0, 0, 123000), london(2026, 3, 6, 3, 0, 0, 123000)]
    assert await wait_for(lambda: _equals(lambda: results(redis), ['report', 'report']))
    await stop_worker(worker, task)


async def test_cron_worker_down_over_scheduled_times_enqueues_no_burst(settings, redis):
    clock = FakeClock(london(2026, 12, 31, 23, 59, 30))
    worker, task = await start_clocked_worker(settings, clock, EveryMinute)
    await clock.set(london(2027, 1, 1, 0, 0, 0, 500000))
    await stop_worker(worker, task)

    # down for an hour: sixty scheduled runs pass
    clock.now = london(2027, 1, 1, 1, 0, 30).timestamp()
    worker, task = await start_clocked_worker(settings, clock, EveryMinute)
    assert await cron_claims(redis, 'EveryMinute.tick') == [london(2027, 1, 1, 0, 0, 0, 123000)]
    await clock.set(london(2027, 1, 1, 1, 1, 0, 500000))
    # stalled while asleep (a suspended laptop, a clock set forward): the run that was due
    # is enqueued once, late, and the next is the first one after now
    await clock.set(london(2027, 1, 1, 1, 15, 10))
    assert clock.wake_at[0] <= london(2027, 1, 1, 1, 16, 0, 123456).timestamp()
    await clock.set(london(2027, 1, 1, 1, 16, 0, 500000))
    assert await cron_claims(redis, 'EveryMinute.tick') == [
        london(2027, 1, 1, 0, 0, 0, 123000), london(2027, 1, 1, 1, 1, 0, 123000),
        london(2027, 1, 1, 1, 2, 0, 123000), london(2027, 1, 1, 1, 16, 0, 123000)]
    assert await wait_for(lambda: _equals(lambda: redis.llen(results_key()), 4))
    await stop_worker(worker, task)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def cron_runs(worker: BaseWorker, cron_job: Any, start: datetime.datetime,
              end: datetime.datetime) -> list[datetime.datetime]:
    """The instants, in UTC, at which ``worker`` runs ``cron_job`` from start to end."""
    runs, at = [], start.timestamp()
    while (at := worker.next_cron_run(cron_job, at)) <= end.timestamp():
        runs.append(datetime.datetime.fromtimestamp(at, datetime.UTC))
    return runs


class Nightly(Actor):
    @cron(hour=1, minute=30, microsecond=0)
    async def nightly(self):
        pass


class DaylightSaving(Nightly):
    @cron(minute={0, 15, 30, 45}, microsecond=0)
    async def quarterly(self):
        pass


@pytest.mark.parametrize('job, start, end, expected', [
    # 29 March 2026, 01:00 GMT: clocks go forward to 02:00 BST; 01:30 does not exist and
    # runs as far past the jump as it was past its start, at 02:30 BST
    pytest.param('nightly', utc(2026, 3, 28, 12), utc(2026, 3, 30, 12),
                 [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)], id='skipped-daily-time'),
    pytest.param('quarterly', utc(2026, 3, 29, 0, 40), utc(2026, 3, 29, 2, 5),
                 [utc(2026, 3, 29, 0, 45), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 15),
                  utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 1, 45), utc(2026, 3, 29, 2)],
                 id='forward-every-quarter-hour-of-real-time-once'),
    # 25 October 2026, 02:00 BST: clocks go back to 01:00 GMT; 01:00-01:59 occur twice
    # and run once, the first time
    pytest.param('nightly', utc(2026, 10, 24, 12), utc(2026, 10, 26, 12),
                 [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)], id='repeated-daily-time'),
    pytest.param('quarterly', utc(2026, 10, 24, 23, 50), utc(2026, 10, 25, 2, 20),
                 [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 30),
                  utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 2), utc(2026, 10, 25, 2, 15)],
                 id='back-repeated-wall-times-once'),
    # a worker that starts during the repeated hour does not run its wall times again
    pytest.param('nightly', utc(2026, 10, 25, 1, 10), utc(2026, 10, 26, 12),
                 [utc(2026, 10, 26, 1, 30)], id='start-in-the-repeated-hour'),
])
def test_cron_daylight_saving_policy(settings, job, start, end, expected):
    worker = BaseWorker(shadows=[DaylightSaving], redis_settings=settings, cron_tz=LONDON)
    assert cron_runs(worker, getattr(DaylightSaving, job), start, end) == expected


async def test_cron_worker_across_clocks_going_back_runs_once(settings, redis):
    clock = FakeClock(utc(2026, 10, 25, 0, 0))
    worker, task = await start_clocked_worker(settings, clock, Nightly)
    for minute in range(0, 181, 10):  # 01:00 BST to 02:00 GMT, through 01:30 twice
        await clock.set(utc(2026, 10, 25, 0, 0) + datetime.timedelta(minutes=minute))
    await stop_worker(worker, task)
    claims = await cron_claims(redis, 'Nightly.nightly')
    assert [c.astimezone(datetime.UTC) for c in claims] == [utc(2026, 10, 25, 0, 30)]


async def test_cron_without_tz_uses_the_system_local_time(settings):
    worker = BaseWorker(shadows=[Hourly], redis_settings=settings)
    after = datetime.datetime(2026, 3, 5, 12).timestamp()
    assert datetime.datetime.fromtimestamp(worker.next_cron_run(Hourly.report, after)) == (
        datetime.datetime(2026, 3, 6, 3, 0, 0, 123456))


async def test_cron_own_timeout_and_no_timeout(settings, redis, caplog):
    async with CronTimeouts(redis_settings=settings) as actor:
        await actor.short()
        await actor.unlimited()
        await actor.plain()
    worker = await run_burst(settings, shadows=[CronTimeouts], timeout_seconds=0.1)
    # short: its own 0.2s; unlimited: none, so the worker's 0.1s does not apply to it;
    # plain: the worker's 0.1s
    assert (worker.jobs_complete, worker.jobs_timed_out) == (1, 2)
    assert await results(redis) == ['unlimited:end']
    timed_out = sorted(re.search(r'CronTimeouts\.(\w+)', m).group(1)
                       for m in job_messages(caplog) if 'timed out after' in m)
    assert timed_out == ['plain', 'short']


async def test_cron_run_at_startup_enqueues_on_its_queue(settings, redis):
    worker = await run_burst(settings, shadows=[AtStartup], queues=['dft'])
    assert worker.jobs_complete == 0
    assert await redis.llen('arq:q:low') == 1
    # each worker start enqueues it once more: no claim is shared at startup
    await run_burst(settings, shadows=[AtStartup], queues=['low'])
    assert await results(redis) == ['warm', 'warm']
    assert await redis.llen('arq:q:low') == 0


async def test_cron_unique_claim_is_per_instant_not_per_window(settings, redis):
    worker = BaseWorker(shadows=[Ticker], redis_settings=settings)
    shadow = Ticker(redis_settings=settings)
    at = datetime.datetime(2026, 3, 5, 12, 0, 0).timestamp()
    for instant in (at, at, at + 2, at + 2, at + 4):
        await worker._enqueue_cron(shadow, 'tick', Ticker.tick, instant)
    assert await redis.llen('arq:q:dft') == 3
    assert 3_590_000 < await redis.pttl(f'arq:cron:Ticker.tick:{int(at * 1000)}') <= 3_600_000
    await worker.close()
    await shadow.close()


async def test_cron_unique_across_two_worker_processes_runs_every_time_once(
        settings, redis, cli_worker):
    workers = [cli_worker('test_arq:TickWorker') for _ in range(2)]
    for worker in workers:
        worker.wait_for_line('Running worker with 1 shadow')

    async def claimed():
        return len(await redis.keys('arq:cron:Ticker.tick:*')) >= 4
    await wait_for(claimed, timeout=20)
    for worker in workers:
        worker.process.send_signal(signal.SIGTERM)
    for worker in workers:
        assert await asyncio.to_thread(worker.wait) == 0, worker.stderr

    instants = sorted(int(k.rsplit(b':', 1)[1]) for k in await redis.keys('arq:cron:Ticker.*'))
    # every scheduled time from the first to the last, two seconds apart, none skipped
    assert [b - a for a, b in itertools.pairwise(instants)] == [2000] * (len(instants) - 1)
    assert all(ms % 2000 == 0 for ms in instants)
    # and each enqueued once: the runs plus what is left queued match the claims
    ticks = await results(redis)
    assert len(ticks) + await redis.llen('arq:q:dft') == len(instants)
    assert len(ticks) >= 3
    assert {t.split(':')[1] for t in ticks} <= {str(w.child_pid) for w in workers}


# ─────────────────────────────────────────────────────────────────── results and retries ──

async def test_result_returns_the_value_and_info_has_its_fields(settings, redis, start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(2, 3)
        assert await handle.result(timeout=10) == 5
        info = await handle.info()
        assert await handle.status() is JobStatus.COMPLETE
    assert isinstance(info, JobInfo)
    assert (info.job_id, info.status, info.function, info.args, info.kwargs, info.queue) == (
        handle.id, JobStatus.COMPLETE, 'Recorder.add', (2, 3), {}, 'dft')
    assert (info.tries, info.success, info.result) == (1, True, 5)
    assert info.enqueued_at <= info.started_at <= info.finished_at
    assert abs((info.finished_at - datetime.datetime.now(datetime.UTC)).total_seconds()) < 60
    ttl = await redis.ttl(f'arq:result:{handle.id}')
    assert 3500 < ttl <= 3600


async def test_failed_job_raises_job_failed_with_the_remote_traceback(settings, start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.fail('boom')
        with pytest.raises(JobFailed, match=r'job [0-9a-f]{6} Recorder.fail failed: '
                                            r'ValueError: boom') as caught:
            await handle.result(timeout=10)
        info = await handle.info()
    exc = caught.value
    assert (exc.exc_type, exc.exc_message, exc.job_id, exc.function) == (
        'ValueError', 'boom', handle.id, 'Recorder.fail')
    assert 'Traceback (most recent call last)' in exc.remote_traceback
    assert "raise ValueError(message)" in exc.remote_traceback
    assert isinstance(exc, arq.ArqError) and not isinstance(exc, JobTimedOut)
    assert info.success is False and isinstance(info.result, JobFailed)


async def test_stop_job_and_timeout_are_their_own_kinds(settings, redis, start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        stopped = await actor.stop_early(False)
        timed_out = await actor.sleep(5, 'slow', _timeout=0.05)
        own = await actor.own_timeout()
        with pytest.raises(JobStopped, match='stopped: enough for today'):
            await stopped.result(timeout=10)
        with pytest.raises(JobTimedOut, match=r'Recorder.sleep failed: timed out after 0.05s'):
            await timed_out.result(timeout=10)
        # a TimeoutError the job raises itself is a plain failure
        with pytest.raises(JobFailed, match='TimeoutError: my own timeout') as caught:
            await own.result(timeout=10)
        assert not isinstance(caught.value, JobTimedOut)
        assert (await stopped.info()).success is True
        assert (await timed_out.info()).tries == 1
    # the timed-out job ran once: a timeout is not re-run unless the function asks
    assert await results(redis) == []
    assert await redis.lrange(started_key(), 0, -1) == [b'slow']


async def test_result_waiting_across_two_processes(settings, redis, redis_server,
                                                   start_worker):
    await start_worker(settings)
    script = (
        'import asyncio, arq, test_arq\n'
        'async def main():\n'
        '    async with test_arq.Recorder() as actor:\n'
        '        handle = await actor.add(20, 22)\n'
        '        print(handle.id, flush=True)\n'
        '        print(await handle.result(timeout=10), flush=True)\n'
        'asyncio.run(main())\n')
    process = await asyncio.create_subprocess_exec(
        sys.executable, '-c', script, cwd=REPO, env=cli_env(redis_server.url),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    job_id = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
    # this process rebuilds a handle from the id alone and waits on it too
    async with Actor(redis_settings=settings) as anyone:
        assert await JobHandle(job_id, anyone).result(timeout=10) == 42
        assert (await anyone.job(job_id).info()).function == 'Recorder.add'
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    assert out.decode().split() == ['42']


async def test_a_thousand_waiters_share_one_connection_and_do_not_poll(settings, redis,
                                                                       start_worker):
    await start_worker(settings)
    async with Tries(redis_settings=settings) as actor:
        handles = [await actor.gated(i) for i in range(10)]
        await wait_for(lambda: _equals(lambda: redis.hlen('arq:workers'), 1))
        await asyncio.sleep(0.05)
        before = len(await redis.client_list())
        await redis.config_resetstat()
        waiters = [asyncio.create_task(h.result(timeout=20)) for h in handles for _ in range(100)]
        await wait_for(lambda: len(actor._listener.channels) == 10 if actor._listener else False)
        await asyncio.sleep(0.3)  # waiters that polled would keep sending commands now
        during = len(await redis.client_list())
        stats = await redis.info('commandstats')
        assert not any(w.done() for w in waiters)
        await redis.rpush(gate_key(), *range(10))
        values = await asyncio.gather(*waiters)
    assert sorted(values) == sorted(i for i in range(10) for _ in range(100))
    assert during - before == 1  # the listener's pub/sub connection; checks reuse the pool
    calls = {k.removeprefix('cmdstat_'): v['calls'] for k, v in stats.items()}
    # one look at each job after subscribing, whatever the number of waiters
    assert calls.get('get', 0) == 10 and calls.get('exists', 0) == 10, calls
    assert calls.get('subscribe', 0) <= 10, calls


async def test_results_of_jobs_enqueued_while_listening_cost_no_command(settings, redis,
                                                                        start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        assert await (await actor.add(1, 1)).result(timeout=10) == 2  # starts the listener
        await wait_for(lambda: actor._listener.reply_ready)
        handle = await actor.add(2, 2)
        await redis.config_resetstat()
        assert await handle.result(timeout=10) == 4
        assert await handle.result(timeout=1) == 4  # as often as asked
        stats = await redis.info('commandstats')
        # a handle nobody keeps is not kept by the listener either
        dropped = await actor.add(3, 3, _defer_by=60)
        dropped_id = dropped.id
        del dropped
        gc.collect()
        assert dropped_id not in actor._listener._handles
        # other handles on the same job still wait on its own channel
        assert await actor.job(handle.id).result(timeout=1) == 4
    calls = {k.removeprefix('cmdstat_'): v['calls'] for k, v in stats.items()}
    assert not {'get', 'exists', 'subscribe', 'unsubscribe'} & set(calls), calls


async def test_waiters_and_aborts_survive_a_lost_pubsub_connection(settings, redis,
                                                                    start_worker):
    await start_worker(settings)
    async with Tries(redis_settings=settings) as actor:
        await redis.rpush(gate_key(), 'x')
        assert await (await actor.gated('warm')).result(timeout=10) == 'warm'
        await wait_for(lambda: actor._listener.reply_ready)
        own = await actor.gated('own')                      # waits on the reply channel
        other = actor.job((await actor.gated('other')).id)  # waits on its own channel
        waiters = [asyncio.create_task(h.result(timeout=20)) for h in (own, other)]
        await wait_for(lambda: len(actor._listener.channels) == 1)
        await asyncio.sleep(0.1)
        # both pub/sub connections, our listener's and the worker's, are dropped
        killed = await redis.execute_command('CLIENT', 'KILL', 'TYPE', 'pubsub')
        assert killed == 2
        await redis.rpush(gate_key(), 'a', 'b')
        assert sorted(await asyncio.gather(*waiters)) == ['other', 'own']
        # the worker listens for aborts again
        running = await actor.gated('stuck')
        await wait_for(lambda: _equals(running.status, JobStatus.IN_PROGRESS))
        await wait_for(lambda: _equals(lambda: redis.pubsub_numsub('arq:abort'),
                                       [(b'arq:abort', 1)]))
        assert await running.abort(timeout=10)


async def test_a_call_on_an_idle_worker_costs_three_scripts_and_no_polling(settings, redis,
                                                                           start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        assert await (await actor.add(0, 0)).result(timeout=10) == 0
        await wait_for(lambda: actor._listener.reply_ready)
        await redis.config_resetstat()
        for i in range(20):
            assert await (await actor.echo(i)).result(timeout=10) == [(i,), {}]
        stats = await redis.info('commandstats')
    calls = {k.removeprefix('cmdstat_'): v['calls'] for k, v in stats.items()}
    # per call: the enqueue, one pop and one acknowledgement (all scripts), and one
    # blocking wait; a partial pop proves the queues empty, so no second pop follows
    assert calls['evalsha'] == 3 * 20, calls
    assert calls['blmove'] <= 20 + 3, calls


async def test_result_of_a_job_that_ended_before_the_wait(settings, redis, start_worker):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(1, 1)
        await run_burst(settings)
        assert await handle.result(timeout=0.5) == 2
        assert await actor.job(handle.id).result(timeout=0.5) == 2


async def test_result_timeout_and_unknown_job(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(1, 1)
        with pytest.raises(TimeoutError, match=rf'job {handle.id} Recorder.add gave no result '
                                               r'within 0.05s'):
            await handle.result(timeout=0.05)
        with pytest.raises(JobNotFound, match='job nope not found: never enqueued'):
            await actor.job('nope').result(timeout=5)
        assert await actor.job('nope').status() is JobStatus.NOT_FOUND
        assert (await actor.job('nope').info()).status is JobStatus.NOT_FOUND
        assert not await actor.job('nope').abort()
    assert actor._listener is None  # closed with the actor


async def test_job_id_race_runs_once(settings, redis):
    actors = [Recorder(redis_settings=settings) for _ in range(20)]
    try:
        for actor in actors:  # connect first, so that the enqueues really race
            await actor.get_redis()
        handles = await asyncio.gather(*(a.add(1, i, _job_id='the-one')
                                         for i, a in enumerate(actors)))
        [winner] = [h for h in handles if h is not None]
        assert winner.id == 'the-one' and handles.count(None) == 19
        assert await redis.llen('arq:q:dft') == 1
        await run_burst(settings)
        assert len(await results(redis)) == 1
        # its result is kept, so the id is still known
        assert await actors[0].add(1, 1, _job_id='the-one') is None
        await redis.delete('arq:result:the-one')
        assert (await actors[0].add(1, 1, _job_id='the-one')).id == 'the-one'
    finally:
        for actor in actors:
            await actor.close()


@pytest.mark.parametrize('max_tries', [1, 2, 3])
async def test_retry_counts_tries_and_stops_at_max_tries(settings, redis, max_tries):
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.flaky('f', _max_tries=max_tries)
        worker = await run_burst(settings)
        assert await results(redis) == [f'f:{n}' for n in range(1, max_tries + 1)]
        with pytest.raises(JobFailed, match=rf'failed: used up its {max_tries} tries '
                                            rf'\(max_tries={max_tries}\); the last raised '
                                            r'Retry') as caught:
            await handle.result(timeout=1)
        assert caught.value.exc_type == 'Retry'
        assert (await handle.info()).tries == max_tries
        [letter] = await actor.dead_letters()
    assert (worker.jobs_retried, worker.jobs_failed) == (max_tries - 1, 1)
    assert 'used up its' in letter.reason and letter.queue == 'arq:q:dft'
    assert letter.job.id == handle.id and letter.job.job_try == max_tries
    assert await arq_keys(redis) == ['arq:dead']


async def test_retry_succeeds_on_a_later_try_and_sees_its_try_number(settings, redis,
                                                                     start_worker):
    await start_worker(settings)
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.flaky('g', succeed_on=3, defer=0.02)
        assert await handle.result(timeout=10) == 'g ok on try 3'
        assert (await handle.info()).tries == 3
    assert await results(redis) == ['g:1', 'g:2', 'g:3']
    assert await redis.llen('arq:dead') == 0


async def test_worker_max_tries_default_and_function_option(settings, redis):
    async with Tries(redis_settings=settings) as actor:
        default = await actor.flaky('d', defer=0)
        stubborn = await actor.stubborn('s', 5, _timeout=0.05)
        worker = await run_burst(settings, max_tries=4)
        with pytest.raises(JobFailed, match='used up its 4 tries'):
            await default.result(timeout=1)
        # a timeout is retried only because the function asks, up to its own max_tries
        with pytest.raises(JobTimedOut, match=r'used up its 2 tries \(max_tries=2\); the last '
                                              r'raised TimeoutError'):
            await stubborn.result(timeout=1)
    assert sorted(await results(redis)) == ['d:1', 'd:2', 'd:3', 'd:4', 's:1', 's:2']
    assert worker.jobs_failed == 2


async def test_abort_a_queued_and_a_deferred_job(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        queued = await actor.add(1, 2)
        deferred = await actor.add(3, 4, _defer_by=60)
        kept = await actor.add(5, 6)
        assert await queued.status() is JobStatus.QUEUED
        assert await deferred.status() is JobStatus.DEFERRED
        assert await queued.abort()
        assert await deferred.abort()
        assert not await queued.abort()  # once is enough
        for handle in (queued, deferred):
            with pytest.raises(JobAborted, match='was aborted \\(aborted before it started\\)'):
                await handle.result(timeout=1)
            assert await handle.status() is JobStatus.COMPLETE
        assert await redis.zcard('arq:deferred') == 0
        worker = await run_burst(settings)
        assert await kept.result(timeout=1) == 11
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert await results(redis) == ['add:11']


async def test_abort_a_running_job(settings, redis, start_worker, caplog):
    caplog.set_level(logging.INFO, logger='arq')
    worker, _ = await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.sleep(30, 'long')
        await wait_started(redis, 1)
        assert await handle.status() is JobStatus.IN_PROGRESS
        assert await handle.abort(timeout=5)
        with pytest.raises(JobAborted, match='aborted while running'):
            await handle.result(timeout=1)
        # the worker carries on
        assert await (await actor.add(1, 1)).result(timeout=5) == 2
    assert worker.jobs_aborted == 1 and worker.jobs_ongoing == 0
    assert any(re.fullmatch(rf'dft  aborted after +\d+\.\d{{3}}s ■ {HEX6} Recorder.sleep\(30, '
                            r"'long'\)", m) for m in job_messages(caplog))
    assert await results(redis) == ['add:2']


class AbortOnAdd(Drain):
    """Delivers an abort for each job just after its task is created, before it runs."""

    worker: BaseWorker | None = None

    def add(self, coro, job=None, re_enqueue=False, **kwargs):
        task = super().add(coro, job, re_enqueue, **kwargs)
        AbortOnAdd.worker._on_abort(Job.decode(job.data).id)
        return task


async def test_abort_between_pop_and_start_is_recorded(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(1, 2, _job_id='abort-me')
        worker = Worker(burst=True, redis_settings=settings, drain_class=AbortOnAdd)
        AbortOnAdd.worker = worker
        try:
            await asyncio.wait_for(worker.run(), 15)
        finally:
            await worker.close()
        with pytest.raises(JobAborted, match='aborted before it started'):
            await handle.result(timeout=1)
    assert (worker.jobs_aborted, worker.jobs_complete) == (1, 0)
    assert await results(redis) == [] and await arq_keys(redis) == []


async def test_drain_puts_back_a_job_cancelled_before_it_started(redis):
    await redis.rpush('q', b'job')
    ran = []

    async def work():
        ran.append(1)

    async with Drain(redis=redis, burst_mode=True) as drain:
        async for raw in drain.iter('q'):
            drain.add(work(), raw)
            drain.finish_now()  # cancels the task before it ran
    assert ran == [] and drain.jobs_re_enqueued == 1
    assert await redis.lrange('q', 0, -1) == [b'job']


async def test_abort_a_running_job_that_keeps_no_result(settings, redis, start_worker):
    worker, _ = await start_worker(settings)
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.forget_slowly(30)
        await wait_started(redis, 1)
        assert await handle.abort(timeout=5)
    assert worker.jobs_aborted == 1
    assert await redis.keys('arq:result:*') == []


class OddQueues(Actor):
    queues = ('aq:x', 'dft')

    @concurrent('aq:x')
    async def odd(self):
        return 'odd'


async def test_info_and_dead_letters_name_a_queue_with_a_colon(settings, redis):
    async with OddQueues(redis_settings=settings) as actor:
        handle = await actor.odd()
        assert (await handle.info()).queue == 'aq:x'
        await redis.rpush('arq:q:aq:x', Job('OddQueues', 'nope').encode())
        await run_burst(settings, shadows=[OddQueues])
        assert await handle.result(timeout=1) == 'odd'
        [letter] = await actor.dead_letters()
    assert letter.job.queue == 'aq:x' and letter.queue == 'arq:q:aq:x'


async def test_abort_of_a_finished_job_says_no(settings, redis, start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(1, 1)
        assert await handle.result(timeout=5) == 2
        assert not await handle.abort()
        assert await handle.result(timeout=1) == 2


async def test_expired_job_is_dropped_and_recorded(settings, redis):
    past = datetime.datetime.now() - datetime.timedelta(seconds=1)
    async with Recorder(redis_settings=settings) as actor:
        expired = await actor.add(1, 1, _expires=past)
        fresh = await actor.add(2, 2, _expires=60)
        worker = await run_burst(settings)
        with pytest.raises(JobExpired,
                           match=r' Recorder\.add expired: not started before it expired$'):
            await expired.result(timeout=1)
        assert await fresh.result(timeout=1) == 4
        info = await expired.info()
    assert (info.success, info.started_at) == (False, None)
    assert worker.jobs_expired == 1
    assert await results(redis) == ['add:4']


async def test_dead_letters_for_each_reason_and_requeue(settings, redis):
    await redis.rpush('arq:q:dft', b'\xc1garbage', _raw('Nobody', 'add', 1, 2),
                      _raw('Recorder', 'nope'))
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.until_flag('u', _max_tries=2)
        await run_burst(settings)
        letters = await actor.dead_letters()
        reasons = [re.sub(f'^job {HEX6} ', '', lt.reason)[:40] for lt in letters]
        assert sorted(reasons) == sorted([
            "cannot decode job from queue 'dft': payl", "names 'Nobody.add', which is not a job t",
            "names 'Recorder.nope', which is not a jo", 'used up its 2 tries (max_tries=2); the l'])
        assert all(abs((lt.time - datetime.datetime.now(datetime.UTC)).total_seconds()) < 60
                   for lt in letters)
        assert [lt.job is None for lt in letters].count(True) == 1
        with pytest.raises(JobFailed, match='used up its 2 tries'):
            await handle.result(timeout=1)

        [exhausted] = [lt for lt in letters if lt.reason.startswith('used up')]
        await redis.set('arq:test-flag', 1)
        waiter = asyncio.create_task(handle.result(timeout=10))
        assert await actor.requeue_dead(exhausted)
        assert not await actor.requeue_dead(exhausted)  # it is not there any more
        await run_burst(settings)
        assert await waiter == 'flag seen'
        assert len(await actor.dead_letters()) == 3
    # tries counted afresh after the requeue
    assert await results(redis) == ['u:1', 'u:2', 'u:1']


async def test_unknown_method_job_also_fails_its_waiters(settings, redis):
    job = Job('Recorder', 'nope', ())
    await redis.rpush('arq:q:dft', job.encode())
    async with Recorder(redis_settings=settings) as actor:
        await run_burst(settings)
        with pytest.raises(JobFailed, match="names 'Recorder.nope', which is not a job"):
            await actor.job(job.id).result(timeout=1)


async def test_keep_result_zero_says_so_at_once(settings, redis):
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.forget('x')
        with pytest.raises(JobNotFound, match=r'Tries.forget keeps no result \(keep_result=0\)'):
            await handle.result()  # no timeout: it must not wait at all
        await run_burst(settings)
        assert await results(redis) == ['x:1']
        assert await handle.status() is JobStatus.NOT_FOUND
        with pytest.raises(JobNotFound, match='not found'):
            await actor.job(handle.id).result()
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(1, 2)
        await run_burst(settings, keep_result=0)
        with pytest.raises(JobNotFound, match='not kept'):
            await handle.result()
    assert await arq_keys(redis) == [] and await redis.keys('arq:result:*') == []


async def test_status_moves_from_deferred_to_queued_to_running_to_complete(settings, redis,
                                                                          start_worker):
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.sleep(0.3, 's', _defer_by=0.2)
        assert await handle.status() is JobStatus.DEFERRED
        info = await handle.info()
        assert (info.status, info.function, info.args, info.tries) == (
            JobStatus.DEFERRED, 'Recorder.sleep', (0.3, 's'), 1)
        await redis.eval(arq._MOVE_DUE_SCRIPT, 1, 'arq:deferred', int(time.time() * 1000) + 10**6,
                         10, 'arq:job:')
        assert await handle.status() is JobStatus.QUEUED
        await start_worker(settings)
        await wait_started(redis, 1)
        assert await handle.status() is JobStatus.IN_PROGRESS
        assert await handle.result(timeout=10) == 's'
        assert await handle.status() is JobStatus.COMPLETE


async def test_deferred_job_runs_when_due_on_a_running_worker(settings, redis, start_worker):
    await start_worker(settings)
    async with Recorder(redis_settings=settings) as actor:
        await wait_for(lambda: redis.hlen('arq:workers'))
        handle = await actor.add(1, 2, _defer_by=0.3)
        assert await handle.result(timeout=5) == 3
        info = await handle.info()
    assert (info.started_at - info.enqueued_at).total_seconds() >= 0.3
    assert await redis.zcard('arq:deferred') == 0


@pytest.mark.parametrize('make', [
    pytest.param(lambda: datetime.datetime.now() + datetime.timedelta(hours=1), id='naive'),
    pytest.param(lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1),
                 id='utc'),
    pytest.param(lambda: datetime.datetime.now(TZ_PLUS) + datetime.timedelta(hours=1),
                 id='offset'),
])
async def test_defer_until_naive_is_local_time_and_aware_keeps_its_zone(settings, redis,
                                                                       monkeypatch, make):
    # a local zone far from UTC, so that reading naive as UTC would be hours off
    monkeypatch.setenv('TZ', 'America/New_York')
    time.tzset()
    try:
        async with Recorder(redis_settings=settings) as actor:
            handle = await actor.add(1, 2, _defer_until=make())
            due = await redis.zscore('arq:deferred', handle.id)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert abs(due / 1000 - (time.time() + 3600)) < 60


async def test_burst_worker_leaves_future_jobs_and_aborted_retries_do_not_hold_it(settings,
                                                                                  redis):
    async with Tries(redis_settings=settings) as actor:
        later = await actor.flaky('later', _defer_by=60)
        retried = await actor.flaky('r', defer=30)
        burst = asyncio.create_task(run_burst(settings))
        # the burst worker waits for the retry it scheduled itself...
        await wait_for(lambda: redis.zscore('arq:deferred', retried.id))
        await asyncio.sleep(0.1)
        assert not burst.done()
        # ...until it is aborted
        assert await retried.abort()
        worker = await asyncio.wait_for(burst, 5)
        assert await later.status() is JobStatus.DEFERRED
    assert (worker.jobs_retried, worker.jobs_complete) == (1, 0)
    assert await results(redis) == ['r:1']


async def test_retry_past_expiry_expires_at_once(settings, redis):
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.flaky('e', defer=30, _expires=5)
        worker = await asyncio.wait_for(run_burst(settings), 5)
        with pytest.raises(JobExpired, match=r' Tries\.flaky expired: its next try would start '
                                             r'after it expires \(Retry\)$'):
            await handle.result(timeout=1)
    assert worker.jobs_expired == 1
    assert await redis.zcard('arq:deferred') == 0


async def test_job_cancelled_at_shutdown_frees_its_id_and_tells_waiters(settings, redis):
    worker = Worker(redis_settings=settings, shutdown_delay=0.1)
    task = asyncio.create_task(worker.run())
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.sleep(30, 'x', _job_id='cancel-me')
        await wait_started(redis, 1)
        await stop_worker(worker, task)
        with pytest.raises(JobFailed, match='cancelled at worker shutdown'):
            await handle.result(timeout=1)
        await redis.delete('arq:result:cancel-me')
        assert await actor.sleep(1, 'y', _job_id='cancel-me') is not None


@pytest.mark.parametrize(('options', 'message'), [
    ({'_nope': 1}, r"unknown enqueue option\(s\) \['_nope'\]; choose from _job_id"),
    ({'_job_id': ''}, "_job_id must be a non-empty string without newlines, not ''"),
    ({'_defer_by': -1}, '_defer_by must be seconds >= 0 or a timedelta, not -1'),
    ({'_defer_until': 5}, '_defer_until must be a datetime, not 5'),
    ({'_defer_by': 1, '_defer_until': datetime.datetime.now()}, 'not both'),
    ({'_expires': 'soon'}, "_expires must be seconds >= 0, a timedelta or a datetime, not 'soon'"),
    ({'_timeout': 0}, '_timeout must be finite seconds > 0, not 0'),
    ({'_timeout': float('nan')}, '_timeout must be finite seconds > 0, not nan'),
    ({'_max_tries': 0}, '_max_tries must be an int >= 1, not 0'),
])
async def test_bad_enqueue_options_write_nothing(settings, redis, options, message):
    async with Recorder(redis_settings=settings) as actor:
        with pytest.raises(ConfigurationError, match=message):
            await actor.add(1, 2, **options)
    assert await redis.keys('*') == []


def test_bad_function_options_and_retry_defer():
    with pytest.raises(ConfigurationError, match='keep_result must be seconds >= 0 or None, '
                                                 'not -1'):
        concurrent(keep_result=-1)(Recorder.add.func)
    with pytest.raises(ConfigurationError, match="max_tries must be an int >= 1 or None, not 0"):
        concurrent(max_tries=0)(Recorder.add.func)
    with pytest.raises(ConfigurationError, match="Retry defer must be seconds >= 0"):
        Retry(defer=-1)
    assert Retry(defer=datetime.timedelta(seconds=2)).defer_seconds == 2
    with pytest.raises(ConfigurationError, match='JobHandle needs an Actor, not 3'):
        JobHandle('x', 3)


def test_job_options_round_trip_and_plain_jobs_keep_six_fields():
    job = Job('A', 'f', [1], job_try=3, max_tries=4, timeout_seconds=1.5, expires_ms=99)
    back = Job.decode(job.encode())
    assert (back.job_try, back.max_tries, back.timeout_seconds, back.expires_ms) == (3, 4, 1.5, 99)
    assert back == job
    assert len(msgpack.unpackb(Job('A', 'f').encode())) == 6
    plain = Job.decode(Job('A', 'f').encode())
    assert (plain.job_try, plain.max_tries, plain.timeout_seconds, plain.expires_ms) == (
        1, None, None, None)


def test_current_job_is_none_outside_a_job():
    assert current_job() is None


def test_rpc_example_runs(redis_server):
    done = subprocess.run([sys.executable, 'examples/rpc.py'], cwd=REPO,
                          env=cli_env(redis_server.url), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'sum of 1..100 = 5050' in done.stdout
    assert 'ZeroDivisionError' in done.stdout
    # one line for each enqueue option the README's RPC section shows
    for line in ['deferred until a time: 7', 'never ran: job ', 'timed out: job ',
                 'gave up: job ', 'keep_result=0: no result to wait for', 'same _job_id twice',
                 'aborted the running job: True', 'dead letter: stubborn: used up its 2 tries',
                 'requeued: True', 'worker exited with code 0']:
        assert f'\n{line}' in done.stdout, done.stdout
    assert ', second None\n' in done.stdout


# ──────────────────────────────────────────────────────────────── process side and CLI ──

ARQ_SCRIPT = Path(sys.executable).parent / 'arq'
START_LINE = re.compile(r'arq\.control started work process (\d+)')


def cli_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTEST_')}
    env.update(ARQ_REDIS_URL=url, NO_COLOR='1', PYTHONUNBUFFERED='1')
    return env


def run_cli(*args: str, url: str, command=(sys.executable, '-m', 'arq'), cwd=REPO,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], cwd=cwd, env=cli_env(url), capture_output=True,
                          text=True, timeout=timeout)


class CliWorker:
    """A ``python -m arq`` process in the background, its stderr read by a thread."""

    def __init__(self, *args: str, url: str, new_group: bool = False) -> None:
        # new_group: lead a process group of its own, which a test may signal whole
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'arq', *args], cwd=REPO, env=cli_env(url),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            process_group=0 if new_group else None)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.child_pid = int(self.wait_for_line(START_LINE).group(1))

    def _read(self) -> None:
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip('\n'))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, pattern: str | re.Pattern[str], timeout: float = 10) -> re.Match:
        """Block until a stderr line matches ``pattern``; return the match."""
        pattern = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if match := pattern.search(line):
                        return match
                seen = len(self.lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (not self._reader.is_alive() and seen == len(self.lines)):
                    raise AssertionError(f'no line matching {pattern.pattern!r} in:\n'
                                         + '\n'.join(self.lines))
                self._changed.wait(min(remaining, 0.5))

    def wait(self, timeout: float = 15) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    @property
    def stderr(self) -> str:
        return '\n'.join(self.lines)

    def kill(self) -> None:
        for pid in (self.process.pid, self.child_pid):
            if pid_alive(pid):
                with_suppress_kill(pid)
        if self.process.poll() is None:
            self.process.wait(5)
        self.process.stdout.close()
        self.process.stderr.close()


def with_suppress_kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie no reaper has collected yet counts as gone)."""
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(')', 1)[1].split()[0] not in ('Z', 'X')


@pytest.fixture
def cli_worker(settings, redis_server):
    """Start ``python -m arq ARGS`` in the background; kill what is left at the end."""
    started: list[CliWorker] = []

    def start(*args: str, url: str | None = None, new_group: bool = False) -> CliWorker:
        worker = CliWorker(*args, url=url or redis_server.url, new_group=new_group)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert 'Traceback' not in stderr
    return lines[0]


async def _enqueue_some(settings):
    async with Recorder(redis_settings=settings) as actor:
        add = await actor.add(1, 2)
        await actor.later('l')
        await actor.urgent('h')
    async with DatetimeActor(redis_settings=settings) as actor:
        await actor.when(datetime.datetime(2020, 1, 1, tzinfo=TZ_PLUS))
    return add


@pytest.mark.parametrize('command', [
    pytest.param((sys.executable, '-m', 'arq'), id='python-m-arq'),
    pytest.param((str(ARQ_SCRIPT),), id='console-script'),
])
async def test_cli_burst_runs_queued_jobs(settings, redis, redis_server, command):
    add = await _enqueue_some(settings)
    done = await asyncio.to_thread(run_cli, 'test_arq:Worker', '--burst', url=redis_server.url,
                                   command=command)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ''
    assert sorted(await results(redis)) == sorted([
        'high:h', 'add:3', 'low:l', repr(datetime.datetime(2020, 1, 1, tzinfo=TZ_PLUS))])
    lines = done.stderr.splitlines()
    pid = int(START_LINE.search(lines[0]).group(1))
    assert re.search(rf'arq\.jobs +dft  queued  \d\.\d{{3}}s → {add.id[:6]} Recorder\.add\(1, 2\)$',
                     done.stderr, re.M)
    assert re.search(rf'arq\.jobs +dft  ran in  \d\.\d{{3}}s ← {add.id[:6]} Recorder\.add ● 3$',
                     done.stderr, re.M)
    assert 'Initialising work manager, burst mode: True' in done.stderr
    assert re.search(r'shutting down worker after \d+\.\d{3}s ◆ 4 jobs done ◆ 0 failed ◆ '
                     r'0 timed out$', done.stderr, re.M)
    assert lines[-1].endswith(f'arq.control work process {pid} ended')
    assert '\033[' not in done.stderr
    assert await arq_keys(redis) == []


def test_cli_class_defaults_to_worker_and_verbose_logs_debug(settings, redis_server):
    done = run_cli('test_arq', '--burst', '-v', url=redis_server.url)
    assert done.returncode == 0, done.stderr
    assert 'Running worker with 5 shadow(s)' in done.stderr
    assert re.search(r'arq\.work +lease of \S+ renewed', done.stderr)
    quiet = run_cli('test_arq', '--burst', url=redis_server.url)
    assert quiet.returncode == 0 and 'renewed' not in quiet.stderr


async def test_cli_path_form(settings, redis, redis_server, tmp_path):
    await _enqueue_some(settings)
    done = await asyncio.to_thread(run_cli, f'{REPO / "test_arq.py"}:OtherWorker', '--burst',
                                   url=redis_server.url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(await results(redis)) == 4

    (tmp_path / 'app.py').write_text(
        'from arq import Actor, BaseWorker, concurrent\n\n'
        'class Greeter(Actor):\n'
        '    @concurrent\n'
        '    async def greet(self, name):\n'
        '        await (await self.get_redis()).rpush("greetings", "hi " + name)\n\n'
        'class Worker(BaseWorker):\n'
        '    shadows = [Greeter]\n')
    await redis.rpush('arq:q:dft', Job('Greeter', 'greet', ['ann']).encode())
    done = await asyncio.to_thread(run_cli, 'app.py', '--burst', url=redis_server.url,
                                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert await redis.lrange('greetings', 0, -1) == [b'hi ann']


def test_cli_version_and_help(redis_server):
    done = run_cli('--version', url=redis_server.url)
    assert (done.returncode, done.stdout, done.stderr) == (0, f'arq {arq.__version__}\n', '')
    done = run_cli('--help', url=redis_server.url, command=(str(ARQ_SCRIPT),))
    assert done.returncode == 0 and done.stderr == ''
    assert done.stdout.startswith('usage: arq [-h] [--burst] [--check] [-v] [--version] '
                                  'MODULE[:CLASS]')
    for text in ('--burst', '--check', '--verbose', 'exit once every queue is empty',
                 'Exit codes: 0 ended well, 1 health check failed, 2 bad usage'):
        assert text in done.stdout
    done = run_cli(url=redis_server.url)
    assert done.returncode == 2
    assert 'the following arguments are required: MODULE[:CLASS]' in done.stderr


def test_cli_check_exits_1_without_a_worker_and_0_with_one(settings, redis_server, cli_worker):
    done = run_cli('test_arq:Worker', '--check', url=redis_server.url)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ("Health check failed: no health check sentinel value found at "
                           "'arq:health-check:*'\n")
    worker = cli_worker('test_arq:Worker')
    worker.wait_for_line('recording health: ')
    done = run_cli('test_arq:Worker', '--check', url=redis_server.url)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r'Health check successful: \S+-\d+-[0-9a-f]{4} '
                        + health_re('high', 'dft', 'low') + '\n', done.stdout), done.stdout
    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait() == 0
    done = run_cli('test_arq:Worker', '--check', url=redis_server.url)
    assert done.returncode == 1


def test_cli_check_reports_each_live_worker_and_drops_a_killed_one(settings, redis_server,
                                                                   cli_worker, sync_client):
    workers = [cli_worker('test_arq:HealthWorker') for _ in range(2)]
    for worker in workers:
        worker.wait_for_line('recording health: ')
    done = run_cli('test_arq:HealthWorker', '--check', url=redis_server.url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    line_re = r'Health check successful: (\S+-(\d+)-[0-9a-f]{4}) ' + health_re('high', 'dft', 'low')
    matches = [re.fullmatch(line_re, line) for line in lines]
    assert all(matches), done.stdout
    names = {int(m.group(2)): m.group(1) for m in matches}
    assert sorted(names) == sorted(w.child_pid for w in workers)

    # the keys live interval + 1 seconds from each write, so a killed worker drops out
    # within that time
    interval = HealthWorker.health_check_interval
    killed, alive = workers
    key = f'arq:health-check:{names[killed.child_pid]}'
    os.kill(killed.child_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert 0 < sync_client.pttl(key) <= (interval + 1) * 1000
    while sync_client.exists(key):
        assert time.monotonic() - killed_at <= interval + 1, 'the key outlived its TTL'
        time.sleep(0.02)
    done = run_cli('test_arq:HealthWorker', '--check', url=redis_server.url)
    assert done.returncode == 0
    assert done.stdout.startswith(f'Health check successful: {names[alive.child_pid]} ')
    assert len(done.stdout.splitlines()) == 1

    os.kill(alive.child_pid, signal.SIGKILL)
    key = f'arq:health-check:{names[alive.child_pid]}'
    killed_at = time.monotonic()
    while sync_client.exists(key):
        assert time.monotonic() - killed_at <= interval + 1, 'the key outlived its TTL'
        time.sleep(0.02)
    done = run_cli('test_arq:HealthWorker', '--check', url=redis_server.url)
    assert done.returncode == 1
    assert done.stdout.startswith('Health check failed: no health check sentinel value')


def test_cli_check_with_redis_down(redis_server):
    url = f'redis://127.0.0.1:{closed_port()}/0?conn_retries=0'
    done = run_cli('test_arq:Worker', '--check', url=url)
    assert done.returncode == 1
    assert done.stdout.startswith('Health check failed: cannot connect to Redis at')


@pytest.mark.parametrize('spec, message', [
    ('nosuchmodule_xyz:Worker',
     "arq: cannot import 'nosuchmodule_xyz': ModuleNotFoundError: No module named "
     "'nosuchmodule_xyz'"),
    ('test_arq:NoSuchClass', "arq: module 'test_arq' has no attribute 'NoSuchClass'"),
    ('test_arq:Recorder', "arq: test_arq:Recorder is <class 'test_arq.Recorder'>, not a "
                          "BaseWorker subclass"),
    ('test_arq:REPO', 'arq: test_arq:REPO is PosixPath('),
    ('broken_mod:Worker', "arq: cannot import 'broken_mod': RuntimeError: kaboom at import"),
    ('broken_mod.py:Worker',
     "arq: cannot import 'broken_mod.py': RuntimeError: kaboom at import"),
    ('missing/file.py:Worker', "arq: no such file: 'missing/file.py'"),
    ('exiting_mod:Worker', "arq: cannot import 'exiting_mod': SystemExit: 7"),
    ('two_lines_mod:Worker', "arq: cannot import 'two_lines_mod': RuntimeError: one two"),
    ('sub/signal.py:Worker',
     "arq: cannot import 'sub/signal.py': its name 'signal' is already taken"),
    ('init_fails_mod:Worker', "arq: cannot create 'init_fails_mod:Worker': KeyError: 'TOKEN'"),
])
def test_cli_import_problems_are_one_line_and_exit_2(redis_server, tmp_path, spec, message):
    (tmp_path / 'broken_mod.py').write_text("raise RuntimeError('kaboom at import')\n")
    (tmp_path / 'exiting_mod.py').write_text('import sys\nsys.exit(7)\n')
    (tmp_path / 'two_lines_mod.py').write_text("raise RuntimeError('one\\ntwo')\n")
    (tmp_path / 'init_fails_mod.py').write_text(
        'import arq, os\nclass Worker(arq.BaseWorker):\n'
        "    def __init__(self, **kwargs):\n        os.environ['TOKEN']\n")
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'signal.py').write_text('Worker = None\n')
    (tmp_path / 'test_arq.py').symlink_to(REPO / 'test_arq.py')
    done = run_cli(spec, '--burst', url=redis_server.url, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ''
    assert one_line(done.stderr).startswith(message), done.stderr


@pytest.mark.parametrize('spec, url, message', [
    ('test_arq:Worker', 'http://h/0', "arq: Redis URL scheme must be 'redis', 'rediss' or "
                                      "'unix', not 'http' (in 'http://h/0')"),
    ('test_arq:NoSlotsWorker', None, 'arq: max_concurrent_tasks must be an int >= 1, not 0'),
])
@pytest.mark.parametrize('check', [False, True], ids=['run', 'check'])
def test_cli_bad_settings_are_one_line_and_exit_2(redis_server, spec, url, message, check):
    done = run_cli(spec, *(['--check'] if check else []), url=url or redis_server.url)
    assert (done.returncode, done.stdout) == (2, '')
    assert one_line(done.stderr) == message


async def test_cli_keeps_a_class_level_burst_without_the_flag(settings, redis, redis_server):
    await _enqueue_some(settings)
    done = run_cli('test_arq:BurstWorker', url=redis_server.url)
    assert done.returncode == 0, done.stderr
    assert 'burst mode: True' in done.stderr
    assert len(await results(redis)) == 4


async def test_signal_while_connecting_stops_the_worker(caplog):
    s = RedisSettings('127.0.0.1', closed_port(), conn_retries=1000, conn_retry_delay=0.02)
    worker = Worker(redis_settings=s)
    task = asyncio.create_task(worker.run())
    while not any('retry 2 of 1000' in m for m in caplog.messages):
        await asyncio.sleep(0.01)
    worker.handle_sig(signal.SIGTERM)
    await asyncio.wait_for(task, 2)
    assert 'stopped while starting up' in caplog.messages
    assert not any('retry 1000 of 1000' in m for m in caplog.messages)
    await worker.close()


async def test_signal_during_slow_startup_shuts_down_the_started_shadows(settings):
    worker = SlowStartWorker(redis_settings=settings)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(SlowStart.waiting.wait(), 5)
    worker.handle_sig(signal.SIGINT)
    await asyncio.wait_for(task, 2)
    await worker.close()
    assert Lifecycle.events == ['startup shadow=True', 'shutdown ping=True']


def test_cli_redis_down_exits_3_with_a_clear_message(redis_server):
    port = closed_port()
    url = f'redis://127.0.0.1:{port}/0?conn_retries=1&conn_retry_delay=0.01'
    done = run_cli('test_arq:Worker', url=url)
    assert done.returncode == 3
    assert 'Traceback' not in done.stderr
    assert re.search(rf'arq\.work +cannot connect to Redis at redis://127.0.0.1:{port}/0 after '
                     r'2 attempts', done.stderr), done.stderr
    assert re.search(r'arq\.main +cannot connect to Redis .*; retry 1 of 1', done.stderr)
    assert re.search(r'arq\.control work process \d+ exited with code 1$', done.stderr, re.M)


async def _enqueue_sleep(settings, seconds, tag):
    async with Recorder(redis_settings=settings) as actor:
        return await actor.sleep(seconds, tag)


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT], ids=['TERM', 'INT'])
async def test_cli_signal_stops_gracefully(settings, redis, cli_worker, signum):
    await _enqueue_sleep(settings, 0.5, 'job')
    worker = cli_worker('test_arq:Worker')
    assert await wait_started(redis, 1) == ['job']
    worker.process.send_signal(signum)
    assert await asyncio.to_thread(worker.wait) == 0
    assert await results(redis) == ['end:job']
    name = signum.name
    assert f'arq.control got signal {name}, passing it to work process {worker.child_pid}' in (
        worker.stderr)
    assert f'got signal {name}, stopping: running jobs get 5s to finish' in worker.stderr
    assert '◆ 1 jobs done ◆ 0 failed' in worker.stderr
    assert not pid_alive(worker.child_pid)
    assert await arq_keys(redis) == []


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT], ids=['TERM', 'INT'])
async def test_cli_second_signal_cancels_at_once(settings, redis, cli_worker, signum):
    await _enqueue_sleep(settings, 30, 'long')
    worker = cli_worker('test_arq:Worker')
    assert await wait_started(redis, 1) == ['long']
    worker.process.send_signal(signum)
    await asyncio.to_thread(worker.wait_for_line, f'got signal {signum.name}, stopping')
    started = time.monotonic()
    worker.process.send_signal(signum)
    assert await asyncio.to_thread(worker.wait) == 0
    assert time.monotonic() - started < 3
    assert f'got signal {signum.name} again, cancelling 1 running job(s) now' in worker.stderr
    assert 'shutdown: cancelling 1 job(s) still running' in worker.stderr
    assert '◆ 0 jobs done ◆ 0 failed ◆ 0 timed out' in worker.stderr
    assert await results(redis) == []
    # Recorder does not re_enqueue: the cancelled job is gone, and nothing is left in flight
    assert await arq_keys(redis) == []


async def test_cli_second_signal_exits_even_when_a_job_ignores_cancellation(settings, redis,
                                                                           cli_worker):
    async with Unstoppable(redis_settings=settings) as actor:
        await actor.hold('stuck')
    worker = cli_worker('test_arq:UnstoppableWorker')
    assert await wait_started(redis, 1) == ['stuck']
    worker.process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(worker.wait_for_line, 'got signal SIGTERM, stopping')
    started = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    # asyncio.run() would wait for the abandoned task forever, through any signal
    assert await asyncio.to_thread(worker.wait) == 0
    assert time.monotonic() - started < 4
    assert 'shutdown: abandoning 1 job(s) that ignored cancellation' in worker.stderr


async def test_cli_work_process_dies_with_the_control_process(settings, redis, cli_worker):
    await _enqueue_sleep(settings, 0.2, 'job')
    worker = cli_worker('test_arq:Worker')
    await wait_started(redis, 1)
    assert pid_alive(worker.child_pid)
    os.kill(worker.process.pid, signal.SIGKILL)
    assert await asyncio.to_thread(worker.wait) == -signal.SIGKILL
    await wait_for(lambda: not pid_alive(worker.child_pid), timeout=10)
    # it got SIGTERM, so it stopped gracefully: the job finished and nothing is in flight
    assert await results(redis) == ['end:job']
    assert await arq_keys(redis) == []


def test_cli_work_process_failure_exits_3(redis_server):
    done = run_cli('test_arq:CrashingWorker', '--burst', url=redis_server.url)
    assert done.returncode == 3
    assert 'CrashingWorker.shadows is empty: list the actor classes to run' in done.stderr
    assert re.search(r'arq\.control work process \d+ exited with code 1$', done.stderr, re.M)


def test_run_worker_in_this_process(settings, redis_server, monkeypatch, sync_client):
    monkeypatch.setenv('ARQ_REDIS_URL', redis_server.url)
    sync_client.rpush('arq:q:dft', _raw('Recorder', 'add', 2, 3))
    assert arq.run_worker(Worker, burst=True) == 0
    assert sync_client.lrange(results_key(), 0, -1) == [b'add:5']
    assert arq.run_worker(CrashingWorker, burst=True) == 1
    monkeypatch.setenv('ARQ_REDIS_URL', f'redis://127.0.0.1:{closed_port()}?conn_retries=0')
    assert arq.run_worker(Worker, burst=True) == 1


# ─────────────────────────────────────────── reliability: bad input, security, signals ──
#
# What a worker does with anything Redis hands it, who may talk to Redis, and how the
# pre-forked pair ends. The actors and workers here sit at module level, like those at
# the top, so that ``python -m arq test_arq:...`` can import them.

class Pure(Actor):
    """Jobs that touch no Redis, so the worker's decode and dispatch can run in process."""

    calls: list[tuple[Any, ...]] = []

    @concurrent
    async def add(self, a, b=0):
        Pure.calls.append(('add', a, b))

    async def plain(self, *args, **kwargs):
        Pure.calls.append(('plain', args, kwargs))

    async def _secret(self):
        Pure.calls.append(('_secret',))


class PureWorker(BaseWorker):
    shadows = [Pure]


class Patient(Actor):
    """A job that notices its cancellation inside its own code and records it."""

    @concurrent
    async def wait(self, seconds, tag):
        redis = await self.get_redis()
        await redis.rpush(started_key(self.namespace), tag)
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            await redis.rpush(results_key(self.namespace), f'cancelled:{tag}')
            raise
        await redis.rpush(results_key(self.namespace), f'end:{tag}')
        return tag


class PatientReEnqueuer(Patient):
    re_enqueue_jobs = True


class SignalWorker(BaseWorker):
    shadows = [Patient, PatientReEnqueuer]
    shutdown_delay = 1.5


ID = 'a' * 32


def _payload(*fields: Any) -> bytes:
    return msgpack.packb(list(fields), use_bin_type=True)


def _nested_lists(depth: int) -> bytes:
    # Recorder.echo with one argument nested ``depth`` lists deep, written byte by byte:
    # msgpack itself refuses to pack so deep
    head = _payload(ID, 1, 'Recorder', 'echo')[1:]
    return b'\x96' + head + b'\x91' + b'\x91' * depth + b'\xc0' + b'\x80'


def _nested_tuples(depth: int) -> bytes:
    inner = msgpack.packb([])
    for _ in range(depth):
        inner = msgpack.packb([msgpack.ExtType(arq.EXT_TUPLE, inner)])
    return _payload(ID, 1, 'Recorder', 'echo', [msgpack.ExtType(arq.EXT_TUPLE, inner)], {})


def _nest(kind: type, depth: int) -> Any:
    """An empty list or tuple inside others, ``depth`` levels in all."""
    return functools.reduce(lambda inner, _: kind([inner]), range(depth - 1), kind())


PWNED = Path(tempfile.gettempdir()) / f'arq-test-unpickled-{os.getpid()}'
#: what pickle.loads would run: ``os.system('touch PWNED')``
PICKLE_BOMB = b'cos\nsystem\n(S' + repr(f'touch {PWNED}').encode() + b'\ntR.'

#: payloads a worker must refuse: each is dead-lettered with a reason saying why
BAD_INPUT = [
    pytest.param(lambda: b'\xc1\xff\x00garbage', r'payload is not valid msgpack', id='random'),
    pytest.param(lambda: b'', r'payload is not valid msgpack', id='empty'),
    pytest.param(lambda: _raw('Recorder', 'add', 1, 2)[:-2], r'payload is not valid msgpack',
                 id='truncated'),
    pytest.param(lambda: _raw('Recorder', 'add', 1, 2) + b'\x00',
                 r'payload is not valid msgpack: ExtraData', id='trailing-bytes'),
    pytest.param(lambda: PICKLE_BOMB, r'payload is not valid msgpack', id='pickle'),
    pytest.param(lambda: b'\xdd\xff\xff\xff\xff', r'payload is not valid msgpack: ValueError: '
                 r'4294967295 exceeds max_array_len', id='array-claims-4G-items'),
    pytest.param(lambda: msgpack.packb({'id': 1}),
                 r"payload must be an array of at least 6 fields, not \{'id': 1\}", id='map'),
    pytest.param(lambda: _payload(7, 1, 'Recorder', 'add', [1, 2], {}),
                 r'payload fields have the wrong types: id must be a string, not int 7',
                 id='id-int'),
    pytest.param(lambda: _payload(ID, 'now', 'Recorder', 'add', [1, 2], {}),
                 r"queued_at must be an int, not str 'now'", id='time-str'),
    pytest.param(lambda: _payload(ID, 1, None, 'add', [1, 2], {}),
                 r'class_name must be a string, not NoneType None', id='class-none'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'add', {'a': 1}, {}),
                 r"args must be an array, not dict \{'a': 1\}", id='args-map'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'add', [1, 2], [3]),
                 r'kwargs must be a map, not list \[3\]', id='kwargs-array'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'add', [], {1: 2}),
                 r'kwargs keys must be strings, not int 1', id='kwargs-int-key'),
    pytest.param(lambda: _payload('\x1b[2J', 1, 'Recorder', 'add', [], {}),
                 r"bad id or enqueue time: \['\\x1b\[2J', 1\]", id='id-escape-codes'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'add', [1, 2], {}, {'timeout': math.nan}),
                 r'option timeout must be a finite number of seconds > 0, not nan',
                 id='timeout-nan'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'add', [1, 2], {}, {'try': 0}),
                 r'option try must be an int from 1 to 2\*\*63-1, not 0', id='try-zero'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'add', [1, 2], {}, {'reply': 'a\nb'}),
                 r"option reply must be a short printable string, not 'a\\nb'",
                 id='reply-newline'),
    pytest.param(lambda: _raw('Nobody', 'add', 1, 2),
                 r"names 'Nobody.add', which is not a job this worker runs", id='unknown-actor'),
    pytest.param(lambda: _raw('Recorder', 'nope'), r"names 'Recorder.nope', which is not a job",
                 id='unknown-method'),
    pytest.param(lambda: _raw('Recorder', 'close'), r"names 'Recorder.close', which is not",
                 id='close'),
    pytest.param(lambda: _raw('Recorder', '_secret'), r"names 'Recorder._secret', which is not",
                 id='private'),
    pytest.param(lambda: _raw('Recorder', '__class__'), r"names 'Recorder.__class__', which",
                 id='dunder'),
    pytest.param(lambda: _raw('Recorder', 'a\n04:00:00 forged\x1b[31m'),
                 r"names 'Recorder.a\\n04:00:00 forged\\x1b\[31m', which", id='forged-name'),
    pytest.param(lambda: _raw('Recorder', 'x' * 1_000_000),
                 r"names 'Recorder.xxxxx+\.\.\.x+', which is not a job", id='huge-name'),
    pytest.param(lambda: _raw('Recorder', 'add', 1, 2, 3),
                 r'Recorder.add: its arguments do not fit: TypeError: Recorder.add\(\) takes 3 '
                 r'positional arguments but 4 were given', id='arguments-do-not-fit'),
    pytest.param(lambda: Job('Recorder', 'add', (1, 2), {'c\nforged': 3}).encode(),
                 r"its arguments do not fit: TypeError: Recorder.add\(\) got an unexpected "
                 r"keyword argument 'c\\nforged'", id='unknown-keyword'),
    pytest.param(lambda: _nested_lists(10_000), r'payload nests deeper than 64 levels',
                 id='lists-10000-deep'),
    pytest.param(lambda: _nested_lists(65), r'payload nests deeper than 64 levels',
                 id='lists-65-deep'),
    pytest.param(lambda: _nested_tuples(10_000), r'payload nests deeper than 64 levels',
                 id='tuples-10000-deep'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'echo',
                                  [b'x' * arq.MAX_PAYLOAD_BYTES], {}),
                 rf'payload of \d+ bytes is over MAX_PAYLOAD_BYTES \({arq.MAX_PAYLOAD_BYTES}\)',
                 id='huge-argument'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'echo', [msgpack.ExtType(99, b'')], {}),
                 r'unknown msgpack ext type 99', id='unknown-ext-type'),
    pytest.param(lambda: _payload(ID, 1, 'Recorder', 'echo',
                                  [msgpack.ExtType(arq.EXT_DATETIME, b'\xff')], {}),
                 r'payload is not valid msgpack: UnicodeDecodeError', id='bad-datetime'),
]


@pytest.mark.parametrize('make, reason', BAD_INPUT)
async def test_running_worker_dead_letters_bad_input_once_and_carries_on(
        settings, redis, caplog, start_worker, make, reason):
    payload = make()
    worker, task = await start_worker(settings)
    await redis.rpush('arq:q:dft', payload)
    async with Recorder(redis_settings=settings) as actor:
        good = await actor.add(20, 22)
        assert await good.result(timeout=10) == 42
        letters = await wait_for(actor.dead_letters)
    [letter] = letters
    assert re.search(reason, letter.reason), letter.reason
    assert letter.data == payload
    assert letter.queue == 'arq:q:dft'
    # a reason quotes Redis's data short and escaped: one line, whatever came
    assert letter.reason.isprintable() and len(letter.reason) < 400
    await wait_for(lambda: worker.jobs_failed)
    assert (worker.jobs_failed, worker.jobs_complete) == (1, 1)
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    message = record.getMessage()
    assert (record.name, record.levelno) == ('arq.jobs', logging.ERROR)
    assert message.startswith(letter.reason)
    assert re.search(DEAD_LINE_END, message)
    assert message.isprintable() and len(message) < 600
    assert not task.done()
    assert not PWNED.exists()
    assert await redis.llen('arq:q:dft') == 0


async def test_burst_worker_counts_every_bad_payload_once(settings, redis, caplog):
    payloads = [param.values[0]() for param in BAD_INPUT]
    await redis.rpush('arq:q:dft', *payloads)
    await redis.rpush('arq:q:dft', _raw('Recorder', 'add', 1, 2))
    worker = await run_burst(settings)
    assert (worker.jobs_failed, worker.jobs_complete) == (len(payloads), 1)
    assert await results(redis) == ['add:3']
    letters = await arq.dead_letters(redis)
    assert sorted(lt.data for lt in letters) == sorted(payloads)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == len(payloads)
    assert await redis.keys('arq:inflight:*') == []


async def test_dead_letters_shows_junk_pushed_onto_the_list_and_will_not_requeue_it(settings,
                                                                                     redis):
    await redis.rpush('arq:q:dft', b'\xc1')
    await run_burst(settings)
    junk = [b'\xc1junk', msgpack.packb({'queue': 1, 'data': b'', 'reason': '', 'time': 0}),
            msgpack.packb([1])]
    await redis.lpush('arq:dead', *junk)
    *odd, real = await arq.dead_letters(redis)
    assert [lt.data for lt in odd] == junk[::-1]
    assert all(lt.reason.startswith('not a dead-letter record: ') and lt.queue == ''
               and lt.time is None for lt in odd)
    assert real.queue == 'arq:q:dft' and real.data == b'\xc1'
    with pytest.raises(ArqError, match='cannot requeue a dead letter without a queue: not a '):
        await arq.requeue_dead(redis, odd[0])


async def test_garbage_published_on_reply_and_abort_channels_stops_nothing(
        settings, redis, start_worker, caplog):
    await start_worker(settings)
    async with Tries(redis_settings=settings) as actor:
        assert await (await actor.flaky('x', succeed_on=1)).result(timeout=5) == 'x ok on try 1'
        reply_channel = actor._listener.reply_name
        await redis.publish(reply_channel, b'\xff\xfe\nnot a record')
        await redis.publish(reply_channel, b'no newline at all')
        await redis.publish('arq:abort', b'\xff\xfe')
        gated = await actor.gated('g')
        await wait_for(lambda: _equals(gated.status, JobStatus.IN_PROGRESS))
        assert await gated.abort() is True
        with pytest.raises(JobAborted):
            await gated.result(timeout=5)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_no_pickle_anywhere_in_the_module():
    tree = ast.parse((REPO / 'arq.py').read_text())
    imported = {alias.name.split('.')[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in (node.names if isinstance(node, ast.Import)
                              else [ast.alias(node.module or '')])}
    assert not imported & {'pickle', '_pickle', 'cPickle', 'dill', 'shelve', 'marshal', 'copyreg'}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert not names & {'pickle', 'eval', 'exec', '__import__'}
    with pytest.raises(JobDecodeError, match='payload is not valid msgpack'):
        Job.decode(PICKLE_BOMB)
    assert not PWNED.exists()


@pytest.mark.parametrize('args, message', [
    ([b'x' * arq.MAX_PAYLOAD_BYTES], r'the payload would be \d+ bytes, over MAX_PAYLOAD_BYTES'),
    ([_nest(list, 65)], 'they nest deeper than 64 levels'),
    ([_nest(tuple, 65)], 'they nest deeper than 64 levels'),
    ([_nest(tuple, 5000)], 'they nest deeper than 64 levels'),
    # deep among leaves, and in a key
    ([{'k': ['leaf', 1, None, _nest(list, 64)]}], 'they nest deeper than 64 levels'),
    ([{'a': 1, _nest(tuple, 64): 2}], 'they nest deeper than 64 levels'),
])
def test_enqueue_refuses_what_a_worker_would_refuse(args, message):
    with pytest.raises(JobSerialisationError, match=f'cannot encode arguments of A.f: {message}'):
        Job('A', 'f', args).encode()


def test_arguments_at_the_limits_round_trip():
    big = b'x' * (arq.MAX_PAYLOAD_BYTES - 100)
    for args in ([_nest(list, 64)], [_nest(tuple, 64)], [big]):
        assert Job.decode(Job('A', 'f', args).encode()).args == tuple(args)


# arbitrary input, for the in-process path from a popped payload to a call

def _msgpack_values(leaves: int = 12):
    scalars = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats()
               | st.text(max_size=12) | st.binary(max_size=12))
    return st.recursive(
        scalars,
        lambda inner: (st.lists(inner, max_size=4)
                       | st.lists(inner, max_size=3).map(tuple)
                       | st.sets(st.integers(-9, 9) | st.text(max_size=4), max_size=3)
                       | st.dictionaries(st.text(max_size=6) | st.integers(-9, 9), inner,
                                         max_size=4)),
        max_leaves=leaves)


def _pack(fields: Any) -> bytes:
    return DatetimeJob._pack_nested(list(fields))


VALUES = _msgpack_values()
METHODS = ['add', 'plain', 'close', 'startup', 'shutdown', '_secret', '_record', 'helper',
           '__init__', 'enqueue_job', 'get_redis', 'dead_letters', 'job', '__class__', '']
#: a job's fields, each either what Job.encode writes or something else
FIELDS = st.tuples(
    st.just(ID) | st.text(max_size=8) | VALUES,
    st.just(1_700_000_000_000) | st.integers(-2**63, 2**64 - 1) | VALUES,
    st.sampled_from(['Pure', 'Recorder', 'Actor', 'Nobody', 'Pure\n']) | st.text(max_size=8)
    | VALUES,
    st.sampled_from(METHODS) | st.text(max_size=8) | VALUES,
    st.lists(VALUES, max_size=3) | VALUES,
    st.dictionaries(st.sampled_from(['a', 'b', 'self', 'x\n']) | st.text(max_size=4), VALUES,
                    max_size=3) | VALUES,
    st.dictionaries(st.sampled_from(['try', 'max_tries', 'timeout', 'expires', 'reply', 'new']),
                    VALUES | st.integers(-3, 3) | st.floats(), max_size=3),
)
GOOD = st.builds(lambda method, args: Job('Pure', method, args).encode(),
                 st.sampled_from(['add', 'plain']), st.lists(VALUES, max_size=3))


def _mutate(data: bytes, position: int, byte: int, cut: bool) -> bytes:
    i = position % (len(data) + 1)
    return data[:i] if cut else data[:i] + bytes([byte]) + data[i + 1:]


PAYLOADS = st.one_of(
    st.binary(max_size=200),
    VALUES.map(lambda v: _pack([v])[1:]),  # any msgpack value, not only arrays
    FIELDS.map(_pack),
    FIELDS.map(lambda f: _pack(f[:6])),
    st.builds(_mutate, GOOD, st.integers(0, 300), st.integers(0, 255), st.booleans()),
    GOOD,
)


@pytest.fixture(scope='module')
def pure_worker():
    worker = PureWorker(redis_settings=RedisSettings(), keep_result=0)
    worker._shadows = [Pure(**worker.shadow_kwargs())]
    worker._prepare_shadows()
    worker._prepare_lifecycle()
    worker.drain = Drain(redis=arq.aioredis.Redis())
    loop = asyncio.new_event_loop()
    yield worker, loop
    loop.run_until_complete(worker.drain.redis.aclose())
    loop.close()


def _feed(worker: BaseWorker, loop: asyncio.AbstractEventLoop, data: bytes) -> str:
    """What a worker does with a popped payload, with no Redis: how it ended."""
    try:
        job, (func, _actor, timeout) = worker._resolve(arq.RawJob('arq:q:dft', data))
    except arq._Rejected as exc:
        assert exc.reason.isprintable() and len(exc.reason) < 400, exc.reason
        return 'rejected'
    assert (job.class_name, job.func_name) in {('Pure', 'add'), ('Pure', 'plain')}
    assert job.to_string().isprintable()
    timeout = job.timeout_seconds if job.timeout_seconds is not None else timeout
    try:
        loop.run_until_complete(worker.run_job(job, func, timeout))
    except arq._Reported as exc:
        return exc.outcome
    return 'ran'


@hypothesis.settings(max_examples=1000, deadline=None,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(data=PAYLOADS)
def test_any_payload_is_refused_or_is_a_legal_call_of_a_job_method(pure_worker, data):
    worker, loop = pure_worker
    Pure.calls.clear()
    outcome = _feed(worker, loop, data)
    # only the two job methods ever run, once, and only when the arguments fit them
    assert outcome in ('rejected', 'failed', 'ran')
    assert len(Pure.calls) == (outcome == 'ran')
    assert all(call[0] in ('add', 'plain') for call in Pure.calls)


async def test_running_worker_survives_arbitrary_payloads(settings, redis, start_worker, caplog):
    caplog.set_level(logging.INFO, logger='arq')  # job lines quote what came too
    payloads: list[bytes] = []

    @hypothesis.settings(max_examples=40, database=None, deadline=None)
    @hypothesis.given(data=PAYLOADS)
    def collect(data):
        payloads.append(data)

    collect()
    await redis.rpush('arq:q:dft', *payloads)
    worker, task = await start_worker(settings, PureWorker)
    async with Pure(redis_settings=settings) as actor:
        good = await actor.add(1, 2)
        assert await good.result(timeout=10) is None
        await wait_for(lambda: worker.jobs_ongoing == 0)
        await worker.drain.flush()
        letters = await actor.dead_letters()
    ended = worker.jobs_complete + worker.jobs_failed + worker.jobs_expired
    assert ended == len(payloads) + 1
    # Pure's jobs cannot fail inside: every failure is a payload refused, dead-lettered
    assert len(letters) == worker.jobs_failed
    # no line a payload caused spans lines or carries control characters
    assert all(r.getMessage().isprintable() for r in caplog.records if r.name == 'arq.jobs')
    assert not task.done()
    assert await redis.llen('arq:q:dft') == 0

# security: credentials, ACL users and TLS against real servers started with them

@pytest.fixture(scope='module')
def acl_server():
    with RedisServer('--user', 'alice', 'on', '>alice-secret', '~*', '&*', '+@all',
                     '--user', 'default', 'off') as server:
        yield server


def _with_credentials(url: str, credentials: str) -> str:
    return url.replace('redis://', f'redis://{credentials}@')


async def _cli_runs_a_job(url: str) -> subprocess.CompletedProcess[str]:
    """Enqueue Recorder.add(2, 3) at ``url``, run a burst CLI worker there, await it."""
    settings = RedisSettings.from_url(url)
    redis = await settings.create_redis()
    await redis.flushdb()
    async with Recorder(redis_settings=settings) as actor:
        handle = await actor.add(2, 3)
        done = await asyncio.to_thread(run_cli, 'test_arq:Worker', '--burst', url=url)
        assert done.returncode == 0, done.stderr
        assert await handle.result(timeout=5) == 5
    assert await redis.lrange(results_key(), 0, -1) == [b'add:5']
    await redis.aclose()
    return done


def _refused_fast(url: str, secret: str, address: str) -> None:
    """A CLI worker at ``url`` exits 3 at once, with one clear line, the secret kept."""
    started = time.monotonic()
    done = run_cli('test_arq:Worker', '--burst', url=url)
    # conn_retries is 5, a second apart: a retry would show
    assert time.monotonic() - started < 5
    assert done.returncode == 3
    [line] = [line for line in done.stderr.splitlines() if 'refused' in line]
    assert re.search(rf'arq\.work +Redis at {re.escape(address)} refused the credentials: ',
                     line), line
    assert 'retry' not in done.stderr and 'Traceback' not in done.stderr
    assert secret not in done.stderr


async def test_password_runs_jobs_through_the_cli_and_a_wrong_one_fails_fast(password_server):
    done = await _cli_runs_a_job(_with_credentials(password_server.url, ':sekret'))
    assert 'sekret' not in done.stderr
    address = f'redis://127.0.0.1:{password_server.port}/0'
    _refused_fast(_with_credentials(password_server.url, ':not-the-secret'), 'not-the-secret',
                  address)
    _refused_fast(password_server.url, 'sekret', address)


async def test_acl_user_runs_jobs_through_the_cli(acl_server):
    done = await _cli_runs_a_job(_with_credentials(acl_server.url, 'alice:alice-secret'))
    assert 'alice-secret' not in done.stderr


@pytest.mark.parametrize('credentials', [
    'alice:not-her-secret', 'bob:alice-secret', '', ':alice-secret',
], ids=['wrong-password', 'unknown-user', 'none', 'default-user-off'])
async def test_acl_refusals_fail_fast_and_clearly(acl_server, credentials, caplog):
    url = _with_credentials(acl_server.url, credentials) if credentials else acl_server.url
    started = time.monotonic()
    with pytest.raises(ConnectionFailed,
                       match=rf'Redis at redis://127.0.0.1:{acl_server.port}/0 refused the '
                             r'credentials: '):
        await RedisSettings.from_url(url).create_redis()
    assert time.monotonic() - started < 0.9
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_cli_with_a_wrong_acl_password_exits_3_at_once(acl_server):
    _refused_fast(_with_credentials(acl_server.url, 'alice:not-her-secret'), 'not-her-secret',
                  f'redis://127.0.0.1:{acl_server.port}/0')


class TlsRedisServer(RedisServer):
    """A server from another binary than the embedded one, which has no TLS."""

    def __init__(self, binary: str, *args: str, port: int) -> None:
        super().__init__(*args, port=port)
        self.binary = binary

    def executable(self) -> str:
        return self.binary


def _server_binaries(directory: Path) -> list[str]:
    # Debian's redis-tools carries the server as redis-check-rdb, which picks its role by
    # the name it is run under: a link named redis-server makes it a server
    found = []
    for i, path in enumerate([RedisServer.executable(), shutil.which('redis-server'),
                              shutil.which('redis-check-rdb')]):
        if path:
            link = directory / str(i) / 'redis-server'
            link.parent.mkdir()
            link.symlink_to(path)
            found.append(str(link))
    return found


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    """A real Redis serving only TLS, with a CA, server and client certificates by trustme.

    Yields the server and the URL query that makes a client trust it and show its own
    certificate.
    """
    directory = tmp_path_factory.mktemp('tls')
    ca = trustme.CA()
    server_cert, client_cert = ca.issue_cert('127.0.0.1', 'localhost'), ca.issue_cert('arq')
    files = {'ca': directory / 'ca.pem', 'cert': directory / 'server.pem',
             'key': directory / 'server.key', 'client_cert': directory / 'client.pem',
             'client_key': directory / 'client.key'}
    ca.cert_pem.write_to_path(files['ca'])
    server_cert.private_key_pem.write_to_path(files['key'])
    server_cert.cert_chain_pems[0].write_to_path(files['cert'])
    client_cert.private_key_pem.write_to_path(files['client_key'])
    client_cert.cert_chain_pems[0].write_to_path(files['client_cert'])
    for binary in _server_binaries(directory):
        port = arq._free_port()
        server = TlsRedisServer(
            binary, '--port', '0', '--tls-port', str(port), '--tls-cert-file', str(files['cert']),
            '--tls-key-file', str(files['key']), '--tls-ca-cert-file', str(files['ca']),
            '--tls-auth-clients', 'yes', port=port)
        try:
            server.start()
        except ArqError as exc:
            if 'Bad directive' in str(exc):  # built without TLS
                continue
            raise
        query = (f'ssl_ca_certs={files["ca"]}&ssl_certfile={files["client_cert"]}'
                 f'&ssl_keyfile={files["client_key"]}')
        yield server, query
        server.stop()
        return
    message = 'no redis-server built with TLS (Debian: apt install redis-tools)'
    if os.environ.get('ARQ_REQUIRE_TLS'):  # set by .ci/run once it installed one
        pytest.fail(message)
    pytest.skip(message)


async def test_rediss_with_certificates_made_by_the_tests_runs_jobs_through_the_cli(tls_server):
    server, query = tls_server
    # the server has no plain port: whatever reached it spoke TLS
    done = await _cli_runs_a_job(f'rediss://127.0.0.1:{server.port}/0?{query}')
    assert f'rediss://127.0.0.1:{server.port}/0' in done.stderr


@pytest.mark.parametrize('scheme, query, message', [
    ('rediss', '', r'TLS with Redis at rediss://127.0.0.1:{port}/0 failed: .*CERTIFICATE_VERIFY'),
    # with TLS 1.3 the server checks the client's certificate after the handshake: its
    # alert, or a reset that looks like any network error and is retried, comes first
    ('rediss', 'ssl_ca_certs={ca}&conn_retries=1',
     r'(TLS with|cannot connect to) Redis at rediss://127.0.0.1:{port}/0'),
    ('redis', 'conn_retries=0', r'cannot connect to Redis at redis://127.0.0.1:{port}/0'),
], ids=['server-not-trusted', 'no-client-certificate', 'plain-to-a-tls-port'])
async def test_tls_failures_are_clear_and_fast(tls_server, scheme, query, message):
    server, full_query = tls_server
    ca = dict(part.split('=') for part in full_query.split('&'))['ssl_ca_certs']
    url = f'{scheme}://127.0.0.1:{server.port}/0?conn_retry_delay=0.5&{query.format(ca=ca)}'
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match=message.format(port=server.port)):
        await RedisSettings.from_url(url.rstrip('&')).create_redis()
    # a certificate refused is not retried
    assert time.monotonic() - started < 1.5


# signals through the pre-forked pair

class PatientWorker(SignalWorker):
    shutdown_delay = 30


def _send(worker: CliWorker, how: str, signum: int = signal.SIGTERM) -> None:
    """Signal the CLI's process group, its control process, or both processes at once.

    ``both`` is what systemd does to a unit: every process gets the signal straight.
    """
    if how == 'group':
        os.killpg(worker.process.pid, signum)
    else:
        os.kill(worker.process.pid, signum)
        if how == 'both':
            os.kill(worker.child_pid, signum)


async def _patient_jobs(patient: Patient, re_enqueuer: Patient, quick: float = 0.4):
    """Enqueue ``quick`` (seconds), ``dropped`` and ``back`` (a minute, re-enqueued)."""
    return (await patient.wait(quick, 'quick'), await patient.wait(60, 'dropped'),
            await re_enqueuer.wait(60, 'back'))


@pytest.mark.parametrize('how', ['group', 'parent', 'both'])
async def test_cli_sigterm_to_group_parent_or_both_is_one_graceful_stop(
        settings, redis, cli_worker, how):
    async with Patient(redis_settings=settings) as patient, \
            PatientReEnqueuer(redis_settings=settings) as re_enqueuer:
        quick, dropped, back = await _patient_jobs(patient, re_enqueuer)
        worker = cli_worker('test_arq:SignalWorker', new_group=True)
        assert sorted(await wait_started(redis, 3)) == ['back', 'dropped', 'quick']
        started = time.monotonic()
        _send(worker, how)
        assert await asyncio.to_thread(worker.wait) == 0
        # the quick job finished within shutdown_delay; the others were cancelled after it
        assert 1.5 <= time.monotonic() - started < 6
        assert await quick.result(timeout=1) == 'quick'
        with pytest.raises(JobFailed, match='cancelled at worker shutdown'):
            await dropped.result(timeout=1)
        assert await back.status() == JobStatus.QUEUED
    assert sorted(await results(redis)) == ['cancelled:back', 'cancelled:dropped', 'end:quick']
    # put back exactly once; nothing left in flight
    assert [Job.decode(p).id for p in await redis.lrange('arq:q:dft', 0, -1)] == [back.id]
    assert await arq_keys(redis) == [f'arq:job:{back.id}', 'arq:q:dft']
    stderr = worker.stderr
    assert stderr.count('passing it to work process') == 1
    assert stderr.count('got signal SIGTERM, stopping: running jobs get 1.5s') == 1
    assert 'got signal SIGTERM again' not in stderr
    assert 'shutdown: cancelling 2 job(s) still running' in stderr
    assert '◆ 1 jobs done ◆ 0 failed ◆ 0 timed out' in stderr
    assert 'Traceback' not in stderr
    assert not pid_alive(worker.child_pid)


@pytest.mark.parametrize('how', ['group', 'both'])
async def test_cli_second_sigterm_to_group_or_both_cancels_at_once(
        settings, redis, cli_worker, how):
    async with Patient(redis_settings=settings) as patient, \
            PatientReEnqueuer(redis_settings=settings) as re_enqueuer:
        _quick, _dropped, back = await _patient_jobs(patient, re_enqueuer, quick=60)
        worker = cli_worker('test_arq:PatientWorker', new_group=True)
        await wait_started(redis, 3)
        _send(worker, how)
        await asyncio.to_thread(worker.wait_for_line, 'got signal SIGTERM, stopping')
        started = time.monotonic()
        _send(worker, how)
        assert await asyncio.to_thread(worker.wait) == 0
        assert time.monotonic() - started < 3
    assert 'got signal SIGTERM again, cancelling 3 running job(s) now' in worker.stderr
    assert sorted(await results(redis)) == ['cancelled:back', 'cancelled:dropped',
                                            'cancelled:quick']
    assert [Job.decode(p).id for p in await redis.lrange('arq:q:dft', 0, -1)] == [back.id]
    assert not pid_alive(worker.child_pid)


async def test_cli_control_process_killed_leaves_no_orphan_and_one_graceful_stop(
        settings, redis, cli_worker):
    async with PatientReEnqueuer(redis_settings=settings) as re_enqueuer:
        back = await re_enqueuer.wait(60, 'back')
    worker = cli_worker('test_arq:SignalWorker', new_group=True)
    await wait_started(redis, 1)
    started = time.monotonic()
    os.kill(worker.process.pid, signal.SIGKILL)
    assert await asyncio.to_thread(worker.wait) == -signal.SIGKILL
    # the kernel's SIGTERM and the pipe's end are one stop, with its shutdown_delay
    await wait_for(lambda: not pid_alive(worker.child_pid), timeout=10)
    assert time.monotonic() - started >= 1.5
    assert worker.stderr.count('got signal SIGTERM, stopping') == 1
    assert 'got signal SIGTERM again' not in worker.stderr
    assert [Job.decode(p).id for p in await redis.lrange('arq:q:dft', 0, -1)] == [back.id]
    assert await redis.keys('arq:inflight:*') == []


def test_cli_work_process_killed_exits_3(settings, redis_server, cli_worker):
    worker = cli_worker('test_arq:SignalWorker', new_group=True)
    worker.wait_for_line('Running worker')
    os.kill(worker.child_pid, signal.SIGKILL)
    assert worker.wait() == 3
    assert re.search(rf'arq\.control work process {worker.child_pid} was killed by SIGKILL$',
                     worker.stderr, re.M)


# ───────────────────────────────────────────────────────────────────────────── logging ──

@pytest.fixture
def restore_arq_logger():
    logger = logging.getLogger('arq')
    saved = logger.handlers[:], logger.level, logger.propagate
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.mark.parametrize('verbose, level', [(False, logging.INFO), (True, logging.DEBUG)])
def test_default_log_config_sends_arq_logs_to_a_colour_handler(restore_arq_logger, verbose,
                                                               level):
    logging.config.dictConfig(arq.default_log_config(verbose))
    logger = restore_arq_logger
    assert (logger.level, logger.propagate) == (level, False)
    [handler] = logger.handlers
    assert isinstance(handler, arq.ColourHandler)
    assert handler.level == level
    assert BaseWorker.logging_config(verbose) == arq.default_log_config(verbose)


def _record(level: int) -> logging.LogRecord:
    return logging.LogRecord('arq.work', level, __file__, 1, 'careful with %s', ('x',), None)


@pytest.mark.parametrize('level, colour', [
    (logging.DEBUG, '\033[2m'), (logging.WARNING, '\033[33m'), (logging.ERROR, '\033[31m'),
    (logging.CRITICAL, '\033[1;31m')])
def test_colour_handler_colours_on_a_terminal(monkeypatch, level, colour):
    monkeypatch.delenv('NO_COLOR', raising=False)
    master, replica = os.openpty()
    try:
        with os.fdopen(replica, 'w') as tty:
            handler = arq.ColourHandler(tty)
            handler.emit(_record(level))
            handler.emit(_record(logging.INFO))
            tty.flush()
            # the terminal turns \n into \r\n
            expected = f'{colour}careful with x\033[0m\r\ncareful with x\r\n'.encode()
            output = b''
            while len(output) < len(expected):
                output += os.read(master, 1000)
            assert output == expected
    finally:
        os.close(master)


def test_colour_handler_writes_plain_text_elsewhere_or_with_no_color(monkeypatch):
    monkeypatch.delenv('NO_COLOR', raising=False)
    stream = io.StringIO()
    arq.ColourHandler(stream).emit(_record(logging.ERROR))
    assert stream.getvalue() == 'careful with x\n'

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    arq.ColourHandler(terminal).emit(_record(logging.ERROR))
    monkeypatch.setenv('NO_COLOR', '1')
    arq.ColourHandler(terminal).emit(_record(logging.ERROR))
    assert terminal.getvalue() == '\033[31mcareful with x\033[0m\ncareful with x\n'


def test_cli_installs_the_workers_logging_config(redis_server):
    done = run_cli('test_arq:LoggingWorker', '--burst', url=redis_server.url)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith('custom: arq.') for line in lines), done.stderr
    assert 'custom: arq.work Running worker with 5 shadow(s)' in done.stderr


@pytest.mark.parametrize('repeat', [False, True])
async def test_repeat_health_check_logs(settings, redis, caplog, start_worker, repeat):
    caplog.set_level(logging.INFO, logger='arq.work')
    worker, task = await start_worker(settings, health_check_interval=0.05,
                                      repeat_health_check_logs=repeat)
    key = f'arq:health-check:{worker.worker_name}'
    for _ in range(4):  # each write renews the key's TTL
        await wait_for(lambda: _pttl_above(redis, key, 1000))
        await redis.pexpire(key, 500)
    lines = [m for m in caplog.messages if m.startswith('recording health: ')]
    if repeat:
        assert len(lines) >= 4
    else:
        assert len(lines) == 1
    await stop_worker(worker, task)


async def _pttl_above(redis, key: str, ms: int) -> bool:
    return await redis.pttl(key) > ms


# ───────────────────────────────────────────────────── reliability: kills and restarts ──

def _inflight(worker_id: str, queue: str = 'arq:q:dft') -> str:
    return f'arq:inflight:{worker_id}:{queue}'


async def recover_as(redis, worker_id: str = 'rescuer', lease_ms: int = 10_000):
    """Run the lease script as a live worker would, then forget that worker again."""
    reply = await redis.eval(arq._LEASE_SCRIPT, 3, 'arq:workers', f'arq:lease:{worker_id}',
                             'arq:lost', worker_id, lease_ms, 'arq:q:dft', 'arq:inflight:',
                             'arq:lease:', 'arq:recovered:', 60_000)
    await redis.hdel('arq:workers', worker_id)
    await redis.delete(f'arq:lease:{worker_id}')
    return reply


async def lose(redis, dead: str) -> bytes:
    """Pop the head of the dft queue onto worker ``dead``, which dies; recover it."""
    payload = await redis.lmove('arq:q:dft', _inflight(dead), 'LEFT', 'RIGHT')
    await redis.hset('arq:workers', dead, 'arq:q:dft')
    assert (await recover_as(redis))[1] == 1
    return payload


async def test_job_lost_with_its_worker_runs_again_as_its_next_try(settings, redis, caplog):
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.flaky('lost', 1)
        payload = await lose(redis, 'dead-1')
        assert await redis.hgetall('arq:lost') == {payload: b'1'}
        assert await redis.lrange('arq:q:dft', 0, -1) == [payload]
        worker = await run_burst(settings)
        assert await handle.result(timeout=5) == 'lost ok on try 2'
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert await results(redis) == ['lost:2']
    assert re.search(rf'dft  {handle.id[:6]} Tries\.flaky\(\'lost\', 1\) runs again as try 2 of 5: '
                     r'its worker was lost 1 time\(s\)', caplog.text)
    # the ack deleted its count: pops cost no lookup again; the mark tells the dead
    # worker, should it come back, that its jobs were put back
    assert await arq_keys(redis) == ['arq:recovered:dead-1']


async def test_job_that_keeps_losing_its_worker_fails_with_worker_lost(settings, redis):
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.flaky('doomed', 1, _max_tries=2)
        payload = await lose(redis, 'dead-1')
        assert await lose(redis, 'dead-2') == payload
        assert await redis.hget('arq:lost', payload) == b'2'
        worker = await run_burst(settings)
        with pytest.raises(JobFailed, match=rf'job {handle.id[:6]} Tries\.flaky failed: '
                           r'worker lost: job \w{6} Tries\.flaky lost its worker \(killed, '
                           r'out of memory or cut off from Redis\) 2 time\(s\) and used up '
                           r'its 2 tries'):
            await handle.result(timeout=5)
        [letter] = await actor.dead_letters()
    assert letter.reason.startswith('worker lost: ')
    assert letter.data == payload
    assert (worker.jobs_complete, worker.jobs_failed) == (0, 1)
    assert await results(redis) == []  # lost on both its tries, it does not run a third time
    assert await arq_keys(redis) == ['arq:dead', 'arq:recovered:dead-1',
                                     'arq:recovered:dead-2']


async def test_two_workers_recovering_at_once_requeue_each_job_once(settings, redis, caplog):
    async with Recorder(redis_settings=settings) as actor:
        for i in range(100):
            await actor.note(i)
    for dead in ('dead-1', 'dead-2'):
        for _ in range(50):
            await redis.lmove('arq:q:dft', _inflight(dead), 'LEFT', 'RIGHT')
        await redis.hset('arq:workers', dead, 'arq:q:dft')
    assert await redis.llen('arq:q:dft') == 0
    # both start at once, and each runs the recovery as its first lease renewal
    first, second = await asyncio.gather(run_burst(settings, max_concurrent_tasks=7),
                                         run_burst(settings, max_concurrent_tasks=5))
    assert sorted(await results(redis)) == sorted(f'dft:{i}' for i in range(100))
    assert first.jobs_complete + second.jobs_complete == 100
    recovered = [int(m.group(1)) for m in re.finditer(
        r'put (\d+) job\(s\) of dead workers back on their queues', caplog.text)]
    assert sum(recovered) == 100, recovered
    assert await arq_keys(redis) == ['arq:recovered:dead-1', 'arq:recovered:dead-2']


async def test_worker_whose_own_lease_lapsed_recovers_no_one_at_that_renewal(redis):
    # after a Redis restart every lease may have lapsed: the first worker back must not
    # take the jobs of the others, who are alive and about to renew
    await redis.rpush(_inflight('other'), b'job')
    await redis.hset('arq:workers', mapping={'other': 'arq:q:dft', 'back': 'arq:q:dft'})
    renew = [3, 'arq:workers', 'arq:lease:back', 'arq:lost', 'back', 10_000, 'arq:q:dft',
             'arq:inflight:', 'arq:lease:', 'arq:recovered:', 60_000]
    assert await redis.eval(arq._LEASE_SCRIPT, *renew) == [1, 0, 1]  # known, lapsed
    assert await redis.llen(_inflight('other')) == 1
    # a lease later, the other has not renewed: it is dead, and its job comes back
    assert await redis.eval(arq._LEASE_SCRIPT, *renew) == [1, 1, 0]
    assert await redis.lrange('arq:q:dft', 0, -1) == [b'job']
    assert await redis.hgetall('arq:lost') == {b'job': b'1'}
    assert 0 < await redis.pttl('arq:recovered:other') <= 60_000  # the other may come back


@pytest.mark.parametrize('popped_with', [0, 1])
async def test_taking_back_a_job_resets_its_loss_count_to_what_the_pop_saw(redis, popped_with):
    # w1 popped the job (which had lost a worker popped_with times), and its loop blocked;
    # w2 put it back (one loss) and popped it, and blocked too; w1, awake, put it back
    # (another loss). w1 now takes it back: the count must be the one w1's ack deletes,
    # or none, never a count that no ack will ever delete
    await redis.rpush('arq:q:dft', b'job')
    await redis.hset('arq:lost', b'job', popped_with + 2)
    await redis.set('arq:recovered:w1', 1)  # left by whoever put w1's job back
    take_back = [2, 'arq:lost', 'arq:recovered:w1', 'arq:q:dft', _inflight('w1'), b'job',
                 popped_with]
    assert await redis.eval(arq._TAKE_BACK_SCRIPT, *take_back) == [1]
    assert await redis.lrange(_inflight('w1'), 0, -1) == [b'job']
    assert await redis.llen('arq:q:dft') == 0
    expected = {b'job': b'1'} if popped_with else {}
    assert await redis.hgetall('arq:lost') == expected
    # kept until the renewal after this take-back, so that one whose reply was lost reruns
    assert await redis.exists('arq:recovered:w1')


async def test_drain_counts_a_task_that_blocked_past_its_timeout_as_timed_out(redis, caplog):
    await redis.rpush('my:q', b'job')

    async def block():
        time.sleep(0.3)  # never yields, so the timeout cannot cancel it

    async with Drain(redis=redis, timeout_seconds=0.1) as drain:
        async for raw in drain.iter('my:q'):
            drain.add(block(), raw)
    assert (drain.jobs_complete, drain.jobs_timed_out) == (0, 1)
    assert re.search(r'task timed out after 0\.10s \(ran 0\.3\ds without letting the event '
                     r"loop cancel it\): job from my:q \(b'job'\)", caplog.text)


async def test_deferred_job_outliving_the_lease_is_handed_out_once(settings, redis, start_worker):
    # the lease starts at the pop, not at the enqueue: a job deferred for longer than
    # the lease, with two workers waiting, runs once and as its first try
    for _ in range(2):
        await start_worker(settings, lease_ms=300)
    async with Tries(redis_settings=settings) as actor:
        handle = await actor.flaky('later', 1, _defer_by=1)
        assert await handle.result(timeout=10) == 'later ok on try 1'
        await asyncio.sleep(0.7)  # two more leases: nothing comes back
    assert await results(redis) == ['later:1']


class Blocker(Actor):
    @concurrent
    async def block(self, seconds):
        await record(self, 'blocking')
        time.sleep(seconds)  # synchronous on purpose: the event loop stops meanwhile
        return 'too late'  # and no await after it, where a timeout could cancel it

    @concurrent
    async def hold(self, seconds):
        """Block the loop, then wait: still running when the loop resumes."""
        time.sleep(seconds)
        await (await self.get_redis()).rpush(started_key(self.namespace), 'hold')
        await asyncio.sleep(30)

    @concurrent
    async def wait_for_key(self, key):
        """Wait, yielding to the loop, until the test sets ``key``."""
        redis = await self.get_redis()
        while not await redis.exists(key):
            await asyncio.sleep(0.01)
        return 'went'


class QuickWatchDrain(Drain):
    blocked_warning_seconds = 0.2


async def test_job_blocking_the_loop_is_named_timed_out_and_the_rest_resume(
        settings, redis, start_worker, caplog):
    caplog.set_level(logging.INFO, logger='arq')
    worker, _task = await start_worker(settings, shadows=[Blocker, Recorder],
                                       drain_class=QuickWatchDrain, health_check_interval=0.2)
    async with Blocker(redis_settings=settings) as blocker:
        handle = await blocker.block(1, _timeout=0.3)
        with pytest.raises(JobTimedOut, match=rf'job {handle.id[:6]} Blocker\.block failed: timed '
                           r'out after 0\.3s'):
            await handle.result(timeout=10)
    assert await results(redis) == ['blocking']
    assert worker.jobs_timed_out == 1 and worker.jobs_complete == 0
    name = rf'job {handle.id[:6]} Blocker\.block\(1\) from arq:q:dft'
    assert re.search(rf'event loop blocked for over 0\.2s by {name}: no other job', caplog.text)
    # the watchdog thread logs this once it sees the loop run again
    await wait_for(lambda: re.search(
        rf'event loop ran again after being blocked for (0\.9|1\.\d)\ds by {name}', caplog.text))
    assert re.search(rf'dft  timed out after  1\.\d{{3}}s ← {handle.id[:6]} Blocker\.block\(1\): '
                     r'ran 1\.\d{3}s, blocking the event loop past its 0\.3s timeout', caplog.text)
    # other jobs and the health check carry on
    await redis.delete(worker.health_key)
    async with Recorder(redis_settings=settings) as actor:
        assert await (await actor.add(1, 2)).result(timeout=5) == 3
    await wait_for(lambda: redis.exists(worker.health_key), timeout=5)


def _rescue_during_block(url: str, dead: str, then_pop: bool) -> None:
    # another worker, in a thread, while the worker's event loop is blocked by its job
    with sync_redis.Redis.from_url(url) as client:
        deadline = time.monotonic() + 10
        while client.exists(f'arq:lease:{dead}') or not client.llen(_inflight(dead)):
            assert time.monotonic() < deadline, 'the lease never lapsed'
            time.sleep(0.02)
        reply = client.eval(arq._LEASE_SCRIPT, 3, 'arq:workers', 'arq:lease:rescuer',
                            'arq:lost', 'rescuer', 10_000, 'arq:q:dft', 'arq:inflight:',
                            'arq:lease:', 'arq:recovered:', 60_000)
        assert reply[1] == 1
        if then_pop:  # the rescuer runs it too (and, alive, keeps it in flight)
            client.lmove('arq:q:dft', _inflight('rescuer'), 'LEFT', 'RIGHT')


@pytest.mark.parametrize('then_pop', [False, True], ids=['still-queued', 'handed-out'])
async def test_worker_whose_lease_lapsed_takes_back_its_jobs_or_cancels_them(
        settings, redis, redis_server, start_worker, caplog, then_pop):
    worker, _task = await start_worker(settings, shadows=[Blocker], lease_ms=300)
    await wait_for(lambda: redis.exists(f'arq:lease:{worker.worker_name}'))
    rescue = asyncio.create_task(asyncio.to_thread(
        _rescue_during_block, redis_server.url, worker.worker_name, then_pop))
    async with Blocker(redis_settings=settings) as blocker:
        handle = await blocker.hold(0.8)
        await rescue
    taken = 0 if then_pop else 1
    message = (rf'worker {worker.worker_name} lost its lease \(event loop blocked or Redis '
               r'unreachable for over 300ms\) and another worker put its 1 job\(s\) back on '
               rf'their queues: took back {taken}; {1 - taken} had been handed out again')
    if then_pop:
        message += (rf'\n  cancelled here: job {handle.id[:6]} Blocker\.hold\(0\.8\) from '
                    r'arq:q:dft')
    await wait_for(lambda: re.search(message + '$', caplog.text, re.M))
    if then_pop:
        # cancelled here rather than run twice at once; its ack finds it gone, so the
        # cancellation records nothing: the rescuer's run is the one that counts
        await wait_for(lambda: worker.drain.jobs_cancelled == 1)
        assert await redis.llen(_inflight('rescuer')) == 1
        await wait_for(lambda: _equals(lambda: redis.llen(_inflight(worker.worker_name)), 0))
        assert not await redis.exists(f'arq:result:{handle.id}')
    else:
        assert await wait_started(redis, 1) == ['hold']
        assert await redis.llen(_inflight(worker.worker_name)) == 1
        assert await redis.llen('arq:q:dft') == 0
        assert not await redis.exists('arq:lost')
        assert worker.jobs_ongoing == 1
    assert await redis.hexists('arq:workers', worker.worker_name)


@pytest.mark.parametrize('lost', ['renewal', 'take-back'])
async def test_worker_whose_lease_lapsed_gives_up_its_job_though_a_reply_was_lost(
        settings, redis, redis_server, start_worker, caplog, lost):
    # the renewal that registers the worker again, or the take-back after it, runs but
    # its reply is lost: the retry finds the worker registered, and must still find out
    # that its job went to another worker, or both run it for as long as it lasts
    worker, _task = await start_worker(settings, shadows=[Blocker], lease_ms=300)
    await wait_for(lambda: redis.exists(f'arq:lease:{worker.worker_name}'))
    drain = worker.drain
    name = '_renew' if lost == 'renewal' else '_take_back_script'
    real, dropped = getattr(drain, name), []

    async def lose_a_reply(keys, args):
        reply = await real(keys, args)
        if not dropped and (lost == 'take-back' or reply[0] == 0 and drain._registered):
            dropped.append(reply)
            raise sync_redis.ConnectionError('connection lost while reading the reply')
        return reply
    setattr(drain, name, lose_a_reply)
    rescue = asyncio.create_task(asyncio.to_thread(
        _rescue_during_block, redis_server.url, worker.worker_name, True))
    async with Blocker(redis_settings=settings) as blocker:
        handle = await blocker.hold(0.8)
        await rescue
    await wait_for(lambda: worker.drain.jobs_cancelled == 1)
    assert dropped
    assert re.search(rf'cancelled here: job {handle.id[:6]} Blocker\.hold', caplog.text)
    assert await redis.llen(_inflight('rescuer')) == 1
    # the mark goes at the renewal after the take-back went through
    await wait_for(lambda: _equals(
        lambda: redis.exists(f'arq:recovered:{worker.worker_name}'), 0))
    assert await redis.hexists('arq:workers', worker.worker_name)


async def test_worker_that_redis_forgot_keeps_its_running_jobs(
        settings, redis, start_worker, caplog):
    # a Redis restart without persistence (here: FLUSHALL) loses the worker's registration
    # and in-flight list, but no other worker took its jobs: it must not cancel them
    worker, _task = await start_worker(settings, shadows=[Blocker], lease_ms=300)
    await wait_for(lambda: redis.exists(f'arq:lease:{worker.worker_name}'))
    async with Blocker(redis_settings=settings) as blocker:
        handle = await blocker.wait_for_key('go')
        await wait_for(lambda: redis.llen(_inflight(worker.worker_name)))
        await redis.flushall()
        await wait_for(lambda: re.search(
            rf'worker {worker.worker_name}: Redis no longer knew this worker \(restarted '
            r'without persistence, or flushed\): registered again, with its 1 running job\(s\) '
            r'in flight', caplog.text))
        # recorded in flight again, so that a kill from now on loses nothing
        assert await redis.llen(_inflight(worker.worker_name)) == 1
        assert await redis.hexists('arq:workers', worker.worker_name)
        await redis.set('go', 1)
        await wait_for(lambda: worker.jobs_complete == 1)
    assert worker.drain.jobs_cancelled == 0 and worker.jobs_failed == 0
    # its record went with the flush, but its result is written as usual
    await wait_for(lambda: redis.exists(f'arq:result:{handle.id}'))
    assert msgpack.unpackb(await redis.get(f'arq:result:{handle.id}'))['value'] == 'went'
    await wait_for(lambda: _equals(lambda: redis.llen(_inflight(worker.worker_name)), 0))


async def test_worker_that_redis_forgot_takes_its_job_off_a_restored_queue(
        settings, redis, start_worker, caplog):
    # Redis restored from a snapshot (RDB, a lagging replica promoted) taken before the
    # worker registered: no registration, no mark, and its running job back on its queue.
    # It keeps running the job, so the queued copy must go, or the job runs twice at once.
    worker, _task = await start_worker(settings, shadows=[Blocker], lease_ms=300,
                                       max_concurrent_tasks=1)
    await wait_for(lambda: redis.exists(f'arq:lease:{worker.worker_name}'))
    async with Blocker(redis_settings=settings) as blocker:
        handle = await blocker.wait_for_key('go')
        await wait_for(lambda: redis.llen(_inflight(worker.worker_name)))
        payload = (await redis.lrange(_inflight(worker.worker_name), 0, -1))[0]
        async with redis.pipeline(transaction=True) as pipe:  # the restore, at once
            await pipe.flushall().rpush('arq:q:dft', payload).execute()
        await wait_for(lambda: re.search(r'Redis no longer knew this worker', caplog.text))
        assert await redis.llen('arq:q:dft') == 0
        assert await redis.lrange(_inflight(worker.worker_name), 0, -1) == [payload]
        await redis.set('go', 1)
        await wait_for(lambda: worker.jobs_complete == 1)
    await asyncio.sleep(0.3)  # a second run would have been popped by now
    assert worker.jobs_complete == 1 and worker.jobs_ongoing == 0
    assert msgpack.unpackb(await redis.get(f'arq:result:{handle.id}'))['value'] == 'went'


async def test_refusing_replies_are_told_apart_in_every_format(redis):
    # redis-py strips the codes it knows (OOM, READONLY, ...) from the message and raises
    # a class of its own; Redis 7 keeps the code in front of an error raised in a script,
    # Redis 6 puts it after a dash inside an ERR: each must be waited out, not end run()
    from redis._parsers import BaseParser
    for reply in ["OOM command not allowed when used memory > 'maxmemory'.",
                  "OOM command not allowed when used memory > 'maxmemory'. script: "
                  "dee75071fbd5fbdaed00cdae4770c5d71f15549b, on @user_script:3.",
                  "READONLY You can't write against a read only replica.",
                  'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set '
                  "to 'no'.",
                  'NOREPLICAS Not enough good replicas to write.',
                  'TRYAGAIN Multiple keys request during rehashing of slot',
                  'CLUSTERDOWN The cluster is down',
                  'ERR Error running script (call to f_dee7): @user_script:3: @user_script: '
                  "3: -OOM command not allowed when used memory > 'maxmemory'."]:
        exc = BaseParser.parse_error(reply)
        assert isinstance(exc, sync_redis.ResponseError) and arq._refusing(exc), reply
    for reply in ['WRONGTYPE Operation against a key holding the wrong kind of value',
                  'ERR unknown command', 'NOSCRIPT No matching script.']:
        assert not arq._refusing(BaseParser.parse_error(reply)), reply
    # and as this server words them, plainly and from inside the lease script
    await redis.config_set('maxmemory', 1)
    try:
        with pytest.raises(sync_redis.ResponseError) as plain:
            await redis.rpush('k', 'v')
        with pytest.raises(sync_redis.ResponseError) as scripted:
            await recover_as(redis)
    finally:
        await redis.config_set('maxmemory', 0)
    assert arq._refusing(plain.value) and arq._refusing(scripted.value)


async def test_worker_waits_out_a_redis_over_its_maxmemory(
        settings, redis, start_worker, caplog, monkeypatch):
    # noeviction at maxmemory refuses writes with OOM: the worker backs off as for a lost
    # connection, says so again while it lasts, and carries on once there is room again
    caplog.set_level(logging.INFO, logger='arq.work')
    monkeypatch.setattr(arq, 'BACKOFF_REPEAT_LOG_SECONDS', 0.5)
    worker, task = await start_worker(settings, shadows=[Recorder], lease_ms=300)
    await wait_for(lambda: redis.exists(f'arq:lease:{worker.worker_name}'))
    await redis.config_set('maxmemory', 1)
    try:
        # Redis 6 wraps it in a script error; redis-py raises Redis 7's as OutOfMemoryError
        await wait_for(lambda: re.search(r'lease: Redis error \w+: .*command not allowed when '
                                         r'used memory .*; retrying with backoff', caplog.text))
        await wait_for(lambda: re.search(r'lease: Redis error \w+: .*command not allowed when '
                                         r'used memory .*; still failing after \ds', caplog.text))
        assert not task.done()
    finally:
        await redis.config_set('maxmemory', 0)
    await wait_for(lambda: 'lease: Redis is reachable again' in caplog.text)
    async with Recorder(redis_settings=settings) as actor:
        assert await (await actor.add(2, 3)).result(timeout=5) == 5
        # the loop that moves deferred jobs lived through it too
        assert await (await actor.add(1, 1, _defer_by=0.2)).result(timeout=5) == 2
    assert not task.done()


async def test_drain_ack_commands_store_what_redis_py_would_send(redis):
    # acks travel as one msgpack blob that Lua unpacks: numbers must not come out as
    # Lua's digits, and what redis-py refuses is refused at the call
    values = {'float': 0.1, 'third': 1 / 3, 'big': 2**60, 'huge': 10**17, 'empty': b'',
              'bytes': b'\xff\x00', 'text': 'é'}
    await redis.rpush('my:q', b'job')
    async with Drain(redis=redis) as drain:
        async for raw in drain.iter('my:q'):
            drain.ack(raw, [('SET', key, value) for key, value in values.items()])
            with pytest.raises(sync_redis.DataError, match="Invalid input of type: 'NoneType'"):
                drain.ack(raw, [('SET', 'none', None)])
    assert await redis.mget(*values) == [b'0.1', repr(1 / 3).encode(), b'1152921504606846976',
                                         b'100000000000000000', b'', b'\xff\x00',
                                         'é'.encode()]
    assert await redis.llen('my:q') == 0


async def test_drain_splits_an_ack_batch_bigger_than_redis_takes_in_one_argument(
        redis, monkeypatch):
    # the batch goes as one msgpack blob: over proto-max-bulk-len, Redis would refuse it
    # and the ack task would end, leaving every job in flight
    monkeypatch.setattr(arq, 'MAX_ACK_BYTES', 2**19, raising=False)
    limit = (await redis.config_get('proto-max-bulk-len'))['proto-max-bulk-len']
    await redis.config_set('proto-max-bulk-len', 2**20)
    try:
        await redis.rpush('my:q', *(bytes([i]) * 400_000 for i in range(3)))

        async def nothing():
            pass

        async with Drain(redis=redis) as drain:
            async for raw in drain.iter('my:q'):
                drain.add(nothing(), raw)
            await drain.flush()
            assert await redis.llen(drain._inflight['my:q']) == 0
    finally:
        await redis.config_set('proto-max-bulk-len', limit)
    assert drain.jobs_complete == 3


async def test_drain_task_that_timed_out_ends_without_an_error_of_its_own(redis):
    await redis.rpush('my:q', b'job')
    async with Drain(redis=redis, timeout_seconds=0.05) as drain:
        async for raw in drain.iter('my:q'):
            task = drain.add(asyncio.sleep(5), raw)
    assert drain.jobs_timed_out == 1
    assert task.exception() is None  # not an UnboundLocalError, "never retrieved"


async def test_drain_puts_back_jobs_whose_pop_reply_was_lost(redis, caplog):
    await redis.rpush('my:q', b'one', b'two')
    seen = []
    async with Drain(redis=redis, worker_id='w1', burst_mode=True) as drain:
        pop = drain._pop
        failed = []

        async def pop_then_fail(keys, args):
            groups = await pop(keys, args)
            if not failed:  # it ran: the jobs are in flight, but we never hear of them
                failed.append(1)
                raise sync_redis.exceptions.ConnectionError('reply lost')
            return groups

        drain._pop = pop_then_fail
        async for raw in drain.iter('my:q'):
            seen.append(raw.data)
            drain.add(asyncio.sleep(0), raw)
    assert sorted(seen) == [b'one', b'two']
    assert 'put 2 popped job(s) back on their queues: the reply to their pop was lost to a ' \
           'Redis error' in caplog.messages
    assert await redis.keys('*') == []


async def test_drain_ack_sent_again_after_a_lost_reply_acts_once(redis):
    await redis.rpush('my:q', b'job')
    async with Drain(redis=redis, worker_id='w1', burst_mode=True) as drain:
        send = drain._ack_script
        calls = []

        async def send_then_fail(keys, args):
            calls.append(args)
            await send(keys, args)
            if len(calls) == 1:
                raise sync_redis.exceptions.ConnectionError('reply lost')

        drain._ack_script = send_then_fail
        async for raw in drain.iter('my:q'):
            drain.ack(raw, [('RPUSH', 'my:retries', raw.data)])
    assert len(calls) == 2 and calls[0] == calls[1]
    assert await redis.lrange('my:retries', 0, -1) == [b'job']
    assert await redis.keys('arq:*') == []


RUNS_KEY = 'arq:test-runs'
TICKS_KEY = 'arq:test-ticks'


async def _insist(command, seconds: float = 60):
    """Run a Redis command until it goes through: these jobs outlive Redis outages."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await command()
        except (sync_redis.exceptions.ConnectionError, sync_redis.exceptions.TimeoutError,
                OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


class Faulty(Actor):
    """Jobs of the fault tests: every run records its start, with its try, and its end.

    In a hash, so that writing again, after a reply lost to an outage, changes nothing.
    """

    @concurrent
    async def work(self, tag, seconds):
        redis = await self.get_redis()
        run = f'{tag} {os.getpid()} {current_job().job_try}'
        await _insist(lambda: redis.hsetnx(RUNS_KEY, f'{run} start', time.time()))
        await asyncio.sleep(seconds)
        await _insist(lambda: redis.hsetnx(RUNS_KEY, f'{run} end', time.time()))
        return tag

    @concurrent(max_tries=2)
    async def crash(self):
        """Kill the work process running it, as a segfault or the OOM killer would."""
        os.kill(os.getpid(), signal.SIGKILL)

    @cron(second=set(range(60)), microsecond=0)
    async def tick(self):
        redis = await self.get_redis()
        await _insist(lambda: redis.rpush(TICKS_KEY, f'{time.time()}'))


class FaultWorker(BaseWorker):
    """Short leases, so that a killed worker's jobs come back within a second or so."""

    shadows = [Faulty]
    lease_ms = 1000
    max_concurrent_tasks = 30
    max_tries = 50  # a job may be in flight at several kills: they all count, as tries
    shutdown_delay = 2
    health_check_interval = 1


class Run(NamedTuple):
    tag: int
    pid: int
    job_try: int
    start: float
    end: float | None


def read_runs(client) -> dict[int, list[Run]]:
    """Each job's runs, in the order they started."""
    starts, ends = {}, {}
    for entry, at in client.hgetall(RUNS_KEY).items():
        tag, pid, job_try, what = entry.decode().split()
        key = (int(tag), int(pid), int(job_try))
        (starts if what == 'start' else ends)[key] = float(at)
    runs: dict[int, list[Run]] = {}
    for key, start in starts.items():
        runs.setdefault(key[0], []).append(Run(*key, start, ends.get(key)))
    for tag_runs in runs.values():
        tag_runs.sort(key=lambda r: r.start)
    return runs


def check_runs(runs: dict[int, list[Run]], tags: int, killed: dict[int, float]) -> dict[str, int]:
    """Assert at-least-once and never twice at once on a live worker; return the counts.

    ``killed`` maps the pid of each work process killed to when: a run there ends then.
    """
    assert sorted(runs) == list(range(tags)), 'some jobs never started'
    unfinished = [r for rs in runs.values() for r in rs if r.end is None]
    assert all(r.pid in killed for r in unfinished), unfinished
    for tag_runs in runs.values():
        assert any(r.end is not None for r in tag_runs), tag_runs  # at least once, to its end
        for earlier, later in itertools.pairwise(tag_runs):
            # the next run starts after the last ended or its worker died, as a later try
            ended = earlier.end if earlier.end is not None else killed[earlier.pid]
            assert later.start >= ended, (earlier, later)
            assert later.job_try > earlier.job_try, (earlier, later)
            if earlier.end is not None:  # ran to its end, its worker killed before the ack
                assert earlier.pid in killed, (earlier, later)
    executions = sum(len(rs) for rs in runs.values())
    return {'jobs': tags, 'executions': executions, 'cut short by kills': len(unfinished),
            'ran to the end twice': executions - tags - len(unfinished)}


async def enqueue_faulty(settings, count: int, seed: int):
    rng = random.Random(seed)
    async with Faulty(redis_settings=settings) as actor:
        return [await actor.work(i, rng.uniform(0.2, 0.6)) for i in range(count)]


def wait_runs(client, predicate, timeout: float = 60) -> dict[int, list[Run]]:
    deadline = time.monotonic() + timeout
    while True:
        runs = read_runs(client)
        if predicate(runs):
            return runs
        assert time.monotonic() < deadline, f'condition not met within {timeout}s'
        time.sleep(0.05)


def all_ended(tags: int):
    return lambda runs: len(runs) == tags and all(
        any(r.end is not None for r in rs) for rs in runs.values())


def cpu_seconds(pid: int) -> float:
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


async def test_sigkill_at_random_points_loses_no_job(settings, redis, redis_server, cli_worker,
                                                      sync_client):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    tags, kills = 400, 6
    handles = await enqueue_faulty(settings, tags, seed)
    killed: dict[int, float] = {}
    workers = []
    for _ in range(kills):
        worker = await asyncio.to_thread(cli_worker, 'test_arq:FaultWorker')
        workers.append(worker)
        # somewhere in the middle of its jobs: once it has started some, a random while on
        started = sync_client.hlen(RUNS_KEY)
        await wait_for(lambda n=started: sync_client.hlen(RUNS_KEY) > n, timeout=20)
        await asyncio.sleep(rng.uniform(0, 0.8))
        os.kill(worker.child_pid, signal.SIGKILL)
        killed[worker.child_pid] = time.time()
        assert await asyncio.to_thread(worker.wait) == 3
        assert f'work process {worker.child_pid} was killed by SIGKILL' in worker.stderr
    last = await asyncio.to_thread(cli_worker, 'test_arq:FaultWorker')
    workers.append(last)
    runs = await asyncio.to_thread(wait_runs, sync_client, all_ended(tags))
    last.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(last.wait) == 0
    counts = check_runs(read_runs(sync_client), tags, killed)
    print(f'\nSIGKILL fault test (seed {seed}): {counts}, kills: {len(killed)}')
    assert counts['cut short by kills'] > 0, 'no kill hit a running job'
    # the workers that came next put the killed ones' jobs back
    assert 'job(s) of dead workers back on their queues' in ''.join(w.stderr for w in workers)
    async with Faulty(redis_settings=settings) as actor:
        for handle in rng.sample(handles, 20):
            assert await actor.job(handle.id).status() == JobStatus.COMPLETE
    assert not await redis.exists('arq:lost')
    assert await redis.keys('arq:inflight:*') == []
    assert len(runs) == tags


def _loaded(client) -> bool:
    try:
        return client.ping()
    except sync_redis.exceptions.BusyLoadingError:
        return False


async def test_job_that_kills_its_worker_every_time_ends_with_worker_lost(settings, redis,
                                                                         cli_worker):
    async with Faulty(redis_settings=settings) as actor:
        handle = await actor.crash()
        waiter = asyncio.create_task(handle.result(timeout=60))
        pids = []
        for _ in range(2):  # its two tries: each kills the worker that runs it
            worker = await asyncio.to_thread(cli_worker, 'test_arq:FaultWorker')
            assert await asyncio.to_thread(worker.wait) == 3
            assert f'work process {worker.child_pid} was killed by SIGKILL' in worker.stderr
            pids.append(worker.child_pid)
        # the next worker puts it back a second time, and ends it instead of running it
        last = await asyncio.to_thread(cli_worker, 'test_arq:FaultWorker')
        with pytest.raises(JobFailed, match=rf'job {handle.id[:6]} Faulty\.crash failed: worker '
                           r'lost: .* 2 time\(s\) and used up its 2 tries'):
            await waiter
        [letter] = await actor.dead_letters()
    assert letter.reason.startswith('worker lost: ')
    assert pid_alive(last.child_pid)
    await asyncio.to_thread(last.wait_for_line,
                            rf'worker lost: job {handle.id[:6]} Faulty\.crash lost its worker')
    assert f'{handle.id[:6]} Faulty.crash() runs again as try 2 of 2' in ''.join(
        w.stderr for w in [worker, last])


@pytest.fixture
def aof_server():
    """A server of its own, append-only, that a test may restart on the same port and dir."""
    with RedisServer('--appendonly', 'yes') as server:
        yield server


async def test_redis_restart_mid_run_loses_nothing_and_runs_nothing_twice(aof_server,
                                                                           cli_worker):
    settings = RedisSettings.from_url(aof_server.url)
    client = sync_redis.Redis.from_url(aof_server.url)
    try:
        assert client.config_get('appendonly') == {'appendonly': 'yes'}
        tags = 300
        await enqueue_faulty(settings, tags, seed=5)
        worker = await asyncio.to_thread(cli_worker, 'test_arq:FaultWorker',
                                         url=aof_server.url)
        outage_cpu = []
        for done in (60, 160):
            await asyncio.to_thread(wait_runs, client, lambda runs, n=done: sum(
                r.end is not None for rs in runs.values() for r in rs) >= n)
            # down for a while: the worker backs off quietly, then carries on
            aof_server._terminate()
            cpu = cpu_seconds(worker.child_pid)
            await asyncio.sleep(2)
            outage_cpu.append(cpu_seconds(worker.child_pid) - cpu)
            assert outage_cpu[-1] < 0.5, 'busy while Redis was down'
            aof_server.start()
            await wait_for(lambda: _loaded(client))
        ticks = client.llen(TICKS_KEY)
        runs = await asyncio.to_thread(wait_runs, client, all_ended(tags))
        await wait_for(lambda: client.llen(TICKS_KEY) > ticks + 1, timeout=5)  # cron too
        assert pid_alive(worker.child_pid)
        worker.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait) == 0
        counts = check_runs(runs, tags, {})
        print(f'\nRedis restart fault test: {counts}, restarts: 2, worker CPU seconds '
              f'in each 2s outage: {[round(c, 2) for c in outage_cpu]}')
        # its worker lived throughout: every job ran exactly once
        assert counts['executions'] == tags
        assert 'retrying with backoff' in worker.stderr
        assert 'Redis is reachable again' in worker.stderr
        assert client.keys('arq:inflight:*') == [] and not client.exists('arq:lost')
    finally:
        client.close()


async def test_dropped_connections_lose_nothing_and_run_nothing_twice(settings, redis,
                                                                      cli_worker, sync_client):
    tags = 300
    await enqueue_faulty(settings, tags, seed=7)
    worker = cli_worker('test_arq:FaultWorker')
    kills = 0
    for done in (50, 100, 150, 200):  # busy: jobs' own connections and the pool's
        await asyncio.to_thread(wait_runs, sync_client, lambda runs, n=done: sum(
            r.end is not None for rs in runs.values() for r in rs) >= n)
        kills += sync_client.client_kill_filter(_type='normal', skipme=True)
    await asyncio.to_thread(wait_runs, sync_client, all_ended(tags))
    # idle: the blocking waits for jobs and the pub/sub connection
    await wait_for(lambda: _blocked_clients(sync_client))
    kills += sync_client.client_kill_filter(_type='normal', skipme=True)
    kills += sync_client.client_kill_filter(_type='pubsub', skipme=True)
    await asyncio.to_thread(worker.wait_for_line, r'signals: Redis error .*retrying with backoff')
    # subscribed again, so aborts and wake-ups of deferred jobs still reach it
    await wait_for(lambda: sync_client.pubsub_numsub('arq:abort') == [(b'arq:abort', 1)])
    # and the server closes connections idle for 2s: the idle worker notices and carries on
    sync_client.config_set('timeout', 2)
    try:
        async with Faulty(redis_settings=settings) as actor:
            handle = await actor.work(tags, 0)
            assert await handle.result(timeout=10) == tags
            ticks = sync_client.llen(TICKS_KEY)
            await wait_for(lambda: sync_client.llen(TICKS_KEY) > ticks + 3, timeout=10)
            handle = await actor.work(tags + 1, 0)
            assert await handle.result(timeout=10) == tags + 1
    finally:
        sync_client.config_set('timeout', 0)
    assert pid_alive(worker.child_pid)
    worker.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait) == 0
    counts = check_runs(read_runs(sync_client), tags + 2, {})
    print(f'\ndropped connections fault test: {counts}, connections killed: {kills}')
    assert counts['executions'] == tags + 2  # its worker lived: each ran once


def _blocked_clients(client) -> int:
    return int(client.info('clients')['blocked_clients'])


# ───────────────────────────────────────────────────────────────────── testing helpers ──

class MockRecorder(arq.MockRedisMixin, Recorder):
    """Recorder on the in-memory Redis of ``MockRedis``."""


class RaisingMockWorker(arq.MockRedisMixin, arq.RaiseWorker):
    shadows = [Recorder]


@pytest.fixture
async def mock_redis(monkeypatch):
    """The shared ``MockRedis`` server, emptied; any real connection would fail."""
    monkeypatch.setenv('ARQ_REDIS_URL', f'redis://127.0.0.1:{closed_port()}/0?conn_retries=0')
    client = arq.MockRedis()
    await client.flushall()
    yield client
    await client.aclose()


async def test_mock_redis_runs_an_actor_and_a_worker_without_a_server(mock_redis):
    assert MockRecorder.name == 'Recorder'
    async with MockRecorder() as actor:
        await actor.add(1, 2)
        await actor.urgent('u')
        await actor.fail('boom')
    worker = arq.MockRedisWorker(shadows=[Recorder], burst=True)
    try:
        await worker.run()
    finally:
        await worker.close()
    assert (worker.jobs_complete, worker.jobs_failed) == (2, 1)
    assert await mock_redis.lrange(results_key(), 0, -1) == [b'high:u', b'add:3']
    assert await mock_redis.llen('arq:q:dft') == 0


async def test_mock_redis_raise_worker_reraises_the_jobs_error(mock_redis):
    async with MockRecorder() as actor:
        await actor.fail('boom')
    worker = RaisingMockWorker(burst=True)
    with pytest.raises(ValueError, match='^boom$'):
        await worker.run()
    await worker.close()


async def test_mock_redis_with_its_own_server_is_apart(mock_redis):
    import fakeredis
    client = arq.MockRedis(fakeredis.FakeServer())
    await client.set('k', 'v')
    assert await client.get('k') == b'v'
    assert await mock_redis.get('k') is None
    await client.aclose()


@pytest.mark.parametrize('module, message', [
    ('fakeredis', "the Mock* testing helpers need fakeredis: pip install 'arq[testing]'"),
    ('lupa', 'the Mock* testing helpers need fakeredis with Lua support (lupa): pip install '
             "'arq[testing]'"),
])
async def test_mock_redis_without_fakeredis_says_what_to_install(monkeypatch, module, message):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ArqError, match=re.escape(message)):
        arq.MockRedis()
    worker = arq.MockRedisWorker(shadows=[Recorder], burst=True)
    with pytest.raises(ArqError, match=re.escape(message)):
        await worker.run()


async def test_raise_worker_reraises_the_jobs_error_on_real_redis(settings, redis):
    async with Recorder(redis_settings=settings) as actor:
        await actor.add(1, 1)
        await actor.fail('boom')
    worker = arq.RaiseWorker(shadows=[Recorder], burst=True, redis_settings=settings)
    with pytest.raises(ValueError, match='^boom$'):
        await worker.run()
    await worker.close()
    assert await results(redis) == ['add:2']


async def test_concurrency_disabled_as_a_class_attribute(settings, redis):
    class InProcess(Recorder):
        concurrency_enabled = False

    async with InProcess(redis_settings=settings) as actor:
        assert (await actor.enqueue_job('plain', 21)).result_value == 42
        assert (await actor.enqueue_job('add', 1, b=2)).result_value == 3
    assert await results(redis) == ['plain:21', 'add:3']
    assert await redis.keys('arq:q:*') == []


def test_create_tz_and_timestamp():
    tz = arq.create_tz(5 * 3600 + 1800)
    assert datetime.datetime(2026, 1, 1, tzinfo=tz).utcoffset() == datetime.timedelta(
        hours=5, minutes=30)
    assert arq.create_tz().utcoffset(None) == datetime.timedelta(0)
    before = time.time()
    assert before <= arq.timestamp() <= time.time()


@pytest.mark.parametrize('value, expected', [
    (datetime.datetime(1970, 1, 1), (0, None)),
    (datetime.datetime(2026, 12, 4, 12, 0, 0, 999999), (1796385600999, None)),
    (datetime.datetime(2026, 12, 4, 13, 0, 0, 1000, tzinfo=arq.create_tz(3600)),
     (1796385600001, 3600)),
    (datetime.datetime(2026, 12, 4, 4, 0, tzinfo=arq.create_tz(-8 * 3600)),
     (1796385600000, -28800)),
    (datetime.datetime(1969, 12, 31, 23, 59, 59, 999000), (-1, None)),
])
def test_to_unix_ms_tz_and_back(value, expected):
    assert arq.to_unix_ms_tz(value) == expected
    assert arq.to_unix_ms(value) == expected[0]
    back = arq.from_unix_ms(*expected)
    assert back == value.replace(microsecond=value.microsecond // 1000 * 1000)
    assert back.utcoffset() == value.utcoffset()


def test_from_unix_ms_naive_is_utc():
    assert arq.from_unix_ms(1796385600000) == datetime.datetime(2026, 12, 4, 12)
    assert arq.from_unix_ms(0, 0) == datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize('length', [0, 1, 4, 20, 33])
def test_gen_random(length):
    values = {arq.gen_random(length) for _ in range(20)}
    assert all(re.fullmatch(f'[0-9a-f]{{{length}}}', v) for v in values)
    if length >= 20:
        assert len(values) == 20
    assert len(arq.gen_random()) == 20


@pytest.mark.parametrize('text, length, expected', [
    ('short', 80, 'short'), ('x' * 80, 80, 'x' * 80), ('x' * 81, 80, 'x' * 79 + '…'),
    ('abcdef', 4, 'abc…'), ('abc', 0, '…'),
])
def test_truncate(text, length, expected):
    assert arq.truncate(text, length) == expected


def test_import_string():
    assert arq.import_string('os.path.join') is os.path.join
    assert arq.import_string('os.path:join') is os.path.join
    assert arq.import_string('test_arq:Recorder') is Recorder
    with pytest.raises(ImportError, match="module 'os.path' has no attribute 'nope'"):
        arq.import_string('os.path.nope')
    with pytest.raises(ImportError, match="No module named 'no_such_module'"):
        arq.import_string('no_such_module.x')
    with pytest.raises(ImportError, match="needs 'module.attribute' or 'module:attribute', "
                                          "not 'join'"):
        arq.import_string('join')


# ──────────────────────────────────────────────────────────────────────────── examples ──

@pytest.mark.parametrize('script, embedded, expected', [
    ('demo.py', False, r'\n(\d+) of \1 files studied\nworker exited with code 0\n$'),
    ('cron.py', True, r'started an embedded Redis.*(\nran at \d\d:\d\d:\d\d\.\d{3} '
                      r'\(due \d\d:\d\d:\d\d\.\d{3}\)){3}\n.*\n3 scheduled runs, each '
                      r'enqueued once\n$'),
    ('testing.py', False, r'(ok test_\w+\n){3}3 tests passed, no Redis server used\n$'),
])
def test_example_runs_as_it_is(redis_server, script, embedded, expected):
    env = cli_env(redis_server.url)
    if embedded:
        del env['ARQ_REDIS_URL']
    done = subprocess.run([sys.executable, f'examples/{script}'], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(expected, done.stdout, re.S), done.stdout


def test_readme_testing_snippets_pass_under_pytest(tmp_path):
    readme = (REPO / 'README.md').read_text()
    section = readme[readme.index('## Testing your actors'):readme.index('## Helpers')]
    app, tests = re.findall(r'```python\n(.*?)```', section, re.S)
    (tmp_path / 'app.py').write_text(app)
    (tmp_path / 'test_app.py').write_text(tests)
    (tmp_path / 'pyproject.toml').write_text(
        '[tool.pytest.ini_options]\nasyncio_mode = "auto"\n'
        'asyncio_default_fixture_loop_scope = "function"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTEST_')}
    done = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                           '-W', 'error', 'test_app.py'], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '2 passed' in done.stdout
