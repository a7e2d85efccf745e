"""The bundle file: named sections of JSON, compressed, checksummed and optionally signed.

Layout (every integer big-endian)::

    offset  size  what
    0       8     MAGIC  b"KDVB\\x00\\r\\n\\x1a"
    8       4     format version (FORMAT_VERSION)
    12      4     H: bytes of the header
    16      H     header: JSON ``{"sections": [[name, stored bytes, raw bytes], ...]}``
    16+H    ...   the sections, back to back, each zlib-compressed UTF-8 JSON
    C       32    SHA-256 of bytes 0..C (the content)
    C+32    2     S: bytes of the signature (0: unsigned, 64: Ed25519)
    C+34    S     Ed25519 signature of SIGNED_PREFIX + the SHA-256 above
    C+34+S  4     END  b"KDVE"

where ``C = 16 + H + the sum of the stored sizes``; the file is exactly ``C + 38 + S`` bytes.
Reading checks the size before reading, then the magic, the version, the header's shape, the
checksum and the signature, before any section is decoded. A section is decompressed only
when it is first read, to at most the raw size its header names, and decoded by the standard
library's JSON decoder: nothing in a bundle is ever run. A section's nesting is bounded
(``Limits.max_nesting``) before it is decoded, and its shape is checked by the reader of the
contents (:mod:`kdv_policy.policy.bundle.contents`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kdv_policy.errors import BundleError
from kdv_policy.limits import Limits

MAGIC = b"KDVB\x00\r\n\x1a"
END = b"KDVE"
FORMAT_VERSION = 1
SIGNED_PREFIX = b"kdv_policy bundle signature 1\0"
SIGNATURE_BYTES = 64
_FIXED = 16
_TRAILER = 32 + 2 + 4
_NAME = re.compile(r"[a-z][a-z0-9_./:-]{0,199}\Z")
_STRINGS = re.compile(rb'"[^"]*"')
_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')


def encode_section(value: object) -> bytes:
    """A JSON value as the bytes of a section (compact UTF-8 JSON)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def write(sections: Mapping[str, bytes], sign: Any = None, level: int = 6) -> bytes:
    """The bytes of a bundle of ``sections`` (name → raw JSON bytes), signed with the Ed25519
    private key ``sign`` when given (see :mod:`kdv_policy.policy.bundle.signing`)."""
    stored = {name: zlib.compress(raw, level) for name, raw in sections.items()}
    listed = [[name, len(stored[name]), len(raw)] for name, raw in sections.items()]
    header = encode_section({"sections": listed})
    content = b"".join([MAGIC, FORMAT_VERSION.to_bytes(4, "big"), len(header).to_bytes(4, "big"), header,
                        *stored.values()])
    digest = hashlib.sha256(content).digest()
    signature = b"" if sign is None else sign.sign(SIGNED_PREFIX + digest)
    return b"".join([content, digest, len(signature).to_bytes(2, "big"), signature, END])


class Container:
    """A bundle read and verified: its checksum, its signature (if any) and its sections, each
    decoded on first read."""

    def __init__(self, data: bytes, limits: Limits, shown: str) -> None:
        self.shown = shown
        self._limits = limits
        if len(data) < _FIXED + _TRAILER or data[:8] != MAGIC:
            raise BundleError(f"`{shown}` is not a policy bundle: it does not begin as one "
                              "(build one with `python -m kdv_policy build`)")
        version = int.from_bytes(data[8:12], "big")
        if version != FORMAT_VERSION:
            raise BundleError(f"`{shown}` is a bundle of format {version}, which this version of kdv_policy "
                              f"does not read (it reads format {FORMAT_VERSION}); build it again")
        header_size = int.from_bytes(data[12:16], "big")
        if header_size > len(data) - _FIXED - _TRAILER:
            raise _truncated(shown)
        entries = self._header(data[_FIXED:_FIXED + header_size])
        end = _FIXED + header_size + sum(size for _, size, _ in entries)
        if end + _TRAILER > len(data):
            raise _truncated(shown)
        digest = data[end:end + 32]
        signature_size = int.from_bytes(data[end + 32:end + 34], "big")
        if signature_size not in (0, SIGNATURE_BYTES) or len(data) != end + _TRAILER + signature_size \
                or data[-4:] != END:
            raise _truncated(shown)
        if hashlib.sha256(memoryview(data)[:end]).digest() != digest:
            raise BundleError(f"`{shown}` is corrupted: its checksum does not match its content")
        self.digest = digest
        self.signature = data[end + 34:end + 34 + signature_size] or None
        self._stored: dict[str, tuple[int, int, int]] = {}
        offset = _FIXED + header_size
        for name, size, raw in entries:
            self._stored[name] = (offset, size, raw)
            offset += size
        self._data = data
        self._decoded: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _header(self, raw: bytes) -> list[tuple[str, int, int]]:
        shown, limits = self.shown, self._limits
        try:
            header = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise BundleError(f"`{shown}` is corrupted: its header is no JSON") from None
        sections = header.get("sections") if isinstance(header, dict) else None
        if not isinstance(sections, list):
            raise BundleError(f"`{shown}` is corrupted: its header lists no sections")
        if len(sections) > limits.max_bundle_sections:
            raise BundleError(f"`{shown}` has {len(sections):,} sections, more than the limit "
                              f"`max_bundle_sections` of {limits.max_bundle_sections:,}")
        entries: list[tuple[str, int, int]] = []
        seen: set[str] = set()
        for entry in sections:
            if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
                    and _NAME.match(entry[0]) and all(type(n) is int and n >= 0 for n in entry[1:])):
                raise BundleError(f"`{shown}` is corrupted: its header lists a section it cannot read")
            name, size, raw_size = entry
            if name in seen:
                raise BundleError(f"`{shown}` is corrupted: it holds the section `{name}` twice")
            if raw_size > limits.max_bundle_section_bytes:
                raise BundleError(f"the section `{name}` of `{shown}` holds {raw_size:,} bytes, more than "
                                  "the "
                                  f"limit `max_bundle_section_bytes` of {limits.max_bundle_section_bytes:,}")
            seen.add(name)
            entries.append((name, size, raw_size))
        return entries

    def names(self) -> tuple[str, ...]:
        return tuple(self._stored)

    def __contains__(self, name: str) -> bool:
        return name in self._stored

    def section(self, name: str) -> Any:
        """The decoded JSON of a section (decoded once); a BundleError when it is missing or bad."""
        found = self._decoded.get(name, _MISSING)
        if found is not _MISSING:
            return found
        with self._lock:
            found = self._decoded.get(name, _MISSING)
            if found is _MISSING:
                found = self._decode(name)
                self._decoded[name] = found
        return found

    def release(self, name: str) -> None:
        """Forget a decoded section (its reader keeps what it built from it)."""
        self._decoded.pop(name, None)

    def _decode(self, name: str) -> Any:
        place = self._stored.get(name)
        if place is None:
            raise BundleError(f"`{self.shown}` lacks the section `{name}`: it is incomplete")
        offset, size, raw_size = place
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(self._data[offset:offset + size], raw_size + 1)
        except zlib.error:
            raise BundleError(f"the section `{name}` of `{self.shown}` is corrupted") from None
        if len(raw) != raw_size or not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
            raise BundleError(f"the section `{name}` of `{self.shown}` is corrupted: its size is not "
                              "the one its header names")
        depth = nesting(raw, self._limits.max_nesting)
        if depth > self._limits.max_nesting:
            raise BundleError(f"the section `{name}` of `{self.shown}` nests {depth} deep, more than the "
                              f"limit `max_nesting` of {self._limits.max_nesting}")
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise BundleError(f"the section `{name}` of `{self.shown}` is corrupted: it is no JSON") from None


_MISSING = object()


def nesting(raw: bytes, limit: int = 1 << 30) -> int:
    """How deep the arrays and objects of a JSON text nest (strings skipped), without decoding it:
    each pass drops the innermost pairs of brackets (counting stops past ``limit``)."""
    # escaped backslashes, then escaped quotes, go first: every quote left delimits a string
    quoted = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = _STRINGS.sub(b"", quoted)
    depth = 0
    while brackets and depth <= limit:
        brackets, dropped = _PAIR.subn(b"", brackets)
        if not dropped:  # unbalanced: the decoder refuses it
            break
        depth += 1
    return depth


def _truncated(shown: str) -> BundleError:
    return BundleError(f"`{shown}` is truncated or corrupted: its parts do not add up to its size")


def read(path: str | os.PathLike[str], limits: Limits) -> Container:
    """Read and verify a bundle file: a regular file of at most ``limits.max_bundle_bytes``."""
    from kdv_policy.files import display_path, read_bytes

    shown = display_path(Path(path))
    data = read_bytes(Path(path), shown, limit=limits.max_bundle_bytes, limit_name="max_bundle_bytes",
                      what="bundle", advice=None)
    return Container(data, limits, shown)
