import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publisherNodeConfig } from './node-config.js';

/** The `pubsub#` rows of docs/protocol.md §5.2, field → value as written there. */
function documented(): Map<string, string> {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### 5.2 Configuration'), doc.indexOf('### 5.3'));
  const rows = [...section.matchAll(/^\| `pubsub#([a-z_]+)` \| `([^`]+)`/gm)];
  return new Map(rows.map((m) => [m[1]!, m[2]!]));
}

describe('publisherNodeConfig', () => {
  it('is the node configuration docs/protocol.md §5.2 states, field by field', () => {
    const config = publisherNodeConfig('BTCUSDT ticks', 100);
    const doc = documented();
    expect([...doc.keys()].sort()).toEqual(Object.keys(config).sort());
    for (const [field, value] of doc) {
      if (field === 'title') expect(config.title).toBe('BTCUSDT ticks');
      else expect(String(config[field]), field).toBe(value);
    }
  });

  it('takes the title and the item cap it is given', () => {
    expect(publisherNodeConfig('audit chain records', 1_000)).toMatchObject({
      title: 'audit chain records',
      max_items: 1_000,
    });
  });
});
