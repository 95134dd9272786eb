"""The machinery every study shares, and nothing study-specific: parameters
and profiles (``params``), where things live (``paths``), devices and
provenance (``runtime``), result records (``store``, ``jsonnum``,
``checkpoints``), running a study's configurations (``sweep``), the study
contract (``study``) and the list of studies (``registry``), and typed record
views (``views``).

Layer 1 of the tree: ``core`` imports nothing else of gobig (the registry
loads a study by name only when asked, through ``importlib``).
"""
