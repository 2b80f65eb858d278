"""The result grid's table model: job items read lazily, page by page."""

import logging
import time
from array import array
from collections import OrderedDict
from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from floridify_gui.ui import queries
from floridify_gui.ui.queries import ItemFilter, ItemRow
from floridify_gui.ui.row_model import fill_role_data
from floridify_gui.ui.tasks import run_task

log = logging.getLogger("floridify_gui.ui")

PAGE_SIZE = 256
MAX_CACHED_PAGES = 64

# (column key, header); the key is also the SQL sort key.
COLUMNS = [
    ("headword", "Headword"),
    ("part_of_speech", "Part of speech"),
    ("gloss", "Gloss"),
    ("component", "Component"),
    ("status", "Status"),
    ("outcome_message", "Outcome"),
    ("attempts", "Attempts"),
    ("updated_at", "Updated"),
    ("result", "Result"),
]

STATUS_COLORS = {
    "succeeded": QColor("#2e7d32"),
    "failed": QColor("#c62828"),
    "refused": QColor("#c62828"),
    "truncated": QColor("#c62828"),
    "running": QColor("#1565c0"),
    "submitted": QColor("#1565c0"),
    "retrying": QColor("#ef6c00"),
    "waiting": QColor("#ef6c00"),
}

# Shown in the first column of a row whose page is still being read.
LOADING_TEXT = "…"
# Returned by _shown_row for a row whose page is not cached yet.
_NOT_READ = object()

ItemIdRole = Qt.ItemDataRole.UserRole + 1
StatusRole = Qt.ItemDataRole.UserRole + 2


class ResultGridModel(QAbstractTableModel):
    """Job items of the current filter, for a QTableView.

    The model holds only the ordered ids of the matching items (one SQL
    query, run on the reader thread). Rows are read in pages of PAGE_SIZE
    on the reader thread the first time the view requests them, so painting
    never waits for SQLite: until its page arrives a row shows a
    placeholder. The last MAX_CACHED_PAGES pages stay cached, so 500,000
    items cost 4 MB of ids and a few hundred rows. Filtering and sorting
    happen in SQL.

    Items that change while shown are marked with `mark_items_changed`, and
    `refresh_changed` (called by the window's repaint timer) re-reads their
    pages. Rows keep their place even when they no longer match a status
    filter, so a retried row does not jump away under the cursor.

    Signals:
        reloaded(bool): The id list was replaced. The argument is True when a
            new filter or sort order was set since the last replacement, and
            False when the same query was only run again.
        countsChanged(object): A dict of item count per status for the
            current filter, ignoring its status condition.
    """

    reloaded = Signal(bool)
    countsChanged = Signal(object)

    def __init__(self, reader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._filter = ItemFilter()
        self._ids = array("q")
        self._pages: OrderedDict[int, list[ItemRow | None]] = OrderedDict()
        self._pages_requested: set[int] = set()
        # Pages that changed while being read; they are read again when that read ends.
        self._pages_outdated: set[int] = set()
        self._changed_ids: set[int] = set()
        self._generation = 0
        self._loading = False
        # Set by set_filter and cleared when ids arrive, so a plain reload that supersedes a
        # filter change still reports the change.
        self._filter_changed = False
        self._counts: dict[str, int] = {}

    # Qt model interface

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        if orientation == Qt.Orientation.Vertical:
            return section + 1
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None

        row = self._shown_row(index.row())
        if row is _NOT_READ:
            return LOADING_TEXT if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        if row is None:
            return "(removed)" if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None

        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return display_value(row, key)
        if role == Qt.ItemDataRole.ToolTipRole and key in ("gloss", "outcome_message", "result"):
            return display_value(row, key) or None
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            color = STATUS_COLORS.get(row.status)
            return QBrush(color) if color else None
        if role == ItemIdRole:
            return row.id
        if role == StatusRole:
            return row.status
        return None

    def multiData(self, index: QModelIndex, roleDataSpan) -> None:  # noqa: N802, N803
        fill_role_data(self, index, roleDataSpan)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column][0] not in queries.SORT_FIELDS:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_filter(replace(self._filter, sort_key=COLUMNS[column][0], descending=descending))

    # Filtering and loading

    @property
    def item_filter(self) -> ItemFilter:
        """The filter and order of the rows shown."""
        return self._filter

    @property
    def is_loading(self) -> bool:
        """Whether a query for a new id list is running."""
        return self._loading

    @property
    def status_counts(self) -> dict[str, int]:
        """Item count per status for the current filter, ignoring its status condition."""
        return dict(self._counts)

    def set_filter(self, item_filter: ItemFilter) -> None:
        """Show the items that match `item_filter`; the ids are read in the background."""
        self._filter = item_filter
        self._filter_changed = True
        self.reload()

    def reload(self) -> None:
        """Re-run the current filter's query, replacing the rows when it returns."""
        self._generation += 1
        self._loading = True
        run_task(self._load(self._generation, self._filter), name="load result ids")

    async def _load(self, generation: int, item_filter: ItemFilter) -> None:
        started = time.perf_counter()
        ids = await self._reader.run(queries.item_ids, item_filter)
        counts = await self._reader.run(queries.status_counts, item_filter)
        if generation != self._generation:
            return  # a newer filter was set while this query ran

        self.beginResetModel()
        self._ids = ids
        self._pages.clear()
        self._pages_requested.clear()
        self._pages_outdated.clear()
        self._changed_ids.clear()
        self.endResetModel()

        self._loading = False
        self._counts = counts
        filter_changed, self._filter_changed = self._filter_changed, False
        log.debug("Loaded %s result ids in %.3f s", len(ids), time.perf_counter() - started)
        self.countsChanged.emit(dict(counts))
        self.reloaded.emit(filter_changed)

    def refresh_counts(self) -> None:
        """Re-count the items per status in the background and emit countsChanged."""
        run_task(self._load_counts(self._generation), name="count result statuses")

    async def _load_counts(self, generation: int) -> None:
        counts = await self._reader.run(queries.status_counts, self._filter)
        if generation == self._generation and counts != self._counts:
            self._counts = counts
            self.countsChanged.emit(dict(counts))

    # Rows

    def row_at(self, row: int) -> ItemRow | None:
        """Return the item shown at `row`, reading its page on this thread if it is not cached.

        For actions on a few rows the user picked; painting uses the pages
        read in the background instead.
        """
        page_number = row // PAGE_SIZE
        page = self._pages.get(page_number)
        if page is None:
            page = self._store_page(page_number, queries.item_rows(self._page_ids(page_number)))
        else:
            self._pages.move_to_end(page_number)
        return page[row - page_number * PAGE_SIZE]

    def is_row_read(self, row: int) -> bool:
        """Tell whether the page of `row` is cached, so that the view shows its data."""
        return row // PAGE_SIZE in self._pages

    def _shown_row(self, row: int):
        """Return the cached item at `row`, or _NOT_READ after asking for its page."""
        page_number = row // PAGE_SIZE
        page = self._pages.get(page_number)
        if page is None:
            self._request_page(page_number)
            return _NOT_READ
        self._pages.move_to_end(page_number)
        return page[row - page_number * PAGE_SIZE]

    def _request_page(self, page_number: int, *, changed: bool = False) -> None:
        if page_number in self._pages_requested:
            if changed:
                self._pages_outdated.add(page_number)
            return
        self._pages_requested.add(page_number)
        run_task(self._read_page(page_number, self._generation), name=f"read result page {page_number}")

    async def _read_page(self, page_number: int, generation: int) -> None:
        try:
            rows = await self._reader.run(queries.item_rows, self._page_ids(page_number))
        finally:
            if generation == self._generation:
                self._pages_requested.discard(page_number)
        if generation != self._generation:
            return  # the ids were replaced while the page was read

        self._store_page(page_number, rows)
        first = page_number * PAGE_SIZE
        last = min(first + PAGE_SIZE, len(self._ids)) - 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        if page_number in self._pages_outdated:
            self._pages_outdated.discard(page_number)
            self._request_page(page_number)

    def _page_ids(self, page_number: int) -> list[int]:
        start = page_number * PAGE_SIZE
        return list(self._ids[start:start + PAGE_SIZE])

    def _store_page(self, page_number: int, rows: list[ItemRow | None]) -> list[ItemRow | None]:
        self._pages[page_number] = rows
        self._pages.move_to_end(page_number)
        if len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        return rows

    def item_id(self, row: int) -> int:
        """Return the item id shown at `row`."""
        return self._ids[row]

    def all_item_ids(self) -> array:
        """Return the ids of every row, in row order (the model's own array; do not modify it)."""
        return self._ids

    def row_of_item(self, item_id: int) -> int:
        """Return the row showing `item_id`, or -1."""
        try:
            return self._ids.index(item_id)
        except ValueError:
            return -1

    def item_ids_of_rows(self, rows: list[int]) -> list[int]:
        """Return the item ids of `rows` in the given order."""
        return [self._ids[row] for row in rows if 0 <= row < len(self._ids)]

    def mark_items_changed(self, item_ids) -> None:
        """Remember that these items changed; `refresh_changed` re-reads the shown ones."""
        self._changed_ids.update(item_ids)

    def refresh_changed(self) -> bool:
        """Re-read, in the background, the cached pages that contain changed items.

        A page keeps showing its old rows until the new ones arrive.

        Returns:
            Whether any item had changed since the last call.
        """
        if not self._changed_ids:
            return False

        changed = self._changed_ids
        self._changed_ids = set()
        for page_number, page in list(self._pages.items()):
            if any(row is not None and row.id in changed for row in page):
                self._request_page(page_number, changed=True)
        return True


def display_value(row: ItemRow, key: str):
    """Return the value the grid shows for `row` in the column `key`."""
    if key == "result":
        return (row.result_preview or "").replace("\n", " ")
    if key == "updated_at":
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.updated_at)) if row.updated_at else ""
    if key == "component":
        return _component_label(row.component)
    value = getattr(row, key)
    return "" if value is None else value


def _component_label(name: str) -> str:
    from floridify_gui.components import COMPONENTS

    component = COMPONENTS.get(name)
    return component.label if component else name
