#!/usr/bin/env python3
"""Checks an MCP server with the official MCP Python SDK (`mcp` 2.x) as its client.

Connects over stdio (the server command after `--`) or Streamable HTTP (`--http URL`,
with `--header 'Authorization: Bearer TOKEN'`), initializes, lists the tools (all
pages), and checks that:
  - every inputSchema and outputSchema is a JSON object schema ("type": "object")
    that is valid against its JSON Schema metaschema (2020-12 unless `$schema` says);
  - each `--call TOOL JSON` has arguments valid against the tool's inputSchema, does
    not fail, is not `isError`, and has a structuredContent valid against the tool's
    outputSchema (the SDK checks this too and raises; both count as an error);
  - a call to a tool that does not exist gives an error;
  - the server's stdout carries nothing but JSON-RPC (a stray line reaches the SDK as
    a transport error).
It counts o200k tokens of the tool list and of each result's text (tokens.py), and
prints one JSON report: {"ok", "errors": [...], "server_info", "tools": {"count",
"names", "bytes", "tokens"}, "calls": [...]}. Exit status 0 when no error, 1 when
errors were found, 2 when it could not run.

Used by tests/mcp_probe.rs and tests/http/main.rs; `scripts/setup.sh --test`
installs what it needs into .venv.

  .venv/bin/python tests/py/mcp_probe.py --call status '{}' -- target/debug/supervisord-mcp -s unix:///run/s.sock mcp
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokens  # noqa: E402

NO_SUCH_TOOL = "__mcp_probe_no_such_tool__"


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def schema_problems(schema) -> tuple[list[str], object | None]:
    """What is wrong with a tool's schema, and a validator for it when it is valid."""
    import jsonschema
    from jsonschema.validators import validator_for

    if not isinstance(schema, dict):
        return ["is not a JSON object"], None
    problems = []
    if schema.get("type") != "object":
        problems.append(f'top-level "type" must be "object", not {schema.get("type")!r}')
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        return problems + [f"is not a valid JSON Schema at {where}: {e.message}"], None
    return problems, cls(schema)


def dump(model) -> dict:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def first_lines(exc: BaseException) -> str:
    while getattr(exc, "exceptions", None):  # anyio's exception groups
        exc = exc.exceptions[0]
    text = " | ".join(line.strip() for line in str(exc).splitlines()[:3] if line.strip())
    return f"{type(exc).__name__}: {text or '(no message: did the server exit?)'}"


def transport(a, server_stderr):
    if a.http:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        headers = {}
        for h in a.header:
            name, _, value = h.partition(":")
            headers[name.strip()] = value.strip()
        client = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(a.timeout))
        return streamable_http_client(a.http, http_client=client)
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=a.command[0], args=a.command[1:])
    return stdio_client(params, errlog=server_stderr)


async def list_tools(session) -> list[dict]:
    from mcp import types

    tools, cursor = [], None
    for _ in range(100):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = dump(await session.list_tools(params=params))
        tools.extend(page.get("tools", []))
        cursor = page.get("nextCursor")
        if not cursor:
            break
    return tools


def check_tools(tools: list[dict], errors: list[str]) -> dict:
    """Checks each tool's name and schemas; returns {name: (input, output validator)}."""
    validators, seen = {}, set()
    for tool in tools:
        name = tool.get("name") or "(unnamed)"
        if name in seen:
            errors.append(f"tool {name}: listed twice")
        seen.add(name)
        if not tool.get("description"):
            errors.append(f"tool {name}: no description")
        found = []
        for key in ("inputSchema", "outputSchema"):
            if key not in tool:
                if key == "inputSchema":
                    errors.append(f"tool {name}: no inputSchema")
                found.append(None)
                continue
            problems, validator = schema_problems(tool[key])
            errors.extend(f"tool {name}: {key} {p}" for p in problems)
            found.append(validator)
        validators[name] = (found[0], found[1], "outputSchema" in tool)
    return validators


async def call(session, name: str, args: dict, validators: dict) -> dict:
    c = {"tool": name, "arguments": args, "errors": []}
    iv, ov, has_output = validators.get(name, (None, None, False))
    if name not in validators:
        c["errors"].append("not in tools/list")
    elif iv is not None:
        c["errors"].extend(f"arguments do not match inputSchema: {e.message}" for e in iv.iter_errors(args))
    try:
        result = dump(await session.call_tool(name, args))
    except Exception as e:  # a JSON-RPC error, or the SDK's own check of structuredContent
        c["errors"].append(f"call failed: {first_lines(e)}")
        c["output_schema_valid"] = False
        return c
    c["is_error"] = bool(result.get("isError"))
    text = "".join(b.get("text", "") for b in result.get("content", []) if b.get("type") == "text")
    c["text_tokens"] = tokens.count(text)
    if c["is_error"]:
        c["errors"].append(f"isError: {text[:300]}")
    structured = result.get("structuredContent")
    if has_output and not c["is_error"]:
        if structured is None:
            c["errors"].append("the tool has an outputSchema but the result has no structuredContent")
        elif ov is not None:
            bad = list(ov.iter_errors(structured))
            c["errors"].extend(
                f"structuredContent violates outputSchema at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in bad[:5]
            )
        c["output_schema_valid"] = structured is not None and ov is not None and not list(ov.iter_errors(structured))
    return c


async def probe(a, report: dict, server_stderr) -> None:
    from mcp import ClientSession

    errors = report["errors"]
    stray: list[str] = []

    async def on_message(message) -> None:
        if isinstance(message, Exception):  # a line on stdout that is not JSON-RPC
            stray.append(first_lines(message)[:200])

    async with transport(a, server_stderr) as streams:
        async with ClientSession(streams[0], streams[1], read_timeout_seconds=a.timeout,
                                 message_handler=on_message) as session:
            init = dump(await session.initialize())
            report["protocol_version"] = init.get("protocolVersion")
            report["server_info"] = init.get("serverInfo")
            tools = await list_tools(session)
            listing = compact({"tools": tools})
            report["tools"] = {"count": len(tools), "names": [t.get("name") for t in tools],
                               "bytes": len(listing.encode()), "tokens": tokens.count(listing)}
            validators = check_tools(tools, errors)
            calls = []
            for name, raw in a.call:
                c = await call(session, name, json.loads(raw), validators)
                errors.extend(f"call {name} {raw}: {e}" for e in c["errors"])
                calls.append(c)
            report["calls"] = calls
            try:
                r = dump(await session.call_tool(NO_SUCH_TOOL, {}))
                if not r.get("isError"):
                    errors.append("a call to a tool that does not exist did not fail")
            except Exception:
                pass  # a JSON-RPC error: as it should be
            await asyncio.sleep(0.1)  # let the SDK deliver what is still on its way
    errors.extend(f"stdout carried a line that is not JSON-RPC ({s})" for s in stray)


def main() -> int:
    argv, command = sys.argv[1:], []
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--http", metavar="URL", help="a Streamable HTTP endpoint instead of a stdio command")
    ap.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="HTTP header (repeatable)")
    ap.add_argument("--call", nargs=2, action="append", default=[], metavar=("TOOL", "JSON"), help="call a tool (repeatable)")
    ap.add_argument("--timeout", type=float, default=30.0, help="per request, seconds (default 30)")
    ap.add_argument("--server-stderr", metavar="FILE", help="stdio: the server's stderr goes here (default: ours)")
    ap.add_argument("--out", metavar="FILE", help="also write the report here")
    a = ap.parse_args(argv)
    a.command = command
    if bool(a.http) == bool(command):
        ap.error("give one of: --http URL, or -- SERVER COMMAND...")
    for _, raw in a.call:
        try:
            json.loads(raw)
        except ValueError as e:
            ap.error(f"--call arguments are not JSON: {raw}: {e}")
    report = {"ok": False, "errors": []}
    status = 0
    server_stderr = open(a.server_stderr, "w") if a.server_stderr else sys.stderr
    try:
        asyncio.run(probe(a, report, server_stderr))
    except BaseException as e:  # noqa: BLE001: every failure goes into the report
        report["errors"].append(f"session failed: {first_lines(e)}")
        status = 2 if "server_info" not in report else 1
    report["ok"] = not report["errors"]
    if status == 0 and not report["ok"]:
        status = 1
    text = json.dumps(report, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
