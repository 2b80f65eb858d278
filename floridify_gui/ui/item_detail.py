"""The detail pane of the result grid's current item."""

import json

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from floridify_gui.ui import queries
from floridify_gui.ui.formatting import format_time
from floridify_gui.ui.queries import ItemDetail
from floridify_gui.ui.services import Services
from floridify_gui.ui.tasks import run_task


class ItemDetailPane(QWidget):
    """Shows one item's request, response, outcome and the value applied to its entry."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._item_id: int | None = None
        self._dirty = False
        self._loading = False

        self.title = QLabel("Select a row to see its request and response.", self)
        self.title.setWordWrap(True)
        self.tabs = QTabWidget(self)
        self.outcome_text = self._add_tab("Outcome")
        self.request_text = self._add_tab("Request")
        self.response_text = self._add_tab("Response")
        self.entry_value_text = self._add_tab("Entry value")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs, 1)

    def _add_tab(self, title: str) -> QPlainTextEdit:
        text = QPlainTextEdit(self, readOnly=True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.tabs.addTab(text, title)
        return text

    @property
    def item_id(self) -> int | None:
        """The item shown, or None."""
        return self._item_id

    def show_item(self, item_id: int | None) -> None:
        """Show `item_id` (read in the background); None clears the pane."""
        self._item_id = item_id
        if item_id is None:
            self._show(None)
            return
        self.mark_dirty()
        self.flush()

    def mark_dirty(self) -> None:
        """Note that the shown item changed; `flush` reads it again."""
        self._dirty = True

    def flush(self) -> None:
        """Re-read the shown item if it changed and no read is running."""
        if self._dirty and not self._loading and self._item_id is not None:
            self._dirty = False
            self._loading = True
            run_task(self._load(self._item_id), name=f"load item {self._item_id}")

    async def _load(self, item_id: int) -> None:
        try:
            detail = await self._services.reader.run(queries.item_detail, item_id)
        finally:
            self._loading = False
        if item_id == self._item_id:
            self._show(detail)

    def _show(self, detail: ItemDetail | None) -> None:
        if detail is None:
            self.title.setText("Select a row to see its request and response.")
            for text in (self.outcome_text, self.request_text, self.response_text, self.entry_value_text):
                text.clear()
            return

        item = detail.item
        self.title.setText(f"{item.headword} · {item.component} · {item.status} (item {item.id}, job {detail.job.name})")
        self.outcome_text.setPlainText(describe_outcome(detail))
        self.request_text.setPlainText(describe_request(detail))
        self.response_text.setPlainText(_pretty(item.result) or _pretty(detail.cached_content)
                                        or "(no response stored)")
        self.entry_value_text.setPlainText(_pretty(detail.entry_value) or "(nothing applied to the entry)")


def describe_outcome(detail: ItemDetail) -> str:
    """Return the item's status, outcome and bookkeeping as text."""
    item = detail.item
    lines = [
        f"Status: {item.status}",
        f"Outcome: {item.outcome_code or '—'}",
        f"Message: {item.outcome_message or '—'}",
        f"Attempts: {item.attempts}",
        f"From cache: {'yes' if item.cache_hit else 'no'}",
        f"Updated: {format_time(item.updated_at)}",
        f"Job: {detail.job.name} (#{detail.job.id}, {detail.job.mode}, {detail.job.model})",
    ]
    if detail.batch_remote_id:
        lines.append(f"Remote batch: {detail.batch_remote_id}")
    if item.request_key:
        lines.append(f"Request key: {item.request_key}")
    return "\n".join(lines)


def describe_request(detail: ItemDetail) -> str:
    """Return the rebuilt request body, noting whether it is the one that was sent."""
    if detail.request_body is None:
        return "(the request cannot be rebuilt)"
    if detail.item.request_key is None:
        note = "Rebuilt request (not sent yet):"
    elif detail.request_matches:
        note = "Request as sent (rebuilt; its key matches the stored one):"
    else:
        note = "Rebuilt request; it differs from the one sent, because prompts or settings changed since:"
    return f"{note}\n{detail.request_body}"


def _pretty(text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
