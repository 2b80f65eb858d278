"""Every component's response schema is valid for OpenAI strict structured outputs.

The SDK builds the response_format from the pydantic model. The API rejects
a strict schema with optional keys, defaults or free-form objects, so each
rule is checked on the schema exactly as the SDK sends it.
"""

import hashlib
import typing

import pytest
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel

from floridify_gui.components import COMPONENTS
from floridify_gui.connector import RequestContext, build_request
from floridify_gui.connector.requests import canonical_json
from floridify_gui.paths import resources_dir

NAMES = list(COMPONENTS)
OCEAN = RequestContext("ocean", "noun", "a large sea", None)
MODEL = "gpt-4o-mini"
NULL_SCHEMA = {"type": "null"}

# Keywords whose values are schemas (or maps / lists of schemas) that the walk descends into.
SCHEMA_MAPS = ("properties", "$defs")
SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")


def _response_format(name: str) -> dict:
    return type_to_response_format_param(COMPONENTS[name].response_model)


def _root_schema(name: str) -> dict:
    return _response_format(name)["json_schema"]["schema"]


def _subschemas(schema: dict):
    """Yield `schema` and every schema nested in it, including $defs.

    The walk follows schema keywords only, so a property that happens to be
    named "default" is not mistaken for the `default` keyword.
    """
    yield schema
    for keyword in SCHEMA_MAPS:
        for child in schema.get(keyword, {}).values():
            yield from _subschemas(child)
    for keyword in SCHEMA_LISTS:
        for child in schema.get(keyword, []):
            yield from _subschemas(child)
    if isinstance(schema.get("items"), dict):
        yield from _subschemas(schema["items"])


def _is_object(schema: dict) -> bool:
    declared = schema.get("type")
    return declared == "object" or (isinstance(declared, list) and "object" in declared)


def _object_schemas(name: str) -> list[dict]:
    return [schema for schema in _subschemas(_root_schema(name)) if _is_object(schema)]


def _admits_none(annotation) -> bool:
    return type(None) in typing.get_args(annotation)


def _nested_models(annotation) -> list[type[BaseModel]]:
    """Return the pydantic models an annotation mentions, at any depth (list[X], X | None …)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in typing.get_args(annotation) for model in _nested_models(argument)]


def _models_of(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Return `root` and every model reachable through its fields."""
    found, pending = [], [root]
    while pending:
        model = pending.pop()
        if model in found:
            continue
        found.append(model)
        for field in model.model_fields.values():
            pending.extend(_nested_models(field.annotation))
    return found


def _schema_of_model(name: str, model: type[BaseModel]) -> dict:
    root = _root_schema(name)
    if model is COMPONENTS[name].response_model:
        return root
    return root["$defs"][model.__name__]


def _optional_fields(name: str) -> list[tuple[dict, str, bool]]:
    """Return (model schema, field name, admits None) for every field of every model of a component."""
    return [
        (_schema_of_model(name, model), field_name, _admits_none(field.annotation))
        for model in _models_of(COMPONENTS[name].response_model)
        for field_name, field in model.model_fields.items()
    ]


def test_registry_is_not_empty():
    assert len(COMPONENTS) > 0


@pytest.mark.parametrize("name", NAMES)
def test_response_format_is_strict_json_schema(name):
    response_format = _response_format(name)

    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True


@pytest.mark.parametrize("name", NAMES)
def test_root_schema_is_object(name):
    assert _is_object(_root_schema(name))


@pytest.mark.parametrize("name", NAMES)
def test_objects_forbid_additional_properties(name):
    for schema in _object_schemas(name):
        assert schema.get("additionalProperties") is False, schema.get("title")


@pytest.mark.parametrize("name", NAMES)
def test_objects_require_every_property(name):
    for schema in _object_schemas(name):
        assert sorted(schema.get("required", [])) == sorted(schema.get("properties", {})), schema.get("title")


@pytest.mark.parametrize("name", NAMES)
def test_objects_declare_properties(name):
    # An object without `properties` is a free-form dict, which strict mode rejects.
    for schema in _object_schemas(name):
        assert schema.get("properties"), schema.get("title")


@pytest.mark.parametrize("name", NAMES)
def test_schema_has_no_defaults(name):
    for schema in _subschemas(_root_schema(name)):
        assert "default" not in schema, schema.get("title")


@pytest.mark.parametrize("name", NAMES)
def test_optional_values_are_nullable_any_of(name):
    for model_schema, field_name, admits_none in _optional_fields(name):
        any_of = model_schema["properties"][field_name].get("anyOf", [])
        assert (NULL_SCHEMA in any_of) is admits_none, f"{model_schema.get('title')}.{field_name}"


@pytest.mark.parametrize("name", NAMES)
def test_walk_covers_defs(name):
    # Guards the walk itself: nested models must be visited, or the rules above prove nothing.
    expected = len(_models_of(COMPONENTS[name].response_model))

    assert len(_object_schemas(name)) == expected


@pytest.mark.parametrize("name", NAMES)
def test_component_has_prompt_file(name):
    path = resources_dir() / "prompts" / f"{name}.txt"

    assert path.is_file()
    assert path.read_text(encoding="utf-8").strip()


def test_system_prompt_file_is_not_empty():
    path = resources_dir() / "prompts" / "system.txt"

    assert path.read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("name", NAMES)
def test_request_sets_max_completion_tokens(name):
    body = build_request(name, OCEAN, MODEL).body

    assert body["max_completion_tokens"] == COMPONENTS[name].max_tokens
    assert "max_tokens" not in body


@pytest.mark.parametrize("name", NAMES)
def test_request_omits_temperature_by_default(name):
    assert "temperature" not in build_request(name, OCEAN, MODEL).body


def test_request_carries_given_temperature():
    body = build_request("synonyms", OCEAN, MODEL, temperature=0.3).body

    assert body["temperature"] == 0.3


@pytest.mark.parametrize("name", NAMES)
def test_request_user_message_names_headword(name):
    messages = build_request(name, OCEAN, MODEL).body["messages"]
    user = [message["content"] for message in messages if message["role"] == "user"]

    assert len(user) == 1
    assert "Headword: ocean" in user[0]


@pytest.mark.parametrize("name", NAMES)
def test_request_uses_sdk_response_format(name):
    assert build_request(name, OCEAN, MODEL).body["response_format"] == _response_format(name)


def test_request_key_is_stable():
    first = build_request("synonyms", OCEAN, MODEL)
    second = build_request("synonyms", RequestContext("ocean", "noun", "a large sea", None), MODEL)

    assert first.key == second.key


def test_request_key_hashes_canonical_body():
    request = build_request("synonyms", OCEAN, MODEL)

    assert request.key == hashlib.sha256(canonical_json(request.body).encode("utf-8")).hexdigest()


def test_request_key_changes_with_max_tokens():
    default = build_request("synonyms", OCEAN, MODEL)
    larger = build_request("synonyms", OCEAN, MODEL, max_tokens=COMPONENTS["synonyms"].max_tokens * 2)

    assert default.key != larger.key


@pytest.mark.parametrize("changed", [
    {"context": RequestContext("sea", "noun", "a large sea", None)},
    {"context": RequestContext("ocean", "noun", "a large sea", "the ocean was calm")},
    {"model": "gpt-4o"},
    {"component": "antonyms"},
], ids=["headword", "example", "model", "component"])
def test_request_key_changes_with_input(changed):
    arguments = {"component": "synonyms", "context": OCEAN, "model": MODEL} | changed
    other = build_request(arguments["component"], arguments["context"], arguments["model"])

    assert other.key != build_request("synonyms", OCEAN, MODEL).key



@pytest.mark.parametrize("temperature", [None, 0.7])
@pytest.mark.parametrize("name", list(COMPONENTS))
def test_body_json_matches_canonical_json(name, temperature):

    context = RequestContext("ocean", "noun", 'a "large" sea', "the ocean’s \\ edge")
    request = build_request(name, context, "gpt-4o-mini", temperature=temperature)

    assert request.body_json == canonical_json(request.body)
