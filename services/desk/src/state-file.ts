import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeskState, type DeskStateFile } from '@tickdesk/schemas';

/** What a running desk records about itself for `status`, `down` and /health (schemas/src/desk-health.ts). */
export type DeskState = DeskStateFile;

const path = (home: string) => join(home, 'desk.json');
/** Written to a temporary file and renamed: a reader (the API's /health) never sees half a file. */
export function writeDeskState(home: string, s: DeskState): void {
  const tmp = `${path(home)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
  renameSync(tmp, path(home));
}
export const clearDeskState = (home: string) => rmSync(path(home), { force: true });
export function readDeskState(home: string): DeskState | undefined {
  return existsSync(path(home)) ? parseDeskState(readFileSync(path(home), 'utf8')) : undefined;
}
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
