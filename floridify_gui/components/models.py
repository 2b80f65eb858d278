"""Response models of the components.

Every model must be accepted by OpenAI's strict structured outputs: all
fields required, no defaults, no free-form dicts, optional values written
as `X | None`. tests/components/test_schemas.py checks those rules on the
schema the SDK builds from each model.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

PartOfSpeech = Literal[
    "noun",
    "verb",
    "adjective",
    "adverb",
    "pronoun",
    "preposition",
    "conjunction",
    "determiner",
    "interjection",
    "numeral",
    "phrase",
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DefinedSense(StrictModel):
    part_of_speech: PartOfSpeech
    definition: str
    example: str | None


class DefinitionsResult(StrictModel):
    senses: list[DefinedSense]


class EtymologyResult(StrictModel):
    origin_language: str | None
    first_attested: str | None
    summary: str


class PronunciationResult(StrictModel):
    ipa_british: str
    ipa_american: str
    syllables: list[str]


class WordForm(StrictModel):
    label: str
    form: str


class WordFormsResult(StrictModel):
    forms: list[WordForm]


class SynonymsResult(StrictModel):
    synonyms: list[str]


class AntonymsResult(StrictModel):
    antonyms: list[str]


class ExamplesResult(StrictModel):
    examples: list[str]


class CefrLevelResult(StrictModel):
    level: Literal["A1", "A2", "B1", "B2", "C1", "C2"]
    rationale: str


class FrequencyBandResult(StrictModel):
    band: Literal["very common", "common", "moderate", "rare", "very rare"]
    note: str | None


class RegisterResult(StrictModel):
    # Named "label" because pydantic models inherit ABC's `register` method.
    label: Literal[
        "neutral", "formal", "informal", "slang", "technical", "literary", "archaic", "offensive"
    ]
    note: str | None


class DomainResult(StrictModel):
    domains: list[str]


class Collocation(StrictModel):
    phrase: str
    pattern: str


class CollocationsResult(StrictModel):
    collocations: list[Collocation]


class GrammarPattern(StrictModel):
    pattern: str
    example: str


class GrammarPatternsResult(StrictModel):
    patterns: list[GrammarPattern]


class UsageNotesResult(StrictModel):
    notes: list[str]
