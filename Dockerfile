# syntax=docker/dockerfile:1
# ConfigLedger: built in one stage, run from a slim image with production dependencies only, as a non-root user.

FROM node:20-bookworm-slim AS build
# better-sqlite3 (the embedded default) compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The sources are not here yet, so skip the `prepare` build; better-sqlite3's own install script still runs.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY projections ./projections
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Listening beyond the container needs authentication (AUTH_TOKENS_FILE on a mounted file, or
# AUTH_JWKS_URL) or an explicit AUTH=off; without either the service refuses to start, saying so.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/configledger
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /var/lib/configledger && chown node:node /var/lib/configledger
USER node
EXPOSE 8080
VOLUME ["/var/lib/configledger"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Operational commands run in the container as they do in a checkout, e.g. (service stopped first)
#   docker compose stop configledger && docker compose run --rm configledger npm run rebuild-views
CMD ["node", "dist/src/main.js"]
