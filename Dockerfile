# Production image: web (gunicorn + whitenoise), worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

RUN useradd --create-home --uid 1000 app
WORKDIR /app

# Dependencies first, pinned by constraints.txt, so that code changes reuse this layer.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir marketplace shops catalog orders pickup \
    && pip install -c constraints.txt . \
    && pip uninstall -y drive-solidaire

COPY . .
# Collecting static files and compiling translations need no database or secret.
RUN pybabel -q compile --domain django --directory locale \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
       python manage.py collectstatic --noinput \
    && mkdir -p /data/media /data/private && chown app /data/media /data/private

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
