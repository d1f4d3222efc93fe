"""The ``noxus-local`` command, one module per command group; ``main.main`` is the entry."""
