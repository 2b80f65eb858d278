"""The entry view: one headword's whole enriched entry, laid out for reading."""

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from floridify_gui.ui import queries
from floridify_gui.ui.entry_html import render_entry
from floridify_gui.ui.services import Services
from floridify_gui.ui.tasks import run_task


class EntryView(QWidget):
    """Shows the senses and component values of one headword.

    Signals:
        entryShown(str): The headword whose entry is now displayed.
    """

    entryShown = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._headword = ""

        self.search_edit = QLineEdit(self, placeholderText="Headword")
        self.search_edit.returnPressed.connect(lambda: self.show_headword(self.search_edit.text()))
        self.search_edit.textEdited.connect(self._suggest)
        self._suggestions = QStringListModel(self)
        completer = QCompleter(self._suggestions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.activated.connect(self.show_headword)
        self.search_edit.setCompleter(completer)
        show_button = QPushButton("Show", self)
        show_button.clicked.connect(lambda: self.show_headword(self.search_edit.text()))

        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setAcceptDrops(False)  # dropped word lists go to the window's importer
        self.browser.setHtml("<p>Type a headword, or double-click a row of the result grid.</p>")

        search = QHBoxLayout()
        search.addWidget(QLabel("Entry:", self))
        search.addWidget(self.search_edit, 1)
        search.addWidget(show_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(search)
        layout.addWidget(self.browser, 1)

    @property
    def headword(self) -> str:
        """The headword shown."""
        return self._headword

    def show_headword(self, headword: str) -> None:
        """Read and show the entry of `headword` (in the background)."""
        headword = headword.strip()
        if not headword:
            return
        self._headword = headword
        self.search_edit.setText(headword)
        run_task(self._load(headword), name=f"load entry {headword}")

    def refresh(self) -> None:
        """Re-read the entry shown, after its values changed."""
        if self._headword:
            run_task(self._load(self._headword), name=f"reload entry {self._headword}")

    async def _load(self, headword: str) -> None:
        data = await self._services.reader.run(queries.entry, headword)
        if headword != self._headword:
            return
        self.browser.setHtml(render_entry(data, headword))
        self.entryShown.emit(headword)

    def _suggest(self, prefix: str) -> None:
        if len(prefix.strip()) >= 2:
            run_task(self._load_suggestions(prefix.strip()), name="headword suggestions")

    async def _load_suggestions(self, prefix: str) -> None:
        words = await self._services.reader.run(queries.headword_suggestions, prefix)
        self._suggestions.setStringList(words)
