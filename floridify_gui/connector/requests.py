"""Building structured-output requests and reading their responses.

Immediate calls and batch lines share this module: a request body is built
once, keyed by the SHA-256 of its canonical JSON, and a chat completion body
(from the API or from a batch output line) becomes an `Outcome` the same way.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel, ValidationError

from floridify_gui.components import COMPONENTS, system_prompt

SUCCEEDED = "succeeded"
FAILED = "failed"
REFUSED = "refused"
TRUNCATED = "truncated"


@dataclass(frozen=True)
class RequestContext:
    """Entry context sent to the model: a headword and, for senses, the sense."""

    headword: str
    part_of_speech: str | None = None
    definition: str | None = None
    example: str | None = None

    def describe(self) -> str:
        """Render the context block that follows a component's instruction."""
        lines = [f"Headword: {self.headword}"]
        if self.part_of_speech:
            lines.append(f"Part of speech: {self.part_of_speech}")
        if self.definition:
            lines.append(f"Definition: {self.definition}")
        if self.example:
            lines.append(f"Example: {self.example}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StructuredRequest:
    """A chat completion request whose response must match a component's model.

    Attributes:
        component: Component name.
        body: The exact request body sent to /v1/chat/completions.
        key: SHA-256 of the body's canonical JSON; cache key and custom_id.
        body_json: That canonical JSON, reused for the batch file's line.
    """

    component: str
    body: dict[str, Any]
    key: str
    body_json: str = field(repr=False, default="")

    @property
    def model(self) -> str:
        return self.body["model"]

    @property
    def response_model(self) -> type[BaseModel]:
        return COMPONENTS[self.component].response_model


# One encoder for every call: json.dumps with options builds a new one each time.
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Serialise `value` the same way every time, for hashing."""
    return _CANONICAL_ENCODER.encode(value)


def build_request(
    component: str,
    context: RequestContext,
    model: str,
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
) -> StructuredRequest:
    """Build the request for one component of one word or sense.

    The body uses `max_completion_tokens`, which reasoning models require,
    and carries `temperature` only when the user set one, because reasoning
    models reject any value but the default.
    """
    spec = COMPONENTS[component]
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {"role": "system", "content": system_prompt()},
            {"role": "user", "content": f"{spec.prompt}\n\n{context.describe()}"},
        ],
        "response_format": _response_format(component),
        "max_completion_tokens": max_tokens or spec.max_tokens,
    }
    if temperature is not None:
        body["temperature"] = temperature

    body_json = _canonical_body(body, component)
    key = hashlib.sha256(body_json.encode("utf-8")).hexdigest()
    return StructuredRequest(component=component, body=body, key=key, body_json=body_json)


_FORMATS: dict[str, dict] = {}
_FORMAT_JSON: dict[str, str] = {}


def _canonical_body(body: dict[str, Any], component: str) -> str:
    """Return canonical_json(body), reusing the serialised schema of the component.

    The schema is most of a body's text and the same for every request of a
    component. Serialising it once per component instead of once per request
    makes building 50,000 requests several times faster. The
    output is byte-identical to canonical_json(body), which a test checks.
    """
    if component not in _FORMAT_JSON:
        _FORMAT_JSON[component] = canonical_json(body["response_format"])

    # Keys in sorted order, as canonical_json writes them.
    parts = [f'{{"max_completion_tokens":{canonical_json(body["max_completion_tokens"])}']
    messages = ",".join(
        f'{{"content":{canonical_json(m["content"])},"role":{canonical_json(m["role"])}}}'
        for m in body["messages"]
    )
    parts.append(f',"messages":[{messages}],"model":{canonical_json(body["model"])}')
    parts.append(f',"response_format":{_FORMAT_JSON[component]}')
    if "temperature" in body:
        parts.append(f',"temperature":{canonical_json(body["temperature"])}')
    return "".join(parts) + "}"


def _response_format(component: str) -> dict:
    """Return the strict json_schema response_format the SDK builds for the component."""
    if component not in _FORMATS:
        _FORMATS[component] = type_to_response_format_param(COMPONENTS[component].response_model)
    return _FORMATS[component]


@dataclass
class Outcome:
    """The end state of one request.

    Attributes:
        status: SUCCEEDED, FAILED, REFUSED or TRUNCATED.
        code: Machine-readable reason for anything but success.
        message: Human-readable reason.
        content: The JSON content as returned (validated when succeeded).
        transient: The failure may go away by itself (rate limit, server error,
            expiry); such items are requeued without spending an attempt.
    """

    status: str
    code: str | None = None
    message: str | None = None
    content: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    transient: bool = False
    parsed: BaseModel | None = field(default=None, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


def failure(code: str, message: str, *, transient: bool = False) -> Outcome:
    """Build a failed outcome."""
    return Outcome(status=FAILED, code=code, message=message, transient=transient)


def outcome_from_completion(body: Any, component: str) -> Outcome:
    """Turn a chat completion body (a dict) into an Outcome, validating its content."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if not choices:
        return failure("no_choices", "The response has no choices")

    usage = body.get("usage") or {}
    tokens = {
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "completion_tokens": int(usage.get("completion_tokens") or 0),
    }
    choice = choices[0]
    message = choice.get("message") or {}

    if message.get("refusal"):
        return Outcome(status=REFUSED, code="refusal", message=message["refusal"], **tokens)
    if choice.get("finish_reason") == "length":
        return Outcome(
            status=TRUNCATED,
            code="length",
            message="The output budget ran out before the answer was complete",
            content=message.get("content"),
            **tokens,
        )
    return _validated(message.get("content"), component, tokens)


def _validated(content: str | None, component: str, tokens: dict) -> Outcome:
    if content is None:
        return Outcome(status=FAILED, code="empty_content", message="The response has no content", **tokens)

    try:
        parsed = COMPONENTS[component].response_model.model_validate_json(content)
    except ValidationError as exc:
        code = "invalid_json" if _is_json_error(exc) else "schema_validation"
        first = exc.errors()[0]
        detail = f"{first['msg']} at {'.'.join(str(p) for p in first['loc']) or 'top level'}"
        return Outcome(status=FAILED, code=code, message=detail, content=content, **tokens)

    return Outcome(status=SUCCEEDED, content=content, parsed=parsed, **tokens)


def _is_json_error(exc: ValidationError) -> bool:
    return any(error["type"] == "json_invalid" for error in exc.errors())


def outcome_from_cache(content: str, component: str, prompt_tokens: int, completion_tokens: int) -> Outcome:
    """Rebuild a succeeded outcome from a cached response."""
    tokens = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
    return _validated(content, component, tokens)
