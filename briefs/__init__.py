"""Rendering what the pipeline produced: digests now, incident briefs later."""
