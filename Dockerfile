# One image for every tickerflow service: tickerflow-producer, -consumer,
# -controller, -dashboard, -sink and finnhub-sim (pick one with the container's command).
#   docker build -t tickerflow .
#   docker run --read-only tickerflow tickerflow-producer
# BASE_IMAGE is any Node 24 image with npm and /bin/sh; the test harness
# builds on its own locally made one (no registry there).
ARG BASE_IMAGE=node:24-bookworm-slim

# Compile the TypeScript with every dependency.
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY services services
COPY scripts scripts
COPY test test
COPY ops ops
COPY schemas schemas
ENV npm_config_update_notifier=false
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b \
 && for s in common finnhub-sim producer consumer controller dashboard sink topics; do \
      mkdir -p /out/services/$s/dist; \
      for f in package.json require-node.js bin public migrations; do [ ! -e services/$s/$f ] || cp -r services/$s/$f /out/services/$s/; done; \
      cp -r services/$s/dist/src /out/services/$s/dist/; \
    done \
 && cp -r package.json schemas /out/

# Only the services' runtime dependencies, at the lockfile's versions: the
# workspace list is cut to the services (npm ci -w would still install the
# test harness's), and type declarations and source maps are left behind.
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false
COPY --from=build /src/package-lock.json ./
COPY --from=build /out ./
RUN npm pkg delete devDependencies \
 && npm pkg set --json \
      'workspaces=["services/common","services/finnhub-sim","services/producer","services/consumer","services/controller","services/dashboard","services/sink","services/topics"]' \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete \
 && rm -rf /root/.npm

FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production PATH=/app/node_modules/.bin:$PATH
COPY --from=deps /app/node_modules node_modules
COPY --from=build /out ./
# Non-root, and nothing written to the root filesystem: runs with --read-only.
USER 65532:65532
CMD ["tickerflow-producer"]
