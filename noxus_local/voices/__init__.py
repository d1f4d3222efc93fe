"""The voice library and each account's saved voice mixes."""
