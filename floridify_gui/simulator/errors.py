"""Errors that the simulator sends in OpenAI's error body shape."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error response with body `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.error_type, self.param, self.code)


def error_body(message: str, error_type: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """Build OpenAI's error object, as used in HTTP responses and in batch output lines."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def not_found(kind: str, object_id: str) -> ApiError:
    """Build the 404 that OpenAI sends for an unknown object id, such as "No such File object: file-x"."""
    return ApiError(404, f"No such {kind} object: {object_id}", param="id")


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


SERVER_ERROR_MESSAGE = (
    "The server had an error while processing your request. Sorry about that! "
    "You can retry your request (simulated server error)."
)
