# alertbot: the bot image. Built by docker-compose.yml; configured from the environment (.env).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PTB_TIMEDELTA=1 \
    ALERTBOT_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY config ./config
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /data alertbot \
    && mkdir -p /data && chown alertbot /data

USER alertbot
# The catalog seeds Redis at every start: mount your own and set ALERTBOT_FEEDS to use it.
CMD ["alertbot", "run"]
