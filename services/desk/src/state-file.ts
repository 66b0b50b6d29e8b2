import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running desk records about itself for `status` and `down`. */
export interface DeskState {
  pid: number;
  startedAt: string;
  domain: string;
  ports: { xmpp: number; xmppTls: number; xmppHttp: number; redis: number };
  services: Record<string, number>;
}

const path = (home: string) => join(home, 'desk.json');
export const writeDeskState = (home: string, s: DeskState) => writeFileSync(path(home), JSON.stringify(s, null, 2) + '\n');
export const clearDeskState = (home: string) => rmSync(path(home), { force: true });
export function readDeskState(home: string): DeskState | undefined {
  return existsSync(path(home)) ? (JSON.parse(readFileSync(path(home), 'utf8')) as DeskState) : undefined;
}
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
