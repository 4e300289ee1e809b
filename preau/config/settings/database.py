import dj_database_url

from preau.config.env import VAR_DIR, env_int, env_str

# DATABASE_URL selects the database everywhere; the embedded default is a SQLite file.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'preau.sqlite3'}")

_database = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
    conn_health_checks=True,
)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE transactions take
    # the write lock up front instead of failing with "database is locked" halfway.
    _database["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _database["CONN_MAX_AGE"] = 0

DATABASES = {"default": _database}
