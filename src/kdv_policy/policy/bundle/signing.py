"""Ed25519 signatures of bundles, with the ``cryptography`` library (imported when first used).

A bundle is signed over ``SIGNED_PREFIX`` + the SHA-256 of its content (container.py), so a
signature covers every byte but the signature itself. Keys are PEM files: a private key
(PKCS #8, unencrypted, as ``openssl genpkey -algorithm ed25519`` writes it) to sign, its public
key (SubjectPublicKeyInfo, ``openssl pkey -in key.pem -pubout``) to verify.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kdv_policy.errors import BundleError
from kdv_policy.policy.bundle.container import SIGNED_PREFIX, Container

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MAX_KEY_BYTES = 16_384
"""A PEM key file is read only up to this size."""


def _key_bytes(key: str | os.PathLike[str] | bytes, what: str) -> tuple[bytes, str]:
    if isinstance(key, bytes):
        return key, "the key given"
    from kdv_policy.files import display_path, read_bytes

    shown = display_path(Path(key))
    return read_bytes(Path(key), shown, limit=MAX_KEY_BYTES, limit_name="MAX_KEY_BYTES", what=what,
                      advice=None), f"`{shown}`"


def private_key(key: str | os.PathLike[str] | bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key of a PEM file (or its bytes)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data, shown = _key_bytes(key, "private key")
    try:
        loaded = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise BundleError(f"{shown} is no unencrypted PEM private key: {err}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise BundleError(f"{shown} is no Ed25519 key; make one with `python -m kdv_policy keygen`")
    return loaded


def public_key(key: str | os.PathLike[str] | bytes) -> Ed25519PublicKey:
    """The Ed25519 public key of a PEM file (or its bytes)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data, shown = _key_bytes(key, "public key")
    try:
        loaded = load_pem_public_key(data)
    except (ValueError, TypeError) as err:
        raise BundleError(f"{shown} is no PEM public key: {err}") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise BundleError(f"{shown} is no Ed25519 public key")
    return loaded


def verify(container: Container, key: str | os.PathLike[str] | bytes) -> None:
    """Refuse a bundle that ``key`` did not sign (an unsigned one too)."""
    from cryptography.exceptions import InvalidSignature

    public = public_key(key)
    if container.signature is None:
        raise BundleError(f"`{container.shown}` is not signed, and a signed bundle is required "
                          "(build it with `--sign KEYFILE`)")
    try:
        public.verify(container.signature, SIGNED_PREFIX + container.digest)
    except InvalidSignature:
        raise BundleError(f"`{container.shown}` is not signed by the key it must be signed with") from None


def keygen(path: Path) -> Path:
    """Write a new Ed25519 private key to ``path`` (mode 0600) and its public key beside it
    (``NAME.pub.pem``); returns the public key's path. Refuses to overwrite a file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kdv_policy.files import display_path

    public_path = path.with_name(path.name.removesuffix(".pem") + ".pub.pem")
    for target in (path, public_path):
        if os.path.lexists(target):
            raise BundleError(f"`{display_path(target)}` exists already; keygen never overwrites a key")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(private)
        fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(public)
    except OSError as err:
        raise BundleError(f"cannot write the key `{display_path(path)}`: {err.strerror or err}") from None
    return public_path
