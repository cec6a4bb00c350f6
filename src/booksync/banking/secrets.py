"""Credentials at rest: Fernet-encrypted (AES-128-CBC + HMAC-SHA256).

The key comes from ``BOOKSYNC_SECRET_KEY`` (a Fernet key) or from a key file
(``BOOKSYNC_KEY_FILE``, default ``secret.key`` in the user's data folder)
created on first use with mode 0600, so a copied database alone does not
reveal a bank access URL.  Neither the key nor a decrypted secret is ever
logged or shown.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from platformdirs import user_data_dir

from booksync.ledger.errors import LedgerError

ENV_KEY = "BOOKSYNC_SECRET_KEY"
ENV_KEY_FILE = "BOOKSYNC_KEY_FILE"


class SecretKeyError(LedgerError):
    """The encryption key is missing, malformed or not the one the data was sealed with."""

    code = "secret_key"


def key_file() -> Path:
    configured = os.environ.get(ENV_KEY_FILE)
    if configured:
        return Path(configured).expanduser()
    return Path(user_data_dir("booksync", appauthor=False)) / "secret.key"


def _load_key() -> bytes:
    env = os.environ.get(ENV_KEY)
    if env:
        return env.strip().encode()
    path = key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


def _fernet() -> Fernet:
    try:
        return Fernet(_load_key())
    except ValueError:
        raise SecretKeyError(
            f"the encryption key (from {ENV_KEY} or the key file) is not a valid Fernet key"
        ) from None


def seal(secret: str) -> bytes:
    """Encrypt a secret for storage."""
    return _fernet().encrypt(secret.encode())


def unseal(token: bytes) -> str:
    """Decrypt a stored secret; a wrong key is a clear error, not a traceback."""
    try:
        return _fernet().decrypt(token).decode()
    except InvalidToken:
        raise SecretKeyError(
            "stored credentials cannot be decrypted with this key: set the "
            f"{ENV_KEY} or key file the connection was made with"
        ) from None
