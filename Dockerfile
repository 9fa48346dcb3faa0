# syntax=docker/dockerfile:1
# koppel production image: multi-stage, non-root, `koppel daemon` by default.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    KOPPEL_CONFIG=/config/koppel.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY proto ./proto
# A prepared empty data folder for the embedded database: a new /data folder starts from it, without initdb
# (~800 MiB). src/db/pglite.ts.
COPY pglite-template ./pglite-template
COPY mappings ./mappings
COPY config/koppel.example.yaml ./config/koppel.example.yaml
# /data holds the embedded database (when no DATABASE_URL is given) and mirrored files.
# Memory limit (README, memory table): 256 MiB with a DATABASE_URL; 320 MiB on the embedded database (largest
# measured command ~241 MiB; PGlite runs in koppel's process and keeps the memory its largest run grew to).
RUN mkdir -p /data /config && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KOPPEL_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --expose-gc lets downloads free spent socket buffers early (src/core/read-buffer-release.ts; bench/REPORT.md:
# 200 MiB download peak RSS 135 -> 116 MiB). --max-semi-space-size=2 keeps V8's young generation small: on the
# embedded database ~10 % of every command's peak (bench/REPORT.md, embedded-default). The bench runs koppel with
# this line's flags.
ENTRYPOINT ["node", "--expose-gc", "--max-semi-space-size=2", "dist/src/cli/main.js"]
CMD ["daemon"]
