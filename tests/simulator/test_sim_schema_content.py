"""Content generation from JSON schemas, checked with pydantic models that produced the schemas."""

from __future__ import annotations

import enum
from typing import Literal

import pytest
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel, Field

from floridify_gui.simulator.schema_content import (
    EntryContext,
    context_from_messages,
    generate_from_schema,
)

CONTEXT = EntryContext(headword="harbor", part_of_speech="verb", definition="to keep in mind")


class Register(str, enum.Enum):
    formal = "formal"
    neutral = "neutral"
    slang = "slang"


class Bounds(BaseModel):
    small: int = Field(ge=10, le=12)
    above: int = Field(gt=100)
    below: int = Field(lt=-5)
    ratio: float = Field(gt=0, lt=0.5)
    code: str = Field(min_length=30, max_length=40)
    tags: list[str] = Field(min_length=4, max_length=5)
    pair: list[int] = Field(max_length=1)


class Node(BaseModel):
    label: str
    children: list[Node]
    parent: Node | None


class Wide(BaseModel):
    style: Register
    kind: Literal["a", "b"]
    fixed: Literal["only"]
    flag: bool
    note: str | None
    numbers: list[float]
    example_sentence: str
    sentences: list[str]


def _schema(model: type[BaseModel]) -> dict:
    return type_to_response_format_param(model)["json_schema"]["schema"]


@pytest.mark.parametrize("model", [Bounds, Node, Wide])
def test_generated_value_validates(model):
    value = generate_from_schema(_schema(model), CONTEXT)

    model.model_validate(value)


def test_bounds_are_respected():
    value = Bounds.model_validate(generate_from_schema(_schema(Bounds), CONTEXT))

    assert 10 <= value.small <= 12
    assert value.above > 100
    assert value.below < -5
    assert 0 < value.ratio < 0.5
    assert 30 <= len(value.code) <= 40
    assert 4 <= len(value.tags) <= 5
    assert len(value.pair) <= 1


def test_recursive_schema_terminates():
    node = Node.model_validate(generate_from_schema(_schema(Node), CONTEXT))

    depth = 0
    while node.parent is not None:
        node = node.parent
        depth += 1
    assert depth < 20


def test_sentence_fields_contain_headword():
    value = Wide.model_validate(generate_from_schema(_schema(Wide), CONTEXT))

    assert "harbor" in value.example_sentence
    assert all("harbor" in sentence for sentence in value.sentences)
    assert value.fixed == "only"
    assert value.note is not None


def test_generation_is_deterministic():
    schema = _schema(Wide)

    first = generate_from_schema(schema, CONTEXT)
    second = generate_from_schema(schema, CONTEXT)

    assert first == second


def test_generation_varies_with_headword():
    schema = {"type": "object", "properties": {"examples": {"type": "array", "items": {"type": "string"}}}}

    values = {str(generate_from_schema(schema, EntryContext(headword=f"w{index}"))) for index in range(10)}

    assert len(values) > 1


def test_plain_schema_keywords():
    schema = {
        "type": "object",
        "properties": {
            "headword": {"type": "string"},
            "pos": {"enum": ["noun", "verb"]},
            "maybe": {"type": ["integer", "null"]},
            "combined": {"allOf": [{"$ref": "#/definitions/Part"}]},
            "moment": {"type": "string", "format": "date-time"},
            "page": {"type": "string", "format": "uri"},
            "even": {"type": "integer", "multipleOf": 2, "minimum": 1, "maximum": 3},
        },
        "definitions": {"Part": {"type": "object", "properties": {"gloss": {"type": "string"}}}},
    }

    value = generate_from_schema(schema, CONTEXT)

    assert value["headword"] == "harbor"
    assert value["pos"] == "verb"
    assert isinstance(value["maybe"], int)
    assert value["combined"] == {"gloss": "to keep in mind"}
    assert value["moment"] == "2024-01-15T12:00:00Z"
    assert value["page"] == "https://example.com/harbor"
    assert value["even"] == 2


def test_context_read_from_user_message():
    messages = [
        {"role": "system", "content": "Headword: ignored"},
        {"role": "user", "content": [{"type": "text", "text": "Headword: tide\nPart of speech: noun\nDefinition: sea rise"}]},
    ]

    context = context_from_messages(messages)

    assert context == EntryContext(headword="tide", part_of_speech="noun", definition="sea rise")


def test_context_defaults_without_headword_line():
    context = context_from_messages([{"role": "user", "content": "Say hello"}])

    assert context.headword == "word"
