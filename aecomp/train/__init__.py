"""The one trainer: steps, validation, checkpoints, logs."""
