import { describe, expect, it } from 'vitest';
import { createNodeRing } from './node-ring.js';

const walk = (ring: ReturnType<typeof createNodeRing>, n: number) => [
  ring.current(),
  ...Array.from({ length: n - 1 }, () => ring.next()),
];

describe('the node ring', () => {
  it('starts on service and walks the nodes after it, so every client goes round the same way', () => {
    const ring = createNodeRing('xmpp://b', ['xmpp://a', 'xmpp://b', 'xmpp://c']);
    expect(ring.size).toBe(3);
    expect(walk(ring, 4)).toEqual(['xmpp://b', 'xmpp://c', 'xmpp://a', 'xmpp://b']);
    ring.next();
    expect(ring.rewind()).toBe('xmpp://b');
  });

  it('puts a service missing from the list first, and is that one node without a list', () => {
    expect(walk(createNodeRing('xmpp://z', ['xmpp://a', 'xmpp://b']), 4)).toEqual([
      'xmpp://z',
      'xmpp://a',
      'xmpp://b',
      'xmpp://z',
    ]);
    const single = createNodeRing('xmpp://only');
    expect(single.size).toBe(1);
    expect(single.next()).toBe('xmpp://only');
  });
});
