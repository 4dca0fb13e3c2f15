"""How the server process is set up for a staff meeting's burst (servicetjek/ui/serve.py)."""

import gc

from servicetjek.ui import serve


def test_two_hundred_new_sessions_set_off_no_full_garbage_collection():
    """A full collection stops every thread for ~100 ms; with Python's defaults the objects
    of 200 sessions starting at once set one off."""
    before = gc.get_threshold()
    full_collections = []

    def note(phase, info):
        if phase == "start" and info["generation"] == 2:
            full_collections.append(info)

    try:
        serve.tune_garbage_collection()
        gc.collect()
        gc.callbacks.append(note)
        sessions = [[{"widget": i, "value": [i]} for i in range(1000)] for _ in range(200)]
        assert len(sessions) == 200 and not full_collections
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*before)
