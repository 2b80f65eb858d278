"""Token estimates and prices.

Tokens are estimated without a tokenizer (tiktoken downloads its encodings
on first use, and this app must work offline): about four characters of
English text or JSON per token, which OpenAI documents as the rule of thumb
for English, plus a few tokens of overhead per message. Output tokens are
estimated at half the component's output budget. Both are estimates; the
actual usage comes from each response.
"""

import functools
import json
import math
from dataclasses import dataclass

from floridify_gui.paths import resources_dir

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4


def estimate_prompt_tokens(body: dict, body_json: str | None = None) -> int:
    """Estimate the input tokens of a chat request body (messages and schema).

    FIXME(cost): counting the whole JSON body overestimates because the API
    tokenizes the schema more compactly than its JSON text. Against the
    simulator's usage the estimate is several times too high.
    """
    text_length = len(body_json) if body_json else len(json.dumps(body))
    messages = len(body.get("messages", []))
    return math.ceil(text_length / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * messages


def estimate_completion_tokens(max_tokens: int) -> int:
    """Estimate the output tokens of a request with output budget `max_tokens`."""
    return max_tokens // 2


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: float
    output: float


@dataclass(frozen=True)
class PricingTable:
    checked: str
    batch_discount: float
    models: dict[str, Price]
    default_model: str

    def knows(self, model: str) -> bool:
        """Tell whether the table has a price for `model` or a prefix of it."""
        return any(model.startswith(name) for name in self.models)

    def price(self, model: str) -> Price:
        """Return the model's price; an unknown model is priced as the closest known prefix."""
        if model in self.models:
            return self.models[model]
        for name in sorted(self.models, key=len, reverse=True):
            if model.startswith(name):
                return self.models[name]
        return self.models[self.default_model]

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int, *, batch: bool) -> float:
        """Return the cost in US dollars of the given usage."""
        price = self.price(model)
        dollars = (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000
        return dollars * (self.batch_discount if batch else 1.0)


@functools.cache
def pricing() -> PricingTable:
    """Load resources/pricing.json (editable by the user)."""
    data = json.loads((resources_dir() / "pricing.json").read_text(encoding="utf-8"))
    models = {name: Price(**values) for name, values in data["models"].items()}
    return PricingTable(data["checked"], data["batch_discount"], models, data["default_model"])
