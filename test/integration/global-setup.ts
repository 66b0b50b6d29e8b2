import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '@tickdesk/infra';
import { startDeskInfra, provisionDesk, type DeskInfra } from '@tickdesk/desk';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import pino from 'pino';

export interface TestDesk {
  service: string;
  domain: string;
  pubsubHost: string;
  ca: string;
  redisUrl: string;
  credentialsPath: string;
  home: string;
  /** The XMPP server's HTTP base (WebSocket at /xmpp-websocket). */
  xmppHttp: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    desk: TestDesk;
  }
}

let infra: DeskInfra | undefined;

/** One private Prosody and Redis on free ports for the integration run. */
export async function setup(project: TestProject): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'tickdesk-test-'));
  const log = pino({ level: 'warn' });
  const ports = { xmpp: await freePort(), xmppTls: await freePort(), xmppHttp: await freePort(), redis: await freePort() };
  infra = await startDeskInfra({
    home,
    domain: 'desk.localhost',
    ports,
    logLevel: 'warn',
  });
  await provisionDesk({ infra, instruments: DEFAULT_INSTRUMENTS, log, extraUsers: [['eve', 'analyst'], ['dan', 'trader'], ['ivy', 'analyst'], ['kim', 'analyst'], ['lee', 'analyst'], ['max', 'analyst']] });
  project.provide('desk', {
    service: infra.service,
    domain: infra.domain,
    pubsubHost: infra.pubsubHost,
    ca: infra.ca,
    redisUrl: infra.redis.url,
    credentialsPath: infra.credentialsPath,
    home,
    xmppHttp: `http://127.0.0.1:${ports.xmppHttp}`,
  });
}

export async function teardown(): Promise<void> {
  const home = infra?.home;
  await infra?.stop();
  if (home && !process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
}
