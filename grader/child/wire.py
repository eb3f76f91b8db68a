"""The only format that crosses between the judge and the child: JSON plus raw array bytes.

A frame is ``!II`` (header length, payload length), a UTF-8 JSON header, then the payload
holding every array's bytes back to back. Arrays appear in the header as
``{"__array__": [offset, nbytes], "dtype": "<f8", "shape": [...], "kind": ...}``.
Nothing is ever unpickled: decoding builds arrays with ``numpy.frombuffer`` from an
allowlisted dtype, so a hostile child can send wrong numbers but never objects.

This module is imported by the child too, so it depends on numpy and the standard library only.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

_HEAD = struct.Struct("!II")
MAX_FRAME = 512 * 1024 * 1024
# The JSON part holds structure, not data (arrays travel as raw bytes): bounded before parsing, so a
# forged header of millions of nested empty lists cannot make the judge build millions of objects.
MAX_HEADER = 32 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 32
INT_LIMIT = 2**63  # larger ints cross as floats (inf beyond float range): nothing downstream chokes on 10**400
MAX_REPR = 200
# Only plain numeric dtypes cross: an object dtype would let the child hand us references.
ALLOWED_DTYPES = frozenset(
    np.dtype(t).str
    for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
)


class WireError(Exception):
    """A frame that does not follow the protocol (truncated, oversized, bad dtype...)."""


@dataclass(frozen=True)
class Tensor:
    """A torch.Tensor as it arrives in the judge: its values, dtype name and grad flag."""

    array: np.ndarray
    torch_dtype: str
    requires_grad: bool

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape


@dataclass(frozen=True)
class Opaque:
    """Any other object the student returned: only its type name and a short repr cross."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name} object: {self.text}>"


@dataclass(frozen=True)
class ArraySubclass:
    """An ndarray subclass (np.matrix, a masked array...): data crosses, the type is kept for a message."""

    array: np.ndarray
    type_name: str


# --------------------------------------------------------------------------- encoding

def _encode(value: Any, blobs: list[bytes], offset: list[int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return {"__opaque__": "nested too deep", "repr": ""}
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value if -INT_LIMIT < value < INT_LIMIT else _encode_float(_big_float(value))
    if type(value) is float:
        return _encode_float(value)
    if isinstance(value, np.ndarray):
        return _encode_array(value, blobs, offset, "ndarray" if type(value) is np.ndarray else "subclass")
    if isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.str not in ALLOWED_DTYPES:
            return _opaque(value)
        return {"__scalar__": _encode_array(arr.reshape(1), blobs, offset, "ndarray")}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, blobs, offset, depth + 1) for v in value]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            return {"__dict__": {k: _encode(v, blobs, offset, depth + 1) for k, v in value.items()}}
        return _opaque(value)
    if isinstance(value, (int, float)):  # int/float subclasses (bool handled above): keep the number
        if isinstance(value, float):
            return _encode_float(float(value))
        number = int(value)
        return number if -INT_LIMIT < number < INT_LIMIT else _encode_float(_big_float(number))
    tensor = _maybe_tensor(value)
    if tensor is not None:
        arr, dtype_name, requires_grad = tensor
        enc = _encode_array(arr, blobs, offset, "tensor")
        enc["torch_dtype"] = dtype_name
        enc["requires_grad"] = requires_grad
        return enc
    return _opaque(value)


def _big_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {"__float__": repr(value)}  # 'nan', 'inf', '-inf': JSON has no spelling for them


def _encode_array(arr: np.ndarray, blobs: list[bytes], offset: list[int], kind: str) -> dict:
    # The base-class method, so a subclass cannot substitute other data for its own.
    base = np.ndarray.view(arr, np.ndarray) if kind == "subclass" else arr
    if base.dtype.str not in ALLOWED_DTYPES:
        return {"__opaque__": f"ndarray of dtype {base.dtype}", "repr": ""}
    data = np.ndarray.tobytes(np.ascontiguousarray(base))
    enc = {"__array__": [offset[0], len(data)], "dtype": base.dtype.str,
           "shape": list(base.shape), "kind": kind}
    if kind == "subclass":
        enc["type"] = type(arr).__name__
    blobs.append(data)
    offset[0] += len(data)
    return enc


def _maybe_tensor(value: Any):
    mod = type(value).__module__ or ""
    if not mod.startswith("torch"):
        return None
    import torch  # only reached when the value already is a torch object, so torch is loaded

    if not isinstance(value, torch.Tensor):
        return None
    t = value.detach().cpu()
    dtype_name = str(t.dtype).replace("torch.", "")
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.resolve_conj().resolve_neg().numpy().copy(), dtype_name, bool(value.requires_grad)


def _opaque(value: Any) -> dict:
    try:
        text = repr(value)
    except Exception as exc:  # a student's __repr__ may raise; the type name is enough then
        text = f"<repr failed: {type(exc).__name__}>"
    return {"__opaque__": type(value).__name__, "repr": text[:MAX_REPR]}


def dumps(message: dict) -> bytes:
    blobs: list[bytes] = []
    header = _encode(message, blobs, [0], 0)
    head = json.dumps(header, allow_nan=False).encode("utf-8")
    payload = b"".join(blobs)
    return _HEAD.pack(len(head), len(payload)) + head + payload


def write(stream: BinaryIO, message: dict) -> None:
    stream.write(dumps(message))
    stream.flush()


# --------------------------------------------------------------------------- decoding

def loads(head: bytes, payload: bytes) -> Any:
    if len(head) > MAX_HEADER:
        raise WireError(f"header of {len(head)} bytes (limit {MAX_HEADER})")
    # An upper bound on the nodes json would build, counted at C speed before it builds any.
    nodes = head.count(b"[") + head.count(b"{") + head.count(b",")
    if nodes > MAX_NODES:
        raise WireError(f"header with about {nodes} values (limit {MAX_NODES}); return arrays, not lists")
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"header is not JSON: {type(exc).__name__}") from None
    try:
        return _decode(header, payload, 0)
    except WireError:
        raise
    except Exception as exc:  # a forged node of the wrong shape: a protocol error, never the judge's
        raise WireError(f"malformed frame ({type(exc).__name__})") from None


def decode(frame: bytes) -> Any:
    """One whole frame as ``dumps`` made it (the judge's in-process round trips)."""
    if len(frame) < _HEAD.size:
        raise WireError("frame shorter than its header")
    hlen, plen = _HEAD.unpack_from(frame)
    end = _HEAD.size + hlen + plen
    if len(frame) != end:
        raise WireError("frame length does not match its header")
    return loads(frame[_HEAD.size:_HEAD.size + hlen], frame[_HEAD.size + hlen:end])


def _decode(node: Any, payload: bytes, depth: int) -> Any:
    if depth > MAX_DEPTH + 2:
        raise WireError("message nested too deep")
    if isinstance(node, str):
        return _valid_text(node)
    if isinstance(node, int) and not isinstance(node, bool) and not -INT_LIMIT < node < INT_LIMIT:
        return _big_float(node)  # a forged frame: our own encoder never sends these
    if node is None or isinstance(node, (bool, int, float)):
        return node
    if isinstance(node, list):
        return [_decode(v, payload, depth + 1) for v in node]
    if not isinstance(node, dict):
        raise WireError(f"unexpected JSON node {type(node).__name__}")
    if "__array__" in node:
        arr = _decode_array(node, payload)
        kind = node.get("kind")
        if kind == "tensor":
            return Tensor(arr, str(node.get("torch_dtype", "")), bool(node.get("requires_grad")))
        if kind == "subclass":
            return ArraySubclass(arr, str(node.get("type", "ndarray subclass")))
        return arr
    if "__scalar__" in node:
        return _decode_array(node["__scalar__"], payload)[0]
    if "__tuple__" in node:
        return tuple(_decode(v, payload, depth + 1) for v in node["__tuple__"])
    if "__dict__" in node:
        return {_valid_text(str(k)): _decode(v, payload, depth + 1) for k, v in node["__dict__"].items()}
    if "__float__" in node:
        text = node["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"bad float {text!r}")
        return float(text)
    if "__opaque__" in node:
        return Opaque(_valid_text(str(node["__opaque__"])), _valid_text(str(node.get("repr", ""))[:MAX_REPR]))
    raise WireError(f"unknown node keys {sorted(node)[:5]}")


def _valid_text(text: str) -> str:
    """Valid UTF-8 from here on: a lone surrogate ("\\ud800" in the JSON) becomes U+FFFD, so no
    report, results.json or terminal write can fail on a student's text."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def _decode_array(node: dict, payload: bytes) -> np.ndarray:
    dtype = node.get("dtype")
    if dtype not in ALLOWED_DTYPES:
        raise WireError(f"dtype {dtype!r} is not allowed")
    start, nbytes = node["__array__"]
    shape = tuple(int(s) for s in node.get("shape", ()))
    if any(s < 0 for s in shape) or not (0 <= start <= start + nbytes <= len(payload)):
        raise WireError("array bounds outside the payload")
    dt = np.dtype(dtype)
    if math.prod(shape) * dt.itemsize != nbytes:
        raise WireError("array size does not match its shape")
    return np.frombuffer(payload, dtype=dt, count=math.prod(shape), offset=start).reshape(shape).copy()


def read(stream: BinaryIO) -> Any:
    """Blocking read of one frame (the child's side; the judge reads with select)."""
    head = _read_exactly(stream, _HEAD.size)
    if head is None:
        return None
    hlen, plen = _HEAD.unpack(head)
    if hlen + plen > MAX_FRAME:
        raise WireError("frame too large")
    return loads(_read_exactly(stream, hlen) or b"", _read_exactly(stream, plen) or b"")


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0 and n > 0 and not chunks:
                return None
            raise WireError("stream closed mid-frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class FrameReader:
    """Incremental frame parser for the judge's non-blocking reads."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) > MAX_FRAME + _HEAD.size:
            raise WireError("frame too large")
        if len(self._buf) >= _HEAD.size and _HEAD.unpack_from(self._buf)[0] > MAX_HEADER:
            raise WireError("header too large")  # refused before the rest arrives

    def frame(self) -> Any | None:
        if len(self._buf) < _HEAD.size:
            return None
        hlen, plen = _HEAD.unpack_from(self._buf)
        if hlen + plen > MAX_FRAME:
            raise WireError("frame too large")
        end = _HEAD.size + hlen + plen
        if len(self._buf) < end:
            return None
        head = bytes(self._buf[_HEAD.size:_HEAD.size + hlen])
        payload = bytes(self._buf[_HEAD.size + hlen:end])
        del self._buf[:end]
        return loads(head, payload)
