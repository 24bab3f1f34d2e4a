"""The file store shared by every web and worker process: Django's storage API (``STORAGES``).

In development it is a folder under ``var/``; in the compose file a volume mounted by web and
worker; on several hosts an S3-compatible object store (django-storages). A job writes a file
in a private scratch file first and then ``store()``s it: a reader never sees half a file, and
the scratch file is removed whatever happens (a killed worker's leftovers are swept by
``sweep_scratch``). Every stored file has its SHA-256 and size recorded by the caller.
"""

import hashlib
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import storages

SCRATCH_PREFIX = "trialsite-scratch-"


def storage():
    return storages["default"]


@dataclass(frozen=True)
class Stored:
    name: str
    size: int
    sha256: str


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def scratch_file(suffix=""):
    """A path to write a file in before it is stored; removed on the way out."""
    handle, name = tempfile.mkstemp(prefix=SCRATCH_PREFIX, suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def store(path, name) -> Stored:
    """Save the finished file at ``path`` under ``name`` (never overwriting another file: the
    store may pick a free name, returned)."""
    digest = sha256_of(path)
    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        saved = storage().save(name, File(handle, name=os.path.basename(name)))
    return Stored(name=saved, size=size, sha256=digest)


def open_file(name):
    """The stored file, opened for reading; ``FileNotFoundError`` when it is not there."""
    the_storage = storage()
    if not the_storage.exists(name):
        raise FileNotFoundError(name)
    return the_storage.open(name, "rb")


def delete(name):
    storage().delete(name)


def sweep_scratch(older_than_seconds=24 * 3600) -> int:
    """Remove scratch files a killed process left behind. Returns how many."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
