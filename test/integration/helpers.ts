import { readFileSync } from 'node:fs';
import type net from 'node:net';
import pino from 'pino';
import { inject } from 'vitest';
import { connectAs, type Credentials } from '@tickdesk/desk';
import { createItemSubscriber, XmppError, type XmppClient } from '@tickdesk/xmpp';
import { decodeTickBatch, type Tick, ticksNode } from '@tickdesk/schemas';

export const log = pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' });
export const desk = () => inject('desk');
export const credentials = (): Credentials => JSON.parse(readFileSync(desk().credentialsPath, 'utf8')) as Credentials;

export async function connect(user: string, resource?: string): Promise<XmppClient> {
  const d = desk();
  return connectAs({ service: d.service, domain: d.domain, ca: d.ca }, credentials(), user, log, resource);
}

/** Subscribe `client` to ticks/<symbol> and collect every decoded tick. */
export async function collectTicks(client: XmppClient, symbols: readonly string[]) {
  const ticks: Tick[] = [];
  const sub = createItemSubscriber({
    client,
    service: desk().pubsubHost,
    nodes: symbols.map(ticksNode),
    decode: decodeTickBatch,
    onItem: (batch) => ticks.push(...batch.ticks),
    log,
  });
  await sub.start();
  return { ticks, sub };
}

/** The network goes away under `client`: its TLS socket is destroyed, no stream close sent (it reconnects). */
export function dropConnection(client: XmppClient): void {
  // After STARTTLS the connection's socket is @xmpp/tls's wrapper, whose `socket` is Node's TLSSocket.
  const wrapper: unknown = client.entity.socket;
  (wrapper as { socket: net.Socket }).socket.destroy();
}

export async function waitFor(cond: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An error's XMPP condition with its application condition: `not-allowed+closed-node`. */
export const refusal = (err: unknown): string =>
  err instanceof XmppError ? `${err.condition ?? ''}${err.appCondition ? `+${err.appCondition}` : ''}` : String(err);
/**
 * A subscribe refused by a whitelist node: Prosody answers `<forbidden/>`, ejabberd
 * `<not-allowed/>` + `<closed-node/>` (what XEP-0060 §6.1.3.4 prescribes).
 */
export const SUBSCRIBE_REFUSED = /^(forbidden|not-allowed\+closed-node)$/;
