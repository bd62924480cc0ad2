# The mrrsim app in a container: Debian (bookworm) with Python 3.11, the pinned requirements,
# run as an unprivileged user, one Streamlit server on port 8501 with a health check on
# /_stcore/health. Build and run:
#
#   docker build -t mrrsim .
#   docker run --rm -p 8501:8501 mrrsim
#
# For several replicas behind a balancer, run several containers (each its own replica) behind
# HAProxy configured as deploy/haproxy.cfg (cookie-based sticky sessions, websocket upgrades),
# and give every replica the same STREAMLIT_SERVER_COOKIE_SECRET.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Only what the app needs to run; .streamlit/config.toml holds its server settings.
COPY --chown=app:app .streamlit ./.streamlit
COPY --chown=app:app app.py ./
COPY --chown=app:app mrrsim ./mrrsim
COPY --chown=app:app pages ./pages
COPY --chown=app:app scenarios ./scenarios

USER app
# compile the Monte Carlo's loops now (numba caches them in mrrsim/), not on the first visit
RUN python -m mrrsim.draws
EXPOSE 8501

HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2); sys.exit(0 if r.read().strip() == b'ok' else 1)"]

CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
