"""The operator's web console at /admin (issue 25 items 5 and 6): routes, sessions, words, data, charts."""
