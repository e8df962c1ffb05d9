import { mergeValues } from './mergeValues';

describe('mergeValues', () => {
  it('merges values deeply, later sources winning, arrays replaced', () => {
    expect(
      mergeValues(
        { a: { b: 1, c: [1, 2] }, d: 1 },
        { a: { c: [3] } },
        { d: 2 },
      ),
    ).toEqual({ a: { b: 1, c: [3] }, d: 2 });
  });

  it('merges more than two levels deep and keeps keys only one side has', () => {
    expect(
      mergeValues(
        {
          containers: { preview: { image: { repository: 'node', tag: '22' } } },
        },
        {
          containers: { preview: { image: { tag: '20' } }, chat: { env: [] } },
        },
      ),
    ).toEqual({
      containers: {
        preview: { image: { repository: 'node', tag: '20' } },
        chat: { env: [] },
      },
    });
  });

  it('lets a scalar, null or array replace an object and an object replace a scalar', () => {
    expect(
      mergeValues(
        { a: { x: 1 }, b: { y: 1 }, c: { z: 1 }, d: 'scalar' },
        { a: 'text', b: null, c: [1], d: { now: 'object' } },
      ),
    ).toEqual({ a: 'text', b: null, c: [1], d: { now: 'object' } });
  });

  it('skips undefined sources and returns an empty object for none', () => {
    expect(mergeValues()).toEqual({});
    expect(mergeValues(undefined, { a: 1 }, undefined)).toEqual({ a: 1 });
  });

  it('never changes its inputs; merged objects are new objects', () => {
    const base = { a: { b: 1 }, list: [1] };
    const over = { a: { c: 2 } };
    const out = mergeValues(base, over);
    expect(base).toEqual({ a: { b: 1 }, list: [1] });
    expect(over).toEqual({ a: { c: 2 } });
    expect(out).toEqual({ a: { b: 1, c: 2 }, list: [1] });
    expect(out.a).not.toBe(base.a);
    expect(out.a).not.toBe(over.a);
  });
});
