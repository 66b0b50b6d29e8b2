import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ApiApp } from '../app.js';
import { testApp } from '../app.test-util.js';
import type { ApiConfig } from '../config.js';
import { privateRedis } from '../redis.test-util.js';

/** A stand-in for Prosody's WebSocket endpoint: echoes, and remembers each upgrade's headers. */
let upstream: WebSocketServer;
const upgrades: IncomingMessage['headers'][] = [];
let redis: Awaited<ReturnType<typeof privateRedis>>;
const apps: ApiApp[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  redis = await privateRedis();
  upstream = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'xmpp' });
  await new Promise((r) => upstream.once('listening', r));
  upstream.on('connection', (ws, req) => {
    upgrades.push(req.headers);
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) {
    // A socket still handshaking reports its own termination as an error: expected here.
    s.on('error', () => undefined);
    s.terminate();
  }
  for (const c of upstream.clients) c.terminate();
  for (const app of apps.splice(0)) await app.close();
  upgrades.length = 0;
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  await redis?.close();
});

async function proxyApp(config: Partial<ApiConfig> = {}): Promise<{ url: string; port: number }> {
  const app = await testApp(redis.client(), {
    config,
    xmppWebsocket: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  });
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/xmpp-websocket`, port };
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status that refused it. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'xmpp', { headers });
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}

describe('/xmpp-websocket frame cap', () => {
  it('closes a connection whose frame is above the cap with 1009, without buffering the frame', async () => {
    const { url } = await proxyApp({ wsMaxFrameBytes: 1_048_576 });
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.on('error', () => undefined);
    // One masked binary frame announcing 64 MB (RFC 6455 §5.2), all-zero mask; the payload
    // is the same 1 MB buffer written again and again, so the client itself holds 1 MB.
    const size = 64 * 2 ** 20;
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(size), 2);
    const chunk = Buffer.alloc(2 ** 20);
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
    const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.write(header);
    for (let sent = 0; sent < size && !raw.destroyed; sent += chunk.length) {
      if (!raw.write(chunk))
        await new Promise((r) => {
          raw.once('drain', r);
          raw.once('close', r);
        });
    }
    const code = await Promise.race([
      closed,
      new Promise<string>((r) => setTimeout(() => r('no close within 10 s'), 10_000)),
    ]);
    clearInterval(sampler);
    expect(code).toBe(1009);
    expect(peak - before).toBeLessThan(16 * 2 ** 20);
  }, 30_000);

  it('passes frames up to the cap both ways', async () => {
    const { url } = await proxyApp({ wsMaxFrameBytes: 4_096 });
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const echoed = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    ws.send('x'.repeat(4_096));
    expect((await echoed).length).toBe(4_096);
  });
});

describe('/xmpp-websocket connections per address', () => {
  it('refuses the (N+1)th connection from one address with 429, and admits one again after a close', async () => {
    const { url } = await proxyApp({ wsMaxPerAddress: 3 });
    const open = [await connect(url), await connect(url), await connect(url)];
    for (const ws of open) expect(ws).toBeInstanceOf(WebSocket);
    expect(await connect(url)).toBe(429);
    const first = open[0] as WebSocket;
    await new Promise((r) => {
      first.once('close', r);
      first.close();
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await connect(url)).toBeInstanceOf(WebSocket);
  });
});

describe('/xmpp-websocket connections in all', () => {
  it('refuses a connection from a new address once the total is reached', async () => {
    const { url } = await proxyApp({ wsMaxConnections: 2 });
    expect(await connect(url)).toBeInstanceOf(WebSocket);
    expect(await connect(url)).toBeInstanceOf(WebSocket);
    const other = await new Promise<number | WebSocket>((resolve) => {
      const ws = new WebSocket(url, 'xmpp', { localAddress: '127.0.0.2' });
      sockets.push(ws);
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(other).toBe(429);
  });
});

describe('/xmpp-websocket origin', () => {
  it("admits the API's own origins and clients without one, refuses any other with 403", async () => {
    const { url, port } = await proxyApp();
    expect(await connect(url, { origin: `http://localhost:${port}` })).toBeInstanceOf(WebSocket);
    expect(await connect(url, { origin: `http://127.0.0.1:${port}` })).toBeInstanceOf(WebSocket);
    expect(await connect(url)).toBeInstanceOf(WebSocket);
    expect(await connect(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await connect(url, { origin: `http://localhost:${port + 1}` })).toBe(403);
    expect(await connect(url, { origin: 'null' })).toBe(403);
  });

  it('uses the configured list instead when one is set', async () => {
    const { url, port } = await proxyApp({ allowedOrigins: 'https://desk.example.com,https://ops.example.com' });
    expect(await connect(url, { origin: 'https://desk.example.com' })).toBeInstanceOf(WebSocket);
    expect(await connect(url, { origin: `http://localhost:${port}` })).toBe(403);
  });
});

describe('/xmpp-websocket client address', () => {
  it("sends the client's address upstream in X-Forwarded-For, never a client-supplied one, nor the page's origin", async () => {
    const { url, port } = await proxyApp();
    const origin = `http://127.0.0.1:${port}`;
    expect(await connect(url, { 'x-forwarded-for': '203.0.113.9', origin })).toBeInstanceOf(WebSocket);
    // The proxy dials upstream once the client's upgrade is done.
    for (let i = 0; i < 100 && upgrades.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upgrades.at(-1)?.['x-forwarded-for']).toBe('127.0.0.1');
    expect(upgrades.at(-1)?.origin).toBeUndefined();
  });
});

describe('/xmpp-websocket when the client goes away', () => {
  /** Resolves once the stand-in node has seen `n` connections close. */
  function upstreamCloses(n: number, timeoutMs: number): Promise<number> {
    let closed = 0;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(closed), timeoutMs);
      upstream.on('connection', (ws) =>
        ws.once('close', () => {
          closed += 1;
          if (closed >= n) {
            clearTimeout(timer);
            resolve(closed);
          }
        }),
      );
    });
  }

  it("closes the node's side at once when the client's TCP connection ends without a close frame", async () => {
    const { url } = await proxyApp();
    const closed = upstreamCloses(1, 3_000);
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    ws.send('<open/>');
    await new Promise((r) => ws.once('message', r));
    (ws as unknown as { _socket: Socket })._socket.destroy();
    expect(await closed).toBe(1);
  });

  it("closes the node's side when the client leaves while the node is still answering the upgrade", async () => {
    // A node slow to answer its upgrade (a loaded or restarting server): the client has
    // gone before the node's side is open, and that side must not stay open after it.
    const slow = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      handleProtocols: () => 'xmpp',
      verifyClient: (_info, done) => setTimeout(() => done(true), 300),
    });
    await new Promise((r) => slow.once('listening', r));
    const open = new Set<WebSocket>();
    slow.on('connection', (ws) => {
      open.add(ws);
      ws.once('close', () => open.delete(ws));
    });
    try {
      const app = await testApp(redis.client(), {
        xmppWebsocket: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      });
      apps.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const ws = await connect(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/xmpp-websocket`);
      if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
      ws.send('<open/>');
      ws.terminate();
      await new Promise((r) => setTimeout(r, 1_500));
      expect(open.size).toBe(0);
    } finally {
      for (const c of slow.clients) c.terminate();
      await new Promise((r) => slow.close(r));
    }
  });

  it("cuts off a client that stops answering pings, and the node's side with it", async () => {
    const { url } = await proxyApp({ wsPingIntervalMs: 100 });
    const closed = upstreamCloses(1, 3_000);
    // A browser whose machine went away: no FIN, no close frame, no pong.
    const ws = new WebSocket(url, 'xmpp', { autoPong: false });
    sockets.push(ws);
    await new Promise((r) => ws.once('open', r));
    ws.send('<open/>');
    const started = Date.now();
    expect(await closed).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps a client whose pong is late only because this process stalled', async () => {
    const { url } = await proxyApp({ wsPingIntervalMs: 100 });
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    // The client's pong is on its way when this process (the API's) stalls for three
    // intervals: after the stall the ping timer runs before the pong is read.
    ws.once('ping', () => {
      const until = Date.now() + 350;
      while (Date.now() < until);
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('keeps a client that answers pings', async () => {
    const { url } = await proxyApp({ wsPingIntervalMs: 50 });
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    await new Promise((r) => setTimeout(r, 400));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const echoed = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    ws.send('<presence/>');
    expect(await echoed).toBe('<presence/>');
  });

  it("cuts off a client that does not read its frames once the API holds more than the cap for it, and the node's side with it", async () => {
    const { url } = await proxyApp({ wsMaxBufferedBytes: 1_048_576, wsPingIntervalMs: 0 });
    const closed = upstreamCloses(1, 4_000);
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    ws.on('error', () => undefined);
    // A browser that stops reading its stream: what the node sends it piles up in the API.
    ws.pause();
    const frame = Buffer.alloc(64 * 1024, 0x61);
    // 32 MiB, echoed by the node: more than the sockets' own buffers take.
    for (let i = 0; i < 512; i++) ws.send(frame);
    expect(await closed).toBe(1);
  });
});

describe('/xmpp-websocket over the nodes of a cluster', () => {
  const FEATURES = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>";
  /**
   * A stand-in for a node's RFC 7395 endpoint: answers <open/> with its own and stream
   * features (or with nothing while `mute`), and echoes anything else.
   */
  async function node(): Promise<{
    server: WebSocketServer;
    url: string;
    seen: () => number;
    streams: () => number;
    mute: (m: boolean) => void;
  }> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'xmpp' });
    await new Promise((r) => server.once('listening', r));
    let n = 0;
    let opened = 0;
    let muted = false;
    server.on('connection', (ws) => {
      n += 1;
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('<open')) {
          if (muted) return;
          opened += 1;
          ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='desk.localhost' id='s1' version='1.0'/>");
          ws.send(FEATURES);
        } else if (!text.startsWith('<close')) ws.send(data);
      });
    });
    return {
      server,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      seen: () => n,
      streams: () => opened,
      mute: (m) => (muted = m),
    };
  }
  const stop = async (...servers: WebSocketServer[]) => {
    for (const s of servers) {
      for (const c of s.clients) c.terminate();
      await new Promise((r) => s.close(r));
    }
  };
  async function clusterApp(urls: string[]): Promise<string> {
    const app = await testApp(redis.client(), { xmppWebsocket: urls });
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/xmpp-websocket`;
  }
  /** Opens a stream through the proxy; resolves with the frames up to its features. */
  async function openStream(url: string, timeoutMs = 5_000): Promise<string[]> {
    const ws = await connect(url);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const frames: string[] = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no features in ${timeoutMs} ms: ${frames.join('')}`)),
        timeoutMs,
      );
      ws.on('message', (d: Buffer) => {
        frames.push(d.toString());
        if (d.toString().startsWith('<stream:features')) {
          clearTimeout(timer);
          resolve(frames);
        }
      });
      ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='desk.localhost' version='1.0'/>");
    });
  }

  it('spreads logins over live nodes and skips a node that refuses', async () => {
    const a = await node();
    const b = await node();
    const dead = await node();
    await stop(dead.server);
    try {
      const url = await clusterApp([a.url, dead.url, b.url]);
      for (let i = 0; i < 6; i++) expect((await openStream(url)).at(-1)).toBe(FEATURES);
      // Each probe and each login is a stream of its own.
      expect(a.streams() + b.streams()).toBe(12);
      expect(a.streams()).toBeGreaterThanOrEqual(4);
      expect(b.streams()).toBeGreaterThanOrEqual(4);
    } finally {
      await stop(a.server, b.server);
    }
  });

  it('skips a node that accepts connections but does not answer XMPP, and takes it back once it answers', async () => {
    const a = await node();
    const stuck = await node();
    stuck.mute(true);
    try {
      const url = await clusterApp([stuck.url, a.url]);
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        expect((await openStream(url)).at(-1)).toBe(FEATURES);
        // Only the first login waits for the stuck node's probe; later ones skip it.
        if (i > 0) expect(Date.now() - started).toBeLessThan(500);
      }
      expect(stuck.streams()).toBe(0);
      stuck.mute(false);
      await new Promise((r) => setTimeout(r, 1_100));
      for (let i = 0; i < 4; i++) await openStream(url);
      expect(stuck.streams()).toBeGreaterThan(0);
    } finally {
      await stop(a.server, stuck.server);
    }
  });

  it('moves a stream to the next live node when its node fails before the stream features', async () => {
    const a = await node();
    const b = await node();
    try {
      const url = await clusterApp([a.url, b.url]);
      // a passes its probe, then goes silent: the client's own <open/> gets no answer.
      let probed = false;
      a.server.on('connection', (ws) =>
        ws.on('message', () => {
          if (probed) a.mute(true);
          probed = true;
        }),
      );
      const frames = await openStream(url, 8_000);
      expect(frames.filter((f) => f.startsWith('<open')).length).toBe(1);
      expect(frames.at(-1)).toBe(FEATURES);
      expect(b.streams()).toBeGreaterThan(0);
    } finally {
      await stop(a.server, b.server);
    }
  });

  it('answers 503 when no node accepts', async () => {
    const dead: string[] = [];
    for (let i = 0; i < 2; i++) {
      const n = await node();
      dead.push(n.url);
      await stop(n.server);
    }
    expect(await connect(await clusterApp(dead))).toBe(503);
  });
});
