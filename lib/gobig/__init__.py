"""gobig: the library behind the "Go big or go home?" reproducible report.

Chapters import from here; all real logic lives in these packages, one
module per concern, in layers (each imports only those before it; see
CONTRIBUTING.md for the map, tests/test_layout.py for the check):

- ``core``: the machinery every study shares (parameters, paths, devices,
  the result store, sweeps, the study contract and registry);
- ``data``: the datasets, loaded and checked;
- ``methods``: the science the studies share (``stats``, ``scaling``,
  ``robustness``, ``code``);
- ``studies``: one package per chapter (``mnist``, ``gpt3``, ``alphacode``);
- ``report``: what the pages show (ledger, readings, plotting, rendering)
  and the checkout tools (promote, reliability, benchmarking, timing).

``python -m gobig`` (``__main__``) is the command line; ``profiles/`` holds
the studies' parameter files.
"""

__version__ = "0.1.0"
