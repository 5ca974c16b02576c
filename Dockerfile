# One image for the four apps; each compose service picks its app through the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KAM_DATA_DIR=/var/lib/kam \
    KAM_BIND_HOST=0.0.0.0

WORKDIR /src
COPY pyproject.toml ./
COPY common ./common
COPY cli ./cli
COPY services ./services
COPY gateway ./gateway
# A regular (non-editable) install: the image runs from site-packages, /src is only the build input.
RUN pip install . \
    && rm -rf /src/build /src/*.egg-info

# Never run as root: the apps need nothing but their data folder and a port above 1024.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/kam --create-home kam
USER kam
WORKDIR /var/lib/kam

EXPOSE 8080 8081 8082 8083
# The gateway by default; compose overrides this for the services and the migrate job.
CMD ["gunicorn", "-c", "python:kam_common.gunicorn_conf", "-k", "kam_gateway.serving.GatewayWorker", "--bind", "0.0.0.0:8080", "kam_gateway.asgi:app"]
