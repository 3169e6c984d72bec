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


def test_tracker_advances_and_replaces_the_description(monkeypatch):
    monkeypatch.setattr(_progress, "_enabled", True)
    made = []

    def recording():
        made.append(make())
        return made[-1]

    make = _progress._make_progress
    monkeypatch.setattr(_progress, "_make_progress", recording)
    with _progress.tracker(5, "epochs") as advance:
        advance()
        (task,) = made[0].tasks
        assert (task.completed, task.description) == (1, "epochs")
        advance(2, "epoch 3: ndcg@10 0.081")
        assert (task.completed, task.description) == (3, "epoch 3: ndcg@10 0.081")
        advance()
        assert (task.completed, task.description) == (4, "epoch 3: ndcg@10 0.081")
    monkeypatch.setattr(_progress, "_enabled", False)
    with _progress.tracker(5) as advance:
        advance(1, "ignored")  # disabled: takes the same arguments, shows nothing
