"""The science the studies use, each piece testable on its own:

- ``stats``: exact intervals and the pass@k / n@k estimators;
- ``scaling``: how a quantity changes with model size: log-linear fits,
  the Chinchilla loss law, the capacity curve, the universal law of robustness;
- ``robustness``: chapter 1's networks, adversarial training, attacks,
  Lipschitz estimates, and several models run as one (``stacking``);
- ``code``: the code model, the sandbox that runs untrusted programs, the
  judge, near-duplicate search and train/validation splits.

Layer 3 of the tree: methods import ``core`` and ``data``, never a study or the report.
"""
