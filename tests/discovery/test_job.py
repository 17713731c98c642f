"""The scan as a job (what the window runs), and the names found models get in the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import tiny_lm

from studio.engine import (
    FindModelsJob,
    Finished,
    FoundModels,
    ImportJob,
    find_models,
    judge_models,
    library_name,
)
from studio.engine.discovery import FoundModel

from .stores import write_gguf


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("huggingface", "HuggingFaceTB/SmolLM2-135M", "SmolLM2-135M"),
        ("huggingface", "org/quant/tiny-Q8_0.gguf", "tiny-Q8_0"),
        ("lmstudio", "lmstudio-community/Tiny-GGUF/Tiny-Q4_K_M.gguf", "Tiny-Q4_K_M"),
        ("ollama", "llama3.2:1b", "llama3.2-1b"),
        ("ollama", "tiny:latest", "tiny"),
        ("ollama", "hf.co/user/Some Model:Q4", "Some-Model-Q4"),
        ("jan", "qwen-0.5b/model", "qwen-0.5b"),
        ("gpt4all", "Meta-Llama-3-8B-Instruct.Q4_0.gguf", "Meta-Llama-3-8B-Instruct.Q4_0"),
    ],
)
def test_library_names_are_plain(source: str, name: str, expected: str) -> None:
    model = FoundModel(source, name, Path("/store/sha256-" + "a" * 64), "gguf")
    assert library_name(model) == expected


def test_the_job_judges_and_knows_what_is_in_the_library(host, home, tmp_path: Path) -> None:
    user = tmp_path / "user"
    store = user / ".lmstudio" / "models"
    folder = tiny_lm.llama_folder(store / "pub" / "tiny-llama")
    write_gguf(store / "pub" / "repo" / "Tiny-Q8_0.gguf")
    env = {"HOME": str(user)}
    job = FindModelsJob(host, home, env=env)
    assert job.needs_device is False  # the window runs it beside a training
    result = list(job.run())[-1].result
    assert isinstance(result, FoundModels) and result.in_library == {}
    assert {m.name for m in result.scan.models} == {"pub/tiny-llama", "pub/repo/Tiny-Q8_0.gguf"}
    assert all(m.generator == "lm" and m.can_generate for m in result.scan.models)

    # Imported from that very path: the next scan says under which name, without hashing.
    events = list(ImportJob(host, home, folder, name="tiny").run())
    assert isinstance(events[-1], Finished), events[-1]
    result = list(FindModelsJob(host, home, env=env).run())[-1].result
    assert result.in_library == {str(folder): "tiny"}


class _Raising:
    id, name = "raising", "A broken plugin"

    def accepts_import(self, path: Path) -> str | None:
        raise RuntimeError("boom")


def test_a_generator_that_raises_does_not_stop_the_judging(host, tmp_path: Path) -> None:
    gguf = write_gguf(tmp_path / "Tiny.gguf")
    models = [FoundModel("lmstudio", "Tiny.gguf", gguf, "gguf")]
    judge_models(models, [_Raising(), *host.generators.values()])
    assert models[0].generator == "lm"
    judge_models(models := [FoundModel("lmstudio", "Tiny.gguf", gguf, "gguf")], [_Raising()])
    assert not models[0].can_generate
    assert models[0].reason == "A broken plugin could not tell (RuntimeError: boom)"


def test_gguf_file_types_read_as_llama_cpp_names_them(tmp_path: Path) -> None:
    user = tmp_path / "user"
    gpt4all = user / ".local" / "share" / "nomic.ai" / "GPT4All"
    write_gguf(gpt4all / "a.gguf", file_type=0)  # ALL_F32
    write_gguf(gpt4all / "b.gguf", file_type=15)  # MOSTLY_Q4_K_M
    scan = find_models(env={"HOME": str(user)}, home=user)
    assert sorted(m.precision for m in scan.models) == ["F32", "Q4_K_M"]
