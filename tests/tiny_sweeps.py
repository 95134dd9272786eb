"""Chapter 1's smallest end-to-end sweep, for the tests that run one
(tests/spread/tiny_sweep.yaml over the smoke profile; tests/spread/measure.py
reads the same file)."""

from pathlib import Path

import yaml


def tiny_sweep(**overrides) -> dict:
    """The tiny sweep's parameters, with ``overrides`` (NAME=value) on top."""
    from gobig.studies import mnist

    return {
        **mnist.load_profile("smoke"),
        **yaml.safe_load((Path(__file__).parent / "spread" / "tiny_sweep.yaml").read_text()),
        **overrides,
    }
