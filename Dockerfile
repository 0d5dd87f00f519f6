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
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --ignore-scripts

# Runtime stage: Node 24 LTS, no compiler, no dev dependencies, non-root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    LLMTAIL_WEB_LISTEN_ADDRESS=:9838 \
    LLMTAIL_STATE_DIR=/var/lib/llmtail
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The checkpoint (exactly-once across restarts) is the only thing llmtail writes.
RUN mkdir -p /var/lib/llmtail && chown node:node /var/lib/llmtail
# The inference server's logs are mounted here (read-only is enough).
VOLUME ["/var/log/llm", "/var/lib/llmtail"]
EXPOSE 9838
USER node
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const a=(process.env.LLMTAIL_WEB_LISTEN_ADDRESS||':9838');fetch('http://127.0.0.1:'+a.slice(a.lastIndexOf(':')+1)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["run", "--input", "/var/log/llm/*.jsonl"]
