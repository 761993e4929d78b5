"""Downstream (computer audition) models: per-sample losses [B] and scores."""
