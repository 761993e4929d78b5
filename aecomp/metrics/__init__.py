"""Metrics of estimated signals against their references."""
