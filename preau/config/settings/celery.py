from preau.config.env import VAR_DIR, env_bool, env_str

# Production: a Redis broker (CELERY_BROKER_URL=redis://…). The embedded default needs
# no broker service: tasks go through files under var/celery/, read by `make demo`'s worker.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
_queue_dir = VAR_DIR / "celery" / "queue"
_processed_dir = VAR_DIR / "celery" / "processed"
_control_dir = VAR_DIR / "celery" / "control"
if CELERY_BROKER_URL == "filesystem://":
    # Whoever queues first (a page, a command, a benchmark) finds the folders there.
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        # Broadcast (pidbox) files: kombu's default is ./control in the working folder.
        "control_folder": str(_control_dir),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Periodic work (the worker runs the scheduler too: `celery worker -B` in the demo, a
# separate `celery beat` in production). Absence notices are queued with their due time;
# this sweep sends any that a lost task or a failed enqueue left behind.
CELERY_BEAT_SCHEDULE = {
    "send-due-absence-notices": {
        "task": "preau.attendance.tasks.send_due_absence_notices",
        "schedule": 300.0,
    },
    "send-report-card-notices": {
        "task": "preau.grades.tasks.send_report_card_notices",
        "schedule": 300.0,
    },
    # Message notifications deferred by the quiet hours, failed ones due again.
    "sweep-message-notifications": {
        "task": "preau.messaging.tasks.sweep_notifications",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
