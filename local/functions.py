"""Lambda's half: load a function's handler as a cold start would, and invoke it with an event and a context.

Every function runs in this one process, so two things Lambda gives each function for free are rebuilt here:

* **Its own cold start.** The handler's package is imported afresh for each function, with ``os.environ`` set to
  that function's environment, so module-level settings, clients and loggers (``POWERTOOLS_SERVICE_NAME``) are the
  function's own, as in separate execution environments.
* **Its own module graph, for the life of the process.** While a function is loaded or invoked, ``sys.modules``
  holds that function's copy of the package and nothing else of it; a module the handler imports on first use (as
  create does for idempotency) joins that function's graph and is found again on later invocations. Without this,
  a module imported late would load a second copy of, say, ``shortlinks.domain.errors``, whose exceptions escape
  ``except ShortlinksError`` in the first copy: a 500 locally where Lambda answers 422.
* **One invocation at a time.** An execution environment never runs two events at once, and the handlers rely on
  it: Powertools' resolver keeps the current event in class-level state shared by every resolver in the process,
  and the function's environment must be in ``os.environ`` while it runs. So invocations take turns.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from local.gateway import ACCOUNT_ID

Handler = Callable[[dict[str, Any], Any], Any]

log = logging.getLogger("local")

# Serialises invocations (see the module docstring) and the os.environ changes they make.
_INVOCATION_LOCK = threading.Lock()


@dataclass
class LambdaContext:
    """The context object the Python runtime passes a handler, with the attributes handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)  # time.monotonic() at which Lambda would stop the invocation
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LocalFunction:
    """One function of the template, imported and ready to invoke."""

    name: str
    handler: Handler = field(repr=False)
    environment: Mapping[str, str | None] = field(repr=False)
    package: str
    modules: dict[str, ModuleType] = field(repr=False)  # this function's own copy of its package's modules
    memory_size: int
    timeout: int
    region: str
    log_stream_name: str

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Run the handler on ``event`` as Lambda would: its environment, a fresh context, one at a time."""
        with _INVOCATION_LOCK, environment_set(self.environment), _module_graph(self.package, self.modules):
            started = time.monotonic()
            try:
                return self.handler(event, self.context(request_id))
            finally:
                if time.monotonic() - started > self.timeout:
                    log.warning("%s ran past its %d s timeout; Lambda would have stopped it", self.name, self.timeout)

    def context(self, request_id: str) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            function_version="$LATEST",
            invoked_function_arn=f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.name}",
            memory_limit_in_mb=self.memory_size,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{self.name}",
            log_stream_name=self.log_stream_name,
            deadline=time.monotonic() + self.timeout,
        )


def load_function(
    name: str,
    handler: str,
    code_uri: Path,
    environment: Mapping[str, str | None],
    *,
    memory_size: int,
    timeout: int,
    region: str,
) -> LocalFunction:
    """Import ``handler`` (``package.module.function``) from ``code_uri`` as function ``name``'s cold start.

    ``environment`` is laid over the process environment while the module is imported and while it runs; a
    ``None`` value removes the variable. Errors in the module (a bad setting, say) surface here, at start-up.
    """
    module_name, _, attribute = handler.rpartition(".")
    if not module_name:
        raise ValueError(f"{name}: Handler {handler!r} must look like package.module.function")
    code_dir = str(code_uri)
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    package, modules = module_name.partition(".")[0], dict[str, ModuleType]()
    with _INVOCATION_LOCK, environment_set(environment), _module_graph(package, modules):
        module = importlib.import_module(module_name)
    entry_point = getattr(module, attribute, None)
    if not callable(entry_point):
        raise ValueError(f"{name}: {module_name} has no callable {attribute!r}")
    return LocalFunction(
        name=name,
        handler=entry_point,
        environment=dict(environment),
        package=package,
        modules=modules,
        memory_size=memory_size,
        timeout=timeout,
        region=region,
        log_stream_name=f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
    )


@contextmanager
def environment_set(variables: Mapping[str, str | None]) -> Iterator[None]:
    """Lay ``variables`` over ``os.environ`` (``None`` unsets), then put back exactly what was there."""
    saved = {name: os.environ.get(name) for name in variables}
    try:
        _apply(variables)
        yield
    finally:
        _apply(saved)


def _apply(variables: Mapping[str, str | None]) -> None:
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def _module_graph(package: str, modules: dict[str, ModuleType]) -> Iterator[None]:
    """Inside the block, ``package``'s modules in ``sys.modules`` are exactly ``modules`` (empty: a cold start).

    Whatever of ``package`` the block imports is added to ``modules``; afterwards ``sys.modules`` is as it was
    found, so the next function sees its own graph.
    """

    def ours(module: str) -> bool:
        return module == package or module.startswith(f"{package}.")

    saved = {module: sys.modules.pop(module) for module in list(sys.modules) if ours(module)}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for module in [m for m in sys.modules if ours(m)]:
            modules[module] = sys.modules.pop(module)
        sys.modules.update(saved)
