"""What the benchmark scripts share: a raw XML-RPC POST over supervisord's unix
socket (the floor our own calls are compared with), and the text of an MCP tool
result."""

from __future__ import annotations

import socket
from pathlib import Path


def post(sock: str | Path, body: bytes | str, timeout: float | None = None) -> bytes:
    """One XML-RPC POST over the daemon's unix socket (`Connection: close`); the
    whole reply, headers included."""
    data = body.encode() if isinstance(body, str) else body
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        s.sendall(
            b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nConnection: close\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        chunks = []
        while chunk := s.recv(1 << 16):
            chunks.append(chunk)
    return b"".join(chunks)


def tool_text(result: dict) -> str:
    """The text blocks of an MCP `tools/call` result, joined."""
    return "".join(c.get("text", "") for c in result.get("content", []))
