"""A table model over a list of rows with fixed columns, shared by the job and batch panes."""

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QModelIndex, QModelRoleDataSpan, QObject, Qt


class RowListModel(QAbstractTableModel):
    """Rows held in a list, columns given as (key, header) pairs by the subclass.

    Attributes:
        columns: The (key, header text) of each column, in order.
    """

    columns: list[tuple[str, str]] = []

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def multiData(self, index: QModelIndex, roleDataSpan) -> None:  # noqa: N802, N803
        fill_role_data(self, index, roleDataSpan)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1] if 0 <= section < len(self.columns) else None
        return None

    def set_rows(self, rows: list) -> None:
        """Show `rows`; rows with the same ids in the same order are updated in place.

        Updating in place keeps the view's selection and scroll position, which
        a model reset would lose on every periodic re-read.
        """
        if [row.id for row in rows] != [row.id for row in self._rows]:
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()
            return

        self._rows = list(rows)
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.columns) - 1))

    def row_and_key(self, index: QModelIndex):
        """Return (row, column key) for a valid index, else (None, None)."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None, None
        return self._rows[index.row()], self.columns[index.column()][0]


def fill_role_data(model: QAbstractItemModel, index: QModelIndex, role_data_span: QModelRoleDataSpan) -> None:
    """Fill a multiData() request with `model.data()` for each requested role.

    Qt 6's item delegates request about seven roles of a cell in one
    multiData() call, and the default implementation calls data() from C++
    once per role. Each of those calls takes the GIL, and while a worker
    thread runs, each take can wait for a switch interval. Filling all roles here
    takes it once per cell.
    """
    for role_data in role_data_span:
        value = model.data(index, role_data.role())
        if value is None:
            role_data.clearData()
        else:
            role_data.setData(value)
