import { parseArgs } from 'node:util';
import { DESK_ROLES, SYMBOL_PATTERN } from '@tickdesk/schemas';

/** Every command an operator runs; `run <service>` is how `up` starts its children, so it is not listed. */
export const USAGE = `usage: tickdesk <command> [options]

commands:
  up                                   start the desk in the foreground (Ctrl-C stops it)
  down                                 stop a running desk
  status                               what is running, and the last prices (exit 3: no desk runs)
  users add <name> --role <role>       create an account (role: ${DESK_ROLES.join('|')}; name: a-z 0-9 . _ -, up to 64)
  users list                           accounts and roles
  nodes                                the instrument nodes on the pubsub service
  entitle <account> <symbol>           let an analyst, or name@peer-domain of a peer desk, read an instrument
  revoke <account> <symbol>            take it back (subscriptions end first)
  grants [<account>]                   an account's instruments; without one, every peer-desk account's
  devices add <name> --topics <prefix> an MQTT device that may publish on <prefix>/# (its password is shown once)
  devices remove <name>                remove it (its connection is closed)
  devices list                         the devices and their topic prefixes

options:
  -h, --help                           this text
  -V, --version                        the version

exit codes: 0 done, 1 failed, 2 usage error, 3 (status) no desk runs
settings: TICKDESK_* environment variables (docs/operations.md)`;

/** The services `up` starts as `tickdesk run <service>`. */
export const SERVICES = ['feed', 'recorder', 'alerts', 'api', 'mqtt-demo'] as const;
export type Service = (typeof SERVICES)[number];

export type CliCommand =
  | { cmd: 'help' }
  | { cmd: 'version' }
  | { cmd: 'up' | 'down' | 'status' | 'nodes' | 'users list' }
  | { cmd: 'users add'; name: string; role: (typeof DESK_ROLES)[number] }
  | { cmd: 'entitle' | 'revoke'; account: string; symbol: string }
  | { cmd: 'grants'; account?: string }
  | { cmd: 'devices add'; name: string; topics: string }
  | { cmd: 'devices remove'; name: string }
  | { cmd: 'devices list' }
  | { cmd: 'run'; service: Service };

/** A mistake in the command line: printed on stderr with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A user name: the local part of the account's JID, kept to a conservative set. */
const USER_NAME = /^[a-z0-9._-]{1,64}$/;
/** A local user name or something shaped like a bare JID; the desk checks the JID itself (@xmpp/jid, peer domains). */
const ACCOUNT = /^(?:[a-z0-9._-]{1,64}|[^@/\s]{1,64}@[^@/\s]{1,253})$/;
const SYMBOL = new RegExp(SYMBOL_PATTERN);

/** Parse the arguments after `tickdesk` (node:util parseArgs, strict): a command, or a UsageError thrown. */
export function parseCli(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
        role: { type: 'string' },
        topics: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return { cmd: 'help' };
  if (values.version) return { cmd: 'version' };
  const [cmd, sub, ...rest] = positionals;
  if (cmd === undefined) throw new UsageError('no command given');
  const noRole = () => {
    if (values.role !== undefined)
      throw new UsageError(`--role belongs to 'users add', not '${cmd}${sub ? ` ${sub}` : ''}'`);
  };
  if (values.topics !== undefined && !(cmd === 'devices' && sub === 'add'))
    throw new UsageError(`--topics belongs to 'devices add', not '${cmd}${sub ? ` ${sub}` : ''}'`);
  const noMore = (n: number) => {
    if (positionals.length > n)
      throw new UsageError(`unexpected argument '${positionals[n]}' after '${positionals.slice(0, n).join(' ')}'`);
  };
  switch (cmd) {
    case 'up':
    case 'down':
    case 'status':
    case 'nodes':
      noRole();
      noMore(1);
      return { cmd };
    case 'users':
      if (sub === 'list') {
        noRole();
        noMore(2);
        return { cmd: 'users list' };
      }
      if (sub !== 'add')
        throw new UsageError(sub === undefined ? "'users' needs 'add' or 'list'" : `unknown users command '${sub}'`);
      return usersAdd(rest[0], values.role, () => noMore(3));
    case 'entitle':
    case 'revoke':
    case 'grants':
      noRole();
      return grantCommand(cmd, positionals.slice(1));
    case 'devices':
      noRole();
      return devicesCommand(sub, rest, values.topics);
    case 'run':
      noRole();
      noMore(2);
      if (!SERVICES.includes(sub as Service))
        throw new UsageError(
          sub === undefined
            ? `'run' needs a service (${SERVICES.join('|')})`
            : `unknown service '${sub}' (${SERVICES.join('|')})`,
        );
      return { cmd: 'run', service: sub as Service };
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

function usersAdd(name: string | undefined, role: string | undefined, noMore: () => void): CliCommand {
  if (name === undefined) throw new UsageError("'users add' needs a name: users add <name> --role <role>");
  noMore();
  if (!USER_NAME.test(name)) throw new UsageError(`'${name}' is not a user name (a-z 0-9 . _ -, up to 64)`);
  if (role === undefined) throw new UsageError(`'users add' needs --role (${DESK_ROLES.join('|')})`);
  const known = DESK_ROLES.find((r) => r === role);
  if (!known) throw new UsageError(`unknown role '${role}' (${DESK_ROLES.join('|')})`);
  return { cmd: 'users add', name, role: known };
}

function grantCommand(cmd: 'entitle' | 'revoke' | 'grants', args: readonly string[]): CliCommand {
  const [account, symbol] = args;
  const most = cmd === 'grants' ? 1 : 2;
  if (args.length > most)
    throw new UsageError(`unexpected argument '${args[most]}' after '${[cmd, ...args.slice(0, most)].join(' ')}'`);
  if (account !== undefined && !ACCOUNT.test(account))
    throw new UsageError(`'${account}' is not a user name or a bare JID (name@domain)`);
  if (cmd === 'grants') return account === undefined ? { cmd } : { cmd, account };
  if (account === undefined || symbol === undefined)
    throw new UsageError(`'${cmd}' needs an account and a symbol: ${cmd} <account> <symbol>`);
  if (!SYMBOL.test(symbol)) throw new UsageError(`'${symbol}' is not a symbol`);
  return { cmd, account, symbol };
}

/** `devices add|remove|list`: the registry checks the name and prefix themselves (infra), so only their presence here. */
function devicesCommand(sub: string | undefined, args: readonly string[], topics: string | undefined): CliCommand {
  const [name] = args;
  const most = sub === 'list' ? 0 : 1;
  if (args.length > most)
    throw new UsageError(
      `unexpected argument '${args[most]}' after '${['devices', sub, ...args.slice(0, most)].join(' ')}'`,
    );
  if (sub === 'list') return { cmd: 'devices list' };
  if (sub !== 'add' && sub !== 'remove')
    throw new UsageError(
      sub === undefined ? "'devices' needs 'add', 'remove' or 'list'" : `unknown devices command '${sub}'`,
    );
  if (name === undefined) throw new UsageError(`'devices ${sub}' needs a name: devices ${sub} <name>`);
  if (sub === 'remove') return { cmd: 'devices remove', name };
  if (topics === undefined) throw new UsageError("'devices add' needs --topics <prefix>, e.g. --topics sites/site1");
  return { cmd: 'devices add', name, topics };
}
