"""Deterministic, schema-valid JSON content shaped by the dictionary entry in the request.

The generator covers the JSON Schema subset that OpenAI's strict structured outputs accept and
that pydantic emits: objects, arrays, strings, numbers, integers, booleans, null, enum, const,
anyOf/oneOf, allOf, `$ref` into `$defs` and the usual numeric, length and item-count bounds.
A schema is compiled once into nested render functions, because a 50,000-line batch usually
repeats one schema and walking it again for every line costs most of the build time.
"""

from __future__ import annotations

import functools
import json
import math
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from floridify_gui.simulator.canonical import CanonicalCache

# Past this nesting depth, optional and repeated parts of a recursive schema are left empty.
_MAX_DEPTH = 12
# Past this depth even required parts are cut short, so a schema that requires itself still ends.
_HARD_MAX_DEPTH = _MAX_DEPTH + 8

_EXAMPLE_TEMPLATES = (
    "She looked up {word} in the dictionary before the exam.",
    "Nobody expected the word {word} to appear in the final report.",
    "He wrote {word} at the top of the page and underlined it twice.",
    "In this paragraph, {word} fits the sentence naturally.",
    "The teacher asked the class to use {word} in a short story.",
)

_SCHEMAS = CanonicalCache()

_HEADWORD_NAMES = {"headword", "word", "lemma", "term", "entry"}
_DEFINITION_MARKERS = ("definition", "gloss", "meaning")


@dataclass(frozen=True)
class EntryContext:
    """The dictionary entry a request is about, read from its `Headword:`-style lines."""

    headword: str = "word"
    part_of_speech: str = ""
    definition: str = ""


class _RenderState:
    """Per-document state: the entry and a random generator seeded by it, so output repeats exactly."""

    def __init__(self, context: EntryContext) -> None:
        self.context = context
        seed = zlib.crc32(f"{context.headword}|{context.part_of_speech}|{context.definition}".encode())
        self.random = random.Random(seed)


# A compiled schema node. It gets the render state and the index of the innermost array item around it.
Render = Callable[[_RenderState, "int | None"], Any]


def message_text(message: Any) -> str:
    """Return the text of one chat message, whose content is a string or a list of text parts."""
    if not isinstance(message, dict):
        return ""

    content = message.get("content")
    if isinstance(content, str):
        return content

    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return "\n".join(part for part in parts if isinstance(part, str))

    return ""


def context_from_messages(messages: Any) -> EntryContext:
    """Read headword, part of speech and definition from the user messages, else from any message."""
    if not isinstance(messages, list):
        return EntryContext()

    user_text = "\n".join(message_text(m) for m in messages if isinstance(m, dict) and m.get("role") == "user")
    text = user_text if _find_line(user_text, "Headword") else "\n".join(message_text(m) for m in messages)

    return EntryContext(
        headword=_find_line(text, "Headword") or "word",
        part_of_speech=_find_line(text, "Part of speech"),
        definition=_find_line(text, "Definition"),
    )


@functools.lru_cache(maxsize=8)
def _label_pattern(label: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{label}:[ \t]*(.+?)[ \t]*$", re.IGNORECASE | re.MULTILINE)


def _find_line(text: str, label: str) -> str:
    match = _label_pattern(label).search(text)
    return match.group(1) if match else ""


def generate_from_schema(schema: dict[str, Any], context: EntryContext) -> Any:
    """Generate a value that validates against `schema`, the same value for the same inputs."""
    # FIXME(simulator): `pattern`, `uniqueItems` and formats other than date, date-time, time, email,
    # uri and uuid are ignored, so a schema that uses them may get invalid content.
    return _compiled(_SCHEMAS.encode(schema))(_RenderState(context), None)


@functools.lru_cache(maxsize=64)
def _compiled(schema_json: bytes) -> Render:
    root = json.loads(schema_json)
    return _Compiler(root).compile(root, name="", depth=0)


def generate_plain_entry(context: EntryContext) -> dict[str, str]:
    """Generate the object sent for `response_format` {"type": "json_object"}."""
    return {
        "headword": context.headword,
        "part_of_speech": context.part_of_speech or "noun",
        "definition": context.definition or f"a word related to {context.headword}",
        "example": _EXAMPLE_TEMPLATES[0].format(word=context.headword),
    }


def generate_text(context: EntryContext) -> str:
    """Generate the prose content sent when the request sets no response format."""
    definition = context.definition or f"a word related to {context.headword}"
    return f"{context.headword}: {definition}. " + _EXAMPLE_TEMPLATES[1].format(word=context.headword)


class _Compiler:
    """Turns a schema into render functions, resolving `$ref` against the root schema."""

    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root
        self._memo: dict[tuple[int, str, int], tuple[Any, Render]] = {}

    def compile(self, schema: Any, *, name: str, depth: int) -> Render:
        # Nodes repeat in recursive schemas and through shared `$defs`, so compile each once per depth.
        # The memo keeps each schema object alive, so no other object can reuse its id() meanwhile.
        key = (id(schema), name, min(depth, _HARD_MAX_DEPTH))
        if key not in self._memo:
            self._memo[key] = (schema, self._compile_node(schema, name, depth))

        return self._memo[key][1]

    def _compile_node(self, schema: Any, name: str, depth: int) -> Render:
        if not isinstance(schema, dict):
            return _string_render({}, name)

        schema = self._resolve(schema)
        if "const" in schema:
            constant = schema["const"]
            return lambda state, index: constant

        if "enum" in schema:
            return _enum_render(schema["enum"], name)

        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            return self._branch_render(branches, name, depth)

        return self._typed_render(schema, name, depth)

    def _typed_render(self, schema: dict[str, Any], name: str, depth: int) -> Render:
        kind = _schema_type(schema)
        if kind == "object":
            return self._object_render(schema, depth)

        if kind == "array":
            return self._array_render(schema, name, depth)

        if kind == "integer":
            return _integer_render(schema)

        if kind == "number":
            return _number_render(schema)

        if kind == "boolean":
            return lambda state, index: state.random.random() < 0.5

        if kind == "null":
            return lambda state, index: None

        return _string_render(schema, name)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow `$ref` and merge `allOf` members, so the result has no indirection left at its top."""
        seen: set[str] = set()
        while isinstance(schema.get("$ref"), str) and schema["$ref"] not in seen:
            seen.add(schema["$ref"])
            target = self._lookup(schema["$ref"])
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**target, **siblings} if siblings else target

        members = schema.get("allOf")
        if isinstance(members, list):
            merged = {key: value for key, value in schema.items() if key != "allOf"}
            for member in members:
                merged = _merge_schemas(merged, self._resolve(member) if isinstance(member, dict) else {})
            return merged

        return schema

    def _lookup(self, reference: str) -> dict[str, Any]:
        """Resolve a local JSON pointer such as `#/$defs/Sense`. Unknown references resolve to {}."""
        if not reference.startswith("#"):
            return {}

        node: Any = self._root
        for token in reference[1:].split("/"):
            if not token:
                continue
            key = token.replace("~1", "/").replace("~0", "~")
            node = node.get(key) if isinstance(node, dict) else None

        return node if isinstance(node, dict) else {}

    def _branch_render(self, branches: list[Any], name: str, depth: int) -> Render:
        """Use the first branch that is not null, or null once the schema nests too deep."""
        non_null = [b for b in branches if not (isinstance(b, dict) and _schema_type(self._resolve(b)) == "null")]
        if not non_null or (depth >= _MAX_DEPTH and len(non_null) < len(branches)):
            return lambda state, index: None

        return self.compile(non_null[0], name=name, depth=depth)

    def _object_render(self, schema: dict[str, Any], depth: int) -> Render:
        properties = schema.get("properties")
        if not isinstance(properties, dict) or depth >= _HARD_MAX_DEPTH:
            return lambda state, index: {}

        fields = [(key, self.compile(value, name=key, depth=depth + 1)) for key, value in properties.items()]
        return lambda state, index: {key: render(state, index) for key, render in fields}

    def _array_render(self, schema: dict[str, Any], name: str, depth: int) -> Render:
        minimum = int(schema.get("minItems", 0))
        maximum = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
        if depth >= _MAX_DEPTH:
            maximum = minimum

        prefix_schemas = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        prefix = [self.compile(item, name=name, depth=depth + 1) for item in prefix_schemas]
        items = self.compile(schema.get("items") if isinstance(schema.get("items"), dict) else {}, name=name, depth=depth + 1)

        def render(state: _RenderState, index: int | None) -> list[Any]:
            count = max(minimum, 2 + int(state.random.random() < 0.5))
            if maximum is not None:
                count = min(count, maximum)

            return [(prefix[i] if i < len(prefix) else items)(state, i) for i in range(count)]

        return render


def _schema_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return non_null[0] if non_null else "null"

    if isinstance(kind, str):
        return kind

    if "properties" in schema:
        return "object"

    if "items" in schema or "prefixItems" in schema:
        return "array"

    return "string"


def _merge_schemas(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **extra}
    if isinstance(base.get("properties"), dict) and isinstance(extra.get("properties"), dict):
        merged["properties"] = {**base["properties"], **extra["properties"]}

    if isinstance(base.get("required"), list) and isinstance(extra.get("required"), list):
        merged["required"] = list(dict.fromkeys(base["required"] + extra["required"]))

    return merged


def _is_part_of_speech_name(name: str) -> bool:
    lowered = name.lower()
    return lowered == "pos" or "part_of_speech" in lowered or "partofspeech" in lowered


def _enum_render(options: list[Any], name: str) -> Render:
    """Choose an enum value, preferring the request's part of speech for a part-of-speech field."""
    if not options:
        return lambda state, index: None

    by_lower_text = {option.lower(): option for option in options if isinstance(option, str)}
    prefers_part_of_speech = _is_part_of_speech_name(name)

    def render(state: _RenderState, index: int | None) -> Any:
        choice = options[int(state.random.random() * len(options))]
        if prefers_part_of_speech:
            return by_lower_text.get(state.context.part_of_speech.lower(), choice)

        return choice

    return render


def _string_render(schema: dict[str, Any], name: str) -> Render:
    text_for = _string_by_format(schema.get("format")) or _string_by_name(name.lower())
    minimum = schema.get("minLength") if isinstance(schema.get("minLength"), int) else None
    maximum = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    if minimum is None and maximum is None:
        return text_for

    def render(state: _RenderState, index: int | None) -> str:
        text = text_for(state, index)
        if minimum is not None and len(text) < minimum:
            text = text + "." * (minimum - len(text))

        return text[:maximum] if maximum is not None else text

    return render


def _string_by_name(name: str) -> Render:
    """Pick the kind of text from the field name: example sentence, headword, part of speech, gloss or label."""
    if "example" in name or "sentence" in name:
        count = len(_EXAMPLE_TEMPLATES)
        return lambda state, index: _EXAMPLE_TEMPLATES[int(state.random.random() * count)].format(
            word=state.context.headword
        )

    if name in _HEADWORD_NAMES:
        return lambda state, index: state.context.headword

    if _is_part_of_speech_name(name):
        return lambda state, index: state.context.part_of_speech or "noun"

    label = name.replace("_", " ").strip() or "note"
    is_definition = any(marker in name for marker in _DEFINITION_MARKERS)

    def render(state: _RenderState, index: int | None) -> str:
        # The request's own gloss fits only the first definition, so later ones get labels.
        if is_definition and state.context.definition and not index:
            return state.context.definition

        suffix = f" ({index + 1})" if index is not None else ""
        return f"{label} for {state.context.headword}{suffix}"

    return render


def _string_by_format(string_format: Any) -> Render | None:
    fixed = {
        "date": "2024-01-15",
        "date-time": "2024-01-15T12:00:00Z",
        "time": "12:00:00Z",
        "uuid": "00000000-0000-4000-8000-000000000000",
    }
    if string_format in fixed:
        text = fixed[string_format]
        return lambda state, index: text

    if string_format == "email":
        return lambda state, index: f"{_slug(state.context.headword)}@example.com"

    if string_format == "uri":
        return lambda state, index: f"https://example.com/{_slug(state.context.headword)}"

    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "word"


def _integer_render(schema: dict[str, Any]) -> Render:
    low, high = _integer_bounds(schema)
    step = schema.get("multipleOf") if isinstance(schema.get("multipleOf"), int) and schema["multipleOf"] > 0 else None

    def render(state: _RenderState, index: int | None) -> int:
        value = low + int(state.random.random() * (high - low + 1))
        if step is not None:
            value = math.ceil(value / step) * step
            if value > high:
                value -= step

        return value

    return render


def _integer_bounds(schema: dict[str, Any]) -> tuple[int, int]:
    low = _bound(schema, "minimum", "exclusiveMinimum", direction=1)
    high = _bound(schema, "maximum", "exclusiveMaximum", direction=-1)
    low = math.ceil(low) if low is not None else None
    high = math.floor(high) if high is not None else None

    if low is None and high is None:
        return 1, 5

    if low is None:
        return min(1, high - 4), high

    if high is None:
        return low, low + 4

    return low, max(low, high)


def _number_render(schema: dict[str, Any]) -> Render:
    low = _bound(schema, "minimum", "exclusiveMinimum", direction=1, epsilon=0.01)
    high = _bound(schema, "maximum", "exclusiveMaximum", direction=-1, epsilon=0.01)
    low = 0.0 if low is None else low
    high = max(low, low + 1.0 if high is None else high)

    def render(state: _RenderState, index: int | None) -> float:
        value = round(low + (high - low) * state.random.random(), 2)
        return min(max(value, low), high)

    return render


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, *, direction: int, epsilon: float = 1) -> float | None:
    """Return the tightest bound. An exclusive bound moves inward by `epsilon` to become inclusive."""
    candidates = []
    if isinstance(schema.get(inclusive), (int, float)) and not isinstance(schema.get(inclusive), bool):
        candidates.append(schema[inclusive])

    if isinstance(schema.get(exclusive), (int, float)) and not isinstance(schema.get(exclusive), bool):
        candidates.append(schema[exclusive] + direction * epsilon)

    if not candidates:
        return None

    return max(candidates) if direction > 0 else min(candidates)
