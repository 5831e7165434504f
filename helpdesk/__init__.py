# The Celery app (helpdesk/celery.py) is imported by HelpdeskConfig.ready(), so every Django
# process (web, worker, commands) sends tasks through it, while `manage.py pipe_email`'s fast
# path, which never calls Django's setup, does not pay for importing Celery.
