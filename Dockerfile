# syntax=docker/dockerfile:1
# Agent Fleet image: one image, three roles, chosen by command —
#   API:              node dist/bin/api.js
#   workflow worker:  node dist/bin/worker.js --role=workflows
#   activity worker:  node dist/bin/worker.js --role=activities
# It carries the compiled JS and the pre-built workflow bundle (dist/workflow-bundle.js), so
# workers start without bundling and run exactly the workflow code that was tested.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript and bundle the workflows ----------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- prod-deps: runtime dependencies only -------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to node (whose handlers drain workers and the API) and
# reaps zombies; node itself is not written to be an init process.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKER_HEALTH_PORT=9465 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    LOG_PRETTY=false
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The image's files belong to root and are read-only to the app user: a compromised process
# cannot rewrite its own code. The `node` user (uid 1000) ships with the base image.
USER 1000:1000
EXPOSE 8000 9464 9465 9467
# Probes the API's /healthz or, for a worker, its health endpoint (WORKER_HEALTH_PORT); the
# script tells the roles apart by PID 1's command line, so one HEALTHCHECK serves every role.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "dist/bin/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/bin/api.js"]
