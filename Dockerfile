# One image for every service; docker-compose.yml picks the service with the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# `npm run build` compiles the services and builds the staff console (vite) into dist/console.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/tsconfig.base.json ./
COPY --from=build /app/scripts/dist-run.js ./scripts/dist-run.js
USER node
# Ready = Postgres and Redis reachable (GET /health/ready; /health/live answers without asking them). Each service
# listens on PORT (docker-compose.yml sets it per service; 3001, profile-config's, when unset).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3001) + '/health/ready', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/dist-run.js", "apps/profile-config/src/main.js"]
