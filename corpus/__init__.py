"""Collection: sources, fetching, extraction, deduplication and the article store."""
