"""What Studio keeps on disk: atomic writes, checkpoints, trainer state, runs, the library."""
