"""Programs as data: the small code language model (``codemodel``), the sandbox that
runs untrusted programs (``sandbox``), judging programs against tests (``judge``),
near-duplicate search (``leakage``) and train/validation splits of problems (``splits``)."""
