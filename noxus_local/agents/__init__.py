"""Voice agents (issue 23 item 6, seed 002): an agent's turn as a pipeline (turn.py), and its agents,
calls and messages in SQLite with the turn's charge (store.py). Neither knows of HTTP."""
