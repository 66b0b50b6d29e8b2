import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { pino } from 'pino';
import { freePort } from '@tickdesk/infra';
import { createXmppPasswordVerifier } from './xmpp-verify.js';

const log = pino({ level: 'silent' });

describe('createXmppPasswordVerifier', () => {
  it('throws (so the API answers 503) when the server is unreachable', async () => {
    const port = await freePort();
    const verify = createXmppPasswordVerifier({
      service: `xmpp://127.0.0.1:${port}`,
      domain: 'desk.localhost',
      log,
      timeoutMs: 2_000,
    });
    await expect(verify('alice', 'pw')).rejects.toMatchObject({ code: 'TICKDESK_XMPP_UNREACHABLE' });
  });

  it('throws a timeout when the server never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const verify = createXmppPasswordVerifier({
        service: `xmpp://127.0.0.1:${port}`,
        domain: 'desk.localhost',
        log,
        timeoutMs: 300,
      });
      await expect(verify('alice', 'pw')).rejects.toMatchObject({ code: 'TICKDESK_XMPP_TIMEOUT' });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
