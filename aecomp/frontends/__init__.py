"""Enhancement front-ends: (wav [B, T], lengths [B]) -> enhanced wav [B, T]."""
