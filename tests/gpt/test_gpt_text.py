"""Tokenizers, the corpus reader and its errors: what a writer's text meets before training."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from plugins.gpt.data import split_tokens
from plugins.gpt.tokenizer import BPETokenizer, ByteTokenizer, load_tokenizer
from plugins.textkit.stream import StreamDecoder, decode
from studio.api import DataError, DataReport, ParamError
from studio.api.text import read_corpus

MIXED = "Ça va très bien. 春眠不觉晓，処処啼鳥を聞く。 Ünïcödé — emoji 🙂👩‍👩‍👧 mixed: aé中🙂\n"


@pytest.mark.parametrize("kind", ["byte", "bpe"])
def test_tokenizers_are_lossless_and_survive_the_checkpoint(kind: str) -> None:
    if kind == "byte":
        tokenizer = ByteTokenizer()
    else:
        tokenizer = BPETokenizer.train([MIXED * 20, "The quick brown fox.\n" * 20], 300)
        assert tokenizer.vocab_size > 256
    for text in (MIXED, "", "\x00\t\r\n", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \ufeff\u200d"):
        tokens = tokenizer.encode(text)
        assert decode(tokenizer, tokens) == text
    again = load_tokenizer(tokenizer.to_json())
    assert again.kind == kind
    assert again.encode(MIXED) == tokenizer.encode(MIXED)
    if kind == "bpe":
        assert len(tokenizer.encode(MIXED)) < len(MIXED.encode("utf-8"))


def test_stream_decoder_never_breaks_a_character_and_joins_to_the_whole() -> None:
    tokenizer = ByteTokenizer()
    rng = random.Random(0)
    # Valid text, and random bytes that are mostly not valid UTF-8 (what an untrained model says).
    streams = [tokenizer.encode(MIXED), [rng.randrange(256) for _ in range(2000)]]
    for tokens in streams:
        decoder = StreamDecoder(tokenizer)
        pieces = [decoder.push(t) for t in tokens] + [decoder.flush()]
        for piece in pieces:
            piece.encode("utf-8")  # raises on a lone surrogate or broken sequence
        assert "".join(pieces) == decode(tokenizer, tokens)
    # A multi-byte character arrives whole: no piece holds a part of it.
    decoder = StreamDecoder(tokenizer)
    assert [decoder.push(t) for t in "中".encode()] == ["", "", "中"]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_is_read_recursively_with_bom_and_a_bad_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "\ufeffFirst chapter. 春".encode())
    write(tmp_path / "deep" / "b.md", "Second — chapter 🙂".encode())
    write(tmp_path / "deep" / "ignored.json", b'{"not": "prose"}')
    latin = write(tmp_path / "old.txt", "Caf\u00e9 cr\u00e8me".encode("cp1252"))
    report = DataReport()
    text = read_corpus(tmp_path, "utf-8", report)
    assert text == "First chapter. 春\n\nSecond — chapter 🙂"
    assert "\ufeff" not in text
    assert len(report.used) == 2
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"ignored.json", "old.txt"}  # every file not read is named
    assert "not a text file" in reasons["ignored.json"]
    assert "byte offset 3" in reasons["old.txt"] and "0xe9" in reasons["old.txt"]
    # Naming the encoding reads it.
    report = DataReport()
    assert read_corpus(latin, "cp1252", report) == "Café crème"


def test_each_bad_corpus_gets_its_message(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"no \.txt or \.md files"):
        read_corpus(empty, "utf-8", DataReport())
    blank = write(tmp_path / "blank.txt", b"  \n\n")
    with pytest.raises(DataError, match=r"no usable text.*blank\.txt: empty"):
        read_corpus(blank, "utf-8", DataReport())
    foreign = write(tmp_path / "f" / "latin.txt", b"abc\xff")
    with pytest.raises(DataError, match=r"latin.txt: not utf-8 text: byte 0xff at byte offset 3"):
        read_corpus(foreign.parent, "utf-8", DataReport())
    with pytest.raises(ParamError, match="encoding"):
        read_corpus(foreign, "no-such-codec", DataReport())
    with pytest.raises(DataError, match="no longer than the context of 64 tokens"):
        split_tokens(ByteTokenizer().encode("short text"), 64, 0.1, DataReport())


def test_split_holds_out_the_end_of_the_text() -> None:
    report = DataReport()
    tokens = list(range(256)) * 4
    train, val = split_tokens(tokens, 16, 0.1, report)
    assert val is not None
    assert len(train.tokens) + len(val.tokens) == len(tokens)
    assert val.tokens.tolist() == tokens[-len(val.tokens) :]
    assert train[0].shape == (17,)
    # Too short to hold any out: trained anyway, and the user is told.
    report = DataReport()
    train, val = split_tokens(tokens[:40], 16, 0.1, report)
    assert val is None and "validation loss is not measured" in report.notes[0]
