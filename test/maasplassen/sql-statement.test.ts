import { describe, expect, it } from 'vitest';
import { singleStatement } from '../../src/pipelines/maasplassen-availability/config-sql-statement.js';

const one = (q: string) => singleStatement(q);

describe('singleStatement', () => {
  it('accepts one statement, with or without a single trailing ";" and trailing comments', () => {
    expect(one('select * from availability')).toEqual({ ok: true, statement: 'select * from availability' });
    expect(one('select 1;')).toEqual({ ok: true, statement: 'select 1' });
    expect(one('select 1 ;  \n -- the end\n /* really */ ')).toEqual({ ok: true, statement: 'select 1 ' });
    expect(one('-- boats\nselect 1')).toEqual({ ok: true, statement: '-- boats\nselect 1' });
  });

  it('does not take ";" inside strings, identifiers, dollar quotes or comments for a statement end', () => {
    for (const q of [
      "select 'a;b' as x",
      "select 'it''s; fine' as x",
      "select E'a\\';b' as x",
      'select 1 as "odd;name"',
      'select $$a;b$$ as x',
      'select $tag$ a; $$ ; b $tag$ as x',
      'select 1 -- ; not a statement\n as x',
      'select /* ; /* nested ; */ still ; */ 1',
      'select 1 as x; /* trailing /* nested */ comment */',
    ]) {
      const r = one(q);
      expect(r.ok, q).toBe(true);
    }
  });

  it('refuses several statements, naming how many and where the first ends', () => {
    const r = one('select * from booking; commit; delete from bookings; select 1');
    expect(r).toEqual({ ok: false, reason: 'expected exactly one SQL statement, found 4 (the first ends with the ";" at offset 21)' });
    expect(one("select 'a'; delete from bookings").ok).toBe(false);
    expect(one('select $$x$$; delete from bookings').ok).toBe(false);
    // A backslash does not escape a quote in a standard string: the ";" after it is a real statement end.
    expect(one("select 'a\\'; delete from bookings; select 'b'").ok).toBe(false);
    // Dollar signs inside identifiers are not dollar quotes.
    expect(one('select a$b; delete from t').ok).toBe(false);
  });

  it('refuses an empty query and unterminated quotes or comments', () => {
    expect(one(' ; ')).toEqual({ ok: false, reason: 'expected a SELECT, found no statement' });
    expect(one("select 'open; delete from bookings").ok).toBe(false);
    expect(one('select $q$ open; delete from bookings').ok).toBe(false);
    expect(one('select 1 /* open; delete').ok).toBe(false);
  });
});
