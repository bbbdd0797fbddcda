"""What `make run` starts (brigade/launcher.py)."""

from __future__ import annotations

from brigade.launcher import build_children


class TestChildren:
    def test_exactly_one_beat_and_the_worker_runs_none(self):
        children = {child.name: child.args for child in build_children({"HOST": "127.0.0.1", "PORT": "8000"})}
        assert [name for name, args in children.items() if "beat" in args] == ["beat"]
        assert not {"-B", "--beat"} & set(children["worker"])
        assert "worker" in children["worker"]
