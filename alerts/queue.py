"""The alerts' task names: services queue by name (evaluations.queue.enqueue_on_commit), tasks declare them."""

from __future__ import annotations

ALERT_CONFIRMATION_SEND = "alerts.tasks.alert_confirmation_send_task"
ALERT_DIGEST_SEND = "alerts.tasks.alert_digest_send_task"
ALERTS_SCAN = "alerts.tasks.alerts_scan_task"
ALERT_DIGESTS_WEEKLY = "alerts.tasks.alert_digests_weekly_task"
TASK_NAMES = (ALERT_CONFIRMATION_SEND, ALERT_DIGEST_SEND, ALERTS_SCAN, ALERT_DIGESTS_WEEKLY)
