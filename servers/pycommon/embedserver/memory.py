"""Giving the memory of a large model call back to the system.

glibc keeps what a process freed in its heaps for reuse, so after one request of long texts a server
kept its peak (measured: 2.1 to 4.3 GB) for the rest of its life. malloc_trim(0) returns the free
pages of every heap. Where the C library is not glibc (musl, macOS) there is nothing to call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()

# Text per model call above which the call's activations run to tens of MB (64 texts of 256 tokens
# are ~80 KB of text and 200 MB of attention scores). Smaller calls leave little to return, and a
# trim after every one of them would add its cost to every benchmark request.
LARGE_CALL_CHARS = 64 * 1024


def is_large_call(texts: list[str]) -> bool:
    return sum(map(len, texts)) >= LARGE_CALL_CHARS


def release_after(texts: list[str]) -> None:
    """Returns freed memory to the system after a call on `texts`, when that call was a large one."""
    if _TRIM is not None and is_large_call(texts):
        _TRIM(0)
