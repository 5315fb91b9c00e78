import os

from piccolo.conf.apps import AppConfig

from core.tables import (
    ApiToken,
    AuditRecord,
    Holiday,
    IdempotencyRecord,
    JobLock,
    JobRun,
    Notification,
    OutboxMessage,
    Region,
    User,
    UserRole,
)

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[Region, User, UserRole, ApiToken, AuditRecord, JobRun, JobLock, Notification, OutboxMessage, Holiday,
                  IdempotencyRecord],
    migration_dependencies=[],
    commands=[],
)
