"""Request counts per endpoint template and status (`GET /_sandbox/stats`), and path-template matching.

`StatsMiddleware` is the outermost ASGI layer, so responses made by fault injection are counted too.
`RouteTemplates` maps a raw path (`/cases/65...01`) to its route template (`/cases/{item_id}`), which
is also how fault rules name endpoints.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RouteTemplates:
    """Raw path -> route template, from the app's routes (compiled once, cached per raw path)."""

    def __init__(self) -> None:
        self._patterns: list[tuple[re.Pattern[str], set[str], str]] | None = None
        self._cache: dict[tuple[str, str], str] = {}

    def template(self, app: Any, method: str, path: str) -> str:
        found = self._cache.get((method, path))
        if found is not None:
            return found
        if self._patterns is None:
            routes = sorted((r for r in app.routes if hasattr(r, "path")), key=lambda r: r.path.count("{"))
            self._patterns = [
                (
                    re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", r.path) + "$"),
                    set(getattr(r, "methods", None) or ()),
                    r.path,
                )
                for r in routes
            ]
        matching = [(methods, tpl) for rx, methods, tpl in self._patterns if rx.match(path)]
        found = next((tpl for methods, tpl in matching if method in methods), None)
        found = found or next((tpl for _, tpl in matching), "(unmatched)")
        if len(self._cache) > 10000:  # ids make raw paths unbounded; the cache must not be
            self._cache.clear()
        self._cache[(method, path)] = found
        return found


def matches(pattern: str, template: str, path: str) -> bool:
    """Does a fault rule's `path` (a template, a raw path or `*`) select this request?"""
    return pattern in ("*", template, path)


class StatsMiddleware:
    """Counts every response by (method, template, status)."""

    def __init__(self, app: ASGIApp, stats: Counter[tuple[str, str, int]], templates: RouteTemplates) -> None:
        self.app = app
        self.stats = stats
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        template = self.templates.template(scope["app"], method, scope["path"])
        scope["sandbox.template"] = template

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.stats[(method, template, int(message["status"]))] += 1
            await send(message)

        await self.app(scope, receive, counting_send)


def stats_view(stats: Counter[tuple[str, str, int]]) -> dict[str, Any]:
    """{"total": n, "endpoints": {"GET /cases/{item_id}": {"200": 3}}}."""
    endpoints: dict[str, dict[str, int]] = {}
    for (method, template, status), count in sorted(stats.items()):
        endpoints.setdefault(f"{method} {template}", {})[str(status)] = count
    return {"total": sum(stats.values()), "endpoints": endpoints}
