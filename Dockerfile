# One image for web, worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY fer_study ./fer_study
COPY experiments ./experiments
COPY fer_inference ./fer_inference
COPY fer_stats ./fer_stats
COPY fer_conditions.py ./
RUN pip install -c constraints.txt .

COPY . .
RUN useradd --create-home --uid 1000 study \
    && mkdir -p /data/photos /data/exports /app/staticfiles \
    && DEBUG=1 python manage.py collectstatic --noinput \
    && chown -R study /data /app/staticfiles
USER study

EXPOSE 8000
# gunicorn.conf.py in /app: gthread workers (a few slow clients cannot hold them all).
CMD ["gunicorn", "fer_study.wsgi"]
