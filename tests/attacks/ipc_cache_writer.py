"""A correct mlp.py that also leaves every answer it computes where another student's child could
pick it up: System V shared memory, a message queue and a semaphore, a POSIX message queue, the
user keyring, an abstract unix socket served by a daemon, files in /dev/shm and /tmp. Reports
which channels the sandbox let it use (the test checks none carried anything to the reader)."""
import ctypes
import json
import os
import platform
import socket
import threading
import time

import numpy as np

MARKER = "__MARKER__"
KEY = int.from_bytes(MARKER.encode()[-4:], "little") & 0x7FFFFFFF
SIZE = 1 << 16
IPC_CREAT = 0o1000
libc = ctypes.CDLL(None, use_errno=True)
TABLE = {}


def memo_key(*arrays):
    import hashlib

    digest = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        digest.update(str((a.dtype.str, a.shape)).encode() + np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()[:16]


def _report(channel, ok):
    print(f"{channel}: {'stored' if ok else 'refused (' + os.strerror(ctypes.get_errno() or 1) + ')'}")


def _publish():
    blob = json.dumps(TABLE).encode()[: SIZE - 1]
    shm = libc.shmget(KEY, SIZE, IPC_CREAT | 0o666)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        addr = libc.shmat(shm, None, 0)
        if addr not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(addr, blob + b"\0", len(blob) + 1)
    _report("shm", shm >= 0)
    _report("msg", libc.msgget(KEY, IPC_CREAT | 0o666) >= 0)
    _report("sem", libc.semget(KEY, 1, IPC_CREAT | 0o666) >= 0)
    _report("mqueue", libc.mq_open(f"/{MARKER}".encode(), os.O_CREAT | os.O_RDWR, 0o666, None) >= 0)
    if platform.machine() == "x86_64":
        libc.syscall.restype = ctypes.c_long
        key = libc.syscall(248, b"user", MARKER.encode(), blob[:4000], len(blob[:4000]), -4)  # add_key
        _report("keyring", key >= 0)
    for folder in ("/dev/shm", "/tmp"):
        try:
            with open(f"{folder}/{MARKER}-cache", "wb") as f:
                f.write(blob)
            os.chmod(f"{folder}/{MARKER}-cache", 0o666)
            print(f"{folder}: stored")
        except OSError as exc:
            print(f"{folder}: refused ({exc.strerror})")


def _serve():
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\0" + MARKER)
        server.listen(8)
    except OSError as exc:
        print(f"abstract socket: refused ({exc.strerror})")
        return
    print("abstract socket: serving")
    server.settimeout(0.2)
    stop = time.time() + 30
    while time.time() < stop:
        try:
            conn, _ = server.accept()
        except OSError:
            continue
        with conn:
            conn.sendall(json.dumps(TABLE).encode())


threading.Thread(target=_serve, daemon=True).start()


def two_layer_forward(X, W, c, w, b):
    out = np.maximum(X @ W + c, 0.0) @ w + b
    TABLE[memo_key(X, W, c, w, np.asarray(b))] = out.tolist()
    _publish()
    return out


def xor_params():
    return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([1.0, -2.0]), 0.0


def mlp_forward(X, weights, biases, activation="relu"):
    act = {"relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z)),
           "tanh": np.tanh, "identity": lambda z: z}[activation]
    h = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W + b
        if i < len(weights) - 1:
            h = act(h)
    return h


def collapse_linear(weights, biases):
    W = weights[0]
    B = biases[0]
    for Wi, bi in zip(weights[1:], biases[1:]):
        W, B = W @ Wi, B @ Wi + bi
    return W, B
