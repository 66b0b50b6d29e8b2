import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { status } from './cli-status.js';
import { loadDeskConfig } from './config.js';

let home = '';
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('tickdesk status on a desk started by an older build', () => {
  it('shows the parts and says the last prices are unknown when the credentials file predates Redis logins', async () => {
    home = mkdtempSync(join(tmpdir(), 'tickdesk-status-'));
    mkdirSync(join(home, 'certs'));
    writeFileSync(join(home, 'certs', 'ca.crt'), '');
    writeFileSync(
      join(home, 'credentials.json'),
      JSON.stringify({
        domain: 'desk.localhost',
        accounts: { admin: { user: 'admin', role: 'admin', password: 'x' } },
      }),
    );
    writeFileSync(
      join(home, 'desk.json'),
      JSON.stringify({
        pid: process.pid,
        startedAt: '2026-12-01T08:00:00.000Z',
        domain: 'desk.localhost',
        ports: { xmpp: 5222, xmppTls: 5223, xmppHttp: 5280, redis: 6380 },
        services: { recorder: process.pid },
      }),
    );
    const lines: string[] = [];
    const code = await status(loadDeskConfig({ TICKDESK_HOME: home }), (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines).toEqual([
      `desk: running since 2026-12-01T08:00:00.000Z (pid ${process.pid})`,
      `  recorder  running (pid ${process.pid})  state not recorded, restarts unknown`,
      `  last prices: unknown (${join(home, 'credentials.json')} has no Redis logins (written by an older desk))`,
    ]);
  });

  it('shows the parts when topology.json lacks a field this build requires, naming the file and the field', async () => {
    home = mkdtempSync(join(tmpdir(), 'tickdesk-status-'));
    writeFileSync(
      join(home, 'topology.json'),
      JSON.stringify({ domain: 'desk.localhost', pubsubHost: 'pubsub.desk.localhost' }),
    );
    writeFileSync(
      join(home, 'desk.json'),
      JSON.stringify({
        pid: process.pid,
        startedAt: '2026-12-01T08:00:00.000Z',
        ports: {},
        parts: { feed: { state: 'running', pid: process.pid, restarts: 0 } },
      }),
    );
    const lines: string[] = [];
    expect(await status(loadDeskConfig({ TICKDESK_HOME: home }), (l) => lines.push(l))).toBe(0);
    expect(lines.slice(0, 2)).toEqual([
      `desk: running since 2026-12-01T08:00:00.000Z (pid ${process.pid})`,
      `  feed      running (pid ${process.pid})  restarts 0`,
    ]);
    expect(lines[2]).toMatch(
      new RegExp(
        `^  last prices: unknown \\(${join(home, 'topology.json')} is not a readable desk topology: desk topology /xmppServer: `,
      ),
    );
  });
});
