"""The operator's room: admin token, admin services, alerts and audit (issue 25)."""
