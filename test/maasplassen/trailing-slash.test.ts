/**
 * One setting, `upstreams.maasplassen.trailing_slash`, governs the fleet read's path as sent and as signed.
 * Against sandboxes that verify the path with the slash (the documented default), without it, or exactly as
 * received, each setting either works or fails with a hint naming the setting; every server has a setting
 * that works. Payload-signed calls do not depend on it.
 */
import { writeFile } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/registries.js';
import { PermanentError } from '../../src/core/errors.js';
import { KoppelEvents } from '../../src/core/events.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { availabilityEntryJson, MaasplassenClient } from '../../src/upstreams/maasplassen/client.js';
import { TRAILING_SLASH, type TrailingSlash, maasplassenConfigSchema } from '../../src/upstreams/maasplassen/config.js';
import { type MaasplassenSandbox, type SignedPathForm, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { HEADER, good, maasWorld } from '../helpers/maas-world.js';

const SENT: Record<TrailingSlash, string> = {
  sent_and_signed: '/api/v2/company/1/fleet/',
  signed_only: '/api/v2/company/1/fleet',
  none: '/api/v2/company/1/fleet',
};

/** Which settings each kind of server accepts. */
const WORKS: Record<SignedPathForm, TrailingSlash[]> = {
  with_slash: ['sent_and_signed', 'signed_only'],
  without_slash: ['none'],
  as_received: ['sent_and_signed', 'none'],
};

describe.each(Object.keys(WORKS) as SignedPathForm[])('trailing_slash against a sandbox verifying %s', (signedPath) => {
  let sandbox: MaasplassenSandbox;
  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox({ signedPath: signedPath === 'with_slash' ? undefined : signedPath });
  });
  afterAll(() => sandbox.close());

  const client = (trailing_slash: TrailingSlash) => {
    const cfg = maasplassenConfigSchema.parse({ base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: sandbox.credentials.secret, company_id: 1, trailing_slash });
    return new MaasplassenClient(cfg, new UpstreamGateway('maasplassen', cfg.rate, cfg.retry, new KoppelEvents()), pino({ level: 'silent' }));
  };

  it.each(TRAILING_SLASH)('trailing_slash: %s reads the fleet or names the setting in the HMAC error', async (setting) => {
    sandbox.reset();
    const c = client(setting);
    if (WORKS[signedPath].includes(setting)) {
      expect((await c.fleet()).length).toBeGreaterThan(0);
    } else {
      const err = await c.fleet().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toContain('The HMAC signature is invalid!');
      expect((err as Error).message).toContain(`then try upstreams.maasplassen.trailing_slash: ${TRAILING_SLASH.filter((t) => t !== setting).join(' or ')} (now ${setting})`);
      expect((err as Error).message).not.toContain(String(sandbox.credentials.secret));
    }
    expect(sandbox.requests.map((r) => r.path)).toEqual([SENT[setting]]); // a 401 is never retried
    // The payload-signed push is the same under every setting.
    await c.updateAvailability([availabilityEntryJson({ boat: '91', date: '2027-06-01', prizes: null })]);
    expect(sandbox.requests.at(-1)).toMatchObject({ path: '/api/v2/company/1/availability/update', status: 200 });
  });
});

describe('trailing_slash in a pipeline run and in the config', () => {
  let sandbox: MaasplassenSandbox;
  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox({ signedPath: 'without_slash' });
  });
  afterAll(() => sandbox.close());

  it('a server that verifies the path without the slash: the default fails naming the setting, "none" pushes', async () => {
    const failing = await maasWorld(sandbox);
    try {
      await writeFile(failing.csv, `${HEADER}\n${good('91', 1)}\n`);
      const result = await failing.run();
      expect(result.outcome).toBe('failed');
      expect(result.error?.message).toContain('upstreams.maasplassen.trailing_slash: signed_only or none (now sent_and_signed)');
    } finally {
      await failing.app.dispose();
    }
    const fixed = await maasWorld(sandbox, { upstream: { trailing_slash: 'none' } });
    try {
      await writeFile(fixed.csv, `${HEADER}\n${good('91', 1)}\n`);
      const result = await fixed.run();
      expect(result.error).toBeUndefined();
      expect(result.counts).toMatchObject({ created: 1 });
      expect(sandbox.availability(1, '91', '2027-06-01')).toEqual([{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }]);
    } finally {
      await fixed.app.dispose();
    }
  });

  it('the old sign_trailing_slash key is a config error that names trailing_slash', () => {
    const yaml = 'upstreams:\n  maasplassen: { apikey: pub.x, secret: sk.x, company_id: 1, sign_trailing_slash: true }\n';
    expect(() => parseConfig(yaml, {})).toThrow(
      'upstreams.maasplassen.sign_trailing_slash: replaced by trailing_slash: sent_and_signed | signed_only | none (one setting for the path as sent and as signed); remove sign_trailing_slash, got true (boolean)',
    );
    expect(() => parseConfig('upstreams:\n  maasplassen: { apikey: pub.x, secret: sk.x, company_id: 1, trailing_slash: yes }\n', {})).toThrow(
      'upstreams.maasplassen.trailing_slash: Invalid option: expected one of "sent_and_signed"|"signed_only"|"none", got "yes" (string)',
    );
  });
});
