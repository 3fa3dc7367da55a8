# syntax=docker/dockerfile:1
# One image for every service and worker of src/launcher/processes.ts; docker-compose.yml picks the command
# (`node dist/src/<service>/main.js`). Build: `docker build -t ecommerce-event-driven .`
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, type-check src/**, transpile it to dist/ (esbuild) and copy the run-time assets (migrations, seeds, kong.yml);
# Vite builds the web console (src/console/web) into dist/console-web here, so nothing is built or fetched at run time
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
COPY deploy/kong/kong.yml deploy/kong/kong.yml
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json --noEmit && node --import tsx scripts/build.mjs

# --- production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: code owned by root and read-only for the `node` user the processes run as
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
# package.json carries "type": "module", which makes the emitted .js files ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
EXPOSE 8000
# Overridden per service by docker-compose.yml; alone, the image runs one catalogue instance.
CMD ["node", "--import", "./dist/src/platform/tracing/preload.js", "dist/src/catalogue/main.js"]
