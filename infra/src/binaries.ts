import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InfraError } from './errors.js';

/** Absolute path of a program on PATH (or the usual Debian locations), or undefined. */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** The path of a required program, or an error naming the Debian package that provides it. */
export function requireBinary(name: string, debianPackage: string): string {
  const path = which(name);
  if (!path) {
    throw new InfraError(
      'TICKDESK_INFRA_BINARY_MISSING',
      `${name} is not installed. Install it with: apt-get install -y ${debianPackage} ` +
        `(or run npm start, which installs it for you).`,
    );
  }
  return path;
}
