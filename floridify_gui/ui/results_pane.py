"""The result grid with its filters, actions and the detail pane of the current item."""

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from floridify_gui.components import COMPONENTS
from floridify_gui.ui import queries
from floridify_gui.ui.dialogs import confirm
from floridify_gui.ui.export import export_items, rows_as_tsv
from floridify_gui.ui.item_detail import ItemDetailPane
from floridify_gui.ui.queries import ANY_FAILED, FAILED_STATUSES, ITEM_STATUSES
from floridify_gui.ui.results_model import COLUMNS, ResultGridModel, display_value
from floridify_gui.ui.services import Services
from floridify_gui.ui.settings import export_folder, remember_export_folder
from floridify_gui.ui.tasks import run_task

log = logging.getLogger("floridify_gui.ui")

SEARCH_DELAY_MS = 300
# "Retry all failed in view" shows a confirmation when it would send more items than this,
# because retries are immediate requests at the full price.
RETRY_WITHOUT_ASKING = 20


class ResultsPane(QWidget):
    """Filters, shows, retries and exports job items.

    Signals:
        entryRequested(str): The user asked to see a headword's whole entry.
        message(str): A status-bar message (such as "Exported 1,204 rows").
    """

    entryRequested = Signal(str)
    message = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._reload_requested = False

        self.model = ResultGridModel(services.reader, self)
        self.model.countsChanged.connect(self._show_counts)
        self.model.reloaded.connect(self._on_reloaded)
        self._restore_item: int | None = None
        self._restore_selection: list[int] = []

        self._build_filters()
        self.view = self._make_view()
        self.detail = ItemDetailPane(services, self)
        self.actions_by_name = self._make_actions()
        self._lay_out()

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS, timeout=self.apply_filters)
        self.model.set_filter(self.current_filter())
        self._update_actions()

    # Construction

    def _build_filters(self) -> None:
        self.status_combo = QComboBox(self)
        self.status_combo.addItem("All statuses", None)
        self.status_combo.addItem("any failure", ANY_FAILED)
        for status in ITEM_STATUSES:
            self.status_combo.addItem(status, status)
        self.component_combo = QComboBox(self)
        self.component_combo.addItem("All components", None)
        for name, component in COMPONENTS.items():
            self.component_combo.addItem(component.label, name)
        self.job_combo = QComboBox(self)
        self.job_combo.addItem("All jobs", None)
        self.search_edit = QLineEdit(self, placeholderText="Headword contains…", clearButtonEnabled=True)
        self.count_label = QLabel(self)

        for combo in (self.status_combo, self.component_combo, self.job_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(lambda _index: self.apply_filters())
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())

    def _make_view(self) -> QTableView:
        view = QTableView(self)
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Sorted by headword at first; enabling sorting applies the indicator set before it.
        view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
        view.horizontalHeader().setStretchLastSection(True)
        view.verticalHeader().setDefaultSectionSize(22)
        view.verticalHeader().hide()
        view.setWordWrap(False)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.selectionModel().currentRowChanged.connect(self._on_current_changed)
        view.selectionModel().selectionChanged.connect(lambda *_args: self._update_actions())
        view.doubleClicked.connect(self._on_double_clicked)
        for column, width in ((0, 140), (2, 240), (3, 110), (4, 80), (5, 200)):
            view.setColumnWidth(column, width)
        return view

    def _make_actions(self) -> dict[str, QAction]:
        specs = [
            ("retry_selected", "Retry selected now", QKeySequence("Ctrl+R"), self.retry_selected),
            ("retry_failed", "Retry all failed in view", None, self.retry_all_failed),
            ("copy", "Copy as TSV", QKeySequence.StandardKey.Copy, self.copy_selection),
            ("show_entry", "Show entry", None, self._show_current_entry),
            ("export", "Export view…", None, self.export_view),
        ]
        actions = {}
        for name, text, shortcut, slot in specs:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
                # Ctrl+R works anywhere in the window; Ctrl+C only in the grid, so text boxes keep theirs.
                window_wide = name == "retry_selected"
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut if window_wide
                                          else Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self.view.addAction(action)
            actions[name] = action
        return actions

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        for label, widget in (("Status", self.status_combo), ("Component", self.component_combo),
                              ("Job", self.job_combo)):
            filters.addWidget(QLabel(label + ":", self))
            filters.addWidget(widget)
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.count_label)

        self.retry_button = QPushButton("Retry selected now", self)
        self.retry_button.setToolTip("Send the selected items that failed, were refused or were truncated "
                                     "again at once (Ctrl+R)")
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_failed_button = QPushButton("Retry all failed in view", self)
        self.retry_failed_button.setToolTip(
            "Send every item the filters show that failed, was refused or was truncated again at once, "
            f"as immediate requests at the full price (asks first when there are more than {RETRY_WITHOUT_ASKING})")
        self.retry_failed_button.clicked.connect(self.retry_all_failed)
        export_button = QPushButton("Export…", self)
        export_button.clicked.connect(self.export_view)
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.retry_failed_button)
        buttons.addStretch(1)
        buttons.addWidget(export_button)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(filters)
        top_layout.addWidget(self.view, 1)
        top_layout.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(top)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # Filters

    def current_filter(self) -> queries.ItemFilter:
        """Return the filter the widgets describe, keeping the model's sort order."""
        return replace(self.model.item_filter, status=self.status_combo.currentData(),
                       component=self.component_combo.currentData(), job_id=self.job_combo.currentData(),
                       text=self.search_edit.text().strip())

    def apply_filters(self) -> None:
        """Re-query the grid with the filter widgets' values."""
        self.model.set_filter(self.current_filter())

    def set_status_filter(self, status: str | None) -> None:
        """Show only items of `status` (None for all, ANY_FAILED for every failure)."""
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(status)))
        self.apply_filters()

    def set_job_filter(self, job_id: int | None) -> None:
        """Show only the items of `job_id` (None for all jobs)."""
        if job_id is not None and self.job_combo.findData(job_id) < 0:
            self.job_combo.addItem(f"Job {job_id}", job_id)
        self.job_combo.setCurrentIndex(max(0, self.job_combo.findData(job_id)))
        self.apply_filters()

    def refresh_jobs(self) -> None:
        """Re-read the job names of the job filter."""
        run_task(self._load_jobs(), name="load job names")

    async def _load_jobs(self) -> None:
        choices = await self._services.reader.run(queries.job_choices)
        current = self.job_combo.currentData()
        self.job_combo.clear()
        self.job_combo.addItem("All jobs", None)
        for job_id, name in choices:
            self.job_combo.addItem(f"{name} (#{job_id})", job_id)
        self.job_combo.setCurrentIndex(max(0, self.job_combo.findData(current)))

    def _show_counts(self, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        for index in range(self.status_combo.count()):
            status = self.status_combo.itemData(index)
            if status is None:
                self.status_combo.setItemText(index, f"All statuses ({total:,})")
            elif status == ANY_FAILED:
                failures = sum(counts.get(name, 0) for name in FAILED_STATUSES)
                self.status_combo.setItemText(index, f"any failure ({failures:,})")
            else:
                self.status_combo.setItemText(index, f"{status} ({counts.get(status, 0):,})")
        self.count_label.setText(f"{self.model.rowCount():,} shown")
        self._update_actions()

    # Live updates

    def mark_items_changed(self, item_ids) -> None:
        """Note that these items changed; `flush` repaints the ones shown."""
        self.model.mark_items_changed(item_ids)
        if self.detail.item_id in item_ids:
            self.detail.mark_dirty()

    def request_reload(self) -> None:
        """Re-run the grid's query on the next `flush` (new or removed items)."""
        self._reload_requested = True

    def flush(self) -> None:
        """Apply what changed since the last call (called by the window's repaint timer)."""
        # Cached rows are refreshed even when a reload is due, because they stay on screen until
        # the reloaded ids arrive.
        changed = self.model.refresh_changed()
        if self._reload_requested and not self.model.is_loading:
            self._reload_requested = False
            self._restore_item = self.current_item_id()
            self._restore_selection = self.selected_item_ids()
            self.model.reload()
        elif changed:
            self.model.refresh_counts()
        self.detail.flush()

    def _on_reloaded(self, filter_changed: bool) -> None:
        self.count_label.setText(f"{self.model.rowCount():,} shown")
        if filter_changed:
            self._show_from_top()
        else:
            self._restore_rows()
        self._restore_item, self._restore_selection = None, []
        self._update_actions()

    def _restore_rows(self) -> None:
        """Select again the rows that were current and selected before a re-read of the same query."""
        if self._restore_item is not None:
            self.select_item(self._restore_item)
        if self._restore_selection:
            self._select_items(self._restore_selection)

    def _show_from_top(self) -> None:
        """Show the first matches of a new filter or sort order, keeping the detail pane's item if still shown.

        The model reset cleared the current row without a signal, so the detail pane
        would otherwise keep showing an item the grid may no longer contain.
        """
        item_id = self.detail.item_id
        row = self.model.row_of_item(item_id) if item_id is not None else -1
        if row >= 0:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.view.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)
        elif item_id is not None:
            self.detail.show_item(None)
        # Last, because making a row current scrolls to that row.
        self.view.scrollToTop()

    def _select_items(self, item_ids: list[int]) -> None:
        """Select the rows of `item_ids` that are still shown, keeping the current row."""
        wanted = set(item_ids)
        selection = QItemSelection()
        for row, item_id in enumerate(self.model.all_item_ids()):
            if item_id in wanted:
                selection.select(self.model.index(row, 0), self.model.index(row, len(COLUMNS) - 1))
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().select(selection, flags)

    # Selection

    def current_item_id(self) -> int | None:
        """Return the id of the item in the current row, or None."""
        index = self.view.currentIndex()
        return self.model.item_id(index.row()) if index.isValid() else None

    def selected_item_ids(self) -> list[int]:
        """Return the ids of the selected rows, top to bottom."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return self.model.item_ids_of_rows(rows)

    def select_item(self, item_id: int) -> bool:
        """Make the row of `item_id` current and selected; False if it is not shown."""
        row = self.model.row_of_item(item_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().setCurrentIndex(index, flags)
        self.view.scrollTo(index)
        return True

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.detail.show_item(self.model.item_id(current.row()) if current.isValid() else None)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.entryRequested.emit(row.headword)

    def _show_current_entry(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self._on_double_clicked(index)

    def _update_actions(self) -> None:
        selected = bool(self.view.selectionModel().selectedRows())
        for name in ("retry_selected", "copy", "show_entry"):
            self.actions_by_name[name].setEnabled(selected)
        self.retry_button.setEnabled(selected)

        any_failed = self.model.rowCount() > 0 and self._failed_in_view() > 0
        self.actions_by_name["retry_failed"].setEnabled(any_failed)
        self.retry_failed_button.setEnabled(any_failed)

    def _failed_in_view(self) -> int:
        """Return how many failed, refused or truncated items the current filter shows, by the last counts."""
        counts = self.model.status_counts
        status = self.model.item_filter.status
        if status is None or status == ANY_FAILED:
            return sum(counts.get(name, 0) for name in FAILED_STATUSES)
        return counts.get(status, 0) if status in FAILED_STATUSES else 0

    # Actions

    def retry_selected(self) -> None:
        """Send the selected items that failed, were refused or were truncated again at once.

        Other selected items are skipped and counted in the status message. A succeeded item
        would cost a request for a result already stored, and a pending or running item is
        already on its way. Retries are immediate requests, whatever their job's mode.
        """
        ids = self.selected_item_ids()
        log.debug("Retry of %s selected item(s) requested", len(ids))
        if ids:
            run_task(self._retry_selected(ids), name=f"retry {len(ids)} selected items")

    async def _retry_selected(self, ids: list[int]) -> None:
        # The statuses are read again because the grid's cached rows may be a repaint behind.
        failed = await self._services.reader.run(failed_among, ids)
        skipped = len(ids) - len(failed)
        if not failed:
            self.message.emit(nothing_to_retry_message(len(ids)))
            return
        self.message.emit(f"Retrying {len(failed):,} failed item(s){_skipped_note(skipped)}…")
        await self._retry(failed, skipped)

    def retry_all_failed(self) -> None:
        """Send every failed item of the current filter again at once, asking first when there are many."""
        run_task(self._retry_failed_in_view(self.model.item_filter), name="retry failed items in view")

    async def _retry_failed_in_view(self, item_filter: queries.ItemFilter) -> None:
        ids = await self._services.reader.run(queries.failed_item_ids, item_filter)
        if not ids:
            self.message.emit("No failed items in view.")
            return
        if len(ids) <= RETRY_WITHOUT_ASKING:
            await self._retry_failed(ids)
            return
        confirm(
            self, "Retry failed items", retry_question(len(ids)), "Send again",
            lambda: run_task(self._retry_failed(ids), name=f"retry {len(ids)} failed items in view"))

    async def _retry_failed(self, ids: list[int]) -> None:
        self.message.emit(f"Retrying {len(ids):,} failed item(s)…")
        await self._retry(ids)

    async def _retry(self, ids: list[int], skipped: int = 0) -> None:
        await self._services.engine.retry_items(ids, immediate=True)
        # The engine reports outcomes with ItemsChanged; marking the ids as well repaints items
        # that it put back to pending without an event.
        self.mark_items_changed(ids)
        self.message.emit(f"Retried {len(ids):,} item(s){_skipped_note(skipped)}.")

    def copy_selection(self) -> None:
        """Copy the selected rows to the clipboard as tab-separated text under a header row.

        The header contains the titles of the visible columns, in their on-screen order, and
        the rows hold the same columns as the grid displays them. The rows are read on the
        reader thread, because a large selection contains rows the grid has never read.
        """
        ids = self.selected_item_ids()
        if ids:
            run_task(self._copy_rows(ids, self._visible_columns()), name=f"copy {len(ids)} rows")

    async def _copy_rows(self, ids: list[int], columns: list[int]) -> None:
        rows = await self._services.reader.run(queries.existing_item_rows, ids)
        header = [self.model.headerData(column, Qt.Orientation.Horizontal) for column in columns]
        keys = [COLUMNS[column][0] for column in columns]
        table = [[display_value(row, key) for key in keys] for row in rows]

        QGuiApplication.clipboard().setText(rows_as_tsv([header, *table]))
        self.message.emit(f"Copied {len(table):,} row(s).")

    def _visible_columns(self) -> list[int]:
        """Return the model columns the grid shows, in their on-screen order."""
        header = self.view.horizontalHeader()
        columns = [header.logicalIndex(position) for position in range(header.count())]
        return [column for column in columns if not header.isSectionHidden(column)]

    def export_view(self) -> QFileDialog:
        """Ask for a file name, then write the rows of the current filter as CSV or JSON Lines.

        The dialog opens in the folder of the last export (the Documents folder the first time).

        Returns:
            The dialog, already open; tests read its folder.
        """
        dialog = QFileDialog(self, "Export results")
        dialog.setDirectory(str(export_folder()))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["CSV (*.csv)", "JSON Lines (*.jsonl)"])
        dialog.setDefaultSuffix("csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filterSelected.connect(lambda name: dialog.setDefaultSuffix("jsonl" if "jsonl" in name else "csv"))
        dialog.fileSelected.connect(self.export_to)
        dialog.open()
        return dialog

    def export_to(self, path: str) -> None:
        """Write the rows of the current filter to `path`; the suffix picks CSV or JSON Lines.

        The folder of `path` becomes the one the next Export dialog opens in.
        """
        remember_export_folder(Path(path).absolute().parent)
        file_format = "jsonl" if Path(path).suffix.lower() in (".jsonl", ".json") else "csv"
        run_task(self._export(path, file_format), name=f"export to {path}")

    async def _export(self, path: str, file_format: str) -> None:
        count = await self._services.reader.run(export_items, self.model.item_filter, path, file_format)
        self.message.emit(f"Exported {count:,} row(s) to {path}")


def retry_question(count: int) -> str:
    """Return the question asked before `count` failed items are sent again."""
    return (f"Send the {count:,} failed items in view again now?\n\n"
            "They go out as immediate requests at the full price, without the Batch API's discount, "
            "whatever their job's mode.")


def failed_among(item_ids: list[int]) -> list[int]:
    """Return the ids among `item_ids` whose item failed, was refused or was truncated, in the same order.

    Runs on the reader thread. Ids of items that no longer exist are left out.
    """
    return [row.id for row in queries.existing_item_rows(item_ids) if row.status in FAILED_STATUSES]


def nothing_to_retry_message(selected: int) -> str:
    """Return the status message for a retry of `selected` items of which none failed."""
    if selected == 1:
        return "The selected item did not fail; nothing to retry."
    return f"None of the {selected:,} selected items failed; nothing to retry."


def _skipped_note(skipped: int) -> str:
    return f"; skipped {skipped:,} that had not failed" if skipped else ""
