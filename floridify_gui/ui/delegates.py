"""Item delegates shared by the job queue and the batch status view."""

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

SUCCEEDED_COLOR = QColor("#43a047")
FAILED_COLOR = QColor("#e53935")
PENDING_COLOR = QColor("#cfd8dc")

# Role whose value is a (succeeded, failed, total) tuple of ints.
SegmentsRole = Qt.ItemDataRole.UserRole + 20


class StackedBarDelegate(QStyledItemDelegate):
    """Paints a bar of succeeded, failed and pending parts of a total.

    The index must return a (succeeded, failed, total) tuple for
    SegmentsRole; its DisplayRole text is drawn over the bar.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        segments = index.data(SegmentsRole)
        if not segments:
            super().paint(painter, option, index)
            return

        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())

        bar = option.rect.adjusted(3, 4, -3, -4)
        self._paint_segments(painter, bar, *segments)
        painter.setPen(option.palette.text().color())
        painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        painter.restore()

    @staticmethod
    def _paint_segments(painter: QPainter, bar: QRect, succeeded: int, failed: int, total: int) -> None:
        painter.fillRect(bar, PENDING_COLOR)
        if total <= 0:
            return

        succeeded_width = round(bar.width() * min(succeeded, total) / total)
        failed_width = round(bar.width() * min(failed, total - min(succeeded, total)) / total)
        painter.fillRect(QRect(bar.left(), bar.top(), succeeded_width, bar.height()), SUCCEEDED_COLOR)
        painter.fillRect(QRect(bar.left() + succeeded_width, bar.top(), failed_width, bar.height()), FAILED_COLOR)
