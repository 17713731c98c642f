"""Rule: Ollama's model store.

Where: ``$OLLAMA_MODELS``, else ``~/.ollama/models``, and ``/usr/share/ollama/.ollama/models``
(the Linux service's own home).

Layout: ``manifests/HOST/NAMESPACE/MODEL/TAG`` is a small JSON manifest whose layers name blobs
by digest; the layer of media type ``application/vnd.ollama.image.model`` is the GGUF, stored as
``blobs/sha256-DIGEST``. A pull in progress writes ``blobs/sha256-DIGEST-partial`` files and the
manifest last, so a model is listed only once its manifest and its blob are both there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from .found import Budget, FoundModel
from .walk import entries, inside

NAME = "ollama"
MODEL_LAYER = "application/vnd.ollama.image.model"
DEFAULT_HOST, DEFAULT_NAMESPACE = "registry.ollama.ai", "library"
MAX_MANIFEST = 2**20


def roots(env: Mapping[str, str], home: Path) -> list[Path]:
    if env.get("OLLAMA_MODELS"):
        return [Path(env["OLLAMA_MODELS"])]
    return [home / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]


def scan(root: Path, budget: Budget) -> Iterator[FoundModel]:
    manifests = root / "manifests"
    for host, host_dir in entries(manifests, root, budget):
        for namespace, ns_dir in entries(host, root, budget) if host_dir else ():
            for model, model_dir in entries(namespace, root, budget) if ns_dir else ():
                for tag, tag_dir in entries(model, root, budget) if model_dir else ():
                    if tag_dir:
                        continue
                    found = _from_manifest(
                        root, tag, _label(host.name, namespace.name, model.name, tag.name)
                    )
                    if found is not None:
                        yield found


def _label(host: str, namespace: str, model: str, tag: str) -> str:
    """The name ``ollama list`` shows: short for the default registry and namespace."""
    prefix = "" if host == DEFAULT_HOST else f"{host}/"
    prefix += "" if namespace == DEFAULT_NAMESPACE and host == DEFAULT_HOST else f"{namespace}/"
    return f"{prefix}{model}:{tag}"


def _from_manifest(root: Path, manifest: Path, label: str) -> FoundModel | None:
    try:
        if manifest.stat().st_size > MAX_MANIFEST:
            return None
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers") or []
    except (OSError, ValueError, AttributeError):
        return None
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("mediaType") != MODEL_LAYER:
            continue
        digest = str(layer.get("digest", ""))
        algorithm, _, value = digest.partition(":")
        if not value or not value.isalnum():
            return None
        blob = inside(root / "blobs" / f"{algorithm}-{value}", root)
        if blob is None or not blob.is_file():
            return None
        return FoundModel(NAME, label, blob, "gguf", extra={"manifest": str(manifest)})
    return None
