import { describe, expect, it } from 'vitest';
import { mapOrderData } from '../../src/pipelines/ambita-mirror/manual-answers.js';

describe('mapOrderData', () => {
  const polygon = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };

  it('takes the polygon from a geometry, a Feature or a FeatureCollection (its first feature)', () => {
    const expected = { geometry: polygon, spatialReference: '25833' };
    expect(mapOrderData(polygon, '25833')).toEqual(expected);
    expect(mapOrderData({ type: 'Feature', properties: {}, geometry: polygon }, '25833')).toEqual(expected);
    expect(mapOrderData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: polygon }, { type: 'Feature', geometry: null }] }, '25833')).toEqual(expected);
  });

  it('leaves what it cannot read for the request schema to refuse', () => {
    expect(mapOrderData({ type: 'FeatureCollection', features: [] }, '25832')).toEqual({ geometry: undefined, spatialReference: '25832' });
    expect(mapOrderData(null, '25833')).toEqual({ geometry: null, spatialReference: '25833' });
  });
});
