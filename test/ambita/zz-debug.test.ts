import { it } from 'vitest';
import { CADASTRE_REQUEST, startMirrorHarness } from './harness.js';
it('debug', async () => {
  const h = await startMirrorHarness('postgres');
  await h.order(CADASTRE_REQUEST);
  const r = await h.run();
  console.log(r.outcome, r.rejections, r.error, r.counts);
  console.log(h.logs.lines.filter((l) => /warn|error|"level":[45]/.test(l)).join('\n').slice(0, 3000));
  await h.close();
});
