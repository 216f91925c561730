"""Ports for the demo, and whether a listener on one is really the demo's own.

The demo shares a machine with other servers (often another Home Assistant on 8123) and with
other demos. It claims a port with a lock that lasts as long as the demo (two demos never pick
the same one), checks nothing listens there, and later asks the kernel which process owns the
listening socket (/proc), so that it never sends a request to a server it did not start.
"""

import contextlib
import errno
import fcntl
import os
from pathlib import Path
import socket
import tempfile
from typing import IO

HOST = "127.0.0.1"
# How far past a taken default port the demo looks for a free one.
SEARCH = 50
LOCKS = Path(tempfile.gettempdir()) / "homevolt-demo-ports"


class PortError(Exception):
    """No port could be used; the message names it and says why."""


def listening(port: int) -> bool:
    """Whether something already listens on (or holds) HOST:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves bind (a closed connection's TIME_WAIT does not count).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


class Claim:
    """A port this demo holds: a lock on it for as long as the demo runs."""

    def __init__(self, port: int, lock: IO[bytes]) -> None:
        self.port = port
        self._lock = lock

    def release(self) -> None:
        self._lock.close()


def _lock(port: int) -> IO[bytes] | None:
    LOCKS.mkdir(parents=True, exist_ok=True)
    handle = (LOCKS / f"{port}.lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _try(port: int) -> tuple[Claim | None, str]:
    """The port claimed, or why not."""
    lock = _lock(port)
    if lock is None:
        return None, "another demo uses it"
    if listening(port):
        lock.close()
        return None, "another program listens there"
    return Claim(port, lock), ""


def claim(port: int, *, what: str, option: str, explicit: bool) -> tuple[Claim, str | None]:
    """Claim `port`, or with a default port the next free one; a note when it moved.

    An explicitly chosen port that is taken is an error naming it: the user asked for it.
    """
    got, reason = _try(port)
    if got is not None:
        return got, None
    if explicit:
        raise PortError(
            f"{HOST}:{port} ({option}) is taken: {reason}. Stop that, or choose another port "
            f"with {option}."
        )
    last = min(port + SEARCH, 65535)
    for candidate in range(port + 1, last + 1):
        got, _ = _try(candidate)
        if got is not None:
            return got, (
                f"{HOST}:{port} is taken ({reason}), so {what} uses {HOST}:{candidate} "
                f"instead (choose with {option})"
            )
    raise PortError(f"{HOST}:{port} to {HOST}:{last} are all taken; choose a port with {option}.")


def _listening_inodes(port: int) -> set[str]:
    """The socket inodes listening on `port` (any address), from the kernel's tables."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as lines:
            next(lines, None)
            for line in lines:
                fields = line.split()
                # local address is ADDR:PORT in hex; state 0A is LISTEN.
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    fds = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(OSError):
        for fd in fds.iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def owner(port: int, pid: int) -> str:
    """Who listens on `port`: "ours" (process `pid`), "other", or "none"."""
    inodes = _listening_inodes(port)
    if not inodes:
        return "none"
    return "ours" if inodes & _socket_inodes(pid) else "other"
