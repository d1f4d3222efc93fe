"""Jobs from request to answer: rows and their money, the runner, the compute pool, dispatch, recovery,
remote workers, webhooks and the views clients read."""
