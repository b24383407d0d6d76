"""gunicorn's settings file, read from the working directory by every `gunicorn` command
(Dockerfile, docker-compose.yml, bench/throughput.py): only hooks here, the command
lines keep their options."""


def post_worker_init(worker):
    """Each worker, once it has loaded the application and before its first request,
    compiles templates and opens its connections (config/warmup.py; it never raises)."""
    from config.warmup import warm_up

    warm_up()
