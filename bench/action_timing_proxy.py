"""A recording proxy between Rasa and the action server: forwards each request unchanged and times it.

Usage (bench/load/compare.py starts it): .venvs/rasa/bin/python -m bench.action_timing_proxy --port P --target URL
Rasa's `action_endpoint` points at this proxy; every request is sent on to `--target` with the same
method, path, headers and body, and the answer (status, body, content type) comes back unchanged.
`GET /__timings__` returns the records gathered so far and clears them; one record per call:

* `action`: the `next_action` of the request body (empty for other requests, e.g. /health);
* `upstream_ms`: from sending the request to the action server to having read its whole answer;
* `overhead_ms`: the proxy's own time around that (reading the request, building the answer);
* `status`, `request_bytes`, `at` (Unix time the call arrived).

Runs in Rasa's environment (aiohttp); listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import re
import time

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

TIMINGS_PATH = "/__timings__"
ACTION_NAME = re.compile(rb'"next_action"\s*:\s*"([^"]+)"')
HOP_BY_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade"}
UPSTREAM_TIMEOUT = ClientTimeout(total=310)  # Rasa gives an action call 300 s


def action_name(body: bytes) -> str:
    """The action Rasa asks for; Rasa writes `next_action` first, so the start of the body is enough."""
    match = ACTION_NAME.search(body[:300])
    return match.group(1).decode() if match else ""


def make_app(target: str) -> web.Application:
    """The proxy application: a catch-all forwarding route and the timings route."""
    records: list[dict] = []
    app = web.Application(client_max_size=64 * 1024 * 1024)

    async def open_session(app: web.Application) -> None:
        app["session"] = ClientSession(connector=TCPConnector(limit=0), timeout=UPSTREAM_TIMEOUT)

    async def close_session(app: web.Application) -> None:
        await app["session"].close()

    async def timings(request: web.Request) -> web.Response:
        drained = list(records)
        records.clear()
        return web.json_response(drained)

    async def forward(request: web.Request) -> web.Response:
        arrived, started = time.time(), time.perf_counter()
        body = await request.read()
        headers = {key: value for key, value in request.headers.items() if key.lower() not in HOP_BY_HOP}
        upstream_started = time.perf_counter()
        try:
            async with app["session"].request(
                request.method, target + request.path_qs, data=body, headers=headers
            ) as upstream:
                payload = await upstream.read()
                status, content_type = upstream.status, upstream.headers.get("Content-Type")
        except ClientError as error:  # the action server is down: Rasa sees a failed call, as without the proxy
            payload, status, content_type = str(error).encode(), 502, "text/plain"
        upstream_ms = (time.perf_counter() - upstream_started) * 1000
        response = web.Response(body=payload, status=status, headers={"Content-Type": content_type or "text/plain"})
        total_ms = (time.perf_counter() - started) * 1000
        records.append(
            {
                "action": action_name(body),
                "upstream_ms": round(upstream_ms, 3),
                "overhead_ms": round(total_ms - upstream_ms, 3),
                "status": status,
                "request_bytes": len(body),
                "at": arrived,
            }
        )
        return response

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_get(TIMINGS_PATH, timings)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", required=True, help="the action server's base URL, e.g. http://127.0.0.1:5055")
    args = parser.parse_args()
    web.run_app(make_app(args.target.rstrip("/")), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
