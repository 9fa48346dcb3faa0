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
# Memory limit (README, memory table): 256 MiB with a DATABASE_URL; 384 MiB on the embedded database, 512 MiB for
# catalogs beyond 20k rows (PGlite runs in koppel's process and keeps the memory its largest run grew to).
RUN mkdir -p /data /config && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KOPPEL_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# bench/ starts the koppel runs it measures with this line's node flags (bench/lib/production-node-flags.ts).
# --expose-gc: downloads ask V8 for a young-generation collection every 4 MiB (src/core/read-buffer-release.ts), so
# the 64 KiB socket buffers they are done with are freed then, not when 32 MiB have piled up: 200 MiB download peak
# RSS ~145 -> ~120 MiB on the Planviewer bench, 1 MiB-file throughput unchanged. koppel calls no other collection.
# --max-semi-space-size=4: loading koppel's modules grows V8's young generation to ~16 MiB, and it stays that size;
# 4 MiB semi-spaces take ~8 MiB off every command (Planviewer idle run 95 -> 87 MiB, 200 MiB download peak ~120 ->
# 107, 1 MiB files still at 0.98 of raw fetch). 2 MiB took 4 MiB more off but made the 100k-row catalog re-run ~0.6 s
# slower (5.5 vs 4.9 s: listed items outlive so small a young generation and are collected as old ones); at 4 MiB it
# ran 4.7 s. --max-old-space-size stays unset (README, memory on a small host).
ENTRYPOINT ["node", "--expose-gc", "--max-semi-space-size=4", "dist/src/cli/main.js"]
CMD ["daemon"]
