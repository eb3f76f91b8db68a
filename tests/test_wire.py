"""The wire (grader/child/wire.py): what crosses between the judge and the child, and what a forged
frame can and cannot do. Values round-trip with their types; anything that is not plain data arrives
as a description; a malformed frame is a WireError, never an object or a crash of the judge."""
from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest

from grader.child import wire
from grader.child.wire import ArraySubclass, FrameReader, Opaque, Tensor, WireError

HEAD = struct.Struct("!II")  # the documented frame layout, written here on purpose (not wire's own)


def round_trip(value):
    return wire.decode(wire.dumps({"value": value}))["value"]


def forged(header: object, payload: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return HEAD.pack(len(head), len(payload)) + head + payload


def test_plain_values_keep_their_types():
    value = {"list": [1, 2.5, "s", None, True], "tuple": (1, (2, 3)), "nested": {"k": [()]}}
    back = round_trip(value)
    assert back == value
    assert isinstance(back["tuple"], tuple) and isinstance(back["tuple"][1], tuple)
    assert isinstance(back["list"], list) and back["list"][4] is True


@pytest.mark.parametrize("dtype", ["f4", "f8", "i4", "i8", "u1", "?", "c16"])
def test_arrays_keep_dtype_shape_and_values(dtype):
    arr = (np.arange(12) % 3).astype(dtype).reshape(3, 4)[:, ::2]  # not contiguous: sent as a copy
    back = round_trip(arr)
    assert type(back) is np.ndarray and back.dtype == arr.dtype and back.shape == (3, 2)
    assert np.array_equal(back, arr) and back.flags.writeable


def test_numpy_scalars_stay_numpy_scalars_of_their_dtype():
    back = round_trip([np.float32(1.5), np.int64(-3), np.bool_(True)])
    assert [type(v) for v in back] == [np.float32, np.int64, np.bool_]
    assert back[0] == 1.5 and back[1] == -3


def test_non_finite_floats_and_huge_ints_cross_as_floats():
    back = round_trip([float("nan"), float("inf"), -float("inf"), 10**400, -(10**30), 2**62])
    assert np.isnan(back[0]) and back[1:5] == [float("inf"), -float("inf"), float("inf"), -1e30]
    assert back[5] == 2**62 and type(back[5]) is int


def test_tensors_arrive_as_their_values_dtype_and_grad_flag():
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_()
    back = round_trip(t)
    assert isinstance(back, Tensor) and back.torch_dtype == "float32" and back.requires_grad
    assert back.shape == (2, 3) and np.array_equal(back.array, t.detach().numpy())
    half = round_trip(torch.ones(2, dtype=torch.bfloat16))
    assert half.torch_dtype == "bfloat16" and half.array.dtype == np.float32


def test_subclasses_and_objects_arrive_as_descriptions():
    sub = round_trip(np.ma.masked_array([1.0, 2.0], mask=[False, True]))
    assert isinstance(sub, ArraySubclass) and sub.type_name == "MaskedArray"
    assert type(sub.array) is np.ndarray and sub.array.tolist() == [1.0, 2.0]  # the data, not the mask

    class Thing:
        def __repr__(self) -> str:
            return "x" * 1000

    thing = round_trip(Thing())
    assert isinstance(thing, Opaque) and thing.type_name == "Thing" and len(thing.text) == wire.MAX_REPR

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert "repr failed" in round_trip(Broken()).text
    assert isinstance(round_trip({1: "int key"}), Opaque)  # only str keys make a dict
    assert isinstance(round_trip(np.array([1, "a"], dtype=object)), Opaque)  # no object dtype ever


def test_nesting_beyond_the_limit_becomes_a_description():
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    back, levels = round_trip(deep), 0
    while isinstance(back, list):
        back, levels = back[0], levels + 1
    assert isinstance(back, Opaque) and back.type_name == "nested too deep"
    assert levels == wire.MAX_DEPTH  # the message dict is depth 0, its lists depths 1..MAX_DEPTH


@pytest.mark.parametrize("header, payload, words", [
    ({"__array__": [0, 8], "dtype": "|O", "shape": [1]}, b"\0" * 8, "not allowed"),
    ({"__array__": [4, 8], "dtype": "<f8", "shape": [1]}, b"\0" * 8, "outside the payload"),
    ({"__array__": [0, 8], "dtype": "<f8", "shape": [2]}, b"\0" * 8, "does not match its shape"),
    ({"__array__": [0, 8], "dtype": "<f8", "shape": [-1]}, b"\0" * 8, "outside the payload"),
    ({"__float__": "1e999"}, b"", "bad float"),
    ({"__pickle__": "gASV"}, b"", "unknown node"),
    ({"__array__": "zero", "dtype": "<f8"}, b"", "malformed frame"),
])
def test_forged_frames_are_protocol_errors(header, payload, words):
    with pytest.raises(WireError, match=words):
        wire.decode(forged(header, payload))


def test_headers_are_bounded_before_they_are_parsed():
    with pytest.raises(WireError, match="not JSON"):
        wire.loads(b"{not json", b"")
    with pytest.raises(WireError, match="return arrays, not lists"):
        wire.loads(b"[" + b"[]," * (wire.MAX_NODES + 1) + b"[]]", b"")
    with pytest.raises(WireError, match="limit"):
        wire.loads(b" " * (wire.MAX_HEADER + 1), b"")


def test_lone_surrogates_become_replacement_characters():
    back = wire.loads(b'{"__dict__": {"\\ud800k": "a\\udfffb"}}', b"")
    assert back == {"\ufffdk": "a\ufffdb"}
    json.dumps(back).encode("utf-8")  # writable anywhere


def test_decode_refuses_frames_whose_length_disagrees_with_their_header():
    frame = wire.dumps({"value": np.zeros(3)})
    with pytest.raises(WireError):
        wire.decode(frame[:-1])
    with pytest.raises(WireError):
        wire.decode(frame + b"\0")
    with pytest.raises(WireError):
        wire.decode(frame[:5])


def test_the_frame_reader_yields_each_frame_once_complete():
    frames = wire.dumps({"n": 1, "a": np.arange(3.0)}) + wire.dumps({"n": 2})
    reader = FrameReader()
    got = []
    for i in range(len(frames)):  # one byte at a time, as a slow pipe would deliver them
        reader.feed(frames[i:i + 1])
        message = reader.frame()
        if message is not None:
            got.append(message)
    assert [m["n"] for m in got] == [1, 2] and got[0]["a"].tolist() == [0.0, 1.0, 2.0]
    assert reader.frame() is None


def test_the_frame_reader_refuses_a_huge_header_before_it_arrives():
    reader = FrameReader()
    with pytest.raises(WireError, match="header too large"):
        reader.feed(HEAD.pack(wire.MAX_HEADER + 1, 0))
    reader = FrameReader()
    reader.feed(HEAD.pack(16, wire.MAX_FRAME))
    with pytest.raises(WireError, match="too large"):
        reader.frame()


def test_blocking_reads_end_cleanly_or_say_the_stream_broke():
    stream = io.BytesIO()
    wire.write(stream, {"x": (1, 2)})
    stream.seek(0)
    assert wire.read(stream) == {"x": (1, 2)}
    assert wire.read(stream) is None  # closed between frames: the end, not an error
    with pytest.raises(WireError, match="mid-frame"):
        wire.read(io.BytesIO(wire.dumps({"x": 1})[:-2]))
