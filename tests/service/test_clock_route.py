"""``GET /clock``: the service's own clock, which a demonstration sets (the console shows it)."""

from __future__ import annotations


def test_the_clock_is_the_services_not_the_real_time(anonymous, clock):
    answer = anonymous.get("/clock")
    assert answer.status_code == 200
    body = answer.json()
    assert body["now"] == clock().isoformat() + "+08:00"
    assert body["zone"] == "Asia/Shanghai"
