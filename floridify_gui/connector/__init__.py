"""The OpenAI connector: structured requests, immediately or through the Batch API."""

from floridify_gui.connector.accumulator import BatchAccumulator, BatchPromise, RequestFailed
from floridify_gui.connector.ledger import Target
from floridify_gui.connector.openai_connector import BatchSettings, BatchUnavailable, OpenAIConnector
from floridify_gui.connector.requests import Outcome, RequestContext, StructuredRequest, build_request

__all__ = [
    "BatchAccumulator",
    "BatchPromise",
    "BatchSettings",
    "BatchUnavailable",
    "OpenAIConnector",
    "Outcome",
    "RequestContext",
    "RequestFailed",
    "StructuredRequest",
    "Target",
    "build_request",
]
