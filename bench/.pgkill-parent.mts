import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PGlite } from '@electric-sql/pglite';
let last = -1;
await new Promise<void>((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/.pgkill-child.mts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (l) => {
    last = Number(l.split(' ')[1]);
    if (last >= 50) child.kill('SIGKILL');
  });
  child.on('exit', () => resolve());
});
const db = await PGlite.create('/tmp/pgkill/db');
const r = await db.query<{ n: number }>('select count(*)::int as n from t');
console.log('child said committed up to', last, '→ rows after reopen:', r.rows[0]?.n);
await db.close();
