import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort, tail } from '@tickdesk/infra';
import { parseDeskState, type DeskStateFile } from '@tickdesk/schemas';

/**
 * A whole desk as `tickdesk up` runs it (the built code in dist/, a temporary TICKDESK_HOME,
 * free ports, TICKDESK_FEED=synthetic,mqtt) stopped as Ctrl-C or timeout(1) stops it: the
 * signal reaches its whole process group, so Redis and mosquitto exit on their own while up
 * is still stopping the services. None of them may be started again, and nothing may be left.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(root, 'services/desk/dist/cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let up: ChildProcess | undefined;
let home = '';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const upLog = () => (existsSync(join(home, 'up.log')) ? readFileSync(join(home, 'up.log'), 'utf8') : '');

async function startDesk(): Promise<DeskStateFile> {
  home = mkdtempSync(join(tmpdir(), 'tickdesk-stop-'));
  const portNames = ['API', 'XMPP', 'XMPP_TLS', 'XMPP_HTTP', 'REDIS', 'MQTT', 'XMPP_DIST'];
  const ports = new Set<number>();
  while (ports.size < portNames.length) ports.add(await freePort());
  const portOf = Object.fromEntries([...ports].map((p, k) => [`TICKDESK_${portNames[k]}_PORT`, String(p)]));
  const inherited = Object.entries(process.env).filter(([k]) => !/^(TICKDESK_|VITEST)/.test(k));
  const env = {
    ...(Object.fromEntries(inherited) as Record<string, string>),
    ...portOf,
    TICKDESK_HOME: home,
    TICKDESK_FEED: 'synthetic,mqtt',
    TICKDESK_LOG_LEVEL: 'info',
    TICKDESK_XMPP_SERVER: inject('desk').xmppServer,
  };
  // Its own process group, as a shell gives a foreground job: the test signals the group.
  const out = openSync(join(home, 'up.log'), 'a');
  up = spawn(process.execPath, [CLI, 'up'], { cwd: root, env, stdio: ['ignore', out, out], detached: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (up.exitCode !== null) throw new Error(`tickdesk up exited:\n${tail(join(home, 'up.log'), 30)}`);
    if (Date.now() > deadline) throw new Error(`the desk did not become ready:\n${tail(join(home, 'up.log'), 30)}`);
    const ok = await fetch(`http://127.0.0.1:${portOf.TICKDESK_API_PORT}/health`, {
      signal: AbortSignal.timeout(2_000),
    })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    await sleep(300);
  }
  return parseDeskState(readFileSync(join(home, 'desk.json'), 'utf8'))!;
}

afterAll(async () => {
  if (up?.pid && up.exitCode === null && up.signalCode === null) process.kill(-up.pid, 'SIGKILL');
  if (home && !process.env.TICKDESK_KEEP_TEST_HOME) rmSync(home, { recursive: true, force: true });
}, 30_000);

describe('tickdesk up stopping', () => {
  it('SIGINT to its process group: parts that exit on their own are logged as stopped, none restarted, none left', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build)`);
    const state = await startDesk();
    const pids = Object.entries(state.parts).map(([name, p]) => ({ name, pid: p.pid }));
    expect(pids.map((p) => p.name)).toEqual(expect.arrayContaining(['redis', 'mqtt', 'xmpp', 'feed-mqtt']));
    const exit = new Promise<number | string | null>((r) => up!.once('exit', (c, s) => r(c ?? s)));
    process.kill(-up!.pid!, 'SIGINT');
    const code = await Promise.race([exit, sleep(60_000).then(() => 'still running after 60 s')]);
    const afterStop = upLog().slice(upLog().indexOf('stopping…'));
    expect(code, upLog()).toBe(0);
    expect(afterStop).toContain('stopped.');
    expect(afterStop.split('\n').filter((l) => /restart/.test(l))).toEqual([]);
    await sleep(500);
    expect(pids.filter((p) => alive(p.pid))).toEqual([]);
    // One start of each server in its log: none was started again during the stop.
    const starts = (file: string, re: RegExp) =>
      readFileSync(join(home, file), 'utf8')
        .split('\n')
        .filter((l) => re.test(l));
    expect(starts('redis/redis.log', /Ready to accept connections/)).toHaveLength(1);
    expect(starts('mqtt/mosquitto.log', /mosquitto version .* running$/)).toHaveLength(1);
  }, 300_000);
});
