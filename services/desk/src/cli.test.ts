import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The command as an operator runs it: its exit code, stdout and stderr are the contract.
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
function tickdesk(...args: string[]) {
  const r = spawnSync(process.execPath, ['--conditions=tickdesk-source', '--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, TICKDESK_HOME: '/nonexistent/tickdesk-cli-test' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const STACK = /\n\s+at /;
// Each case starts node with tsx (1 to 3 s on a busy 2-core machine).
const SLOW = { timeout: 60_000 };

describe('tickdesk command line', SLOW, () => {
  it('--help prints every command on stdout and exits 0', () => {
    const r = tickdesk('--help');
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'down', 'status', 'users add', 'users list', 'nodes', 'entitle', 'revoke', 'grants'])
      expect(r.stdout).toContain(`  ${cmd}`);
    expect(r.stdout).not.toMatch(/^\s+run\b/m);
    expect(r.stderr).toBe('');
  });

  it('--version prints the version and exits 0', () => {
    const r = tickdesk('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`tickdesk ${VERSION}`);
  });

  it('a usage error goes to stderr with exit 2 and nothing on stdout', () => {
    for (const args of [
      ['users', 'add', 'dave', '--role', 'pirate'],
      ['status', '--bogus'],
      ['users', 'add'],
      ['entitle', 'ana@deskb.localhost'],
      ['revoke', 'ana@deskb.localhost/phone', 'BTCUSDT'],
    ]) {
      const r = tickdesk(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/^tickdesk: /);
      expect(r.stderr, args.join(' ')).toContain('tickdesk --help');
    }
  });

  it('an unknown command (or service to run) is a usage error without a stack trace', () => {
    for (const args of [['frobnicate'], ['run', 'bogus']]) {
      const r = tickdesk(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(
        `unknown ${args[0] === 'run' ? 'service' : 'command'} '${args.at(-1)}'`,
      );
      expect(r.stderr, args.join(' ')).not.toMatch(STACK);
    }
  });
});
