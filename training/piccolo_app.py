import os

from piccolo.conf.apps import AppConfig

from training.tables import Attendance, Course, CourseSession, Enrolment, HoursCredit, Material, TypicalCase

APP_CONFIG = AppConfig(
    app_name="training",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[Course, CourseSession, Enrolment, Attendance, HoursCredit, TypicalCase, Material],
    migration_dependencies=[],
    commands=[],
)
