"""The Settings dialog."""

import logging
import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from floridify_gui import paths
from floridify_gui.logs import register_secret
from floridify_gui.ui.import_options import MODELS
from floridify_gui.ui.settings import (
    KEY_IN_ENVIRONMENT,
    AppSettings,
    ApiKeyLookup,
    database_path,
    find_api_key,
    save_settings,
    store_api_key,
)

log = logging.getLogger("floridify_gui.ui")

MAX_TOKEN_BUDGET = 2_000_000_000  # QSpinBox stores a 32-bit int


class SettingsDialog(QDialog):
    """Edits the app's settings and the API key.

    The key is written to the system keyring when one is available; an
    $OPENAI_API_KEY set in the environment always wins and cannot be edited
    here. Settings are saved on OK.

    Signals:
        settingsSaved(object, bool): The saved AppSettings, and whether the
            API key changed.
    """

    settingsSaved = Signal(object, bool)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None,
                 key_lookup: ApiKeyLookup | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self._key_lookup = key_lookup or find_api_key()
        self._build()
        self._show(settings)

    def _build(self) -> None:
        self.key_edit = QLineEdit(self, echoMode=QLineEdit.EchoMode.Password, placeholderText="sk-…")
        self.key_location = QLabel(self, wordWrap=True)
        self.base_url_edit = QLineEdit(self, placeholderText="https://api.openai.com/v1 (default)")
        self.model_combo = QComboBox(self, editable=True)
        self.model_combo.addItems(MODELS)
        self.in_flight_spin = QSpinBox(self, minimum=1, maximum=256, suffix=" requests")
        self.poll_spin = QDoubleSpinBox(self, minimum=1.0, maximum=3600.0, decimals=1, suffix=" s")
        self.fallback_check = QCheckBox("Send requests immediately when the Batch API is not available", self)
        self.budget_spin = QSpinBox(self, minimum=1_000, maximum=MAX_TOKEN_BUDGET, singleStep=1_000_000,
                                    suffix=" tokens", groupSeparatorShown=True)
        self.db_edit = QLineEdit(self, placeholderText=str(paths.data_dir() / "floridify.sqlite3"))
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse_database)
        self.db_note = QLabel("A new database location takes effect at the next start.", self, wordWrap=True)

        db_row = QHBoxLayout()
        db_row.addWidget(self.db_edit, 1)
        db_row.addWidget(browse)

        form = QFormLayout()
        form.addRow("OpenAI API key:", self.key_edit)
        form.addRow("", self.key_location)
        form.addRow("Base URL:", self.base_url_edit)
        form.addRow("Default model:", self.model_combo)
        form.addRow("Requests in flight:", self.in_flight_spin)
        form.addRow("Batch poll interval:", self.poll_spin)
        form.addRow("", self.fallback_check)
        form.addRow("Enqueued-token budget:", self.budget_spin)
        form.addRow("Database:", db_row)
        form.addRow("", self.db_note)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("API key and base URL changes take effect at the next start.", self))
        layout.addWidget(buttons)

    def _show(self, settings: AppSettings) -> None:
        lookup = self._key_lookup
        self.key_location.setText(f"Kept in: {lookup.location}")
        self.key_edit.setEnabled(lookup.location != KEY_IN_ENVIRONMENT and lookup.keyring_available)
        if lookup.key:
            self.key_edit.setPlaceholderText("(set; type a new key to replace it)")
        self.base_url_edit.setText(settings.base_url)
        self.model_combo.setCurrentText(settings.model)
        self.in_flight_spin.setValue(settings.max_in_flight)
        self.poll_spin.setValue(settings.poll_interval)
        self.fallback_check.setChecked(settings.fallback_to_immediate)
        self.budget_spin.setValue(min(settings.enqueued_token_budget, MAX_TOKEN_BUDGET))
        self.db_edit.setText(settings.db_path)
        if os.environ.get(paths.DB_ENV_VAR):
            self.db_edit.setEnabled(False)
            self.db_note.setText(f"Set by ${paths.DB_ENV_VAR}: {database_path(settings)}")

    def _browse_database(self) -> None:
        dialog = QFileDialog(self, "Database file", self.db_edit.text() or str(paths.data_dir()))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["SQLite database (*.sqlite3 *.sqlite *.db)", "All files (*)"])
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)
        dialog.fileSelected.connect(self.db_edit.setText)
        dialog.open()

    def settings(self) -> AppSettings:
        """Return the settings the widgets describe."""
        return AppSettings(
            base_url=self.base_url_edit.text().strip(),
            model=self.model_combo.currentText().strip() or MODELS[0],
            max_in_flight=self.in_flight_spin.value(),
            poll_interval=self.poll_spin.value(),
            fallback_to_immediate=self.fallback_check.isChecked(),
            enqueued_token_budget=self.budget_spin.value(),
            db_path=self.db_edit.text().strip(),
        )

    def accept(self) -> None:
        """Save the settings (and a newly typed key) and close."""
        settings = self.settings()
        save_settings(settings)
        key_changed = self._store_key()
        if key_changed is None:
            return  # the keyring refused; the dialog stays open with the reason shown
        self.settingsSaved.emit(settings, key_changed)
        super().accept()

    def _store_key(self) -> bool | None:
        """Store the typed key; return whether one was stored, or None if the keyring failed."""
        from keyring.errors import KeyringError

        key = self.key_edit.text().strip()
        if not key or not self.key_edit.isEnabled():
            return False
        try:
            store_api_key(key)
        except KeyringError as error:
            log.warning("Failed to store the API key in the system keyring: %s", error)
            self.key_location.setText(f"Failed to store the key in the system keyring: {error}. "
                                      "Set OPENAI_API_KEY instead.")
            return None
        register_secret(key)
        self.key_edit.clear()
        return True
