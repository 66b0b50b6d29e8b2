import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { freePort, type XmppServerKind } from '@tickdesk/infra';
import { connectAs, provisionDesk, startDeskInfra, type DeskInfra, type Role } from '@tickdesk/desk';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';

export const log = pino({ level: 'warn' });

/** A private desk (XMPP server, Prosody by default, + Redis on free ports) for one benchmark run. */
export async function startBenchDesk({ extraUsers = [], xmppServer }: { extraUsers?: ReadonlyArray<[string, Role]>; xmppServer?: XmppServerKind } = {}): Promise<DeskInfra & { connect(user: string, resource: string): ReturnType<typeof connectAs>; serverPid(): number; dispose(): Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), 'tickdesk-bench-'));
  const infra = await startDeskInfra({
    home,
    domain: 'desk.localhost',
    ports: { xmpp: await freePort(), xmppTls: await freePort(), xmppHttp: await freePort(), redis: await freePort() },
    logLevel: 'warn',
    ...(xmppServer ? { xmppServer } : {}),
  });
  await provisionDesk({ infra, instruments: DEFAULT_INSTRUMENTS, log, extraUsers });
  return Object.assign(infra, {
    connect: (user: string, resource: string) => connectAs({ service: infra.service, domain: infra.domain, ca: infra.ca }, infra.credentials, user, log, resource),
    /** The XMPP server's process, for CPU readings. */
    serverPid: () => infra.xmpp.serverPid(),
    async dispose() {
      await infra.stop();
      rmSync(home, { recursive: true, force: true });
    },
  });
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
