# Production image of the registry API (not exercised on the development machines: no Docker engine there).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY api ./api
COPY domain ./domain
COPY seed ./seed
COPY migrations ./migrations
RUN pip install . && useradd --system --uid 10001 hydromet
USER hydromet
ENV HYDROMET_HOST=0.0.0.0 HYDROMET_ENVIRONMENT=prod HYDROMET_WORKERS=4
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["sh", "-c", "hydromet migrate && exec hydromet serve"]
