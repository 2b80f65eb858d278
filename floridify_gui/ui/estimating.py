"""The importer's pre-flight estimate, computed without storing anything.

`Engine.estimate` takes word ids, so the words would have to be imported
before the user decides, and the importer promises that cancelling imports
nothing. Importing into a rolled-back transaction instead held the engine's
database thread for minutes on a 370,000-word list (measured: 164 s for
`jobs.import_entries` plus `jobs.plan_items` on words_alpha.txt), stalling
every running job. So the items are planned here in memory, the way
`jobs.plan_items` plans them, reading only the senses of headwords already
in the database, and the requests are built and priced chunk by chunk with
the engine's own functions. Everything runs on a worker thread and stops
between chunks when asked to.

FIXME(engine): the planning rules mirror `jobs.plan_items` and the pricing
mirrors `Engine.estimate`; an engine method that estimates from entries
would keep them from drifting apart.
"""

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

from floridify_gui.components import COMPONENTS, SENSE, WORD
from floridify_gui.connector.batch_files import MAX_FILE_BYTES, MAX_REQUESTS_PER_FILE, encode_line
from floridify_gui.connector.accumulator import PendingRequest
from floridify_gui.connector.ledger import lookup_cache
from floridify_gui.cost import estimate_completion_tokens, estimate_prompt_tokens, pricing
from floridify_gui.engine import Estimate
from floridify_gui.engine.engine import ASSUMED_SENSES_PER_WORD
from floridify_gui.engine.jobs import DEFINITIONS, ItemContext
from floridify_gui.engine.pipeline import pairs_for_items
from floridify_gui.storage import Sense, Word, chunked
from floridify_gui.wordlist import Entry

log = logging.getLogger("floridify_gui.ui")

CHUNK_ENTRIES = 2_000


class EstimateCancelled(Exception):
    """The caller's `should_abort` returned True."""


@dataclass(frozen=True)
class EstimateOptions:
    """What the estimate depends on besides the entries."""

    components: tuple[str, ...]
    mode: str
    model: str
    temperature: float | None
    token_budget: int


class _FileCounter:
    """Counts batch input files the way `split_into_files` fills them, without keeping the lines."""

    def __init__(self, max_tokens: int | None) -> None:
        self.max_tokens = max_tokens
        self.files = 0
        self._requests = self._bytes = self._tokens = 0

    def add(self, line_bytes: int, tokens: int) -> None:
        full = self._requests and (
            self._requests >= MAX_REQUESTS_PER_FILE
            or self._bytes + line_bytes > MAX_FILE_BYTES
            or (self.max_tokens is not None and self._tokens + tokens > self.max_tokens)
        )
        if not self._requests or full:
            self.files += 1
            self._requests = self._bytes = self._tokens = 0
        self._requests += 1
        self._bytes += line_bytes
        self._tokens += tokens


def estimate_entries(entries: Sequence[Entry], options: EstimateOptions,
                     should_abort: Callable[[], bool] = lambda: False) -> Estimate:
    """Return the estimate of a job over `entries` (run on a worker thread; reads only).

    Raises:
        EstimateCancelled: `should_abort` returned True between two chunks.
    """
    seen: set[str] = set()
    counter = _FileCounter(options.token_budget)
    planned = cache_hits = prompt = completion = without_senses = 0

    for start in range(0, len(entries), CHUNK_ENTRIES):
        if should_abort():
            raise EstimateCancelled()
        contexts, chunk_without_senses = _plan_chunk(entries[start:start + CHUNK_ENTRIES], options.components)
        without_senses += chunk_without_senses
        pairs = pairs_for_items(contexts, options.model, options.temperature)
        planned += len(pairs)

        fresh = {request.key: request for request, _ in pairs if request.key not in seen}
        seen.update(fresh)
        cached = lookup_cache(list(fresh))
        cache_hits += len(cached)
        for key, request in fresh.items():
            if key in cached:
                continue
            tokens = estimate_prompt_tokens(request.body, request.body_json)
            prompt += tokens
            completion += estimate_completion_tokens(request.body["max_completion_tokens"])
            if options.mode == "batch":
                counter.add(len(encode_line(PendingRequest(request))), tokens)

    return _estimate(options, len(seen), planned, cache_hits, prompt, completion, without_senses, counter.files)


def _estimate(options: EstimateOptions, distinct: int, planned: int, cache_hits: int, prompt: int,
              completion: int, without_senses: int, files: int) -> Estimate:
    extra = without_senses * _sense_level_count(options.components) * ASSUMED_SENSES_PER_WORD
    to_send = distinct - cache_hits
    if to_send:
        # Sense requests of headwords still without senses are priced like the average request.
        prompt += extra * prompt // to_send
        completion += extra * completion // to_send
    table = pricing()
    return Estimate(
        requests=to_send + extra,
        cache_hits=cache_hits,
        duplicates=planned - distinct,
        tokens=prompt + completion,
        cost_immediate=table.cost(options.model, prompt, completion, batch=False),
        cost_batch=table.cost(options.model, prompt, completion, batch=True),
        batch_files=files if options.mode == "batch" else 0,
        headwords_without_senses=without_senses,
    )


def _plan_chunk(entries: Sequence[Entry], components: Sequence[str]) -> tuple[list[ItemContext], int]:
    """Return the items `jobs.plan_items` would create for these entries once imported.

    Returns:
        The items, and how many of the headwords have no senses while a sense-level
        component is chosen, so their sense items wait for the definitions stage.
    """
    word_level = [c for c in components if COMPONENTS[c].level == WORD and c != DEFINITIONS]
    sense_level = [c for c in components if COMPONENTS[c].level == SENSE]
    stored = _stored_words([entry.key for entry in entries])
    contexts: list[ItemContext] = []
    without_senses = 0

    for entry in entries:
        headword, senses = stored.get(entry.key, (entry.headword, []))
        senses = _merged_senses(senses, entry)
        if sense_level and not senses:
            without_senses += 1
        for component in word_level:
            contexts.append(ItemContext(0, 0, None, component, headword, None, None, None, None))
        if DEFINITIONS in components or (sense_level and not senses):
            contexts.append(ItemContext(0, 0, None, DEFINITIONS, headword, None, None, None, None))
        for part_of_speech, definition, example in senses:
            for component in sense_level:
                contexts.append(ItemContext(0, 0, 0, component, headword, part_of_speech, definition, example, None))
    return contexts, without_senses


# The parts of a sense that go into its requests: part of speech, definition and example.
SenseText = tuple[str | None, str, str | None]


def _merged_senses(stored: list[SenseText], entry: Entry) -> list[SenseText]:
    """Return the stored senses plus the entry's new ones, as `jobs.import_entries` would store them.

    As there, a sense counts as known when its part of speech and definition are.
    """
    senses = list(stored)
    known = {(part_of_speech, definition) for part_of_speech, definition, _example in senses}
    for sense in entry.senses:
        pair = (sense.part_of_speech, sense.definition)
        if sense.definition and pair not in known:
            senses.append((sense.part_of_speech, sense.definition, sense.example))
            known.add(pair)
    return senses


def _stored_words(keys: list[str]) -> dict[str, tuple[str, list[SenseText]]]:
    """Return the headword and the senses of each key already imported."""
    words: dict[int, tuple[str, str]] = {}
    for part in chunked(keys, 1):
        for word_id, key, headword in Word.select(Word.id, Word.key, Word.headword).where(Word.key.in_(part)).tuples():
            words[word_id] = (key, headword)

    found = {key: (headword, []) for key, headword in words.values()}
    for part in chunked(list(words), 1):
        query = (Sense.select(Sense.word, Sense.part_of_speech, Sense.definition, Sense.example)
                 .where(Sense.word.in_(part)).order_by(Sense.word, Sense.position).tuples())
        for word_id, part_of_speech, definition, example in query:
            found[words[word_id][0]][1].append((part_of_speech, definition, example))
    return found


def _sense_level_count(components: Sequence[str]) -> int:
    return sum(1 for component in components if COMPONENTS[component].level == SENSE)
