"""Thin command-line entry points (python -m aecomp.bin.<name>)."""
