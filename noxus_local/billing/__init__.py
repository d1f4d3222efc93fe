"""Money: the ledger (integer micro-USD, atomic holds), what a job holds and is charged, rate and
concurrency limits, usage."""
