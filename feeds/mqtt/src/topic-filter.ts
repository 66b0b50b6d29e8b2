import type { SensorMapEntry } from '@tickdesk/schemas';

/** What the adapter needs of one sensor map entry: its topic filter, symbol, decimals and inclusive range. */
export type SensorEntry = Pick<SensorMapEntry, 'topic' | 'symbol' | 'decimals' | 'min' | 'max'>;

/**
 * Whether `topic` (a topic name, no wildcards) matches `filter`. MQTT 5 §4.7.1: `#` matches
 * its parent level and any below, `+` exactly one level (empty ones included); §4.7.2: a
 * filter starting with a wildcard does not match a topic starting with `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Topic → the first entry, in file order, whose filter matches it; repeated topics are remembered. */
export function createTopicMap<E extends SensorEntry>(entries: readonly E[], cacheMax = 10_000) {
  const cache = new Map<string, E | undefined>();
  return (topic: string): E | undefined => {
    if (cache.has(topic)) return cache.get(topic);
    const entry = entries.find((e) => topicMatches(e.topic, topic));
    // Bounded: a device publishing under ever new topics must not grow the cache without end.
    if (cache.size >= cacheMax) cache.clear();
    cache.set(topic, entry);
    return entry;
  };
}
