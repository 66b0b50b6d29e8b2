import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPubsub, xml, type XmppClient } from '@tickdesk/xmpp';
import { connect, desk } from './helpers.js';

// The pubsub item store: Prosody's own (infra/prosody/modules/mod_storage_tickdesk_items.lua),
// ejabberd's pubsub_item table held in RAM (infra/src/ejabberd-server.ts).
const NODE = 'test/item-store';
let feed: XmppClient;
beforeAll(async () => {
  feed = await connect('feed', 'item-store');
  await createPubsub(feed, desk().pubsubHost).create(NODE, {
    access_model: 'whitelist',
    publish_model: 'publishers',
    max_items: 3,
    persist_items: true,
  });
});
afterAll(async () => {
  await createPubsub(feed, desk().pubsubHost)
    .deleteNode(NODE)
    .catch(() => {});
  await feed?.stop();
});

describe('pubsub item store', () => {
  it('keeps the newest max_items items, replaces an item published again under its id, and forgets on purge', async () => {
    const pubsub = createPubsub(feed, desk().pubsubHost);
    for (const n of [1, 2, 3, 4, 5])
      await pubsub.publish(NODE, xml('n', { xmlns: 'urn:test', v: String(n) }), `id${n}`);
    const values = async () => (await pubsub.items(NODE)).map((i) => [i.id, i.payload?.attrs.v as string | undefined]);
    expect((await values()).sort()).toEqual([
      ['id3', '3'],
      ['id4', '4'],
      ['id5', '5'],
    ]);
    expect((await pubsub.items(NODE, 1)).map((i) => i.id)).toEqual(['id5']);

    await pubsub.publish(NODE, xml('n', { xmlns: 'urn:test', v: '4bis' }), 'id4');
    expect((await values()).sort()).toEqual([
      ['id3', '3'],
      ['id4', '4bis'],
      ['id5', '5'],
    ]);
    await pubsub.publish(NODE, xml('n', { xmlns: 'urn:test', v: '6' }), 'id6');
    expect((await values()).sort()).toEqual([
      ['id4', '4bis'],
      ['id5', '5'],
      ['id6', '6'],
    ]);

    await pubsub.purge(NODE);
    expect(await pubsub.items(NODE)).toEqual([]);
  });

  it('gives back a payload exactly as published: escaped text and attributes, nested namespaces', async () => {
    const pubsub = createPubsub(feed, desk().pubsubHost);
    const payload = xml(
      'n',
      { xmlns: 'urn:test', v: `a&b<'">` },
      'rows & <more>\n2',
      xml('m', { xmlns: 'urn:test:inner', k: 'é' }, '€ 0.000000001'),
    );
    await pubsub.publish(NODE, payload, 'exact');
    const [item] = await pubsub.items(NODE, 1);
    expect(item?.id).toBe('exact');
    // Attribute order is the server's: compared as XML, not as text.
    const got = item?.payload;
    expect(got?.attrs).toEqual(payload.attrs);
    expect(got?.getText()).toBe('rows & <more>\n2');
    expect(got?.getChild('m', 'urn:test:inner')?.attrs).toEqual({ xmlns: 'urn:test:inner', k: 'é' });
    expect(got?.getChildText('m', 'urn:test:inner')).toBe('€ 0.000000001');
  });
});
