"""Mock OpenAI-compatible upstreams, for the gateway's tests and a local demo.

Each mock answers ``POST .../chat/completions`` with a completion whose text
names the mock (``"Hello from NAME"``), and records every request it receives,
whatever its path, so a test can check what reached which upstream.

    python mock_upstream.py cloud=9101 onprem-a=9102 onprem-b=9103
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Optional

from aiohttp import web


class MockUpstream:
    """One mock provider. ``status`` >= 400 makes it fail; ``delay`` slows it down."""

    def __init__(self, name: str, status: int = 200, delay: float = 0.0) -> None:
        self.name = name
        self.status = status
        self.delay = delay
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        """Records the request, then answers with a completion or an error."""
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = dict(request.headers)
        self.received.append({"method": request.method, "path": request.path, "headers": headers, "json": body})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status >= 400:
            error = {"message": f"{self.name} failed", "type": "server_error", "code": None, "param": None}
            return web.json_response({"error": error}, status=self.status)
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            error = {"message": "not found", "type": "invalid_request_error", "code": None, "param": None}
            return web.json_response({"error": error}, status=404)
        model = body.get("model") if isinstance(body, dict) else None
        return web.json_response(completion(self.name, model))

    def app(self) -> web.Application:
        """An application answering every path with :meth:`handle`."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


def completion(name: str, model: Optional[str]) -> dict[str, Any]:
    """A minimal chat completion in the OpenAI shape."""
    return {
        "id": f"chatcmpl-{name}",
        "object": "chat.completion",
        "created": 0,
        "model": model or "unknown",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"Hello from {name}"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4},
    }


async def start(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Starts ``app`` on ``host:port`` (0: a free port); returns the runner and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}"


async def _main(specs: list[str]) -> None:
    for spec in specs:
        name, _, port = spec.partition("=")
        _, url = await start(MockUpstream(name).app(), port=int(port))
        print(f"mock upstream {name} on {url}/v1", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit("usage: python mock_upstream.py NAME=PORT [NAME=PORT ...]")
    try:
        asyncio.run(_main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
