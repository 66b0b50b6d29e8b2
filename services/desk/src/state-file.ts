import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeskStateFile } from '@tickdesk/schemas';

/** What a running desk records about itself for `status`, `down` and /health (schemas/src/desk-health.ts). */
export type DeskState = DeskStateFile;

/**
 * One part as `status` reads it from any build's desk.json: what the file lacks is
 * undefined (unknown), a state this build does not know is kept as written.
 */
export interface DeskPartView {
  state?: string;
  pid?: number;
  restarts?: number;
  lastExit?: string;
  lastRestartAt?: string;
  metricsPort?: number;
}

/**
 * desk.json as `status`, `down` and `up` read it: only the desk's pid is required, so a
 * file written by an older build (before `parts`, when it listed `services` by pid; before
 * `xmppServer`, `xmppNodes` or `ports.xmppDist`) or a newer one still names the desk.
 */
export interface DeskStateView {
  pid: number;
  startedAt?: string;
  ports: { xmpp?: number; redis?: number; mqtt?: number };
  xmppNodes?: ReadonlyArray<{ name: string; c2sPort: number }>;
  parts: Record<string, DeskPartView>;
}

/** desk.json that names no desk pid, or is not JSON: `status` and `down` cannot tell whether a desk runs. */
class DeskStateError extends Error {
  override name = 'DeskStateError';
}

const path = (home: string) => join(home, 'desk.json');
/** Written to a temporary file and renamed: a reader (the API's /health) never sees half a file. */
export function writeDeskState(home: string, s: DeskState): void {
  const tmp = `${path(home)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
  renameSync(tmp, path(home));
}
export const clearDeskState = (home: string) => rmSync(path(home), { force: true });

/** The desk's desk.json, read tolerantly (DeskStateView); undefined when there is none. */
export function readDeskState(home: string): DeskStateView | undefined {
  if (!existsSync(path(home))) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path(home), 'utf8'));
  } catch (err) {
    throw new DeskStateError(`${path(home)} is not readable: ${(err as Error).message}`);
  }
  const view = deskStateView(raw);
  if (!view) throw new DeskStateError(`${path(home)} names no desk pid`);
  return view;
}

const int = (v: unknown): number | undefined => (Number.isSafeInteger(v) ? (v as number) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Any build's desk.json content as a DeskStateView; undefined without a desk pid. */
function deskStateView(raw: unknown): DeskStateView | undefined {
  const f = obj(raw);
  const pid = int(f.pid);
  if (pid === undefined || pid <= 0) return undefined;
  const ports = obj(f.ports);
  const parts: Record<string, DeskPartView> = {};
  // Before supervision (5f560d5) desk.json listed each service's pid under `services`.
  for (const [name, p] of Object.entries(obj(f.services))) parts[name] = defined({ pid: int(p) });
  for (const [name, v] of Object.entries(obj(f.parts))) {
    const p = obj(v);
    parts[name] = defined({
      state: str(p.state),
      pid: int(p.pid),
      restarts: int(p.restarts),
      lastExit: str(p.lastExit),
      lastRestartAt: str(p.lastRestartAt),
      metricsPort: int(p.metricsPort),
    });
  }
  const nodes = Array.isArray(f.xmppNodes)
    ? f.xmppNodes
        .map(obj)
        .flatMap((n) =>
          typeof n.name === 'string' && int(n.c2sPort) ? [{ name: n.name, c2sPort: int(n.c2sPort)! }] : [],
        )
    : undefined;
  return defined({
    pid,
    startedAt: str(f.startedAt),
    ports: defined({ xmpp: int(ports.xmpp), redis: int(ports.redis), mqtt: int(ports.mqtt) }),
    xmppNodes: nodes,
    parts,
  });
}

/** The pid of a desk running from `home`, for `up`: a desk.json no build wrote (without a pid, not JSON) names none and does not stop a start. */
export function runningDeskPid(home: string): number | undefined {
  try {
    const s = readDeskState(home);
    return s && isAlive(s.pid) ? s.pid : undefined;
  } catch (err) {
    if (err instanceof DeskStateError) return undefined;
    throw err;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
