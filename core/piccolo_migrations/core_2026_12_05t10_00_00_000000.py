"""Job locks become leases (renewed while the run works, taken over when they run out);
accounts lose their lock-out columns (sign-in is throttled by address instead, core/counters.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job lock leases; no account lock-out"


def _params(**overrides):
    params = {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="JobLock", tablename="job_lock", column_name="lease_until",
        db_column_name="lease_until", column_class_name="Timestamptz", column_class=Timestamptz,
        params=_params(), schema=None,
    )
    manager.add_column(
        table_class_name="JobLock", tablename="job_lock", column_name="run_id",
        db_column_name="run_id", column_class_name="Integer", column_class=Integer,
        params=_params(), schema=None,
    )
    manager.drop_column(
        table_class_name="User", tablename="account", column_name="failed_logins",
        db_column_name="failed_logins", schema=None,
    )
    manager.drop_column(
        table_class_name="User", tablename="account", column_name="locked_until",
        db_column_name="locked_until", schema=None,
    )
    return manager
