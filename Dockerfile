# syntax=docker/dockerfile:1
# Build stage: compile TypeScript, then keep only production dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
# npm run build: tsc plus the live page's assets (uPlot bundled into dist/).
RUN npm run build && npm prune --omit=dev --ignore-scripts

# Runtime stage: Node 24 LTS, no compiler, no dev dependencies, non-root.
FROM node:24-bookworm-slim
# Semi-space cap: V8's young generation grows to its default maximum under a steady allocation rate (a soak's RSS
# stepped from ~105 to ~210 MiB). At 2 MiB the idle RSS is ~12 MiB lower than at 16 and ~27 MiB lower at 5,000
# lines/s, at the same CPU (bench/footprint.ts, deploy/kubernetes/README.md).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=2 \
    LLMTAIL_WEB_LISTEN_ADDRESS=:9838 \
    LLMTAIL_STATE_DIR=/var/lib/llmtail
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The checkpoint (exactly-once across restarts) is the only thing llmtail writes, so the root file
# system can be read-only (docker run --read-only, readOnlyRootFilesystem). /var/log/llm belongs to
# node too, so that an empty named volume there (deploy/compose) is writable by the simulator that
# plays the inference server; llmtail itself only reads it.
RUN mkdir -p /var/log/llm /var/lib/llmtail && chown node:node /var/log/llm /var/lib/llmtail
# The inference server's logs are mounted here (read-only is enough).
VOLUME ["/var/log/llm", "/var/lib/llmtail"]
EXPOSE 9838
USER node
# `llmtail healthcheck` reads the same configuration as `run` (LLMTAIL_* environment, LLMTAIL_CONFIG):
# HTTPS when the web config file enables TLS, and a 401 from llmtail's basic auth counts as alive.
# Configure the container through the environment or LLMTAIL_CONFIG rather than flags, so that it sees
# what `run` sees (or give the flags to the healthcheck too).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/cli/main.js", "healthcheck"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["run", "--input", "/var/log/llm/*.jsonl"]
