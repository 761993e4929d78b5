"""aecomp: audio enhancement for computer audition.

Enhancement front-ends trained for the downstream task (keyword spotting,
speech recognition, emotion, scenes, separation), as ESPnet-style recipes
under ``egs/``. Importing this package is cheap; torch, ESPnet and s3prl are
imported only by the modules that need them.
"""

__version__ = "0.1.0"
