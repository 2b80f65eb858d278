"""Requests waiting for a batch, and the promises their callers hold."""

import asyncio
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel

from floridify_gui.connector.requests import Outcome, StructuredRequest

T = TypeVar("T", bound=BaseModel)


class RequestFailed(Exception):
    """A request ended without a usable result.

    Attributes:
        outcome: How it ended (failed, refused or truncated, with code and message).
    """

    def __init__(self, outcome: Outcome):
        super().__init__(f"{outcome.code}: {outcome.message}")
        self.outcome = outcome


class BatchPromise(Generic[T]):
    """The future result of a request accumulated for a batch.

    Awaiting it returns the validated model, or raises RequestFailed.
    """

    def __init__(self, request: StructuredRequest):
        self.request = request
        self._future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    @property
    def request_id(self) -> str:
        return self.request.key

    @property
    def done(self) -> bool:
        return self._future.done()

    @property
    def outcome(self) -> Outcome | None:
        """The outcome once resolved, else None."""
        return self._future.result() if self._future.done() else None

    def resolve(self, outcome: Outcome) -> None:
        """Resolve with an outcome; later calls are ignored."""
        if not self._future.done():
            self._future.set_result(outcome)

    async def wait(self) -> Outcome:
        """Wait for the outcome, whatever it is."""
        return await self._future

    def __await__(self):
        return self._result().__await__()

    async def _result(self) -> T:
        outcome = await self._future
        if not outcome.succeeded:
            raise RequestFailed(outcome)
        return outcome.parsed


@dataclass
class PendingRequest:
    """One distinct request body and everyone waiting for its answer."""

    request: StructuredRequest
    targets: list = field(default_factory=list)
    promises: list[BatchPromise] = field(default_factory=list)
    outcome: Outcome | None = None


class BatchAccumulator:
    """Collects requests for the next batch, sending each distinct body once.

    Identical requests (same key) are merged: the body goes into the batch
    file once, and its result fans out to every target and promise.
    """

    def __init__(self) -> None:
        self._pending: dict[str, PendingRequest] = {}

    def add_request(self, request: StructuredRequest, target=None) -> BatchPromise:
        """Queue `request` for `target` and return a promise of its result."""
        pending = self._pending.get(request.key)
        if pending is None:
            pending = self._pending[request.key] = PendingRequest(request)
        if target is not None:
            pending.targets.append(target)

        promise: BatchPromise = BatchPromise(request)
        pending.promises.append(promise)
        return promise

    def drain(self) -> list[PendingRequest]:
        """Return and forget everything accumulated so far."""
        pending, self._pending = list(self._pending.values()), {}
        return pending

    def __len__(self) -> int:
        return len(self._pending)
