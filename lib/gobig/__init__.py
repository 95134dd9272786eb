"""gobig: the library behind the "Go big or go home?" reproducible report.

Chapters import from here; all real logic lives in these modules, one per
concern (see CONTRIBUTING.md for the map).
"""

__version__ = "0.1.0"
