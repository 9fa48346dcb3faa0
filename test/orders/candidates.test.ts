import { describe, expect, it } from 'vitest';
import { candidateLine, candidateLines } from '../../src/orders/index.js';

/** The one formatter `koppel status` and `koppel order … resolve` share (status.example and the command tests show it in use). */
describe('candidateLine', () => {
  it('puts the uuid to answer with first, then the label, then the facts that tell candidates apart', () => {
    expect(candidateLine({ uuid: 'u-8', title: 'Dorpsweg 8, 9999AA Groningen', score: 8.7 })).toBe('u-8  Dorpsweg 8, 9999AA Groningen, score 8.7');
    // An intention: the product is the label, its properties follow; empty ones tell nothing apart and are left out.
    expect(candidateLine({ uuid: 'i-1', product: 'bestemmingsplanrapport', properties: { plan: 'Centrum', versie: 2, leeg: '', geen: null } })).toBe(
      'i-1  bestemmingsplanrapport, plan Centrum, versie 2',
    );
    expect(candidateLine({ uuid: 'x', title: 'T', product: 'P', properties: { area: { m2: 5 } } })).toBe('x  T, product P, area {"m2":5}');
  });

  it('reads the candidates of a request\'s details, and none from details without them', () => {
    expect(candidateLines({ candidates: [{ uuid: 'a', title: 'A' }, { uuid: 'b', title: 'B' }] })).toEqual(['a  A', 'b  B']);
    expect(candidateLines(null)).toEqual([]);
    expect(candidateLines({ location: { uuid: 'l' } })).toEqual([]);
  });
});
