"""Table model of the importer's preview."""

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QFont

from floridify_gui.ui.import_sources import FIELD_LABELS


class PreviewModel(QAbstractTableModel):
    """The first parsed rows of a word list, with the detected field of each column in its header."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[list[str]] = []
        self._width = 0
        self._columns: dict[str, int] = {}
        self._has_header = False

    def set_preview(self, rows: list[list[str]], columns: dict[str, int], has_header: bool) -> None:
        """Show `rows` (the header row first when `has_header`) under the field names of `columns`."""
        self.beginResetModel()
        self._rows = [list(row) for row in rows]
        self._width = max((len(row) for row in rows), default=0)
        self._columns = dict(columns)
        self._has_header = has_header and bool(rows)
        self.endResetModel()

    def clear(self) -> None:
        """Show nothing."""
        self.set_preview([], {}, False)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._width

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None

        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row[index.column()] if index.column() < len(row) else ""
        if role == Qt.ItemDataRole.FontRole and self._has_header and index.row() == 0:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.column_title(section) if 0 <= section < self._width else None
        if self._has_header:
            return "header" if section == 0 else str(section)
        return str(section + 1)

    def column_title(self, column: int) -> str:
        """Return "3 · Definition" for a mapped column, "3" for an unmapped one."""
        fields = [FIELD_LABELS[name] for name, index in self._columns.items() if index == column]
        return f"{column + 1} · {fields[0]}" if fields else str(column + 1)

    @property
    def width(self) -> int:
        """Number of columns of the widest preview row."""
        return self._width

    def header_cells(self) -> list[str]:
        """Return the header row's cells, or [] when the input has no header."""
        return list(self._rows[0]) if self._has_header and self._rows else []
