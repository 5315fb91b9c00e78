import os

from piccolo.conf.apps import AppConfig

from training.exams.tables import Admission, Answer, Marking, Paper, PaperQuestion, Question, Recheck, Sitting

APP_CONFIG = AppConfig(
    app_name="training_exams",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[Question, Paper, PaperQuestion, Sitting, Admission, Answer, Marking, Recheck],
    migration_dependencies=[],
    commands=[],
)
