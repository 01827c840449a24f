"""A kept-alive connection serves a bounded number of requests, then closes (issue 22).

Several app processes (`poolcrm serve --workers N`) share one listening socket, and a connection
stays with the process that accepted it for as long as the client keeps it open: a person (or a
proxy's pooled connection) then loads the same process all day. In a 10-minute load run of 300
people on two processes the split fell 1 : 2 at the start and stayed so (the processes at 36 % and
69 % of a core, every minute), the busier one's queue setting the percentiles. After
`KEEPALIVE_REQUESTS` requests a connection's response says `connection: close`; the client opens
another, and it goes to whichever process accepts first — the one with time to spare. Web servers
bound a connection the same way (Apache's `MaxKeepAliveRequests` 100, nginx's
`keepalive_requests` 1,000): the price is one more TCP handshake per that many requests.

Connections are told apart by the client's address and port as the ASGI scope gives them (behind a
proxy whose forwarded headers uvicorn trusts, the client's address with port 0: then a client's
requests are counted together, whichever connection carries them — still bounded)."""

from __future__ import annotations

from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from poolcrm.config import whole_number_setting

KEEPALIVE_REQUESTS = 25
"""Requests a connection serves before it closes (`POOLCRM_KEEPALIVE_REQUESTS`; 0: no bound)."""
MAX_KEEPALIVE_REQUESTS = 100_000
TRACKED_CONNECTIONS = 10_000
"""Connections whose requests are counted at most; the least recently used are forgotten (a
forgotten connection counts from zero again: bounded all the same)."""


def keepalive_requests_setting() -> int:
    """`POOLCRM_KEEPALIVE_REQUESTS` when it is a whole number from 0 to `MAX_KEEPALIVE_REQUESTS`,
    else `KEEPALIVE_REQUESTS` (with a warning in the log when it is set to something else)."""
    return whole_number_setting(
        "POOLCRM_KEEPALIVE_REQUESTS",
        0,
        MAX_KEEPALIVE_REQUESTS,
        KEEPALIVE_REQUESTS,
        "requests per connection",
    )


class KeepAliveLimit:
    """ASGI middleware: the `limit`-th request of a connection is answered with `connection:
    close` (uvicorn then closes it after the response). Runs on the event loop only: no lock."""

    def __init__(self, app: ASGIApp, limit: int = KEEPALIVE_REQUESTS) -> None:
        self.app = app
        self.limit = limit
        self.served: OrderedDict[tuple[str, int], int] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or self.limit <= 0 or not client:
            await self.app(scope, receive, send)
            return
        key = (client[0], client[1])
        served = self.served.pop(key, 0) + 1
        if served < self.limit:
            self.served[key] = served
            if len(self.served) > TRACKED_CONNECTIONS:
                self.served.popitem(last=False)
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)
