# syntax=docker/dockerfile:1
# Build: docker build -t interop .
# Migrate (a separate step, before rolling out): docker run --rm -e DATABASE_URL=... interop interop migrate
# Serve: docker run -e DATABASE_URL=... -p 8000:8000 interop
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/interop
COPY pyproject.toml setup.py README.md ./
COPY requirements ./requirements
RUN /opt/interop/bin/pip install --no-cache-dir -r requirements/service.txt
COPY src ./src
COPY migrations ./migrations
RUN /opt/interop/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/interop interop
COPY --from=build /opt/interop /opt/interop
ENV PATH=/opt/interop/bin:$PATH \
    INTEROP_DATA_DIR=/var/lib/interop \
    INTEROP_HOST=0.0.0.0 \
    INTEROP_PORT=8000 \
    INTEROP_MIGRATE_ON_START=false \
    PYTHONUNBUFFERED=1
USER interop
WORKDIR /var/lib/interop
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
CMD ["interop", "serve"]
