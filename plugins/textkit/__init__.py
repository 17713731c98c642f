"""Helpers shared by Studio's built-in text generators (``gpt``, ``lm``).

``params`` holds the generation schema both offer (temperature, top-k, top-p, repetition
penalty, stop strings...) and imports no torch. ``stream`` turns tokens into text a piece at a
time without ever splitting a UTF-8 character, and applies stop strings. ``sampling`` picks the
next token from a model's logits (torch), imported inside generator methods only.
"""
