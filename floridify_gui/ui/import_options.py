"""The job options of the importer: name, components, mode and model."""

from PySide6.QtCore import Qt, Signal
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
DEFINITIONS = "definitions"


class DefinitionsCheckBox(QCheckBox):
    """The Definitions checkbox, which also shows when Definitions runs without being chosen.

    Checked means the user chose to draft senses for every headword. Partly
    checked means senses are drafted only for the headwords without any,
    because a chosen sense-level component needs senses. A click switches
    between the user's two choices, so while senses are needed it moves
    between partly checked and checked, never to unchecked.

    Signals:
        choiceChanged(): The user's choice (`chosen`) changed.
    """

    choiceChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        component = COMPONENTS[DEFINITIONS]
        super().__init__(component.label, parent)
        self.chosen = False
        self.needed_for = 0
        self._show()

    def set_chosen(self, chosen: bool) -> None:
        """Set the user's choice: draft senses for every headword or not."""
        if chosen != self.chosen:
            self.chosen = chosen
            self._show()
            self.choiceChanged.emit()

    def set_needed_for(self, headwords: int) -> None:
        """Show that senses are drafted for `headwords` headwords without senses (0: none)."""
        if headwords != self.needed_for:
            self.needed_for = headwords
            self._show()

    def nextCheckState(self) -> None:  # noqa: N802 (Qt override, called on a click)
        self.set_chosen(not self.chosen)

    def _show(self) -> None:
        if self.chosen:
            self.setCheckState(Qt.CheckState.Checked)
        elif self.needed_for:
            self.setCheckState(Qt.CheckState.PartiallyChecked)
        else:
            self.setCheckState(Qt.CheckState.Unchecked)

        component = COMPONENTS[DEFINITIONS]
        if self.needed_for and not self.chosen:
            self.setText(f"{component.label} ({self.needed_for:,} without senses)")
            self.setToolTip(f"Definitions runs first for the {_headwords(self.needed_for)} without senses, "
                            "because the chosen sense-level components need senses. "
                            "Check it to draft senses for every headword.")
        else:
            self.setText(component.label)
            self.setToolTip(component.description
                            + " Runs first, and runs by itself for headwords imported without senses.")


def _headwords(count: int) -> str:
    return "headword" if count == 1 else f"{count:,} headwords"


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
        self._without_senses = 0
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
            checkbox = self._component_checkbox(name, box)
            grid.addWidget(checkbox, number // CHECKBOX_COLUMNS, number % CHECKBOX_COLUMNS)
            self.checkboxes[name] = checkbox
        return box

    def _component_checkbox(self, name: str, parent: QWidget) -> QCheckBox:
        if name == DEFINITIONS:
            checkbox = DefinitionsCheckBox(parent)
            checkbox.set_chosen(name in DEFAULT_COMPONENTS)
            checkbox.choiceChanged.connect(self.changed.emit)
            return checkbox

        component = COMPONENTS[name]
        checkbox = QCheckBox(component.label, parent)
        checkbox.setToolTip(component.description)
        checkbox.setChecked(name in DEFAULT_COMPONENTS)
        checkbox.toggled.connect(lambda _checked: self._on_component_toggled())
        return checkbox

    def _on_component_toggled(self) -> None:
        self._show_definitions_needed()
        self.changed.emit()

    def set_headwords_without_senses(self, count: int) -> None:
        """Note how many headwords of the import have no senses, as the estimate counted them.

        While a sense-level component is chosen, the Definitions checkbox shows that
        senses are drafted for them.
        """
        self._without_senses = count
        self._show_definitions_needed()

    def _show_definitions_needed(self) -> None:
        definitions = self.checkboxes.get(DEFINITIONS)
        if not isinstance(definitions, DefinitionsCheckBox):
            return
        sense_level = any(self.checkboxes[name].isChecked() for name in SENSE_COMPONENTS if name in self.checkboxes)
        definitions.set_needed_for(self._without_senses if sense_level else 0)

    def components(self) -> list[str]:
        """Return the chosen component names in registry order.

        Definitions counts only when chosen for every headword, not while it is
        partly checked because headwords without senses need it.
        """
        return [name for name, checkbox in self.checkboxes.items() if _is_chosen(checkbox)]

    def set_components(self, names: list[str]) -> None:
        """Choose exactly the components in `names`."""
        for name, checkbox in self.checkboxes.items():
            if isinstance(checkbox, DefinitionsCheckBox):
                checkbox.set_chosen(name in names)
            else:
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


def _is_chosen(checkbox: QCheckBox) -> bool:
    if isinstance(checkbox, DefinitionsCheckBox):
        return checkbox.chosen
    return checkbox.isChecked()
