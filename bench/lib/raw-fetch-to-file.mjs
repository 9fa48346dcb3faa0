// The raw building block the download benchmarks compare with: fetch() each URL and stream its body to a file,
// `concurrency` at a time — nothing else (no temp name, no hash, no index). Plain JavaScript so it runs with
// plain `node`, exactly like the built koppel it is compared with (no tsx/esbuild in its memory).
//
//   node bench/lib/raw-fetch-to-file.mjs <spec.json>
//   spec: { "urls": [...], "headers": {...}, "dir": "...", "concurrency": 4 }
// Prints one JSON line: { files, bytes, seconds, idleRssMiB }.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const spec = JSON.parse(await readFile(process.argv[2], 'utf8'));
await mkdir(spec.dir, { recursive: true });
const idleRssMiB = Math.round(process.memoryUsage.rss() / 2 ** 20);
let next = 0;
let bytes = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: spec.concurrency }, async () => {
    while (next < spec.urls.length) {
      const i = next++;
      const res = await fetch(spec.urls[i], { headers: spec.headers });
      if (!res.ok || !res.body) throw new Error(`raw fetch ${spec.urls[i]}: ${res.status}`);
      await pipeline(Readable.fromWeb(res.body), createWriteStream(join(spec.dir, String(i))));
      bytes += Number(res.headers.get('content-length'));
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ files: spec.urls.length, bytes, seconds, idleRssMiB })}\n`);
