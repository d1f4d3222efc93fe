"""One module per model family: its files, its engine, its pre- and post-processing."""
