import { describe, expect, it } from 'vitest';
import { MonoDeque } from './mono-deque.js';

describe('MonoDeque', () => {
  it('gives the lowest and highest price of every window, like a scan of the history', () => {
    let a = 3;
    const r = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const lows = new MonoDeque(true);
    const highs = new MonoDeque(false);
    const history: Array<[number, string]> = [];
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      t += Math.floor(r() * 4);
      const price = String(Math.floor(r() * 100) / 10);
      history.push([t, price]);
      lows.push(t, Number(price), price);
      highs.push(t, Number(price), price);
      lows.dropThrough(t - 500);
      highs.dropThrough(t - 500);
      for (const w of [1, 5, 50, 500]) {
        const inWindow = history.filter(([ht]) => ht > t - w).map(([, p]) => Number(p));
        const lo = lows.windowStart(t - w);
        const hi = highs.windowStart(t - w);
        expect([Number(lows.strAt(lo)), Number(highs.strAt(hi))]).toEqual([
          Math.min(...inWindow),
          Math.max(...inWindow),
        ]);
        expect(lows.timeAt(lo)).toBeGreaterThan(t - w);
      }
    }
  });

  it('keeps the newest entry even when the window is empty of anything older', () => {
    const q = new MonoDeque(true);
    q.push(0, 1, '1');
    q.push(10, 2, '2');
    q.dropThrough(100);
    expect(q.strAt(q.windowStart(100))).toBe('2');
  });
});
