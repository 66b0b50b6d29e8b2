import { describe, expect, it } from 'vitest';
import { createByteLru } from './byte-lru.js';

describe('byte LRU', () => {
  it('evicts the least recently used past its bytes; a hit counts as use (to the second)', () => {
    let clock = 0;
    const lru = createByteLru<string>({ maxBytes: 30, ttlMs: 60_000, now: () => clock });
    lru.set('a', 'A', 10);
    lru.set('b', 'B', 10);
    lru.set('c', 'C', 10);
    clock += 1_000;
    expect(lru.get('a')).toBe('A');
    lru.set('d', 'D', 10);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.get('d')]).toEqual(['A', undefined, 'C', 'D']);
    expect(lru.bytes()).toBe(30);
    lru.set('c', 'C2', 25);
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([undefined, 'C2', undefined]);
    expect(lru.bytes()).toBe(25);
  });

  it('forgets entries after their time, keeps nothing bigger than itself, and nothing at 0 bytes', () => {
    let clock = 0;
    const lru = createByteLru<string>({ maxBytes: 100, ttlMs: 5_000, now: () => clock });
    lru.set('a', 'A', 10);
    clock += 4_999;
    expect(lru.get('a')).toBe('A');
    clock += 1;
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size()).toBe(0);
    lru.set('big', 'B', 101);
    expect(lru.get('big')).toBeUndefined();
    const none = createByteLru<string>({ maxBytes: 0, ttlMs: 5_000 });
    none.set('a', 'A', 1);
    expect(none.get('a')).toBeUndefined();
  });
});
