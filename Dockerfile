# syntax=docker/dockerfile:1
# Two stages: uv resolves the locked environment, the runtime image holds only it and the code.
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY adapter ./adapter
COPY mappings ./mappings
COPY profiles ./profiles
COPY questionnaires ./questionnaires
RUN uv sync --locked --no-dev

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app spinemets
WORKDIR /app
COPY --from=build --chown=spinemets:spinemets /app /app
ENV PATH="/app/.venv/bin:$PATH" \
    SPINEMETS_MAPPINGS=/app/mappings \
    SPINEMETS_PROFILES=/app/profiles \
    SPINEMETS_QUESTIONNAIRES=/app/questionnaires \
    SPINEMETS_STATE_DIR=/data
RUN mkdir /data && chown spinemets:spinemets /data
VOLUME /data
USER spinemets
EXPOSE 8080
# Bound to all interfaces inside the container: configure SPINEMETS_ISSUERS (client JWT
# verification) and SPINEMETS_PUBLIC_BASE_URL or the service refuses to start, as it should
# outside loopback.
CMD ["spinemets", "serve", "--host", "0.0.0.0", "--port", "8080"]
