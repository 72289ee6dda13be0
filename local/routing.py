"""Route selection as an API Gateway HTTP API does it: of the routes that match, the most specific wins.

Specificity, segment by segment from the left: a literal segment beats a ``{param}``, which beats a greedy
``{proxy+}``; on equal paths an exact method beats ``ANY``. ``$default`` catches what nothing else does. HEAD is
not GET: a HEAD request needs a HEAD (or ANY) route, as in HTTP API.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from local.template import Route

DEFAULT_ROUTE = "$default"

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """A request's route: ``route_key`` as API Gateway spells it and the decoded path parameters."""

    route: Route
    route_key: str
    path_parameters: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Segment:
    kind: int
    text: str  # the literal, or the parameter's name


@dataclass(frozen=True, slots=True)
class _CompiledRoute:
    route: Route
    segments: tuple[_Segment, ...]
    is_default: bool

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.is_default else f"{self.route.method} {self.route.path}"


class Router:
    """Matches a method and raw path against the template's routes."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: list[_CompiledRoute] = []
        seen: set[tuple[str, str]] = set()
        for route in routes:
            key = (route.method, route.path)
            if key in seen:
                raise ValueError(f"route {route.method} {route.path} is declared twice in the template")
            seen.add(key)
            self._routes.append(_compile(route))

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The most specific route for ``method`` on ``raw_path`` (still percent-encoded), or ``None``."""
        method = method.upper()
        raw_segments = raw_path.removeprefix("/").split("/")
        best: tuple[tuple[int, ...], int, _CompiledRoute, dict[str, str]] | None = None
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            parameters = {} if compiled.is_default else _bind(compiled.segments, raw_segments)
            if parameters is None:
                continue
            rank = (
                (_GREEDY + 1,) if compiled.is_default else tuple(s.kind for s in compiled.segments),
                0 if compiled.route.method == method else 1,
            )
            if best is None or rank < best[:2]:
                best = (*rank, compiled, parameters)
        if best is None:
            return None
        return RouteMatch(route=best[2].route, route_key=best[2].route_key, path_parameters=best[3])


def _compile(route: Route) -> _CompiledRoute:
    if route.path == DEFAULT_ROUTE:
        return _CompiledRoute(route, (), is_default=True)
    if not route.path.startswith("/"):
        raise ValueError(f"route path {route.path!r} must start with '/'")
    segments: list[_Segment] = []
    parts = route.path.removeprefix("/").split("/")
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            if index != len(parts) - 1:
                raise ValueError(f"route path {route.path!r}: a greedy parameter must be the last segment")
            segments.append(_Segment(_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append(_Segment(_PARAM, part[1:-1]))
        else:
            segments.append(_Segment(_LITERAL, part))
    return _CompiledRoute(route, tuple(segments), is_default=False)


def _bind(segments: tuple[_Segment, ...], raw_segments: list[str]) -> dict[str, str] | None:
    """Path parameters when the route's segments match the request's, else ``None``.

    Matching works on the still-encoded segments, so ``%2F`` stays inside its segment; values are decoded.
    """
    parameters: dict[str, str] = {}
    for index, segment in enumerate(segments):
        if segment.kind == _GREEDY:
            rest = "/".join(raw_segments[index:])
            if not rest:
                return None
            parameters[segment.text] = unquote(rest)
            return parameters
        if index >= len(raw_segments):
            return None
        value = unquote(raw_segments[index])
        if segment.kind == _LITERAL:
            if value != segment.text:
                return None
        elif not value:
            return None
        else:
            parameters[segment.text] = value
    return parameters if len(raw_segments) == len(segments) else None
