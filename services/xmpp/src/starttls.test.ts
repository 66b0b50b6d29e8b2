import net from 'node:net';
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { starttls } from './starttls.js';

type Handler = (ctx: { entity: unknown }, next: () => Promise<void>) => Promise<void>;

describe('STARTTLS on a connection lost meanwhile', () => {
  it('says the connection was lost, not that the server refused, when the answer came on the next connection', async () => {
    // The connection died after <starttls/>; the wait for the answer took the first element
    // of the connection that replaced it (its stream features).
    let handler: Handler | undefined;
    starttls({
      streamFeatures: { use: (_n: string, _ns: string, h: Handler) => void (handler = h) } as never,
      ca: undefined,
    });
    const dead = new net.Socket();
    const entity = {
      socket: dead as unknown,
      options: { domain: 'desk.localhost' },
      async sendReceive(_el: Element) {
        entity.socket = new net.Socket(); // the reconnect's socket
        return xml('features', { xmlns: 'http://etherx.jabber.org/streams' });
      },
      _attachSocket() {},
      async restart() {},
    };
    await expect(handler!({ entity }, async () => {})).rejects.toMatchObject({ code: 'TICKDESK_XMPP_NOT_CONNECTED' });
  });
});
