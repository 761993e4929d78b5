"""Corruptions: what happens to clean audio before a model hears it (noise, codecs, chains of them).

One registry kind, ``corruption``, serves on-the-fly training data
(``data.corruptions`` in a training config) and the fixed evaluation grid
(``conf/eval.yaml``). See :mod:`aecomp.corruptions.base` for the contract.
"""
