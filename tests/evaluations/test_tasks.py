"""The services queue tasks by name (evaluations.queue); the names and the beat schedule must match the tasks."""

from __future__ import annotations

from celery import current_app

from alerts import queue as alerts_queue
from alerts import tasks as alerts_tasks
from evaluations import queue, tasks

QUEUES = ((queue, tasks), (alerts_queue, alerts_tasks))


def test_every_task_name_is_a_registered_task():
    registered = current_app.tasks
    for names, module in QUEUES:
        for name in names.TASK_NAMES:
            assert name in registered, name
            # Named after the service it calls, and registered under the name the services use.
            assert getattr(module, name.rsplit(".", 1)[-1]).name == name


def test_every_task_in_tasks_py_has_a_name_constant():
    for names, module in QUEUES:
        prefix = f"{module.__name__}."
        defined = {obj.name for obj in vars(module).values() if getattr(obj, "name", "").startswith(prefix)}
        assert defined == set(names.TASK_NAMES)


def test_the_beat_schedule_names_registered_tasks():
    schedule = current_app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        tasks.risk_summaries_sweep_task.name,
        tasks.notification_emails_sweep_task.name,
        tasks.evaluation_versions_publish_due_task.name,
        alerts_tasks.alerts_scan_task.name,
        alerts_tasks.alert_digests_weekly_task.name,
    }
    assert all(entry["task"] in current_app.tasks for entry in schedule.values())
