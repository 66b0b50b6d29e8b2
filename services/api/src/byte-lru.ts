interface Entry<V> {
  value: V;
  bytes: number;
  expires: number;
  /** When the entry was last moved to the recent end. */
  touched: number;
}

/** A hit moves its entry to the recent end at most this often (a hot entry is hit thousands of times a second). */
const TOUCH_MS = 1_000;

/**
 * A least-recently-used map (recency to the second) bounded by the bytes its values
 * are said to take, whose entries also expire `ttlMs` after they were set. `maxBytes`
 * 0 keeps nothing.
 */
export function createByteLru<V>({
  maxBytes,
  ttlMs,
  now = Date.now,
}: {
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}) {
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recent first.
  const entries = new Map<string, Entry<V>>();
  let total = 0;

  function remove(key: string, entry: Entry<V>): void {
    entries.delete(key);
    total -= entry.bytes;
  }

  return {
    get(key: string): V | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      const t = now();
      if (entry.expires <= t) {
        remove(key, entry);
        return undefined;
      }
      if (t - entry.touched >= TOUCH_MS) {
        entries.delete(key);
        entries.set(key, entry);
        entry.touched = t;
      }
      return entry.value;
    },

    set(key: string, value: V, bytes: number): void {
      const old = entries.get(key);
      if (old) remove(key, old);
      if (bytes > maxBytes) return;
      const t = now();
      entries.set(key, { value, bytes, expires: t + ttlMs, touched: t });
      total += bytes;
      for (const [k, e] of entries) {
        if (total <= maxBytes) break;
        remove(k, e);
      }
    },

    clear(): void {
      entries.clear();
      total = 0;
    },

    size: (): number => entries.size,
    bytes: (): number => total,
  };
}

export type ByteLru<V> = ReturnType<typeof createByteLru<V>>;
