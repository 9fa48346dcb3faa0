/** The console's own small parts that need no browser: password hashes, the sign-in throttle, CSV cells. */
import { describe, expect, it } from 'vitest';
import { collectSecrets } from '../../src/config/secrets.js';
import { consoleConfigSchema } from '../../src/console/config.js';
import { csvField } from '../../src/console/csv.js';
import { LoginThrottle } from '../../src/console/login-throttle.js';
import { UNMATCHABLE_HASH, hashPassword, verifyPassword } from '../../src/console/password.js';

describe('console passwords', () => {
  it('verifies the password a hash was made from, and no other', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash); // salted
    expect(await verifyPassword('', UNMATCHABLE_HASH)).toBe(false);
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
  });

  it('the config takes only hashes, and masks them like secrets (the key ends in "password")', () => {
    const bad = consoleConfigSchema.safeParse({ users: [{ name: 'anna', role: 'operator', hashed_password: 'hunter2' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('koppel console hash-password');
    const role = consoleConfigSchema.safeParse({ users: [{ name: 'anna', role: 'admin', hashed_password: UNMATCHABLE_HASH }] });
    expect(role.success).toBe(false);
  });
});

describe('console settings', () => {
  it('none is taken for a secret but the password hashes (a setting word such as "auto" would be scrubbed from every page)', async () => {
    const hash = await hashPassword('correct horse battery');
    const config = consoleConfigSchema.parse({ users: [{ name: 'anna', role: 'operator', hashed_password: hash }] });
    expect(collectSecrets({ console: config })).toEqual([hash]);
  });
});

describe('LoginThrottle', () => {
  const t0 = 1_000_000;

  it('refuses a name after max failures within the window, until the oldest failure leaves it', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, windowSeconds: 60 });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter('anna', '10.0.0.1', t0 + i * 1000)).toBe(0);
      throttle.failed('anna', '10.0.0.1', t0 + i * 1000);
    }
    expect(throttle.retryAfter('anna', '10.0.0.9', t0 + 3000)).toBe(57); // another address: the name is throttled
    expect(throttle.retryAfter('ANNA', '10.0.0.9', t0 + 3000)).toBe(57); // names compare case-insensitively
    expect(throttle.retryAfter('anna', '10.0.0.9', t0 + 60_001)).toBe(0);
  });

  it('refuses an address that tries many names; a success clears the name, not the address', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, windowSeconds: 60 });
    throttle.failed('a', '10.0.0.1', t0);
    throttle.failed('b', '10.0.0.1', t0);
    expect(throttle.retryAfter('c', '10.0.0.1', t0)).toBe(60);
    throttle.succeeded('c');
    expect(throttle.retryAfter('c', '10.0.0.1', t0)).toBe(60);
    expect(throttle.retryAfter('a', '10.0.0.2', t0)).toBe(0);
  });
});

describe('csvField', () => {
  it('quotes separators, quotes and line breaks, and keeps formulas as text', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('-5')).toBe("'-5");
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
  });
});
