"""Losses: signal losses on waveforms, importance weights."""
