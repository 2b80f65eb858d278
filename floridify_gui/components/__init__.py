"""The registry of components: what can be added to an entry, and how.

A component pairs a prompt template (resources/prompts/<name>.txt), a
response model and the code that applies a validated result to the entry.
Word-level components are requested once per headword, sense-level ones
once per sense.
"""

import functools
import json
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel

from floridify_gui.components import models
from floridify_gui.paths import resources_dir
from floridify_gui.storage.models import EntryValue, Sense, now

WORD = "word"
SENSE = "sense"


@dataclass(frozen=True)
class Component:
    """One kind of information a job can add to an entry.

    Attributes:
        name: Stable identifier, used in prompts, the database and the CLI.
        label: Short name for the user interface.
        level: WORD or SENSE.
        response_model: Pydantic model the response must validate against.
        description: One line for tooltips and `--help`.
        max_tokens: Output budget of a first attempt; truncated items are
            retried with a larger one.
        apply: Writes a validated result into the entry (called inside the
            database transaction that stores the item's outcome).
    """

    name: str
    label: str
    level: str
    response_model: type[BaseModel]
    description: str
    max_tokens: int
    apply: Callable[[int, int | None, BaseModel], None]

    @property
    def prompt(self) -> str:
        """Return the task instruction of this component's prompt template."""
        return _read_prompt(self.name)


@functools.cache
def _read_prompt(name: str) -> str:
    return (resources_dir() / "prompts" / f"{name}.txt").read_text(encoding="utf-8").strip()


def system_prompt() -> str:
    """Return the instruction shared by every component's request."""
    return _read_prompt("system")


def store_entry_value(word_id: int, sense_id: int | None, result: BaseModel) -> None:
    """Store a component's result as the entry's value for that word or sense."""
    scope = f"sense:{sense_id}" if sense_id is not None else f"word:{word_id}"
    component = _COMPONENT_BY_MODEL[type(result)]
    (
        EntryValue.insert(
            word=word_id,
            sense=sense_id,
            scope=scope,
            component=component,
            value=result.model_dump_json(),
            updated_at=now(),
        )
        .on_conflict(
            conflict_target=[EntryValue.scope, EntryValue.component],
            update={EntryValue.value: result.model_dump_json(), EntryValue.updated_at: now()},
        )
        .execute()
    )


def _store_definitions(word_id: int, sense_id: int | None, result: BaseModel) -> None:
    """Replace the senses an earlier definitions run drafted with the new ones.

    Imported senses are never touched; drafted senses are numbered after them.
    """
    Sense.delete().where((Sense.word == word_id) & (Sense.source == "definitions")).execute()
    last = Sense.select(Sense.position).where(Sense.word == word_id).order_by(Sense.position.desc()).first()
    start = last.position + 1 if last else 0

    rows = [
        {
            "word": word_id,
            "position": start + offset,
            "part_of_speech": sense.part_of_speech,
            "definition": sense.definition,
            "example": sense.example,
            "source": "definitions",
        }
        for offset, sense in enumerate(result.senses)
    ]
    if rows:
        Sense.insert_many(rows).execute()


def _component(name, label, level, model, description, max_tokens=600, apply=store_entry_value):
    return Component(name, label, level, model, description, max_tokens, apply)


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in [
        _component("definitions", "Definitions", WORD, models.DefinitionsResult,
                   "Draft senses for headwords imported without definitions.", 1200,
                   _store_definitions),
        _component("etymology", "Etymology", WORD, models.EtymologyResult,
                   "Origin and history of the headword."),
        _component("pronunciation", "Pronunciation", WORD, models.PronunciationResult,
                   "British and American IPA, syllable division."),
        _component("word_forms", "Word forms", WORD, models.WordFormsResult,
                   "Inflections and derived forms."),
        _component("synonyms", "Synonyms", SENSE, models.SynonymsResult,
                   "Synonyms in this sense, closest first."),
        _component("antonyms", "Antonyms", SENSE, models.AntonymsResult,
                   "Antonyms in this sense."),
        _component("examples", "Examples", SENSE, models.ExamplesResult,
                   "Example sentences containing the headword."),
        _component("cefr_level", "CEFR level", SENSE, models.CefrLevelResult,
                   "CEFR level (A1–C2) at which learners know this sense.", 300),
        _component("frequency_band", "Frequency band", SENSE, models.FrequencyBandResult,
                   "How common this sense is, in five bands.", 300),
        _component("register", "Register", SENSE, models.RegisterResult,
                   "Register label (formal, informal, slang …).", 300),
        _component("domain", "Domain", SENSE, models.DomainResult,
                   "Subject domain labels.", 300),
        _component("collocations", "Collocations", SENSE, models.CollocationsResult,
                   "Strong collocations with their patterns."),
        _component("grammar_patterns", "Grammar patterns", SENSE, models.GrammarPatternsResult,
                   "Valency and grammatical patterns with examples."),
        _component("usage_notes", "Usage notes", SENSE, models.UsageNotesResult,
                   "Notes on errors, confusables and regional use."),
    ]
}

_COMPONENT_BY_MODEL = {c.response_model: c.name for c in COMPONENTS.values()}

WORD_COMPONENTS = [c.name for c in COMPONENTS.values() if c.level == WORD]
SENSE_COMPONENTS = [c.name for c in COMPONENTS.values() if c.level == SENSE]
DEFAULT_COMPONENTS = ["synonyms", "antonyms", "examples", "cefr_level", "register"]


class UnknownComponentError(ValueError):
    """A component name that is not in the registry."""


def resolve_components(names: list[str] | str | None) -> list[str]:
    """Validate component names (a list or a comma-separated string).

    Raises:
        UnknownComponentError: a name is not registered; the message lists the known ones.
    """
    if names is None:
        return list(DEFAULT_COMPONENTS)
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]

    unknown = [name for name in names if name not in COMPONENTS]
    if unknown:
        raise UnknownComponentError(
            f"Unknown component {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}"
        )
    if not names:
        raise UnknownComponentError("No component chosen; choose from " + ", ".join(COMPONENTS))
    return list(dict.fromkeys(names))


def parse_result(component: str, content: str) -> BaseModel:
    """Validate a response's JSON content with the component's model."""
    return COMPONENTS[component].response_model.model_validate_json(content)


def result_as_dict(content: str | None) -> dict | None:
    """Decode stored JSON content, for display and export."""
    return json.loads(content) if content else None
