"""Kaldi-style data directories, datasets with on-the-fly corruption, batching."""
