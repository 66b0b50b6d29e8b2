import net from 'node:net';
import type { DeskPartView, DeskStateView } from './state-file.js';

export interface StatusProbes {
  /** Whether the process still exists (`kill -0`). */
  alive: (pid: number) => boolean;
  /** Whether something accepts connections on the loopback port. */
  listening: (port: number) => Promise<boolean>;
  /** The detail of a part's own report (GET /state on its metrics port), if it answers. */
  report?: (port: number) => Promise<string | undefined>;
}

/** An alert engine's part when several run (`alerts` beside `alerts-2`…): its line names the instruments it holds. */
const isEngine = (desk: DeskStateView, name: string): boolean =>
  (name === 'alerts' || /^alerts-\d+$/.test(name)) && 'alerts-2' in desk.parts;
/** The feed or the recorder, or its standby, when a standby runs: its line says what it publishes (records). */
const hasStandby = (desk: DeskStateView, name: string): boolean => {
  const m = /^(feed|recorder)(-standby)?$/.exec(name);
  return m !== null && `${m[1]}-standby` in desk.parts;
};

/** The XMPP node a part is (`xmpp` node 1, `xmpp-2` node 2…), from desk.json's node list. */
function nodeOf(desk: DeskStateView, part: string): { index: number; name: string; c2sPort?: number } | undefined {
  const m = part === 'xmpp' ? ['', '1'] : /^xmpp-(\d+)$/.exec(part);
  if (!m) return undefined;
  const index = Number(m[1]) - 1;
  const n = desk.xmppNodes?.[index];
  return n
    ? { index, name: n.name, c2sPort: n.c2sPort }
    : index === 0
      ? { index, name: '', c2sPort: desk.ports.xmpp }
      : undefined;
}

/** A part's state as an operator should read it: a recorded `running` whose process is gone is `exited`, an XMPP node that refuses clients is `not listening`. */
async function effectiveState(
  desk: DeskStateView,
  name: string,
  p: DeskPartView,
  probes: StatusProbes,
): Promise<string> {
  // A desk.json of an older build may not record the state: its process is probed as if running.
  const state = p.state ?? (p.pid !== undefined ? 'running' : 'unknown');
  if (state !== 'running') return state;
  if (p.pid === undefined || !probes.alive(p.pid)) return 'exited';
  const node = nodeOf(desk, name);
  if (node?.c2sPort !== undefined && !(await probes.listening(node.c2sPort))) return 'not listening';
  return 'running';
}

/**
 * `tickdesk status`: the desk's line (running, or degraded naming the parts that are not
 * running), then one line per part; an XMPP node's line names its Erlang node and client port.
 */
export async function statusLines(
  desk: DeskStateView,
  probes: StatusProbes,
): Promise<{ lines: string[]; degraded: string[] }> {
  const entries = Object.entries(desk.parts);
  const states = await Promise.all(entries.map(([name, p]) => effectiveState(desk, name, p, probes)));
  const details = await Promise.all(
    entries.map(([name, p]) =>
      probes.report && p.metricsPort && (isEngine(desk, name) || hasStandby(desk, name))
        ? probes.report(p.metricsPort).catch(() => undefined)
        : Promise.resolve(undefined),
    ),
  );
  const degraded = entries.flatMap(([name], i) => (states[i] === 'running' ? [] : [`${name} ${states[i]}`]));
  const lines = [
    `desk: ${degraded.length === 0 ? 'running' : `degraded (${degraded.join(', ')})`} since ${desk.startedAt ?? 'an unknown time'} (pid ${desk.pid})`,
  ];
  entries.forEach(([name, p], i) =>
    lines.push(`  ${partLine(desk, name, p, states[i]!)}${details[i] ? `  ${details[i]}` : ''}`),
  );
  return { lines, degraded };
}

/** `alerts    running (pid 4242)  restarts 2, last exit SIGKILL, last restart 2026-…  metrics http://127.0.0.1:…/metrics` */
function partLine(desk: DeskStateView, name: string, p: DeskPartView, state: string): string {
  const recorded = p.state === undefined ? '  state not recorded,' : '';
  const restarts =
    p.restarts === undefined
      ? `${recorded || ' '} restarts unknown`
      : p.restarts > 0
        ? `  restarts ${p.restarts}, last exit ${p.lastExit ?? '?'}, last restart ${p.lastRestartAt ?? '?'}`
        : '  restarts 0';
  const metrics = p.metricsPort ? `  metrics http://127.0.0.1:${p.metricsPort}/metrics` : '';
  const node = nodeOf(desk, name);
  const where =
    node && desk.xmppNodes && desk.xmppNodes.length > 1
      ? `  node ${node.index + 1} ${node.name} 127.0.0.1:${node.c2sPort ?? '?'}`
      : name === 'mqtt' && desk.ports.mqtt
        ? `  mqtts port ${desk.ports.mqtt}`
        : '';
  return `${name.padEnd(9)} ${state}${p.pid !== undefined && p.pid > 0 ? ` (pid ${p.pid})` : ''}${where}${restarts}${metrics}`;
}

export function portListening(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', timeout: timeoutMs });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}
