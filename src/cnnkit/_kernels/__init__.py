"""Low-level helpers shared by layers: shape arithmetic and layout translation."""
