"""Every Qt model of the app passes pytest-qt's model tester, and the result grid loads lazily."""

from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt
from PySide6.QtWidgets import QApplication

from floridify_gui.ui.import_models import PreviewModel
from floridify_gui.ui.queries import ANY_FAILED
from floridify_gui.ui.results_model import LOADING_TEXT, MAX_CACHED_PAGES, PAGE_SIZE

from .helpers import WAIT_MS, close_window, create_job, fill_job_items, wait_for_job_status, write_words

MANY_ROWS = 200_000


def _open_with_finished_job(qtbot, open_window, tmp_path):
    """Open a window whose queue, batch and result panes show one finished two-word batch job."""
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river"])
    job_id = create_job(qtbot, window, words, "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.batch_pane.model.rowCount() > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.results_pane.model.rowCount() == 2, timeout=WAIT_MS)
    return window


def test_models_pass_model_tester(qtbot, qtmodeltester, open_window, tmp_path):
    window = _open_with_finished_job(qtbot, open_window, tmp_path)

    qtmodeltester.check(window.queue_pane.model)
    qtmodeltester.check(window.batch_pane.model)
    qtmodeltester.check(window.results_pane.model)


def _multi_data_mismatches(model, roles) -> list:
    """Return the (row, column, role) whose multiData() value differs from data()."""
    mismatches = []
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in roles:
                role_data = QModelRoleData(role)
                model.multiData(index, QModelRoleDataSpan(role_data))
                if role_data.data() != model.data(index, role):
                    mismatches.append((row, column, role))
    return mismatches


def test_multi_data_matches_data(qtbot, open_window, tmp_path):
    window = _open_with_finished_job(qtbot, open_window, tmp_path)
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
             Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.UserRole + 1, Qt.ItemDataRole.UserRole + 2]

    assert _multi_data_mismatches(window.queue_pane.model, roles) == []
    assert _multi_data_mismatches(window.batch_pane.model, roles) == []
    assert _multi_data_mismatches(window.results_pane.model, roles) == []


def test_preview_model_passes_model_tester(qtmodeltester):
    model = PreviewModel()
    model.set_preview([["headword", "definition"], ["bank", "land beside a river"], ["swift"]],
                      {"headword": 0, "definition": 1}, has_header=True)

    qtmodeltester.check(model)


def _open_with_many_items(qtbot, open_window, tmp_path, count: int):
    """Open a window on a database with one finished job of `count` items (every 10th failed)."""
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["seed"])
    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    db_path = window.db_path
    close_window(qtbot, window)
    fill_job_items(db_path, job_id, count)
    return open_window(db_path), job_id


def _wait_for_rows_read(qtbot, model, rows: list[int]) -> None:
    """Ask for `rows` as the view does and wait until their pages have been read in the background."""
    for row in rows:
        model.index(row, 0).data()
    qtbot.waitUntil(lambda: all(model.is_row_read(row) for row in rows), timeout=WAIT_MS)


def test_grid_shows_placeholder_until_page_read(qtbot, open_window, tmp_path):
    window, _job_id = _open_with_many_items(qtbot, open_window, tmp_path, 5_000)
    model = window.results_pane.model
    qtbot.waitUntil(lambda: model.rowCount() == 5_001, timeout=WAIT_MS)
    last_row = model.rowCount() - 1

    shown_before = model.index(last_row, 0).data()
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT_MS,
                          check_params_cb=lambda first, last, *_roles: first.row() <= last_row <= last.row()):
        pass
    shown_after = model.index(last_row, 0).data()

    assert shown_before == LOADING_TEXT
    assert shown_after == "word004999"


def test_copy_includes_rows_never_read(qtbot, open_window, tmp_path):
    window, _job_id = _open_with_many_items(qtbot, open_window, tmp_path, 5_000)
    pane = window.results_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5_001, timeout=WAIT_MS)

    pane.view.selectAll()
    with qtbot.waitSignal(pane.message, timeout=WAIT_MS):
        pane.copy_selection()
    lines = QApplication.clipboard().text().split("\n")

    assert len(lines) == 1 + 5_001
    assert not any(line.startswith(LOADING_TEXT) for line in lines)
    assert lines[-1].startswith("word004999\t")


def test_grid_loads_many_rows_lazily(qtbot, open_window, tmp_path):
    window, _job_id = _open_with_many_items(qtbot, open_window, tmp_path, MANY_ROWS)
    model = window.results_pane.model
    qtbot.waitUntil(lambda: model.rowCount() == MANY_ROWS + 1, timeout=WAIT_MS)

    window.results_pane.view.scrollToBottom()
    last_row, middle_row = model.rowCount() - 1, MANY_ROWS // 2
    _wait_for_rows_read(qtbot, model, [last_row, middle_row])
    last = model.index(last_row, 0).data()
    middle = model.index(middle_row, 0).data()

    assert last == "word199999"
    assert middle.startswith("word")
    assert len(model._pages) <= MAX_CACHED_PAGES
    assert len(model._pages) < model.rowCount() // PAGE_SIZE


def test_grid_filters_and_counts_in_sql(qtbot, open_window, tmp_path):
    window, _job_id = _open_with_many_items(qtbot, open_window, tmp_path, 20_000)
    pane = window.results_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 20_001, timeout=WAIT_MS)

    pane.set_status_filter(ANY_FAILED)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2_000, timeout=WAIT_MS)
    failed_text = pane.status_combo.itemText(pane.status_combo.findData("failed"))
    pane.search_edit.setText("word0199")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=WAIT_MS)

    assert failed_text == "failed (2,000)"
    assert {pane.model.row_at(row).status for row in range(10)} == {"failed"}


def test_grid_sorts_in_sql(qtbot, open_window, tmp_path):
    window, _job_id = _open_with_many_items(qtbot, open_window, tmp_path, 5_000)
    model = window.results_pane.model
    qtbot.waitUntil(lambda: model.rowCount() == 5_001, timeout=WAIT_MS)

    model.sort(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.item_filter.descending and not model.is_loading, timeout=WAIT_MS)
    _wait_for_rows_read(qtbot, model, [0, model.rowCount() - 1])

    assert model.index(0, 0).data() == "word004999"
    assert model.index(model.rowCount() - 1, 0).data() == "seed"
