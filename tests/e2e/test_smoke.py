def test_ping_with_first_start_key(server):
    r = server.post("/api/v1/ping", key=server.key)
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["status"] == "ok"
    assert body["api_key"]["environment"] == "test"
    assert r.headers["x-request-id"] == body["request_id"]
