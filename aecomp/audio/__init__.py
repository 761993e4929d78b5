"""Audio: reading and writing, resampling, mixing at an SNR, features, synthesis."""
