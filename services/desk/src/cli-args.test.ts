import { describe, expect, it } from 'vitest';
import { parseCli, UsageError, USAGE } from './cli-args.js';

const usageError = (argv: string[]) => {
  try {
    parseCli(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
};

describe('tickdesk arguments', () => {
  it('every command the docs use parses as it always did', () => {
    for (const cmd of ['up', 'down', 'status', 'nodes'] as const) expect(parseCli([cmd])).toEqual({ cmd });
    expect(parseCli(['users', 'list'])).toEqual({ cmd: 'users list' });
    expect(parseCli(['users', 'add', 'dave', '--role', 'trader'])).toEqual({
      cmd: 'users add',
      name: 'dave',
      role: 'trader',
    });
    expect(parseCli(['users', 'add', '--role=analyst', 'ana.b'])).toEqual({
      cmd: 'users add',
      name: 'ana.b',
      role: 'analyst',
    });
    expect(parseCli(['run', 'recorder'])).toEqual({ cmd: 'run', service: 'recorder' });
  });

  it('help and version win over a command, in either spelling', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['status', '--help'], ['users', 'add', '-h']])
      expect(parseCli(argv)).toEqual({ cmd: 'help' });
    for (const argv of [['--version'], ['-V']]) expect(parseCli(argv)).toEqual({ cmd: 'version' });
  });

  it('usage errors name what is wrong', () => {
    expect(usageError([])).toBe('no command given');
    expect(usageError(['frobnicate'])).toBe("unknown command 'frobnicate'");
    expect(usageError(['run', 'bogus'])).toBe("unknown service 'bogus' (feed|recorder|alerts|api|mqtt-demo)");
    expect(usageError(['status', 'now'])).toBe("unexpected argument 'now' after 'status'");
    expect(usageError(['down', '--role', 'x'])).toBe("--role belongs to 'users add', not 'down'");
    expect(usageError(['status', '--bogus'])).toMatch(/Unknown option '--bogus'/);
    expect(usageError(['users'])).toBe("'users' needs 'add' or 'list'");
    expect(usageError(['users', 'add', 'dave'])).toBe("'users add' needs --role (trader|analyst|compliance|admin)");
    expect(usageError(['users', 'add', 'dave', '--role', 'service'])).toBe(
      "unknown role 'service' (trader|analyst|compliance|admin)",
    );
    expect(usageError(['users', 'add', 'Dave!', '--role', 'trader'])).toBe(
      "'Dave!' is not a user name (a-z 0-9 . _ -, up to 64)",
    );
    expect(usageError(['users', 'add', 'dave', 'eve', '--role', 'trader'])).toBe(
      "unexpected argument 'eve' after 'users add dave'",
    );
  });

  it('entitle, revoke and grants take a local name or a bare JID, and a symbol', () => {
    expect(parseCli(['entitle', 'ana@deskb.localhost', 'BTCUSDT'])).toEqual({
      cmd: 'entitle',
      account: 'ana@deskb.localhost',
      symbol: 'BTCUSDT',
    });
    expect(parseCli(['revoke', 'ana', 'ETHUSDT'])).toEqual({ cmd: 'revoke', account: 'ana', symbol: 'ETHUSDT' });
    expect(parseCli(['grants'])).toEqual({ cmd: 'grants' });
    expect(parseCli(['grants', 'ana@deskb.localhost'])).toEqual({ cmd: 'grants', account: 'ana@deskb.localhost' });
    expect(usageError(['entitle', 'ana@deskb.localhost'])).toBe(
      "'entitle' needs an account and a symbol: entitle <account> <symbol>",
    );
    expect(usageError(['revoke'])).toBe("'revoke' needs an account and a symbol: revoke <account> <symbol>");
    expect(usageError(['entitle', 'ana@deskb.localhost/phone', 'BTCUSDT'])).toBe(
      "'ana@deskb.localhost/phone' is not a user name or a bare JID (name@domain)",
    );
    expect(usageError(['entitle', 'a@b@c', 'BTCUSDT'])).toMatch(/is not a user name or a bare JID/);
    expect(usageError(['entitle', 'ana', 'btc usdt'])).toBe("'btc usdt' is not a symbol");
    expect(usageError(['entitle', 'ana', 'BTCUSDT', 'x'])).toBe("unexpected argument 'x' after 'entitle ana BTCUSDT'");
    expect(usageError(['grants', 'ana', 'bob'])).toBe("unexpected argument 'bob' after 'grants ana'");
    expect(usageError(['grants', '--role', 'analyst'])).toBe("--role belongs to 'users add', not 'grants'");
  });

  it('devices add, remove and list: a name, and --topics for add only', () => {
    expect(parseCli(['devices', 'add', 'probe-1', '--topics', 'sites/site1'])).toEqual({
      cmd: 'devices add',
      name: 'probe-1',
      topics: 'sites/site1',
    });
    expect(parseCli(['devices', 'remove', 'probe-1'])).toEqual({ cmd: 'devices remove', name: 'probe-1' });
    expect(parseCli(['devices', 'list'])).toEqual({ cmd: 'devices list' });
    expect(usageError(['devices'])).toBe("'devices' needs 'add', 'remove' or 'list'");
    expect(usageError(['devices', 'drop', 'x'])).toBe("unknown devices command 'drop'");
    expect(usageError(['devices', 'add', 'probe-1'])).toMatch(/^'devices add' needs --topics <prefix>/);
    expect(usageError(['devices', 'add', '--topics', 'a/b'])).toBe("'devices add' needs a name: devices add <name>");
    expect(usageError(['devices', 'remove', 'a', 'b'])).toBe("unexpected argument 'b' after 'devices remove a'");
    expect(usageError(['devices', 'list', 'a'])).toBe("unexpected argument 'a' after 'devices list'");
    expect(usageError(['devices', 'remove', 'a', '--topics', 'x'])).toBe(
      "--topics belongs to 'devices add', not 'devices remove'",
    );
    expect(usageError(['status', '--topics', 'x'])).toBe("--topics belongs to 'devices add', not 'status'");
    expect(usageError(['devices', 'list', '--role', 'trader'])).toBe(
      "--role belongs to 'users add', not 'devices list'",
    );
  });

  it('the help lists every command but run', () => {
    for (const line of [
      '  up ',
      '  down ',
      '  status ',
      '  users add <name> --role <role> ',
      '  users list ',
      '  nodes ',
      '  entitle <account> <symbol> ',
      '  revoke <account> <symbol> ',
      '  grants [<account>] ',
      '  devices add <name> --topics <prefix> ',
      '  devices remove <name> ',
      '  devices list ',
      '-h, --help',
      '-V, --version',
    ])
      expect(USAGE).toContain(line);
    expect(USAGE).not.toMatch(/^\s+run\b/m);
  });
});
