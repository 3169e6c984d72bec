"""Progress display: a bar inside a status (fitting inside "loading", trials inside tune)."""

from __future__ import annotations

from tastemaker import _progress


def test_progress_bar_inside_a_status(monkeypatch):
    monkeypatch.setattr(_progress, "_enabled", True)
    seen = []
    with _progress.status("fitting"):
        for epoch in _progress.progress(range(3), desc="epochs"):
            seen.append(epoch)
        with _progress.tracker(2, "trials") as advance:
            advance()
            advance()
    assert seen == [0, 1, 2]
