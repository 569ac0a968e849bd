"""Whether a listening socket still listens: looked at from outside the event loop.

uvloop (the loop ``gate serve`` runs on) closes a listening socket after any error accepting
a connection other than running out of files, and tells nobody. Every listener of the gate
(HTTP and the scanner socket: ``gate.web.listeners``; a text-TCP reader's:
``gate.ingest.readers.text``) is therefore looked at from outside: ``Listening.of`` takes a
socket's descriptor, inode and address when it starts, and ``alive`` says whether that same
socket is still open, listening (``SO_ACCEPTCONN``) and bound there. The inode tells the
socket from another one that was given the same descriptor number after it was closed.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Listening:
    """One listening socket as it was when it started."""

    fd: int
    inode: tuple[int, int]  # (st_dev, st_ino)
    address: Any  # its getsockname()

    @classmethod
    def of(cls, sock: Any) -> Listening:
        """``sock``: asyncio's ``TransportSocket``, uvloop's ``PseudoSocket`` or a socket."""
        fd = sock.fileno()
        stat = os.fstat(fd)
        return cls(fd, (stat.st_dev, stat.st_ino), sock.getsockname())

    def alive(self) -> bool:
        """Whether the same socket is still open, listening, at its address. Looks without
        taking the descriptor: the loop owns it."""
        try:
            stat = os.fstat(self.fd)
        except OSError:  # closed
            return False
        if (stat.st_dev, stat.st_ino) != self.inode:  # the number given to another file
            return False
        try:
            sock = socket.socket(fileno=self.fd)
        except OSError:
            return False
        try:
            accepting = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            return bool(accepting) and sock.getsockname() == self.address
        except OSError:
            return False
        finally:
            sock.detach()


def show(address: Any) -> str:
    """``host:port`` (``[host]:port`` for IPv6) of a ``getsockname`` value."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)
