import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { privateFolder } from './private-folder.js';

const made: string[] = [];
afterEach(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('private folder', () => {
  it('narrows a folder and its files an older desk left readable by others (0755, 0644) to 0700 and 0600', () => {
    const home = mkdtempSync(join(tmpdir(), 'tickdesk-home-'));
    made.push(home);
    const logs = join(home, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'feed.log'), 'x');
    chmodSync(home, 0o755);
    chmodSync(logs, 0o755);
    chmodSync(join(logs, 'feed.log'), 0o644);
    privateFolder(home);
    privateFolder(logs, { files: true });
    expect([mode(home), mode(logs), mode(join(logs, 'feed.log'))]).toEqual([0o700, 0o700, 0o600]);
  });

  it('makes a missing folder 0700', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tickdesk-home-'));
    made.push(parent);
    privateFolder(join(parent, 'a', 'b'));
    expect(mode(join(parent, 'a', 'b'))).toBe(0o700);
  });
});
