#!/usr/bin/env python3
"""A tiny MCP stdio server (raw JSON-RPC, no SDK) with one tool, `echo`, that breaks
one rule on purpose, so tests/mcp_probe.rs can check that mcp_probe.py catches it.

  bad_server.py MODE    MODE: good | non-object-output | invalid-schema |
                              bad-structured | banner
"""
import json
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"
INPUT = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
OUTPUT = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
if MODE == "non-object-output":
    OUTPUT = {"type": "array", "items": {"type": "integer"}}
if MODE == "invalid-schema":
    INPUT = {"type": "object", "properties": {"text": {"type": "no-such-type"}}}


def send(msg: dict) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def answer(req: dict):
    method = req.get("method")
    if method == "initialize":
        return {"protocolVersion": req["params"]["protocolVersion"], "capabilities": {"tools": {}},
                "serverInfo": {"name": "bad_server", "version": "0"}}
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": [{"name": "echo", "description": "Echoes the text's length.",
                           "inputSchema": INPUT, "outputSchema": OUTPUT}]}
    if method == "tools/call" and req["params"].get("name") == "echo":
        n = len(req["params"].get("arguments", {}).get("text", ""))
        structured = {"n": "not a number"} if MODE == "bad-structured" else {"n": n}
        if MODE == "non-object-output":
            structured = [n]
        return {"content": [{"type": "text", "text": json.dumps(structured)}], "structuredContent": structured}
    return None


if MODE == "banner":
    print("bad_server 0 starting, listening on stdio")
    sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    if "id" not in req:
        continue
    result = answer(req)
    if result is None:
        send({"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32602, "message": "unknown tool"}})
    else:
        send({"jsonrpc": "2.0", "id": req["id"], "result": result})
