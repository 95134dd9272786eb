"""What the book shows and the tools that act on the checkout.

The pages' side: the claims ledger (``ledger``), the sentences the chapters
glue (``readings``), figures and tables (``plotting``), and an executed
notebook as one HTML page (``render``).

Checkout tools (they read or write files of the repository, not only of the
installed library): ``promote`` (make a profile the chapters' defaults),
``reliability`` (the reliability page's test report), ``benchmarking`` and
``timing`` (the harness of ``benchmarks/``).

Layer 5 of the tree, the top: the report may import everything below it.
"""
