"""The voice report's measures: copy rate and longest copied span, style distance, bits per byte."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict

import pytest

from studio.api.voice import (
    bits_per_byte,
    copy_report,
    prompts_from,
    style_distance,
    voice_report,
)

SENTENCES = [
    "The harbour lay grey under the morning fog and the gulls were already crying.",
    "Mara counted the boats as they came in, one by one, and wrote each name down.",
    "Her father had kept the same book for forty years, in a hand she could barely read.",
    "Nobody in the village asked why she still did it; the sea asked for nothing either.",
    "By noon the fog had lifted and the islands stood out sharp against the light.",
    "She closed the book, put the pencil behind her ear and walked up the hill to the church.",
    "There were letters waiting for her, though she did not yet know who had sent them.",
    "The wind turned in the afternoon, bringing rain from the west and the smell of tar.",
]


def _novel(seed: int, sentences: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))


TRAINING = _novel(0)
HELD_OUT = _novel(1, 60)


class RecitingModel:
    """A 'model' that has memorised its training text: it continues a prompt from where the prompt
    last occurs in the training text, word for word."""

    def __init__(self, training: str) -> None:
        self.words = training.split()

    def continue_text(self, prompt: str, count: int) -> str:
        tail = prompt.split()[-3:]
        for i in range(len(self.words) - 3, -1, -1):
            if self.words[i : i + 3] == tail:
                return " ".join(self.words[i + 3 : i + 3 + count])
        return " ".join(self.words[:count])


class BigramModel:
    """A word-bigram chain learned from the training text: same words and style, new sequences."""

    def __init__(self, training: str, seed: int = 0) -> None:
        self.next: dict[str, list[str]] = defaultdict(list)
        words = training.split()
        for a, b in itertools.pairwise(words):
            self.next[a].append(b)
        self.rng = random.Random(seed)

    def continue_text(self, prompt: str, count: int) -> str:
        word = prompt.split()[-1]
        out = []
        for _ in range(count):
            word = self.rng.choice(self.next.get(word) or list(self.next))
            out.append(word)
        return " ".join(out)


def _samples(models: dict[str, object]) -> list[dict]:
    return [
        {
            "prompt": prompt,
            "real": real,
            "generated": {name: m.continue_text(prompt, 64) for name, m in models.items()},
        }
        for prompt, real in prompts_from(HELD_OUT, 6)
    ]


def test_a_model_that_recites_its_training_text_is_flagged() -> None:
    samples = _samples({"reciter": RecitingModel(TRAINING), "bigram": BigramModel(TRAINING)})
    report = voice_report(training=TRAINING, held_out=HELD_OUT, samples=samples, bits={})
    reciter = report["models"]["reciter"]["copying"]
    assert reciter["rate"] == 1.0 and reciter["reciting"]
    assert reciter["longest_words"] == 64
    assert report["warnings"] == [
        "reciter: the model is reciting its training text: 100% of its 8-word sequences "
        "and a span of 64 words are copied verbatim"
    ]
    bigram = report["models"]["bigram"]["copying"]
    assert not bigram["reciting"]
    assert bigram["rate"] < 0.5
    assert report["figures"]["copy_rate/reciter"] == 1.0


def test_copy_rate_counts_eight_word_sequences() -> None:
    training = "one two three four five six seven eight nine ten eleven twelve"
    # 10 words copied (3 8-grams), then 5 new words: 3 of 8 8-grams are copied.
    generated = "one two three four five six seven eight nine ten alpha beta gamma delta epsilon"
    report = copy_report(generated, training)
    assert (report.copied, report.ngrams) == (3, 8)
    assert report.rate == pytest.approx(3 / 8)
    assert report.longest_words == 10
    assert report.longest_span == "one two three four five six seven eight nine ten"
    assert not report.reciting
    assert copy_report("short text", training).ngrams == 0


def test_the_longest_span_must_be_copied_whole() -> None:
    # Each 8-word piece occurs in training, but the 9 words together never do.
    training = "a b c d e f g h x q b c d e f g h i"
    generated = "a b c d e f g h i"
    report = copy_report(generated, training)
    assert report.copied == 2
    assert report.longest_words == 8


def test_style_distance_tells_styles_apart() -> None:
    assert style_distance(TRAINING, TRAINING) == 0.0
    same_voice = style_distance(HELD_OUT, TRAINING)
    german = (
        "Der Hafen lag grau im Morgennebel, und die Möwen schrien schon. Mara zählte die Boote, "
        "eines nach dem anderen, und schrieb jeden Namen auf. "
    ) * 20
    code = "def main(argv):\n    for i in range(10):\n        print(i, argv[i])\n" * 30
    assert 0 < same_voice < style_distance(german, TRAINING) < 1
    assert same_voice < style_distance(code, TRAINING) <= 1
    assert style_distance("abc", "xyz") == 1.0


def test_bits_per_byte_agrees_with_a_hand_computation() -> None:
    text = "héllo"  # 6 bytes in UTF-8 (é is two)
    probabilities = [0.5, 0.25, 0.125]  # a model that predicted the text in 3 tokens
    nats = sum(-math.log(p) for p in probabilities)
    # -log2 of the probabilities: 1 + 2 + 3 = 6 bits, over 6 bytes.
    assert bits_per_byte(nats, text) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="empty"):
        bits_per_byte(1.0, "")


def test_prompts_come_from_the_held_out_text_in_order() -> None:
    pairs = prompts_from(HELD_OUT, 4, prompt_words=10, continuation_words=20)
    assert len(pairs) == 4
    words = HELD_OUT.split()
    assert pairs[0] == (" ".join(words[:10]), " ".join(words[10:30]))
    assert all(f"{p} {r}" in " ".join(words) for p, r in pairs)
    with pytest.raises(ValueError, match="shorter than one prompt window"):
        prompts_from("too short", 2)
