import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import { runDeskService } from './desk-process.js';

/*
 * Two recorder processes as `tickdesk up` runs them with TICKDESK_RECORDER_STANDBY=1 (a
 * primary and a standby, both as recorder@): each keeps its own XMPP session. On one
 * resource the server replaces the older session with the newer (RFC 6120 §7.7.2.2), each
 * reconnects and replaces the other in turn, and neither receives the nodes' items for long.
 */
const children: ChildProcess[] = [];

function startRecorder(role: 'primary' | 'standby') {
  const p = runDeskService('recorder', { TICKDESK_RECORDER_LEASE: role });
  children.push(p.child);
  return p;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('standby recorder sessions', () => {
  it('a recorder and its standby each keep their own XMPP session', async () => {
    const primary = startRecorder('primary');
    await waitFor(() => primary.output().includes('recorder running'), 60_000, 'the primary recorder').catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${primary.output().slice(-3000)}`);
      },
    );
    const standby = startRecorder('standby');
    await waitFor(
      () => standby.output().includes('recorder running') || standby.child.exitCode !== null,
      60_000,
      'the standby recorder',
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(primary.output() + standby.output(), 'a recorder session replaced by the other recorder').not.toContain(
      'Replaced by new connection',
    );
    expect(standby.child.exitCode, 'the standby exited').toBeNull();
  }, 120_000);
});
