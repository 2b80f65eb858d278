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
.pattern { color: #555; }
.source { color: #888; font-size: small; }
</style>
"""

# A list of strings reads inline ("port, haven, anchorage") when every item is a short
# phrase of at most this many words. Longer items and sentences get a line each.
MAX_INLINE_ITEM_WORDS = 4


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
    label = escape(component.label if component else name)
    renderer = _COMPONENT_RENDERERS.get(name)
    body = renderer(value) if renderer else None
    if body is None:
        body = render_value(value)

    # HTML allows no list inside a paragraph, so a list follows its label's paragraph.
    if body.startswith("<ul"):
        return f'<p><span class="label">{label}:</span></p>{body}'
    return f'<p><span class="label">{label}:</span> {body}</p>'


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
    if all(isinstance(item, (int, float)) or _is_short_phrase(item) for item in values):
        return escape(", ".join(str(item) for item in values))
    return _bullets(render_value(item) for item in values)


def _is_short_phrase(item: object) -> bool:
    """Return True for a string such as a synonym, not a sentence."""
    if not isinstance(item, str):
        return False
    text = item.strip()
    return len(text.split()) <= MAX_INLINE_ITEM_WORDS and not text.endswith((".", "!", "?"))


def _bullets(items) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _render_object(value: dict) -> str:
    # A result with one field ({"synonyms": [...]}) reads best as the field alone.
    if len(value) == 1:
        return render_value(next(iter(value.values())))
    fields = [f"<i>{escape(key.replace('_', ' '))}</i>: {_render_field(key, item)}"
              for key, item in value.items() if item not in (None, "", [])]
    return "; ".join(fields) or "—"


def _render_field(key: str, value: object) -> str:
    if key == "syllables" and _is_string_list(value):
        return escape("·".join(value))
    return render_value(value)


# Renderers of the components whose values read better in a layout of their own. Each
# returns None for a value of any other shape, which `render_value` then renders.

def _render_examples(value: object) -> str | None:
    examples = _field(value, "examples")
    if not _is_string_list(examples) or not examples:
        return None
    items = "".join(f'<li class="example">{escape(text)}</li>' for text in examples)
    return f'<ul>{items}</ul>'


def _render_usage_notes(value: object) -> str | None:
    notes = _field(value, "notes")
    if not _is_string_list(notes) or not notes:
        return None
    return _bullets(escape(note) for note in notes)


def _render_collocations(value: object) -> str | None:
    collocations = _records(value, "collocations", ("phrase", "pattern"))
    if not collocations:
        return None
    return _bullets(f'<b>{escape(phrase)}</b> <span class="pattern">({escape(pattern)})</span>'
                    for phrase, pattern in collocations)


def _render_grammar_patterns(value: object) -> str | None:
    patterns = _records(value, "patterns", ("pattern", "example"))
    if not patterns:
        return None
    return _bullets(f'<b>{escape(pattern)}</b>: <span class="example">{escape(example)}</span>'
                    for pattern, example in patterns)


def _render_word_forms(value: object) -> str | None:
    forms = _records(value, "forms", ("label", "form"))
    if not forms:
        return None
    return ", ".join(f"<i>{escape(label)}</i> {escape(form)}" for label, form in forms)


def _render_cefr_level(value: object) -> str | None:
    return _label_with_note(value, "level", "rationale")


def _render_register(value: object) -> str | None:
    return _label_with_note(value, "label", "note")


def _render_frequency_band(value: object) -> str | None:
    return _label_with_note(value, "band", "note")


def _label_with_note(value: object, label_key: str, note_key: str) -> str | None:
    """Render {label, note} as "label — note", or the label alone when the note is empty."""
    label, note = _field(value, label_key), _field(value, note_key)
    if not isinstance(label, str) or not label or not (note is None or isinstance(note, str)):
        return None
    if not note:
        return f"<b>{escape(label)}</b>"
    return f"<b>{escape(label)}</b> — {escape(note)}"


def _render_pronunciation(value: object) -> str | None:
    """Render the IPA as "BrE /ˈhɑːbə/; AmE /ˈhɑrbər/; syllables har·bour"."""
    british, american = _field(value, "ipa_british"), _field(value, "ipa_american")
    syllables = _field(value, "syllables")
    if not isinstance(british, str) or not isinstance(american, str) or not _is_string_list(syllables):
        return None

    parts = []
    if british.strip():
        parts.append(f"<i>BrE</i> {escape(_delimited(british))}")
    if american.strip():
        parts.append(f"<i>AmE</i> {escape(_delimited(american))}")
    if syllables:
        parts.append(f"<i>syllables</i> {escape('·'.join(syllables))}")
    return "; ".join(parts) or "—"


def _delimited(transcription: str) -> str:
    """Return a transcription between slashes unless the model already put it in slashes or brackets."""
    text = transcription.strip()
    if (text.startswith("/") and text.endswith("/")) or (text.startswith("[") and text.endswith("]")):
        return text
    return f"/{text}/"


def _render_etymology(value: object) -> str | None:
    """Render the summary followed by "(from Middle English, first attested 14th century)"."""
    summary = _field(value, "summary")
    origin, attested = _field(value, "origin_language"), _field(value, "first_attested")
    if not isinstance(summary, str) or not all(item is None or isinstance(item, str) for item in (origin, attested)):
        return None

    facts = []
    if origin:
        facts.append(f"from {escape(origin)}")
    if attested:
        facts.append(f"first attested {escape(attested)}")
    note = f' <span class="source">({", ".join(facts)})</span>' if facts else ""
    return f"{escape(summary) or '—'}{note}"


def _field(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _records(value: object, key: str, fields: tuple[str, ...]) -> list[tuple[str, ...]] | None:
    """Return the string fields of each object in `value[key]`, or None when any is missing."""
    items = _field(value, key)
    if not isinstance(items, list) or not items:
        return None
    if not all(isinstance(item, dict) and all(isinstance(item.get(name), str) for name in fields) for item in items):
        return None
    return [tuple(item[name] for name in fields) for item in items]


_COMPONENT_RENDERERS = {
    "cefr_level": _render_cefr_level,
    "register": _render_register,
    "frequency_band": _render_frequency_band,
    "pronunciation": _render_pronunciation,
    "etymology": _render_etymology,
    "examples": _render_examples,
    "usage_notes": _render_usage_notes,
    "collocations": _render_collocations,
    "grammar_patterns": _render_grammar_patterns,
    "word_forms": _render_word_forms,
}
