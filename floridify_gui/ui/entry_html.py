"""HTML rendering of an enriched entry for the entry view (no Qt here)."""

from html import escape

from floridify_gui.components import COMPONENTS, SENSE_COMPONENTS, WORD_COMPONENTS
from floridify_gui.ui.queries import EntryData, SenseEntry

STYLE = """
<style>
h1 { margin-bottom: 2px; }
.pos { font-style: italic; color: #555; }
.label { color: #555; font-weight: bold; }
.example { color: #333; font-style: italic; }
.source { color: #888; font-size: small; }
</style>
"""


def render_entry(entry: EntryData | None, headword: str = "") -> str:
    """Return the whole entry as an HTML document, or a "not found" page for None."""
    if entry is None:
        return f"{STYLE}<p>No imported headword “{escape(headword)}”.</p>"

    parts = [STYLE, f"<h1>{escape(entry.headword)}</h1>"]
    parts.extend(_component_blocks(entry.values, WORD_COMPONENTS))
    if entry.senses:
        parts.append("<h2>Senses</h2><ol>")
        parts.extend(_sense_item(sense) for sense in entry.senses)
        parts.append("</ol>")
    else:
        parts.append("<p>No senses yet. Run a job with the Definitions component to draft them.</p>")
    return "".join(parts)


def _sense_item(sense: SenseEntry) -> str:
    pos = f'<span class="pos">{escape(sense.part_of_speech)}</span> ' if sense.part_of_speech else ""
    source = ' <span class="source">(drafted by the model)</span>' if sense.source == "definitions" else ""
    lines = [f"<li><p>{pos}{escape(sense.definition)}{source}</p>"]
    if sense.example:
        lines.append(f'<p class="example">{escape(sense.example)}</p>')
    lines.extend(_component_blocks(sense.values, SENSE_COMPONENTS))
    lines.append("</li>")
    return "".join(lines)


def _component_blocks(values: dict[str, object], order: list[str]) -> list[str]:
    names = [name for name in order if name in values and name != "definitions"]
    names += sorted(name for name in values if name not in order)
    return [_component_block(name, values[name]) for name in names]


def _component_block(name: str, value: object) -> str:
    component = COMPONENTS.get(name)
    label = component.label if component else name
    return f'<p><span class="label">{escape(label)}:</span> {render_value(value)}</p>'


def render_value(value: object) -> str:
    """Render a component's JSON value: lists inline or as bullets, objects as labelled fields."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, (int, float, bool)):
        return escape(str(value))
    if isinstance(value, list):
        return _render_list(value)
    if isinstance(value, dict):
        return _render_object(value)
    return escape(str(value))


def _render_list(values: list) -> str:
    if not values:
        return "—"
    if all(isinstance(item, (str, int, float)) for item in values):
        return escape(", ".join(str(item) for item in values))
    return "<ul>" + "".join(f"<li>{render_value(item)}</li>" for item in values) + "</ul>"


def _render_object(value: dict) -> str:
    # A result with one field ({"synonyms": [...]}) reads best as the field alone.
    if len(value) == 1:
        return render_value(next(iter(value.values())))
    fields = [f"<i>{escape(key.replace('_', ' '))}</i>: {render_value(item)}"
              for key, item in value.items() if item not in (None, "", [])]
    return "; ".join(fields) or "—"
