import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create('/tmp/pgkill/db');
await db.exec('create table if not exists t (id serial primary key, at text)');
for (let i = 0; ; i++) {
  await db.query('insert into t (at) values ($1)', [String(i)]);
  process.stdout.write(`committed ${i}\n`);
  if (i > 200) break;
}
