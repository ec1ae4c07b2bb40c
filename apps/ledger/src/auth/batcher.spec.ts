import { Batcher } from './batcher';

describe('Batcher', () => {
  it('answers the lookups of one turn of the event loop with one load, each key asked once', async () => {
    const loads: string[][] = [];
    const batcher = new Batcher<string, number>(async (keys) => {
      loads.push(keys);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
    });
    const answers = await Promise.all(['a', 'bb', 'a', 'missing'].map((k) => batcher.get(k)));
    expect(answers).toEqual([1, 2, 1, undefined]);
    expect(loads).toEqual([['a', 'bb', 'missing']]);
    // A later turn loads again: nothing is cached.
    expect(await batcher.get('a')).toBe(1);
    expect(loads).toHaveLength(2);
  });

  it('splits a large batch and fails only the lookups of the load that failed', async () => {
    const batcher = new Batcher<number, number>(async (keys) => {
      if (keys.includes(3)) throw new Error('store unavailable');
      return new Map(keys.map((k) => [k, k * 10]));
    }, 2);
    const answers = await Promise.allSettled([1, 2, 3, 4].map((k) => batcher.get(k)));
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message))).toEqual([10, 20, 'store unavailable', 'store unavailable']);
  });
});

describe('Batcher under load', () => {
  it('keeps one load in flight and sends everything asked meanwhile in the next one', async () => {
    const loads: number[][] = [];
    let release!: () => void;
    const firstDone = new Promise<void>((r) => (release = r));
    const batcher = new Batcher<number, number>(async (keys) => {
      loads.push(keys);
      if (loads.length === 1) await firstDone;
      return new Map(keys.map((k) => [k, k]));
    });
    const first = batcher.get(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((k) => batcher.get(k));
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(loads).toEqual([[1], [2, 3, 4]]);
  });
});
