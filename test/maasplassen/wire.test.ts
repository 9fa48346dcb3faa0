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
  const payload = '{"company":1,"availability":[{"boat":7,"date":"2027-01-01","prizes":null}]}';
  const answer = (echo: string) => `{"meta":{"message":"Availability is updated.","original_payload":${echo},"status":200,"owner":"o"},"data":null}`;

  it('replaces an echo that is byte for byte the payload by null, and keeps the rest', () => {
    expect(JSON.parse(withoutEcho(answer(payload), payload))).toEqual({ meta: { message: 'Availability is updated.', original_payload: null, status: 200, owner: 'o' }, data: null });
  });

  it('leaves any other echo, and an answer without one, as they are', () => {
    const other = payload.replace('"boat":7', '"boat":"7"');
    expect(withoutEcho(answer(other), payload)).toBe(answer(other));
    expect(withoutEcho('{"meta":{"status":200}}', payload)).toBe('{"meta":{"status":200}}');
  });

  it('keeps an answer that is not JSON not JSON', () => {
    const broken = answer(payload).slice(0, -1);
    expect(() => JSON.parse(withoutEcho(broken, payload))).toThrow();
  });
});
