"""The word-list importer: preview, read options, column mapping, job options and estimate."""

import asyncio
import datetime
import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from floridify_gui.engine import Estimate
from floridify_gui.storage.models import database_proxy
from floridify_gui.ui.estimating import (
    ASSUMED_SENSES_PER_WORD,
    EstimateCancelled,
    EstimateOptions,
    estimate_entries,
)
from floridify_gui.ui.import_models import PreviewModel
from floridify_gui.ui.import_options import JobOptionsBox
from floridify_gui.ui.import_sources import FIELD_LABELS, FIELDS, ImportSource, ReadProgress, describe_report, merge_entries
from floridify_gui.ui.services import Services
from floridify_gui.ui.tasks import report_error, run_task
from floridify_gui.wordlist import ReadCancelled, WordListError

log = logging.getLogger("floridify_gui.ui")

DETECT = "Detect"
ENCODINGS = [DETECT, "utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "latin-1", "mac-roman"]
DELIMITERS = [(DETECT, None), ("Comma (,)", ","), ("Semicolon (;)", ";"), ("Tab", "\t"), ("Pipe (|)", "|")]
HEADER_CHOICES = [(DETECT, None), ("First row is a header", True), ("No header row", False)]
PREVIEW_ROWS = 50
PROGRESS_INTERVAL_MS = 100
ESTIMATE_DELAY_MS = 300
CANCELLED_TEXT = "Reading was cancelled; nothing from this input will be imported."


class ImportDialog(QDialog):
    """Reads dropped, opened or pasted word lists and creates a job from them.

    Each input is read on a worker thread with a progress bar and a Cancel
    button. Changing the encoding, delimiter, header or a column re-reads
    it. Nothing is written to the database before "Create job", so
    cancelling the dialog at any point imports nothing.

    Signals:
        readFinished(): Every input has been read (or failed to read).
        estimateReady(object): The engine's Estimate for the current options.
        jobCreated(int): The id of the job created from the inputs.
    """

    readFinished = Signal()
    estimateReady = Signal(object)
    jobCreated = Signal(int)

    def __init__(self, services: Services, sources: list[ImportSource], model: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import word list")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1000, 760)

        self._services = services
        self.sources = list(sources)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floridify-import")
        self._progress: ReadProgress | None = None
        self._to_read: list[ImportSource] = []
        self._reading_source: ImportSource | None = None
        self._reader_task: asyncio.Task | None = None
        self._reading = False
        self._creating = False
        self._estimate_task: asyncio.Task | None = None
        self._estimate_abort: threading.Event | None = None
        self._updating_widgets = False
        self.estimate = None
        self._estimate_options: tuple | None = None

        self.preview_model = PreviewModel(self)
        self._build()
        self._progress_timer = QTimer(self, interval=PROGRESS_INTERVAL_MS, timeout=self._show_progress)
        self._estimate_timer = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS, timeout=self._start_estimate)
        self.finished.connect(self._on_finished)

        self.options.nameEdit.setText(default_job_name(self.sources))
        self.options.set_model(model)
        self.options.changed.connect(self._schedule_estimate)
        self._read_all()

    # Layout

    def _build(self) -> None:
        self.source_combo = QComboBox(self)
        self.source_combo.addItems([source.label for source in self.sources])
        self.source_combo.currentIndexChanged.connect(self._show_current_source)
        self.source_row = QWidget(self)
        source_layout = QHBoxLayout(self.source_row)
        source_layout.setContentsMargins(0, 0, 0, 0)
        source_layout.addWidget(QLabel("Input:", self))
        source_layout.addWidget(self.source_combo, 1)
        self.source_row.setVisible(len(self.sources) > 1)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self._build_reading_box())
        splitter.addWidget(self._build_bottom())

        self.buttons = QDialogButtonBox(self)
        self.create_button = self.buttons.addButton("Create job", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.create_job)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.source_row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)

    def _build_reading_box(self) -> QWidget:
        box = QGroupBox("Preview", self)
        self.encoding_combo = QComboBox(box, editable=True)
        self.encoding_combo.addItems(ENCODINGS)
        self.encoding_combo.setToolTip("Text encoding of the file; Detect accepts UTF-8 and UTF-16/32 with a byte order mark")
        self.delimiter_combo = QComboBox(box)
        for text, value in DELIMITERS:
            self.delimiter_combo.addItem(text, value)
        self.header_combo = QComboBox(box)
        for text, value in HEADER_CHOICES:
            self.header_combo.addItem(text, value)
        for combo in (self.encoding_combo, self.delimiter_combo, self.header_combo):
            combo.activated.connect(lambda _index: self._on_read_option_changed())
        self.encoding_combo.lineEdit().editingFinished.connect(self._on_read_option_changed)

        self.detected_label = QLabel(box)
        self.column_combos = {name: QComboBox(box) for name in FIELDS}
        for combo in self.column_combos.values():
            combo.activated.connect(lambda _index: self._on_columns_changed())

        self.preview_view = QTableView(box)
        self.preview_view.setModel(self.preview_model)
        self.preview_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview_view.horizontalHeader().setStretchLastSection(True)

        self.progress_bar = QProgressBar(box, minimum=0, maximum=1000)
        self.cancel_read_button = QPushButton("Cancel reading", box)
        self.cancel_read_button.clicked.connect(self.cancel_reading)

        options = QHBoxLayout()
        for label, combo in (("Encoding", self.encoding_combo), ("Delimiter", self.delimiter_combo),
                             ("Header", self.header_combo)):
            options.addWidget(QLabel(label + ":", box))
            options.addWidget(combo)
        options.addWidget(self.detected_label, 1)

        mapping = QHBoxLayout()
        mapping.addWidget(QLabel("Columns:", box))
        for name, combo in self.column_combos.items():
            mapping.addWidget(QLabel(FIELD_LABELS[name], box))
            mapping.addWidget(combo, 1)

        progress = QHBoxLayout()
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.cancel_read_button)

        layout = QVBoxLayout(box)
        layout.addLayout(options)
        layout.addLayout(mapping)
        layout.addWidget(self.preview_view, 1)
        layout.addLayout(progress)
        return box

    def _build_bottom(self) -> QWidget:
        widget = QWidget(self)
        self.report_text = QPlainTextEdit(widget, readOnly=True)
        self.report_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        report_box = QGroupBox("Reader's report", widget)
        QVBoxLayout(report_box).addWidget(self.report_text)

        self.options = JobOptionsBox(widget)
        self.estimate_label = QLabel("Estimate: waiting for the inputs to be read", widget)
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        estimate_box = QGroupBox("Estimate", widget)
        QVBoxLayout(estimate_box).addWidget(self.estimate_label)

        right = QVBoxLayout()
        right.addWidget(self.options, 1)
        right.addWidget(estimate_box)

        layout = QHBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(report_box, 1)
        layout.addLayout(right, 1)
        return widget

    # Reading

    @property
    def is_reading(self) -> bool:
        """Whether an input is being read."""
        return self._reading

    def current_source(self) -> ImportSource:
        """Return the input whose preview is shown."""
        return self.sources[max(0, self.source_combo.currentIndex())]

    def _read_all(self) -> None:
        for source in self.sources:
            self._request_read(source)

    def _request_read(self, source: ImportSource) -> None:
        """Queue `source` for (re-)reading, stopping a read of it that is under way."""
        self._stop_estimate()  # it shares the reading thread and would be outdated anyway
        if source not in self._to_read:
            self._to_read.append(source)
        if self._reading_source is source and self._progress is not None:
            self._progress.abort()
        if self._reader_task is None:
            self._reader_task = run_task(self._read_queued(), name="read word lists")

    async def _read_queued(self) -> None:
        self._set_reading(True)
        try:
            while self._to_read:
                source = self._to_read.pop(0)
                self._reading_source = source
                await self._read_one(source)
                self._reading_source = None
                if source is self.current_source():
                    self._show_current_source()
        finally:
            self._reader_task = None
            self._reading_source = None
            self._set_reading(False)
            self._show_current_source()
            self.readFinished.emit()
            self._schedule_estimate()

    async def _read_one(self, source: ImportSource) -> None:
        progress = ReadProgress()
        self._progress = progress
        loop = asyncio.get_running_loop()
        read = functools.partial(source.read, progress.report, progress.should_abort)
        try:
            source.report, source.error = await loop.run_in_executor(self._executor, read), None
        except ReadCancelled:
            if source not in self._to_read:  # not cancelled just to be read again with new options
                source.report, source.error = None, CANCELLED_TEXT
        except (WordListError, ValueError, LookupError) as error:
            # LookupError: an unknown codec name typed into the encoding box.
            source.report, source.error = None, str(error)
        finally:
            self._progress = None
        log.debug("Read %s: %s", source.label, source.error or f"{source.report.accepted} entries")

    def cancel_reading(self) -> None:
        """Stop reading; inputs not read completely are left out of the job."""
        for source in self._to_read:
            source.report, source.error = None, CANCELLED_TEXT
        self._to_read.clear()
        if self._progress is not None:
            self._progress.abort()

    def _set_reading(self, reading: bool) -> None:
        self._reading = reading
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(reading)
        self.cancel_read_button.setVisible(reading)
        if reading:
            self._progress_timer.start()
        else:
            self._progress_timer.stop()
        self._update_create_button()

    def _show_progress(self) -> None:
        if self._progress is not None:
            self.progress_bar.setValue(int(self._progress.fraction * 1000))

    # Showing an input

    def _show_current_source(self) -> None:
        source = self.current_source()
        report = source.report
        self._updating_widgets = True
        try:
            self._show_read_options(source)
            if report is None:
                self.preview_model.clear()
                self.detected_label.setText("")
                # An error message is prose and wraps. The report below lists one row a line and does not.
                self.report_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
                self.report_text.setPlainText(source.error or "Reading…")
            else:
                self.preview_model.set_preview(report.preview_rows(PREVIEW_ROWS), report.columns, report.has_header)
                self.detected_label.setText(describe_detection(report))
                self.report_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
                self.report_text.setPlainText(describe_report(report))
            self._show_column_choices(source)
        finally:
            self._updating_widgets = False
        self._update_create_button()

    def _show_read_options(self, source: ImportSource) -> None:
        self.encoding_combo.setEnabled(source.path is not None)
        self.encoding_combo.setCurrentText(source.encoding or DETECT)
        self.delimiter_combo.setCurrentIndex(max(0, self.delimiter_combo.findData(source.delimiter)))
        header_index = [value for _, value in HEADER_CHOICES].index(source.has_header)
        self.header_combo.setCurrentIndex(header_index)

    def _show_column_choices(self, source: ImportSource) -> None:
        report = source.report
        delimited = report is not None and report.format in ("csv", "tsv")
        headers = self.preview_model.header_cells()
        for name, combo in self.column_combos.items():
            combo.clear()
            combo.addItem("(detect)", None)
            for column in range(self.preview_model.width):
                title = f"{column + 1}: {headers[column]}" if column < len(headers) else f"Column {column + 1}"
                combo.addItem(title, column)
            detected = report.columns.get(name) if report is not None else None
            combo.setCurrentIndex(max(0, combo.findData(detected)) if detected is not None else 0)
            combo.setEnabled(delimited)

    def _on_read_option_changed(self) -> None:
        if self._updating_widgets:
            return
        source = self.current_source()
        encoding = self.encoding_combo.currentText().strip()
        source.encoding = None if encoding in ("", DETECT) else encoding
        source.delimiter = self.delimiter_combo.currentData()
        source.has_header = HEADER_CHOICES[self.header_combo.currentIndex()][1]
        self._request_read(source)

    def _on_columns_changed(self) -> None:
        if self._updating_widgets:
            return
        source = self.current_source()
        source.columns = {name: combo.currentData() for name, combo in self.column_combos.items()
                          if combo.currentData() is not None}
        self._request_read(source)

    # Estimate and job creation

    def entries(self) -> list:
        """Return the entries of every input read so far, merged by headword."""
        return merge_entries([source.report for source in self.sources if source.report is not None])

    def _schedule_estimate(self) -> None:
        if not self._reading:
            self._estimate_timer.start()
        self._update_create_button()

    def _start_estimate(self) -> None:
        self._stop_estimate()
        entries = self.entries()
        components = self.options.components()
        if not entries:
            self.options.set_headwords_without_senses(0)
        reason = describe_nothing_to_estimate(self.sources, components)
        if reason is not None:
            self.estimate_label.setText(reason)
            return
        self.estimate_label.setText("Estimating…")
        self._estimate_abort = threading.Event()
        self._estimate_task = run_task(self._estimate(entries, components, self._estimate_abort),
                                       name="estimate import")

    def _stop_estimate(self) -> None:
        if self._estimate_abort is not None:
            self._estimate_abort.set()
        if self._estimate_task is not None:
            self._estimate_task.cancel()

    async def _estimate(self, entries: list, components: list[str], abort: threading.Event) -> None:
        settings = self._services.engine.settings
        options = EstimateOptions(tuple(components), self.options.mode(), self.options.model(),
                                  settings.temperature, settings.enqueued_token_budget)
        key = self._estimate_key()
        loop = asyncio.get_running_loop()
        try:
            estimate = await loop.run_in_executor(self._executor, _estimate_on_thread, entries, options, abort.is_set)
        except EstimateCancelled:
            return
        self.estimate = estimate
        self._estimate_options = key
        self.options.set_headwords_without_senses(estimate.headwords_without_senses)
        self.estimate_label.setText(describe_estimate(estimate, options.mode))
        self.estimateReady.emit(estimate)

    def _estimate_key(self) -> tuple:
        return (tuple(self.options.components()), self.options.mode(), self.options.model(),
                tuple(id(source.report) for source in self.sources))

    def _current_estimate(self):
        """Return the estimate if it was computed for the current inputs and options."""
        return self.estimate if self._estimate_options == self._estimate_key() else None

    def _update_create_button(self) -> None:
        ready = (not self._reading and not self._creating and bool(self.options.components())
                 and any(source.report is not None and source.report.accepted for source in self.sources))
        self.create_button.setEnabled(ready)

    def create_job(self) -> None:
        """Import the entries and create the job (in the background); the dialog closes when done."""
        if not self.create_button.isEnabled():
            return
        self._creating = True
        self._update_create_button()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(False)
        run_task(self._create_job(), on_error=self._on_create_failed, name="create job from import")

    async def _create_job(self) -> None:
        engine = self._services.engine
        estimate = await self._finished_estimate()
        word_ids = await engine.import_entries(self.entries())
        job_id = await engine.create_job(self.options.name(), word_ids, self.options.components(),
                                         self.options.mode(), self.options.model(), estimate=estimate)
        log.debug("Created job %s from %s word(s)", job_id, len(word_ids))
        self._creating = False
        self.jobCreated.emit(job_id)
        self.accept()

    async def _finished_estimate(self):
        """Return the estimate of the current options, waiting for one that is due or running.

        The job keeps the estimate for the status report and the queue's cost column, so a
        click on Create job before the estimate finished must not store none.
        """
        if self._estimate_timer.isActive():
            self._estimate_timer.stop()
            self._start_estimate()
        task = self._estimate_task
        if task is not None and not task.done():
            await asyncio.wait({task})
        return self._current_estimate()

    def _on_create_failed(self, error: BaseException) -> None:
        self._creating = False
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(True)
        self._update_create_button()
        report_error(error)

    def _on_finished(self, _result: int) -> None:
        self.cancel_reading()
        if self._reader_task is not None:
            self._reader_task.cancel()
        self._stop_estimate()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _estimate_on_thread(entries: list, options: EstimateOptions, should_abort) -> Estimate:
    """Run the estimate on the importer's thread and close that thread's database connection."""
    try:
        return estimate_entries(entries, options, should_abort)
    finally:
        database_proxy.close()


def default_job_name(sources: list[ImportSource]) -> str:
    """Return "words.txt 2025-01-31 14:05" (or "words.txt + 2 more …") as a job's default name."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    if not sources:
        return f"Import {stamp}"
    first = sources[0].label
    more = f" + {len(sources) - 1} more" if len(sources) > 1 else ""
    return f"{first}{more} {stamp}"


def describe_detection(report) -> str:
    """Return what the reader detected: format, encoding, delimiter and header."""
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(report.delimiter, report.delimiter)
    parts = [f"format {report.format}", f"encoding {report.encoding}"]
    if report.delimiter is not None:
        parts.append(f"delimiter {delimiter}")
    if report.format in ("csv", "tsv"):
        parts.append("header row" if report.has_header else "no header row")
    return "Detected: " + ", ".join(parts)


def describe_nothing_to_estimate(sources: list[ImportSource], components: list[str]) -> str | None:
    """Return why there is no estimate for these inputs and components, or None when there can be one."""
    if not any(source.report is not None and source.report.accepted for source in sources):
        return "Estimate: no headwords were read, so there is nothing to estimate. " + _why_no_headwords(sources)
    if not components:
        return "Estimate: choose at least one component."
    return None


def _why_no_headwords(sources: list[ImportSource]) -> str:
    """Return one sentence per kind of input that gave no headwords."""
    failed = [source.label for source in sources if source.report is None and source.error not in (None, CANCELLED_TEXT)]
    cancelled = [source.label for source in sources if source.report is None and source.error == CANCELLED_TEXT]
    empty = [source.label for source in sources if source.report is not None]
    reasons = []
    if failed:
        reasons.append(f"Failed to read {_join_labels(failed)} (see the reader's report).")
    if cancelled:
        reasons.append(f"Reading of {_join_labels(cancelled)} was cancelled.")
    if len(empty) == 1:
        reasons.append(f"The input {empty[0]} contains no headwords.")
    elif empty:
        reasons.append(f"The inputs {_join_labels(empty)} contain no headwords.")
    return " ".join(reasons or ["The inputs are still being read."])


def _join_labels(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def describe_estimate(estimate: Estimate, mode: str) -> str:
    """Return the estimate as a few lines for the importer, with the senses it assumes."""
    chosen = estimate.cost_batch if mode == "batch" else estimate.cost_immediate
    lines = [
        f"{estimate.requests:,} requests to send ({estimate.cache_hits:,} answered from the cache, "
        f"{estimate.duplicates:,} duplicates sent once)",
        f"about {estimate.tokens:,} tokens",
        f"cost immediate ${estimate.cost_immediate:,.4f}, batch ${estimate.cost_batch:,.4f} "
        f"(this job: ${chosen:,.4f})",
    ]
    if mode == "batch":
        lines.append(f"{estimate.batch_files:,} batch input file(s)")
    if estimate.headwords_without_senses:
        lines.append(describe_assumed_senses(estimate.headwords_without_senses))
    return "\n".join(lines)


def describe_assumed_senses(headwords: int) -> str:
    """Return the line that states the senses assumed for `headwords` headwords without senses."""
    senses = f"{ASSUMED_SENSES_PER_WORD} sense" + ("" if ASSUMED_SENSES_PER_WORD == 1 else "s")
    if headwords == 1:
        return f"assumes {senses} for the 1 headword without senses (Definitions drafts its senses first)"
    return (f"assumes {senses} for each of the {headwords:,} headwords without senses "
            "(Definitions drafts their senses first)")
