import { describe, expect, it } from 'vitest';
import { maasplassenSignature } from '../../src/upstreams/maasplassen/hmac.js';

// The vendor document's own test vectors (maasplassen-api-v2.txt, verified in maasplassen-notes.md).
const SECRET = 'sk.9isI6XLkRutLtjwRHZUc4I7Nw3tdf6r6R5KZ3ChZDxb6yU65Q6fGr';

describe('maasplassenSignature', () => {
  it('signs a payload string exactly as sent', () => {
    expect(maasplassenSignature(SECRET, "{'some':'json data','which':'needs to be processed'}")).toBe(
      '6dd69b92d7e7927680a459740efc9167feddde57d310afb2e2ed3191b9bfb1d4',
    );
  });

  it('signs the request path when there is no payload, trailing slash included', () => {
    expect(maasplassenSignature(SECRET, '/api/v2/endpoint/')).toBe('18501fba8c6072b1de07602eddf4ce7f9a553f8de8c2317d1a23908779850346');
    expect(maasplassenSignature(SECRET, '/api/v2/endpoint')).toMatch(/^1f540cec/);
  });
});
