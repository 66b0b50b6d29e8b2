import type { ChainableCommander, Redis } from 'ioredis';

type Arg = string | number;
type Runner = (...args: Arg[]) => Promise<unknown>;

/**
 * A Lua script registered with ioredis `defineCommand`: sent by EVALSHA, loaded again
 * by ioredis when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 * `name` must be unique per script text; defining it twice on one connection is a no-op.
 */
export function defineScript(redis: Redis, name: string, numberOfKeys: number, lua: string) {
  const commands = redis as unknown as Record<string, Runner | undefined>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  const call = (target: Redis | ChainableCommander, keys: readonly string[], args: readonly Arg[]) =>
    (target as unknown as Record<string, Runner>)[name]!(...keys, ...args);
  return {
    run: (keys: readonly string[], args: readonly Arg[]): Promise<unknown> => call(redis, keys, args),
    /** Queue on a pipeline; the reply comes from `exec()`. */
    queue: (pipeline: ChainableCommander, keys: readonly string[], args: readonly Arg[]): void =>
      void call(pipeline, keys, args),
  };
}

/** The `[error, reply]` pairs of a pipeline. */
export function replies(results: [Error | null, unknown][] | null): [Error | null, unknown][] {
  if (!results) throw new Error('Redis pipeline aborted');
  return results;
}

/** The replies of a pipeline, throwing its first error. */
export function values(results: [Error | null, unknown][] | null): unknown[] {
  return replies(results).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
