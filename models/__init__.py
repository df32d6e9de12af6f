"""Model registry, loaders and shipped model assets."""
