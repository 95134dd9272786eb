"""The three studies, one package each (``mnist``: chapter 1, ``gpt3``: chapter 2,
``alphacode``: chapter 3), each keeping the contract of ``gobig.core.study``.

Layer 4 of the tree: a study imports ``core``, ``data`` and ``methods``, never another
study or the report; only ``gobig.core.registry`` names them all.
"""
