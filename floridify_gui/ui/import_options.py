"""The job options of the importer: name, components, mode and model."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from floridify_gui.components import COMPONENTS, DEFAULT_COMPONENTS, SENSE_COMPONENTS, WORD_COMPONENTS

MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "gpt-4.1-nano", "o4-mini"]
CHECKBOX_COLUMNS = 2


class JobOptionsBox(QGroupBox):
    """Chooses what the new job does.

    Signals:
        changed(): Any option that affects the estimate changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Job", parent)
        self.nameEdit = QLineEdit(self)
        self.checkboxes: dict[str, QCheckBox] = {}
        word_box = self._component_group("Word level (once per headword)", WORD_COMPONENTS)
        sense_box = self._component_group("Sense level (once per sense)", SENSE_COMPONENTS)

        self.immediate_radio = QRadioButton("Immediate (results in minutes, full price)", self)
        self.batch_radio = QRadioButton("Batch (results within 24 hours, half price)", self)
        self.batch_radio.setChecked(True)
        self._mode_group = QButtonGroup(self)
        self._mode_group.addButton(self.immediate_radio)
        self._mode_group.addButton(self.batch_radio)
        self._mode_group.buttonToggled.connect(lambda _button, checked: checked and self.changed.emit())

        self.model_combo = QComboBox(self, editable=True)
        self.model_combo.addItems(MODELS)
        self.model_combo.currentTextChanged.connect(lambda _text: self.changed.emit())

        modes = QHBoxLayout()
        modes.addWidget(self.immediate_radio)
        modes.addWidget(self.batch_radio)
        form = QFormLayout()
        form.addRow("Name:", self.nameEdit)
        form.addRow("Mode:", modes)
        form.addRow("Model:", self.model_combo)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(word_box)
        layout.addWidget(sense_box)

    def _component_group(self, title: str, names: list[str]) -> QGroupBox:
        box = QGroupBox(title, self)
        grid = QGridLayout(box)
        for number, name in enumerate(names):
            component = COMPONENTS[name]
            checkbox = QCheckBox(component.label, box)
            checkbox.setToolTip(component.description)
            checkbox.setChecked(name in DEFAULT_COMPONENTS)
            checkbox.toggled.connect(lambda _checked: self.changed.emit())
            grid.addWidget(checkbox, number // CHECKBOX_COLUMNS, number % CHECKBOX_COLUMNS)
            self.checkboxes[name] = checkbox
        if "definitions" in self.checkboxes:
            self.checkboxes["definitions"].setToolTip(
                COMPONENTS["definitions"].description
                + " Runs first, and runs by itself for headwords imported without senses.")
        return box

    def components(self) -> list[str]:
        """Return the checked component names in registry order."""
        return [name for name, checkbox in self.checkboxes.items() if checkbox.isChecked()]

    def set_components(self, names: list[str]) -> None:
        """Check exactly the components in `names`."""
        for name, checkbox in self.checkboxes.items():
            checkbox.setChecked(name in names)

    def mode(self) -> str:
        """Return "immediate" or "batch"."""
        return "immediate" if self.immediate_radio.isChecked() else "batch"

    def set_mode(self, mode: str) -> None:
        """Select "immediate" or "batch"."""
        (self.immediate_radio if mode == "immediate" else self.batch_radio).setChecked(True)

    def model(self) -> str:
        """Return the model name."""
        return self.model_combo.currentText().strip() or MODELS[0]

    def set_model(self, model: str) -> None:
        """Select `model`, adding it to the list if needed."""
        if self.model_combo.findText(model) < 0:
            self.model_combo.addItem(model)
        self.model_combo.setCurrentText(model)

    def name(self) -> str:
        """Return the job name."""
        return self.nameEdit.text().strip() or "Import"
