import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, newRedisPassword, REDIS_ADMIN_RULES, redisUrl, type XmppServerKind } from '@tickdesk/infra';
import { startDeskInfra, provisionDesk, type DeskInfra } from '@tickdesk/desk';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import pino from 'pino';

export interface TestDesk {
  service: string;
  domain: string;
  pubsubHost: string;
  ca: string;
  /** As the test-only Redis user `test` (any command, key and database); the desk's own users are in the credentials file. */
  redisUrl: string;
  credentialsPath: string;
  home: string;
  /** The XMPP server's HTTP base (WebSocket at /xmpp-websocket). */
  xmppHttp: string;
  /** Which server runs: the `integration` project runs Prosody, `integration-ejabberd` ejabberd. */
  xmppServer: XmppServerKind;
}

declare module 'vitest' {
  export interface ProvidedContext {
    desk: TestDesk;
  }
}

let infra: DeskInfra | undefined;

/** One private XMPP server (Prosody, or ejabberd for the `integration-ejabberd` project) and Redis on free ports for the integration run. */
export async function setup(project: TestProject): Promise<void> {
  const xmppServer: XmppServerKind = project.name.endsWith('-ejabberd') ? 'ejabberd' : 'prosody';
  const home = mkdtempSync(join(tmpdir(), `tickdesk-test-${xmppServer}-`));
  const log = pino({ level: 'warn' });
  const ports = {
    xmpp: await freePort(),
    xmppTls: await freePort(),
    xmppHttp: await freePort(),
    xmppDist: await freePort(),
    redis: await freePort(),
  };
  // Tests FLUSH and use other databases: a test-only user that may, beside the desk's own.
  const admin = { name: 'test', password: newRedisPassword(), rules: REDIS_ADMIN_RULES };
  infra = await startDeskInfra({
    home,
    domain: 'desk.localhost',
    ports,
    logLevel: 'warn',
    redisUsers: [admin],
    xmppServer,
  });
  await provisionDesk({
    infra,
    instruments: DEFAULT_INSTRUMENTS,
    log,
    extraUsers: [
      ['eve', 'analyst'],
      ['dan', 'trader'],
      ['ivy', 'analyst'],
      ['kim', 'analyst'],
      ['lee', 'analyst'],
      ['max', 'analyst'],
    ],
  });
  project.provide('desk', {
    service: infra.service,
    domain: infra.domain,
    pubsubHost: infra.pubsubHost,
    ca: infra.ca,
    redisUrl: redisUrl(ports.redis, { username: admin.name, password: admin.password }),
    credentialsPath: infra.credentialsPath,
    home,
    xmppHttp: `http://127.0.0.1:${ports.xmppHttp}`,
    xmppServer,
  });
}

export async function teardown(): Promise<void> {
  const home = infra?.home;
  await infra?.stop();
  if (home && !process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
}
