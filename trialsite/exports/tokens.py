"""API keys: made, hashed and recognised here (pure, no database).

A key is ``tsk_`` + 40 URL-safe random characters (240 bits). Only its SHA-256 is stored: with
that much entropy a fast hash is as safe as a slow one, and it lets the database find the token
by an index lookup instead of trying every hash.
"""

import hashlib
import secrets

KEY_PREFIX = "tsk_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(30)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shown_prefix(key: str) -> str:
    return key[:SHOWN_PREFIX_LENGTH]
