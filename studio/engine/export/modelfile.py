"""An Ollama ``Modelfile`` beside an exported GGUF, so ``ollama create NAME -f Modelfile`` works.

Ollama's prompt templates are Go templates, not the Jinja chat templates transformers uses, so the
two common chat formats are recognised by their marker tokens and written out in Go syntax. A
model without a chat template is a completion model: the prompt goes in as it is.
"""

from __future__ import annotations

from pathlib import Path

from studio.engine.store.atomic import write_bytes

CHATML = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
    "{{ end }}<|im_start|>assistant\n"
)
LLAMA3 = (
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n"
)
COMPLETION = "{{ .Prompt }}"


def modelfile_text(gguf_name: str, chat_template: str | None, stops: list[str]) -> str:
    """The Modelfile for ``gguf_name`` (a file in the same folder)."""
    if chat_template and "<|im_start|>" in chat_template:
        template, stops = CHATML, [*stops, "<|im_end|>"]
        kind = "ChatML chat template"
    elif chat_template and "<|start_header_id|>" in chat_template:
        template, stops = LLAMA3, [*stops, "<|eot_id|>"]
        kind = "Llama 3 chat template"
    else:
        template = COMPLETION
        kind = (
            "its chat template is not one Studio can translate; plain completion"
            if chat_template
            else "a completion model: the prompt goes in as written"
        )
    lines = [
        "# Written by Studio. Load it with: ollama create NAME -f Modelfile",
        f"# Prompt format: {kind}.",
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{template}"""',
    ]
    lines += [f'PARAMETER stop "{stop}"' for stop in dict.fromkeys(stops) if stop]
    return "\n".join(lines) + "\n"


def write_modelfile(gguf_path: Path, chat_template: str | None, stops: list[str]) -> Path:
    path = gguf_path.parent / "Modelfile"
    write_bytes(path, modelfile_text(gguf_path.name, chat_template, stops).encode("utf-8"))
    return path
