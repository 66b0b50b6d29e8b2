#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseCli, UsageError, USAGE, type CliCommand } from './cli-args.js';
import type { CliIo } from './cli-commands.js';

const io: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** This package's version: package.json sits one folder above src/ and dist/ alike. */
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Errors whose message says everything an operator needs; anything else is a defect and keeps its stack. */
const EXPECTED_ERRORS = new Set(['InfraError', 'ConfigError', 'XmppError', 'DeskStateError']);

// The commands' modules (XMPP, Redis, every service) load only once a command needs them: --help and a usage error answer at once.
async function main(c: CliCommand): Promise<number> {
  if (c.cmd === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (c.cmd === 'version') {
    io.out(`tickdesk ${version()}`);
    return 0;
  }
  const { loadDeskConfig } = await import('./config.js');
  const { pino } = await import('pino');
  const config = loadDeskConfig(process.env);
  const log = pino({ level: config.TICKDESK_LOG_LEVEL });
  switch (c.cmd) {
    case 'up':
      return (await import('./up.js')).up(config, pino({ level: 'warn' }), io.out);
    case 'status':
      return (await import('./cli-status.js')).status(config, io.out);
    case 'run':
      return (await import('./cli-commands.js')).run(config, c.service, log);
    case 'down':
      return (await import('./cli-commands.js')).down(config, io);
    case 'nodes':
      return (await import('./cli-commands.js')).nodes(config, io, log);
    case 'users list':
      return (await import('./cli-commands.js')).usersList(config, io);
    case 'users add':
      return (await import('./cli-commands.js')).usersAdd(config, c.name, c.role, io, log);
    case 'entitle':
    case 'revoke':
      return (await import('./cli-grants.js')).entitle(config, c.account, c.symbol, c.cmd === 'entitle', {
        env: process.env,
        io,
        log,
      });
    case 'grants':
      return (await import('./cli-grants.js')).grants(config, c.account, { env: process.env, io, log });
    case 'devices add':
    case 'devices remove':
    case 'devices list':
      return (await import('./cli-devices.js')).devices(config, c, io);
  }
}

let command: CliCommand | undefined;
try {
  command = parseCli(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  io.err(`tickdesk: ${err.message}\nRun 'tickdesk --help' for the commands.`);
  process.exit(2);
}
main(command).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as Error;
    io.err(`tickdesk: ${EXPECTED_ERRORS.has(e.name) || e instanceof UsageError ? e.message : (e.stack ?? e.message)}`);
    process.exit(1);
  },
);
