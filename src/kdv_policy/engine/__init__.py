"""Stage 2, checked program ⊕ facts → evaluated model: the only package that imports pyDatalog."""
