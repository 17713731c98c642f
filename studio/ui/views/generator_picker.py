"""The generator picker: every generator, grouped by modality, with its plugin and version."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from ..session import Session

MODALITY_TITLES = {"text": "Text", "image": "Images"}
ID_ROLE = Qt.ItemDataRole.UserRole


class GeneratorPicker(QTreeWidget):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("generatorPicker")
        self.setColumnCount(3)
        self.setHeaderLabels(["Generator", "Plugin", "Version"])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRootIsDecorated(False)
        self.populate()
        self.currentItemChanged.connect(self._on_current)
        session.generator_changed.connect(self._select)

    def populate(self) -> None:
        self.clear()
        host = self.session.host
        groups: dict[str, QTreeWidgetItem] = {}
        for modality in ("text", "image"):
            group = QTreeWidgetItem([MODALITY_TITLES[modality]])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            groups[modality] = group
        for generator_id, generator in sorted(host.available().items(), key=lambda kv: kv[1].name):
            plugin = host.generator_plugin.get(generator_id, "")
            item = QTreeWidgetItem([generator.name, plugin, generator.version])
            item.setData(0, ID_ROLE, generator_id)
            item.setToolTip(0, f"{generator.id}: {generator.description}")
            groups[generator.modality].addChild(item)
        for group in groups.values():
            if group.childCount():
                self.addTopLevelItem(group)
                group.setExpanded(True)

    def generator_ids(self) -> list[str]:
        found = []
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            found += [group.child(j).data(0, ID_ROLE) for j in range(group.childCount())]
        return found

    def item_for(self, generator_id: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, ID_ROLE) == generator_id:
                    return group.child(j)
        return None

    def _on_current(self, item: QTreeWidgetItem | None, _previous) -> None:
        generator_id = item.data(0, ID_ROLE) if item else None
        if generator_id:
            self.session.set_generator(generator_id)

    def _select(self, generator_id: str) -> None:
        item = self.item_for(generator_id)
        if item is not None and self.currentItem() is not item:
            self.setCurrentItem(item)
