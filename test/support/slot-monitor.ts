import type { Redis } from 'ioredis';
import { keySlot } from '@tickdesk/store';

/** One multi-key operation as Redis ran it: a MULTI/EXEC block or a script call, with the keys it touched. */
export interface KeyOperation {
  kind: 'multi' | 'script';
  commands: string[];
  keys: string[];
  slots: number[];
}

/**
 * Runs `work` while MONITOR records every command `admin`'s Redis receives, then
 * returns each MULTI/EXEC block and each EVAL/EVALSHA with its keys (as COMMAND GETKEYS
 * names them) and their Redis Cluster slots. Commands run inside scripts are not
 * listed: a script's keys are the KEYS it declares.
 */
export async function multiKeyOperations(admin: Redis, work: () => Promise<void>): Promise<KeyOperation[]> {
  const seen: Array<{ source: string; args: string[] }> = [];
  const monitor = await admin.monitor();
  const marker = `slot-monitor-end-${Math.random()}`;
  let done: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (done = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) done();
    else seen.push({ source, args });
  });
  try {
    await work();
    await admin.echo(marker);
    await ended;
  } finally {
    monitor.disconnect();
  }
  const blocks: Array<{ kind: KeyOperation['kind']; args: string[][] }> = [];
  const open = new Map<string, string[][]>();
  for (const { source, args } of seen) {
    if (source === 'lua') continue;
    const name = args[0]!.toLowerCase();
    if (name === 'multi') open.set(source, []);
    else if (name === 'exec' || name === 'discard') {
      const cmds = open.get(source);
      open.delete(source);
      if (cmds && name === 'exec') blocks.push({ kind: 'multi', args: cmds });
    } else if (open.has(source)) open.get(source)!.push(args);
    else if (name === 'eval' || name === 'evalsha' || name === 'fcall') blocks.push({ kind: 'script', args: [args] });
  }
  const out: KeyOperation[] = [];
  for (const b of blocks) {
    const keys = new Set<string>();
    for (const args of b.args) for (const k of await commandKeys(admin, args)) keys.add(k);
    out.push({
      kind: b.kind,
      commands: b.args.map((a) => a[0]!.toLowerCase()),
      keys: [...keys],
      slots: [...new Set([...keys].map(keySlot))],
    });
  }
  return out;
}

async function commandKeys(admin: Redis, args: string[]): Promise<string[]> {
  try {
    return (await admin.call('COMMAND', 'GETKEYS', ...args)) as string[];
  } catch {
    return []; // a command without keys (PUBLISH, PING…)
  }
}
