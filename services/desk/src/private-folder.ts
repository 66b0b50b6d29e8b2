import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The runtime folder holds credentials, keys and logs: 0700, made so if missing and
 * narrowed if an older desk left it wider (the ejabberd starter then gives ejabberd's
 * group the search bit it needs, infra/src/ejabberd-config.ts). With `files`, the files directly inside are narrowed to 0600 too (logs).
 */
export function privateFolder(dir: string, { files = false }: { files?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!files) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isFile() && (st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o600);
  }
}
