"""Primitives below every layer that runs work: the cancel token, file digests."""
