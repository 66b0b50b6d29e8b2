import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./fatal.ts', import.meta.url));

/** A process that installs the handler, then fails in a socket-like event handler or a promise. */
function run(failure: string) {
  const script = `
    import { pino } from 'pino';
    import { exitOnUncaught } from ${JSON.stringify(MODULE)};
    exitOnUncaught(pino({ level: 'info' }).child({ service: 'feed' }));
    setTimeout(() => { ${failure} }, 5);
    setTimeout(() => {}, 2000);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const records = r.stdout
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          level: number;
          msg: string;
          service?: string;
          origin?: string;
          err?: { message: string; stack: string };
        },
    );
  return { status: r.status, records };
}

describe('a service process that meets an uncaught exception', () => {
  it('logs it with its stack as a fatal record, then exits 1', () => {
    const { status, records } = run('throw new TypeError("Cannot read properties of null (reading \'write\')")');
    expect(status).toBe(1);
    const fatal = records.find((r) => r.level === 60);
    expect(fatal).toMatchObject({
      service: 'feed',
      origin: 'uncaughtException',
      msg: 'uncaught exception: the process exits and its supervisor restarts it',
    });
    expect(fatal?.err?.stack).toMatch(/^TypeError: Cannot read properties of null \(reading 'write'\)\n\s+at /);
  });

  it('does the same for a rejection nobody handled', () => {
    const { status, records } = run("Promise.reject(new Error('lost publish'))");
    expect(status).toBe(1);
    expect(records.find((r) => r.level === 60)).toMatchObject({
      origin: 'unhandledRejection',
      err: { message: 'lost publish' },
    });
  });
});
