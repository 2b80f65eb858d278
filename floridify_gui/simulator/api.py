"""Routing and endpoint handlers, independent of the HTTP server that feeds them requests."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from floridify_gui.simulator import faults
from floridify_gui.simulator.batches import BatchStore
from floridify_gui.simulator.chat import build_completion, estimate_prompt_tokens, validate_chat_request
from floridify_gui.simulator.config import LiveConfig, SimulatorConfig
from floridify_gui.simulator.errors import SERVER_ERROR_MESSAGE, ApiError, invalid_request
from floridify_gui.simulator.files import FileStore
from floridify_gui.simulator.multipart import parse_form
from floridify_gui.simulator.ratelimit import RateLimitWindow
from floridify_gui.simulator.stats import Stats, request_key

logger = logging.getLogger("floridify_gui.simulator")

MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5-mini", "gpt-5-nano")

HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class Request:
    """An HTTP request as the handlers need it. Header names are lower case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=headers or {})


Handler = Callable[[Request, dict[str, str]], Response]


class SimulatorApp:
    """The simulated OpenAI API: state plus a `handle` method per HTTP request."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.live_config = LiveConfig(config)
        self.stats = Stats()
        self.files = FileStore()
        self.batches = BatchStore(self.files, self.stats, self.live_config)
        self._rate_window = RateLimitWindow()
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._add_routes()

    def _add_routes(self) -> None:
        """Register (method, path pattern, handler, requires API key) in matching order."""
        add = self._add_route
        add("GET", r"/_simulator/stats", self._get_stats, False)
        add("GET", r"/_simulator/config", self._get_config, False)
        add("POST", r"/_simulator/config", self._post_config, False)
        add("POST", r"/v1/chat/completions", self._post_chat, True)
        add("POST", r"/v1/files", self._post_file, True)
        add("GET", r"/v1/files", self._list_files, True)
        add("GET", r"/v1/files/(?P<file_id>[^/]+)", self._get_file, True)
        add("GET", r"/v1/files/(?P<file_id>[^/]+)/content", self._get_file_content, True)
        add("DELETE", r"/v1/files/(?P<file_id>[^/]+)", self._delete_file, True)
        add("POST", r"/v1/batches", self._post_batch, True)
        add("GET", r"/v1/batches", self._list_batches, True)
        add("GET", r"/v1/batches/(?P<batch_id>[^/]+)", self._get_batch, True)
        add("POST", r"/v1/batches/(?P<batch_id>[^/]+)/cancel", self._cancel_batch, True)
        add("GET", r"/v1/models", self._list_models, True)
        add("GET", r"/v1/models/(?P<model_id>[^/]+)", self._get_model, True)

    def _add_route(self, method: str, pattern: str, handler: Handler, needs_key: bool) -> None:
        self._routes.append((method, re.compile(pattern + r"/?"), handler, needs_key))

    def handle(self, request: Request) -> Response:
        """Handle one request. API errors become OpenAI error bodies, and other exceptions a logged 500."""
        try:
            response = self._dispatch(request)
        except ApiError as error:
            logger.debug("%s %s -> %d: %s", request.method, request.path, error.status, error.message)
            response = json_response(error.status, error.body(), error.headers)
        except Exception:
            logger.exception("Simulator failed to handle %s %s", request.method, request.path)
            response = json_response(500, ApiError(500, SERVER_ERROR_MESSAGE, error_type="server_error").body())

        response.headers.setdefault("x-request-id", "req_" + uuid.uuid4().hex)
        return response

    def _dispatch(self, request: Request) -> Response:
        for method, pattern, handler, needs_key in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None or method != request.method:
                continue

            if needs_key:
                _check_api_key(request.headers.get("authorization", ""))
            if request.path.startswith("/v1/batches") and not self.live_config.snapshot().batches_supported:
                break

            return handler(request, match.groupdict())

        raise ApiError(404, f"Invalid URL ({request.method} {request.path})")

    def stats_snapshot(self) -> dict[str, Any]:
        return self.stats.snapshot(self.batches.count_by_status())

    def _get_stats(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.stats_snapshot())

    def _get_config(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.live_config.snapshot().to_dict())

    def _post_config(self, request: Request, params: dict[str, str]) -> Response:
        changes = _json_body(request)
        if not isinstance(changes, dict):
            raise invalid_request("Invalid config: send a JSON object of SimulatorConfig fields.")

        try:
            updated = self.live_config.update(changes)
        except (ValueError, TypeError) as error:
            raise invalid_request(f"Failed to update the simulator config: {error}") from error

        return json_response(200, updated.to_dict())

    def _post_chat(self, request: Request, params: dict[str, str]) -> Response:
        """Handle a chat completion request, after the configured latency and any injected 429 or 500."""
        body = _json_body_or_none(request)
        self.stats.record_chat_call(request_key(body) if body is not None else None)
        config = self.live_config.snapshot()
        if config.chat_latency > 0:
            time.sleep(config.chat_latency)

        if body is None:
            raise invalid_request("Invalid request body: expected a JSON object.")

        prompt_tokens = estimate_prompt_tokens(body) if isinstance(body, dict) else 0
        headers = self._rate_window.record_call(prompt_tokens, config)
        self._raise_injected_chat_error(headers)
        try:
            validate_chat_request(body)
        except ApiError as error:
            error.headers.update(headers)
            raise

        return self._complete_chat(body, config, headers)

    def _raise_injected_chat_error(self, headers: dict[str, str]) -> None:
        if self.live_config.take_countdown("chat_429_count"):
            raise _rate_limit_error({**headers, "x-ratelimit-remaining-requests": "0"})

        if self.live_config.take_countdown("chat_500_count"):
            raise ApiError(500, SERVER_ERROR_MESSAGE, error_type="server_error", headers=headers)

    def _complete_chat(self, body: dict[str, Any], config: SimulatorConfig, headers: dict[str, str]) -> Response:
        fault = faults.pick_fault(config, body["messages"])
        if fault in (faults.ERROR, faults.HTTP_ERROR):
            raise ApiError(500, SERVER_ERROR_MESSAGE, error_type="server_error", headers=headers)

        completion = build_completion(
            body, completion_id="chatcmpl-" + uuid.uuid4().hex[:24], created=int(time.time()), fault=fault
        )
        return json_response(200, completion, headers)

    def _post_file(self, request: Request, params: dict[str, str]) -> Response:
        form = parse_form(request.headers.get("content-type", ""), request.body)
        if "file" not in form:
            raise invalid_request("Missing required parameter: 'file'.", param="file")
        if "purpose" not in form:
            raise invalid_request("Missing required parameter: 'purpose'.", param="purpose")

        purpose = form["purpose"].data.decode("utf-8", errors="replace")
        upload = form["file"]
        stored = self.files.add_batch_input(upload.filename or "upload.jsonl", purpose, upload.data)
        self.stats.record_file_upload()
        return json_response(200, stored.to_object())

    def _list_files(self, request: Request, params: dict[str, str]) -> Response:
        query = _query(request)
        files = self.files.list_newest_first(query.get("purpose"))
        page = _cursor_page([f.to_object() for f in files], _limit(query, default=10000, maximum=10000), query.get("after"))
        return json_response(200, page)

    def _get_file(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.files.get(params["file_id"]).to_object())

    def _get_file_content(self, request: Request, params: dict[str, str]) -> Response:
        return Response(200, self.files.get(params["file_id"]).content, content_type="application/octet-stream")

    def _delete_file(self, request: Request, params: dict[str, str]) -> Response:
        deleted = self.files.delete(params["file_id"])
        return json_response(200, {"id": deleted.id, "object": "file", "deleted": True})

    def _post_batch(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.batches.create(_json_body(request)))

    def _list_batches(self, request: Request, params: dict[str, str]) -> Response:
        query = _query(request)
        return json_response(200, self.batches.list_page(_limit(query, default=20, maximum=100), query.get("after")))

    def _get_batch(self, request: Request, params: dict[str, str]) -> Response:
        """Return the batch, unless a poll fault (429, 500/502 or an HTML 502 page) is due."""
        if self.live_config.take_countdown("poll_429_count"):
            raise _rate_limit_error({})

        remaining = self.live_config.take_countdown("poll_500_count")
        if remaining:
            # Odd counts give 500 and even counts 502, so a count of 2 or more exercises both.
            raise ApiError(500 if remaining % 2 else 502, SERVER_ERROR_MESSAGE, error_type="server_error")

        if self.live_config.take_countdown("poll_html_count"):
            return Response(502, HTML_ERROR_PAGE.encode("utf-8"), content_type="text/html; charset=utf-8")

        return json_response(200, self.batches.retrieve(params["batch_id"]))

    def _cancel_batch(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.batches.cancel(params["batch_id"]))

    def _list_models(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, {"object": "list", "data": [_model_object(model) for model in MODELS]})

    def _get_model(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, _model_object(params["model_id"]))


def _check_api_key(authorization: str) -> None:
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(
            401,
            "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.",
            code="invalid_api_key",
        )


def _rate_limit_error(headers: dict[str, str]) -> ApiError:
    message = "Rate limit reached for requests (simulated). Please try again in 1s."
    retry_headers = {"retry-after": "1", "retry-after-ms": "1000"}
    return ApiError(429, message, error_type="requests", code="rate_limit_exceeded", headers={**headers, **retry_headers})


def _json_body(request: Request) -> Any:
    body = _json_body_or_none(request)
    if body is None:
        raise invalid_request("Invalid request body: expected JSON. Send a JSON object with Content-Type application/json.")

    return body


def _json_body_or_none(request: Request) -> Any:
    try:
        return json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _query(request: Request) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request.query).items()}


def _limit(query: dict[str, str], *, default: int, maximum: int) -> int:
    text = query.get("limit")
    if text is None:
        return default

    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise invalid_request(f"Invalid value for 'limit': {text!r}. Use an integer from 1 to {maximum}.", param="limit")

    return int(text)


def _cursor_page(objects: list[dict[str, Any]], limit: int, after: str | None) -> dict[str, Any]:
    if after is not None:
        ids = [item["id"] for item in objects]
        objects = objects[ids.index(after) + 1 :] if after in ids else []

    data = objects[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(objects) > limit,
    }


def _model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1_700_000_000, "owned_by": "simulator"}
