import type { Page, WebSocketRoute } from 'playwright-core';
import { barsNode, encodeBar, type Bar, type Instrument } from '@tickdesk/schemas';
import { NS_PUBSUB_EVENT, xml } from '@tickdesk/xmpp';
import type {
  PageMessageChannel,
  PageMessageEventClass,
  PageWebSocket,
  PageWebSocketClass,
} from '../support/page-dom.js';
import { createBarWalk } from './ui-bar-walk.js';

// The page's globals used by the init script below (it runs in Chromium: see page-dom.ts).
declare const window: unknown;
declare const MessageChannel: PageMessageChannel;
declare const MessageEvent: PageMessageEventClass;

/**
 * Routes the page's XMPP WebSocket through this process (playwright's WebSocketRoute),
 * every frame in both directions passed on unchanged, and remembers the session's full
 * JID from the resource binding result (RFC 6120 §7.6.3.2). Install before the page
 * opens the socket: a reconnect gets a new route and a new JID.
 */
export async function tapXmppSocket(page: Page) {
  let route: WebSocketRoute | undefined;
  let jid: string | undefined;
  await page.routeWebSocket('**/xmpp-websocket', (ws) => {
    const server = ws.connectToServer();
    route = ws;
    jid = undefined;
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      if (!jid && typeof m === 'string') jid = /<jid>([^<]+)<\/jid>/.exec(m)?.[1];
      ws.send(m);
    });
  });
  return { route: () => route, jid: () => jid };
}

/**
 * The RFC 7395 frame of one pubsub notification (XEP-0060 §7.1.2.1) carrying `bar`,
 * as the pubsub service would send it to `to`.
 */
function barNotification({ from, to, id, bar }: { from: string; to: string; id: string; bar: Bar }): string {
  return xml(
    'message',
    { xmlns: 'jabber:client', from, to, type: 'headline', id },
    xml(
      'event',
      { xmlns: NS_PUBSUB_EVENT },
      xml('items', { node: barsNode(bar.symbol) }, xml('item', { id }, encodeBar(bar))),
    ),
  ).toString();
}

/**
 * In the page (an init script, after the route's): `window.__wsInject(frames)` hands a
 * batch of frames to the page's latest WebSocket, each dispatched as its own task (a
 * MessageChannel message), as a socket delivers one frame per task.
 */
export async function batchIntoSocket(page: Page): Promise<(frames: string[]) => Promise<void>> {
  await page.addInitScript(() => {
    const w = window as { __wsInject(frames: string[]): void; WebSocket: PageWebSocketClass };
    let socket: PageWebSocket | undefined;
    const queue: string[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = () => socket?.dispatchEvent(new MessageEvent('message', { data: queue.shift() }));
    w.__wsInject = (frames) => {
      for (const f of frames) {
        queue.push(f);
        channel.port2.postMessage(0);
      }
    };
    const Base = w.WebSocket;
    w.WebSocket = class extends Base {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        // eslint-disable-next-line @typescript-eslint/no-this-alias -- the page's latest socket, kept for __wsInject to dispatch into
        socket = this;
      }
    };
  });
  return (frames) => page.evaluate((fs) => (window as { __wsInject(f: string[]): void }).__wsInject(fs), frames);
}

/**
 * Sends `perSecond` bar notifications per instrument into the page's routed socket, as
 * frames from `pubsubHost` to the page's full JID: every 10 ms the items due since the
 * start, round-robin over the instruments (the same walk and pacing as the publisher,
 * without the XMPP server). `deliver` takes each tick's frames: by default the route's
 * `send`, one frame at a time (playwright runs one evaluate in the page per frame, with
 * no acknowledgement); or one batch per tick (`batchIntoSocket`). The page's own frame
 * count (`delivered`) bounds the frames in flight to `window`; a due item beyond it, or
 * before the socket is bound, is skipped and counted.
 */
export function createBarInjector({
  socket,
  delivered,
  deliver,
  pubsubHost,
  instruments,
  perSecond,
  window = 400,
}: {
  socket: Awaited<ReturnType<typeof tapXmppSocket>>;
  /** Frames the page has received so far (real ones included). */
  delivered: () => Promise<number>;
  deliver?: (frames: string[]) => void | Promise<void>;
  pubsubHost: string;
  instruments: readonly Instrument[];
  perSecond: number;
  window?: number;
}) {
  const walk = createBarWalk(instruments, 11);
  const send = deliver ?? ((frames: string[]) => frames.forEach((f) => socket.route()?.send(f)));
  let sent = 0;
  let skipped = 0;
  let due = 0;
  let t0 = 0;
  let timer: NodeJS.Timeout | undefined;
  let base = 0;
  let pumping = false;

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      const received = (await delivered().catch(() => Number.POSITIVE_INFINITY)) - base;
      const now = Date.now();
      const target = Math.floor(((now - t0) / 1000) * perSecond * walk.size);
      const to = socket.jid();
      const frames: string[] = [];
      for (; due < target; due++) {
        if (!socket.route() || !to || sent + frames.length - received >= window) {
          skipped++;
          continue;
        }
        frames.push(
          barNotification({ from: pubsubHost, to, id: `bench-${due}`, bar: walk.next(due % walk.size, now) }),
        );
      }
      sent += frames.length;
      if (frames.length > 0) await send(frames);
    } finally {
      pumping = false;
    }
  }

  return {
    async start() {
      base = await delivered();
      t0 = Date.now();
      due = 0;
      timer = setInterval(() => void pump().catch(() => undefined), 10);
    },
    async stop() {
      clearInterval(timer);
      while (pumping) await new Promise((r) => setTimeout(r, 10));
    },
    counts: () => ({ sent, skipped }),
  };
}
