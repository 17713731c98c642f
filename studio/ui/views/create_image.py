"""Create, images: seed and dice, count, the generator's parameters, a gallery; and two tools
driven by the generator's own schema, never by its id:

- *Walk between two*: shown when the generate schema has a ``mode`` choice containing
  "interpolate" (``Generator.modes``) — the two selected images' files become the inputs.
- *Variations of a dropped image*: shown when the generator ``takes_inputs`` (and, with a ``mode``
  param, has a choice containing "variation").
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.api import ImageSample, ParamError
from studio.engine import Event, Progress, SampleEvent, recent_samples

from ..session import Session
from .gallery import Gallery, GalleryItem, to_qimage
from .job_binding import JobView
from .param_form import FormSlot, ParamForm
from .seed_box import SeedBox

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def offers(generator, mode: str) -> bool:
    """Whether ``generator`` declares the generation ``mode`` (``Generator.modes``)."""
    return generator is not None and mode in generator.modes


class DropZone(QLabel):
    """Accepts image files dropped from a file manager (or the gallery)."""

    def __init__(self, on_drop, parent=None) -> None:
        super().__init__("Drop an image here for variations", parent)
        self.setObjectName("dropZone")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(48)
        self.setStyleSheet("QLabel#dropZone { border: 1px dashed #5b6470; border-radius: 6px; }")
        self.setAcceptDrops(True)
        self._on_drop = on_drop

    def dragEnterEvent(self, event) -> None:
        if _image_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = _image_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self._on_drop(paths[0])


def _image_paths(mime) -> list[Path]:
    return [
        Path(url.toLocalFile())
        for url in mime.urls()
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES
    ]


class ImageCreateView(JobView):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(session, parent)
        self.form: ParamForm | None = None
        self._request: dict = {}
        self._only_index: int | None = None
        self.seed = SeedBox()
        self.count = QSpinBox()
        self.count.setObjectName("count")
        self.count.setRange(1, 256)
        self.count.setValue(8)
        self.count.setToolTip("How many images (each gets its own seed: seed, seed+1, ...)")
        self.build_run_buttons()
        self.progress = QLabel()
        self.progress.setObjectName("hint")
        self.walk_button = QPushButton("Walk between two")
        self.walk_button.setToolTip("Select two images, then make a walk from one to the other")
        self.walk_button.clicked.connect(self.walk)
        self.drop_zone = DropZone(self.variations)
        self.gallery = Gallery()
        self.shown_generator = ""  # whose images the gallery holds
        self.gallery.rerun_requested.connect(self.rerun)
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(48, 512)
        self.zoom.setValue(128)
        self.zoom.setToolTip("Zoom the gallery")
        self.zoom.valueChanged.connect(self.gallery.set_zoom)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.gallery.clear)

        self.form_holder = QVBoxLayout()

        self.forms = FormSlot(self.form_holder)
        top = QFormLayout()
        top.addRow("Seed", self.seed)
        top.addRow("Count", self.count)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch()
        side = QWidget()
        side.setMaximumWidth(340)
        side_layout = QVBoxLayout(side)
        side_layout.addLayout(top)
        side_layout.addLayout(self.form_holder)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.progress)
        side_layout.addWidget(self.failure_line)
        side_layout.addWidget(self.walk_button)
        side_layout.addWidget(self.drop_zone)
        side_layout.addStretch()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Zoom"))
        bar.addWidget(self.zoom)
        bar.addStretch()
        bar.addWidget(clear)
        right = QVBoxLayout()
        right.addLayout(bar)
        right.addWidget(self.gallery, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(side)
        layout.addLayout(right, 1)
        session.generator_changed.connect(self.bind_generator)
        session.library_switched.connect(self._on_library_switched)
        self.bind_generator()

    def bind_generator(self, *_args) -> None:
        generator = self.session.generator
        is_image = generator is not None and generator.modality == "image"
        self.form = self.forms.bind(
            generator.id if is_image else "", generator.generate_params if is_image else None
        )
        if is_image and generator.id != self.shown_generator:
            self.restore_gallery()
        self.walk_button.setVisible(is_image and offers(generator, "interpolate"))
        self.drop_zone.setVisible(
            bool(is_image and generator.takes_inputs and offers(generator, "variations"))
        )

    def _on_library_switched(self) -> None:
        # The gallery shows the library's exported images: the new folder's, from now on.
        self.shown_generator = ""
        self.gallery.clear()
        generator = self.session.generator
        if generator is not None and generator.modality == "image":
            self.restore_gallery()

    def restore_gallery(self) -> None:
        """The generator's latest images from the exports folder: they survive a restart."""
        generator_id = self.session.generator_id
        self.shown_generator = generator_id
        self.gallery.clear()
        for meta in recent_samples(self.session.home, generator_id):
            image = QImage(str(meta["path"]))
            if image.isNull():
                continue
            request = {
                # As the original request: an untrained model is made from the request's seed.
                "seed": meta.get("request_seed", meta.get("seed")),
                "params": meta.get("params", {}),
                "model": meta.get("model", ""),
                "inputs": [],
                "mode": meta.get("mode", "sample"),
            }
            seed = meta.get("seed")
            label = f"seed {seed}" if seed is not None else ""
            index = int(meta.get("index", 0))
            self.gallery.add(GalleryItem(image, meta["path"], seed, label, request, index))

    # -- starting jobs --------------------------------------------------------------------------

    def _params(self) -> dict | None:
        if self.form is None:
            return None
        try:
            return self.form.values()
        except ParamError:
            self.form.reveal_errors()
            return None

    def _start(
        self,
        seed: int,
        count: int,
        params: dict,
        inputs=None,
        model=None,
        only=None,
        mode: str = "sample",
    ) -> int | None:
        if self.job_id is not None:
            return None
        self._only_index = only
        self._request = {
            "seed": seed,
            "params": params,
            "model": self.session.model_ref if model is None else model,
            "inputs": [str(p) for p in inputs or []],
            "mode": mode,
        }
        job_id = self.session.generate(
            seed=seed,
            count=count,
            params=params,
            inputs=inputs,
            model=self._request["model"],
            mode=mode,
        )
        self.follow(job_id)
        return job_id

    def generate(self) -> int | None:
        params = self._params()
        return (
            None if params is None else self._start(self.seed.value(), self.count.value(), params)
        )

    def rerun(self, entry: GalleryItem) -> int | None:
        """The same image again: the same model, parameters and inputs, and its own seed.

        A trained model makes image ``i`` from seed ``request seed + i`` alone. A new untrained
        model is itself initialised from the request seed, so that request is repeated up to
        the image and only the image is kept.
        """
        request = entry.request
        inputs = [Path(p) for p in request.get("inputs", [])]
        params, model = dict(request["params"]), request["model"]
        mode = request.get("mode", "sample")
        if model:
            return self._start(entry.seed or 0, 1, params, inputs, model, mode=mode)
        return self._start(
            request["seed"], entry.index + 1, params, inputs, model, entry.index, mode=mode
        )

    def walk(self) -> int | None:
        """A walk between the two selected images, in the generator's own terms: their files as
        inputs when it ``takes_inputs``, the second one's seed as ``to_seed`` when it has that
        param, and its ``frames`` param (when it has one) instead of the count."""
        chosen = [e for e in self.gallery.selected_entries() if e.path]
        generator = self.session.generator
        if len(chosen) != 2 or not offers(generator, "interpolate"):
            self.progress.setText("Select exactly two images to walk between.")
            return None
        params = self._params()
        if params is None:
            return None
        schema = generator.generate_params
        if "to_seed" in schema and chosen[1].seed is not None:
            params["to_seed"] = chosen[1].seed
        inputs = [chosen[0].path, chosen[1].path] if generator.takes_inputs else []
        count = 1 if "frames" in schema else self.count.value()
        return self._start(chosen[0].seed or 0, count, params, inputs, mode="interpolate")

    def variations(self, path: Path) -> int | None:
        params = self._params()
        if params is None:
            return None
        mode = "variations" if offers(self.session.generator, "variations") else "sample"
        return self._start(self.seed.value(), self.count.value(), params, [path], mode=mode)

    # -- events ---------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, Progress) and event.total:
            self.progress.setText(f"{event.done} of {event.total}")
        elif isinstance(event, SampleEvent) and isinstance(event.sample, ImageSample):
            sample = event.sample
            if self._only_index is not None and sample.index != self._only_index:
                return
            png = next((p for p in event.paths if p.suffix == ".png"), None)
            animated = next((p for p in event.paths if p.suffix in (".gif", ".webp")), None)
            # Each image by the seed that remakes it, what it came from (an input's name) after;
            # a walk's frames by where they are on the walk (t=0.25).
            label = f"seed {sample.seed}" if sample.seed is not None else sample.label
            if self._request.get("mode") == "interpolate" and sample.label:
                label = sample.label
            elif sample.label and sample.seed is not None:
                label += f" · {sample.label}"
            self.gallery.add(
                GalleryItem(
                    to_qimage(sample.pixels),
                    png,
                    sample.seed,
                    label,
                    dict(self._request),
                    sample.index,
                    frames=tuple(to_qimage(frame) for frame in sample.frames),
                    frame_ms=sample.frame_ms,
                    animation=animated,
                )
            )

    def job_state_changed(self, running: bool) -> None:
        self.generate_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if running:
            self.progress.setText("Working…")
