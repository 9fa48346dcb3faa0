import { describe, expect, it } from 'vitest';
import { signedForm, withoutEcho } from '../../src/upstreams/maasplassen/wire.js';

describe('signedForm', () => {
  it('sends what a form of payload and hmac decodes to, with encodeURIComponent bytes', () => {
    const payload = JSON.stringify({ company: 1, availability: [{ boat: 7, date: '2027-01-01', prizes: [{ desc: 'Hele dag & €½ "x"', cents: 1 }] }] });
    const body = signedForm(payload, 'ab12');
    expect(body.toString('latin1')).toBe(`payload=${encodeURIComponent(payload)}&hmac=ab12`);
    expect(Object.fromEntries(new URLSearchParams(body.toString('latin1')))).toEqual({ payload, hmac: 'ab12' });
  });

  it('sends only the hmac for a signed path', () => {
    expect(signedForm(undefined, 'ab12').toString('latin1')).toBe('hmac=ab12');
  });
});

describe('withoutEcho', () => {
  const payload = '{"company":1,"availability":[{"boat":7,"date":"2027-01-01","prizes":[{"desc":"Zeilboot € ß 🚤","cents":1}]}]}';
  const answer = (echo: string) => `{"meta":{"message":"Beschikbaarheid is bijgewerkt: €","original_payload":${echo},"status":200,"owner":"ö"},"data":null}`;
  const bytes = (text: string) => Buffer.from(text, 'utf8');

  it('replaces an echo that is byte for byte the payload by null, and keeps the rest', () => {
    expect(JSON.parse(withoutEcho(bytes(answer(payload)), bytes(payload)))).toEqual({
      meta: { message: 'Beschikbaarheid is bijgewerkt: €', original_payload: null, status: 200, owner: 'ö' },
      data: null,
    });
  });

  it('leaves any other echo, and an answer without one, as they are', () => {
    const other = payload.replace('"boat":7', '"boat":"7"');
    expect(withoutEcho(bytes(answer(other)), bytes(payload))).toBe(answer(other));
    expect(withoutEcho(bytes(answer(payload.slice(0, -1))), bytes(payload))).toBe(answer(payload.slice(0, -1)));
    expect(withoutEcho(bytes('{"meta":{"status":200}}'), bytes(payload))).toBe('{"meta":{"status":200}}');
  });

  it('keeps an answer that is not JSON not JSON', () => {
    const broken = answer(payload).slice(0, -1);
    expect(() => JSON.parse(withoutEcho(bytes(broken), bytes(payload)))).toThrow();
    const cut = bytes(answer(payload)).subarray(0, 60); // ends inside the echo
    expect(withoutEcho(cut, bytes(payload))).toBe(cut.toString('utf8'));
  });
});
