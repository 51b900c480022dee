"""Writes for evaluations, one module per concern. Each state change happens in a service,
atomically, with its audit entry; side effects (tasks) are queued after commit."""
