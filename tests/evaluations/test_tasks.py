"""The services queue tasks by name (evaluations.queue); the names and the beat schedule must match the tasks."""

from __future__ import annotations

from celery import current_app

from evaluations import queue, tasks


def test_every_task_name_is_a_registered_task():
    registered = current_app.tasks
    for name in queue.TASK_NAMES:
        assert name in registered, name
        # Named after the service it calls, and registered under the name the services use.
        assert getattr(tasks, name.rsplit(".", 1)[-1]).name == name


def test_every_task_in_tasks_py_has_a_name_constant():
    defined = {obj.name for obj in vars(tasks).values() if getattr(obj, "name", "").startswith("evaluations.tasks.")}
    assert defined == set(queue.TASK_NAMES)


def test_the_beat_schedule_names_registered_tasks():
    schedule = current_app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        tasks.risk_summaries_sweep_task.name,
        tasks.evaluation_versions_publish_due_task.name,
    }
    assert all(entry["task"] in current_app.tasks for entry in schedule.values())
