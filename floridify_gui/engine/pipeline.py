"""From items to requests, and the per-word entry point of the original design."""

from typing import Iterable, Sequence

from floridify_gui.components import COMPONENTS, DEFAULT_COMPONENTS, WORD
from floridify_gui.connector import OpenAIConnector, Outcome, RequestContext, Target, build_request
from floridify_gui.connector.accumulator import BatchPromise
from floridify_gui.connector.requests import StructuredRequest
from floridify_gui.engine.jobs import ItemContext
from floridify_gui.storage import Sense, Word


def request_for_item(item: ItemContext, model: str, temperature: float | None) -> StructuredRequest:
    """Build the request of one job item."""
    if COMPONENTS[item.component].level == WORD:
        context = RequestContext(item.headword)
    else:
        context = RequestContext(item.headword, item.part_of_speech, item.definition, item.example)
    return build_request(item.component, context, model, max_tokens=item.max_tokens,
                         temperature=temperature)


def pairs_for_items(items: Iterable[ItemContext], model: str, temperature: float | None = None):
    """Return (request, target) pairs for job items."""
    return [
        (request_for_item(item, model, temperature), Target(item.word_id, item.sense_id, item.item_id))
        for item in items
    ]


async def resolve_all(answers: Sequence[Outcome | BatchPromise]) -> list[Outcome]:
    """Turn a mix of outcomes and resolved promises into outcomes."""
    return [answer if isinstance(answer, Outcome) else await answer.wait() for answer in answers]


async def enhance_definitions_parallel(
    definitions: list[Sense],
    word: Word,
    ai: OpenAIConnector,
    components: set[str] | None = None,
    force_refresh: bool = False,
    batch_mode: bool = False,
) -> dict[tuple[int | None, str], Outcome]:
    """Enhance one headword's senses (and the word itself) with the chosen components.

    One request is made per definition × sense-level component and one per
    word-level component. In immediate mode they run in parallel; in batch
    mode they are accumulated, sent with `execute_batch()` and applied
    from the promises. Either way each result is cached and applied to the
    entry as it is stored, so callers do not need to know which mode ran.

    Returns:
        The outcome for each (sense id or None for the word, component).
    """
    chosen = components or set(DEFAULT_COMPONENTS)
    if batch_mode and not ai.batch_mode:
        ai = OpenAIConnector(ai.client, ai.worker, model=ai.model, batch_mode=True, job_id=ai.job_id,
                             batch_settings=ai.settings, events=ai.events)

    pairs, slots = [], []
    for name in sorted(chosen):
        targets = [None] if COMPONENTS[name].level == WORD else list(definitions)
        for sense in targets:
            context = _context(word, sense)
            pairs.append((build_request(name, context, ai.model), Target(word.id, sense.id if sense else None)))
            slots.append((sense.id if sense else None, name))

    answers = await ai.request_many(pairs, force_refresh=force_refresh)
    if ai.batch_mode:
        await ai.execute_batch()
    outcomes = await resolve_all(answers)
    return dict(zip(slots, outcomes))


def _context(word: Word, sense: Sense | None) -> RequestContext:
    if sense is None:
        return RequestContext(word.headword)
    return RequestContext(word.headword, sense.part_of_speech, sense.definition, sense.example)
