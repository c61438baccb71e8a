# syntax=docker/dockerfile:1
# Multi-stage: build with the dev dependencies, run with production ones only, as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
COPY packages/admin/package.json ./packages/admin/
# Install scripts wait (the root `prepare` builds the console, whose sources are not copied yet); the
# dependencies' own scripts (embedded PostgreSQL's symlinks) run in `npm rebuild` below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY src ./src
# The server (dist/) and the admin console (packages/admin/dist), then production dependencies only.
RUN npm rebuild && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/packages/admin/package.json ./packages/admin/package.json
COPY --from=build --chown=node:node /app/packages/admin/dist ./packages/admin/dist
COPY --chown=node:node drizzle ./drizzle
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM reaches node directly (exec form): in-flight requests finish, then it exits 0.
CMD ["node", "dist/src/server.js"]
