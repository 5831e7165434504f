"""Django settings, read from the environment (see helpdesk/env.py and the README).

Without any variable set this is the embedded default of `make run`: SQLite and Celery's
filesystem transport under var/, mail written as .eml files under var/mail/, DEBUG on.
"""

from pathlib import Path

import dj_database_url

from helpdesk import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("HELPDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DEBUG", True)
SECRET_KEY = env.string("SECRET_KEY") if DEBUG else env.required("SECRET_KEY")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS")
# Links in emails: SITE_URL, or http://HOST:PORT as `make run PORT=8101` serves it.
SITE_URL = env.site_url()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "axes",
    "anymail",
    "helpdesk",
    "crm",
    "tickets",
    "kb",
    "whatsapp",
    "surveys",
    "appointments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.UserTimezoneMiddleware",
    "helpdesk.middleware.UserLanguageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.site",
            ],
            # Template tag libraries that live in tickets' rooms rather than in an app's templatetags/.
            "libraries": {
                "workspace": "tickets.workspace.templatetags",
                "sla_tags": "tickets.sla.templatetags",
                "notification_tags": "tickets.notifications.templatetags",
            },
            # {{ status.name|label }}: database-named labels in the reader's language (tickets/labels.py).
            "builtins": ["tickets.labels"],
        },
    },
    {
        # Jinja2 for the two fragments that repeat on every page view (queue rows, message cards):
        # templates in <app>/jinja2/, environment in tickets/workspace/jinja.py.
        "NAME": "fragments",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "tickets.workspace.jinja.environment"},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.string("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web server and the embedded worker share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if IS_POSTGRES and not env.boolean("DATABASE_JIT", False):
    # PostgreSQL's JIT compiles any plan whose cost estimate passes jit_above_cost; on the queue's
    # short indexed queries that costs 100-200 ms and saves nothing. Off unless DATABASE_JIT=true.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if IS_POSTGRES:
    # A database that accepts connections but never answers must not hang a process for ever
    # (pipe_email above all: the mail server waits on it). 0 turns a limit off.
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["connect_timeout"] = env.integer("DATABASE_CONNECT_TIMEOUT", 10)
    if env.integer("DATABASE_STATEMENT_TIMEOUT", 0):
        _db_options["options"] = (
            _db_options.get("options", "") + f" -c statement_timeout={env.integer('DATABASE_STATEMENT_TIMEOUT', 0)}s"
        ).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that loads the staff profile with the user (one query less on every page).
    "helpdesk.auth_backends.ModelBackendWithProfile",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/staff/login/"

# Login throttling on every login page (staff, portal, admin).
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env.integer("AXES_COOLOFF_MINUTES", 15) / 60
# Lock a username at one IP after AXES_FAILURE_LIMIT failures, and an IP (whatever the username)
# only after HELPDESK_LOGIN_IP_FAILURE_LIMIT: helpdesk/login_throttle.py.
AXES_LOCKOUT_PARAMETERS = "helpdesk.login_throttle.lockout_parameters"
AXES_HANDLER = "helpdesk.login_throttle.ThrottleHandler"
AXES_LOCKOUT_CALLABLE = "helpdesk.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "helpdesk.login_throttle.client_ip"
HELPDESK_LOGIN_IP_FAILURE_LIMIT = env.integer("HELPDESK_LOGIN_IP_FAILURE_LIMIT", 50)
# Reverse proxies (IPs or networks, comma-separated) whose X-Forwarded-For is believed; empty:
# the peer address is the client (never a header anyone can write).
HELPDESK_TRUSTED_PROXIES = env.strings("HELPDESK_TRUSTED_PROXIES", [])
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "helpdesk/locked_out.html"
AXES_ENABLED = env.boolean("AXES_ENABLED", True)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ro", "Română")]
# One date and time format per language, used everywhere (helpdesk/formats/).
FORMAT_MODULE_PATH = ["helpdesk.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.string("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(VAR_DIR / "media")))
# Media is never served by URL: attachments go through permission-checked views only.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Files and folders under MEDIA_ROOT: group-readable files, group-writable setgid folders, so
# the pipe's user (the mail server's) and the web app's and workers' user share them through one
# group (README, "Running the email pipe with Postfix"). Octal; empty keeps Django's default.
STORAGES["default"]["OPTIONS"] = {
    "file_permissions_mode": int(env.string("HELPDESK_MEDIA_FILE_MODE", "640") or "0", 8) or None,
    "directory_permissions_mode": int(env.string("HELPDESK_MEDIA_DIR_MODE", "2770") or "0", 8) or None,
}

# Attachments
ATTACHMENT_MAX_BYTES = env.integer("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env.strings(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    "pdf,png,jpg,jpeg,gif,webp,txt,log,csv,doc,docx,xls,xlsx,ppt,pptx,odt,ods,zip,eml,msg,dat,json,xml".split(","),
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Email
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "helpdesk.mail.EmlFileBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.boolean("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "support@company.com")
SERVER_EMAIL = env.string("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The domain of our Message-IDs; replies to them thread back to the ticket.
HELPDESK_MAIL_DOMAIN = env.string("HELPDESK_MAIL_DOMAIN", "helpdesk.local")
ANYMAIL = {
    "MAILGUN_API_KEY": env.string("MAILGUN_API_KEY"),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.string("MAILGUN_WEBHOOK_SIGNING_KEY"),
    "POSTMARK_SERVER_TOKEN": env.string("POSTMARK_SERVER_TOKEN"),
    "SENDGRID_API_KEY": env.string("SENDGRID_API_KEY"),
    "WEBHOOK_SECRET": env.string("ANYMAIL_WEBHOOK_SECRET"),
}
# Provider signing keys, only when set (anymail would take an empty one as a key).
for _name in ("POSTAL_WEBHOOK_KEY", "MAILERSEND_INBOUND_SECRET", "MAILTRAP_INBOUND_SECRET", "RESEND_SIGNING_SECRET"):
    if env.string(_name):
        ANYMAIL[_name] = env.string(_name)
# Inbound webhooks switched on, comma-separated (postmark,sendgrid,...); each needs its secret
# (tickets/intake/webhooks.py). Others' /anymail/<provider>/inbound/ URLs answer 404.
HELPDESK_INBOUND_WEBHOOKS = env.strings("HELPDESK_INBOUND_WEBHOOKS", [])

# Email pipe
HELPDESK_ALLOW_NON_REGISTERED_SENDERS = env.boolean("HELPDESK_ALLOW_NON_REGISTERED_SENDERS", True)
HELPDESK_REOPEN_WITHIN_DAYS = env.integer("HELPDESK_REOPEN_WITHIN_DAYS", 30)
HELPDESK_INBOUND_MAX_BYTES = env.integer("HELPDESK_INBOUND_MAX_BYTES", 40 * 1024 * 1024)
HELPDESK_SENDER_RATE_LIMIT = env.integer("HELPDESK_SENDER_RATE_LIMIT", 10)
HELPDESK_SENDER_RATE_WINDOW_MINUTES = env.integer("HELPDESK_SENDER_RATE_WINDOW_MINUTES", 15)
# Raw emails up to this size are kept in the database row; bigger ones go to file storage.
HELPDESK_INBOUND_DB_MAX_BYTES = env.integer("HELPDESK_INBOUND_DB_MAX_BYTES", 5 * 1024 * 1024)
# A row left in "processing" longer than this (a killed worker) may be claimed again.
HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS = env.integer("HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS", 600)
# A worker takes up to this many waiting emails along in one bulk transaction.
HELPDESK_INBOUND_BATCH = env.integer("HELPDESK_INBOUND_BATCH", 100)
# Time budget of one email in a batch (seconds, 0: none): over it the email is rolled back, kept
# failed and retried once on the "intake_slow" queue with HELPDESK_INBOUND_EMAIL_SLOW_LIMIT.
HELPDESK_INBOUND_EMAIL_SOFT_LIMIT = env.integer("HELPDESK_INBOUND_EMAIL_SOFT_LIMIT", 5)
HELPDESK_INBOUND_EMAIL_SLOW_LIMIT = env.integer("HELPDESK_INBOUND_EMAIL_SLOW_LIMIT", 120)
# Fernet keys for secrets stored in the database (IMAP passwords), comma-separated, the first
# encrypting; empty: a key derived from SECRET_KEY (helpdesk/field_encryption.py, README).
HELPDESK_FIELD_KEY = env.string("HELPDESK_FIELD_KEY")
# Hardening of the intake (README, "Email pipe"): at most this many Cc/To participants of one
# email are recorded on the ticket; staff replies copy at most HELPDESK_REPLY_MAX_CC of them, and
# only in departments that allow it (Department.copy_participants); receipts go to the sender only.
HELPDESK_INBOUND_MAX_PARTICIPANTS = env.integer("HELPDESK_INBOUND_MAX_PARTICIPANTS", 20)
HELPDESK_REPLY_MAX_CC = env.integer("HELPDESK_REPLY_MAX_CC", 5)
# New tickets from senders who are no contact, all senders together, per
# HELPDESK_SENDER_RATE_WINDOW_MINUTES; beyond it mail is held and the managers told (0: no limit).
HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT = env.integer("HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT", 200)
# pipe_email gives up (exit 75, the mail server retries) when storing takes longer than this
# (a database that never answers); its statements are limited to this too.
HELPDESK_PIPE_TIMEOUT_SECONDS = env.integer("HELPDESK_PIPE_TIMEOUT_SECONDS", 60)
# Title of the predefined reply used as the automatic receipt for new email tickets.
HELPDESK_RECEIPT_REPLY_TITLE = env.string("HELPDESK_RECEIPT_REPLY_TITLE", "Email receipt (automatic)")
# Channels whose new tickets get that receipt (email tickets: the intake sends theirs).
HELPDESK_RECEIPT_CHANNELS = env.strings("HELPDESK_RECEIPT_CHANNELS", ["email", "portal", "phone"])

# A pending outbound message (reply, receipt, notice) never tried for this long, or last tried
# longer than this plus the longest retry countdown (30 min) ago, is queued again by the outbound
# sweep (tickets.outbound.sweep; its interval: HELPDESK_OUTBOUND_SWEEP_SECONDS in helpdesk/beat.py).
HELPDESK_OUTBOUND_GRACE_SECONDS = env.integer("HELPDESK_OUTBOUND_GRACE_SECONDS", 600)

# Client portal: may customers choose a priority? (Every level but the most urgent, which staff
# set after triage; off: the department's default priority.)
HELPDESK_PORTAL_PRIORITY_CHOICE = env.boolean("HELPDESK_PORTAL_PRIORITY_CHOICE", True)
# How long a portal invitation / password reset link stays valid.
PASSWORD_RESET_TIMEOUT = env.integer("PASSWORD_RESET_TIMEOUT_HOURS", 72) * 3600

# Celery
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = env.string("CELERY_RESULT_BACKEND") or None
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    # The transport lists these folders on every send; create them before the first task.
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
if env.integer("CELERY_BROKER_VISIBILITY_TIMEOUT", 0) and not CELERY_BROKER_URL.startswith("filesystem://"):
    # Redis: a task a killed worker held unacknowledged is delivered again after this many seconds
    # (kombu's default, unset: an hour). Keep it above the longest retry countdown (30 min).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.integer("CELERY_BROKER_VISIBILITY_TIMEOUT", 0)}
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Emails that ran over their time budget are retried on their own queue (workers: -Q celery,intake_slow).
CELERY_TASK_ROUTES = {"tickets.process_slow_inbound_email": {"queue": "intake_slow"}}
# Celery closes the database connection before and after every task unless told to reuse it;
# a new PostgreSQL connection costs more than most of our tasks. Reused connections are still
# retired by Django's own rules (CONN_MAX_AGE, errors) around each task (helpdesk/celery.py).
CELERY_DB_REUSE_MAX = env.integer("CELERY_DB_REUSE_MAX", 1000)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# Creates the schedule file's folder first: beat starts from a fresh var directory on any broker.
CELERY_BEAT_SCHEDULER = "helpdesk.celery:Scheduler"
# /health/ fails "beat" when its heartbeat (every HELPDESK_SWEEP_SECONDS, helpdesk/beat.py) is older than this.
HELPDESK_HEALTH_BEAT_MAX_AGE = env.integer("HELPDESK_HEALTH_BEAT_MAX_AGE", 300)
CELERY_TIMEZONE = "UTC"


def _beat_schedule() -> dict:
    from helpdesk.beat import SCHEDULE

    return SCHEDULE


CELERY_BEAT_SCHEDULE = _beat_schedule()

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.string("REDIS_URL"),
    }
    if env.string("REDIS_URL")
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "helpdesk_cache",
    }
}

# Security: strict by default outside DEBUG (`manage.py check --deploy` passes).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # container healthchecks call plain HTTP

# Content-Security-Policy on every page (django-csp): our own scripts and styles only, no
# inline script, no eval (htmx runs with allowEval off, templates/helpdesk/base.html). Style
# attributes stay allowed: status and priority colours come from the database (style="--c: ...").
# Attachment downloads send their own stricter policy (default-src 'none'; sandbox), which the
# middleware keeps.
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "helpdesk.logging.KeyValueFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured"},
    },
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# WhatsApp Cloud API (webhook verification token and app secret for payload signatures)
WHATSAPP_VERIFY_TOKEN = env.string("WHATSAPP_VERIFY_TOKEN")
WHATSAPP_APP_SECRET = env.string("WHATSAPP_APP_SECRET")

# SLA and automation (tickets.sla_policy, tickets.sla_sweep, tickets.automation)
# Minutes before a due time at which the assignee (or department) is warned.
HELPDESK_SLA_WARNING_MINUTES = env.integer("HELPDESK_SLA_WARNING_MINUTES", 30)
# On Hold pauses the SLA clock: the resolution clock always, the first-response clock too unless
# this is 0 (REFERENCE §3.4's Zendesk reading: a first response is fulfilled by a reply, not paused).
HELPDESK_SLA_PAUSE_FIRST_RESPONSE = env.boolean("HELPDESK_SLA_PAUSE_FIRST_RESPONSE", True)

# Knowledge base metrics: "more than KB_NEGATIVE_SHARE negative votes, with at least KB_NEGATIVE_MIN_VOTES
# votes" and "not viewed in KB_STALE_DAYS days".
KB_NEGATIVE_MIN_VOTES = env.integer("KB_NEGATIVE_MIN_VOTES", 5)
KB_NEGATIVE_SHARE = env.integer("KB_NEGATIVE_PERCENT", 20) / 100
KB_STALE_DAYS = env.integer("KB_STALE_DAYS", 30)
# KPI reports: the daily rollup's refresh recomputes this many past days besides every day a
# changed ticket touches (tickets.reports.rollup).
REPORTS_ROLLUP_DAYS = env.integer("HELPDESK_REPORTS_ROLLUP_DAYS", 3)
