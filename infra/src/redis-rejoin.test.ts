import { describe, expect, it } from 'vitest';
import { chooseRejoinRole, namedPrimary, type RejoinDeps } from './redis-rejoin.js';

/** The sentinels' answers in turn (the last one repeats), on a clock the sleeps move. */
function deps(
  answers: Array<Array<number | undefined>>,
  over: Partial<RejoinDeps> = {},
): RejoinDeps & { asked: () => number } {
  let t = 0;
  let asked = 0;
  return {
    ownPort: 7000,
    waitMs: 7_000,
    pollMs: 250,
    otherAlive: () => true,
    recordedPrimary: () => 7000,
    askSentinels: async () => answers[Math.min(asked++, answers.length - 1)]!,
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    asked: () => asked,
    ...over,
  };
}

describe("the role of a Sentinel desk's data node started again", () => {
  it('waits while the sentinels name the dead node, then becomes the replica of the one they promote', async () => {
    const d = deps([
      [7000, 7000, 7000],
      [7000, 7000, 7000],
      [7001, 7000, 7000],
      [7001, 7001, 7000],
    ]);
    const choice = await chooseRejoinRole(d);
    // One sentinel's word is not enough (the fail-over's leader, before the others heard of it).
    expect(choice).toMatchObject({ primaryPort: 7001, waitedMs: 750 });
    expect(choice.why).toContain('back as its replica');
  });

  it('a replica that died comes back as the replica of the primary at once', async () => {
    const d = deps([[7000, 7000, undefined]], { ownPort: 7001 });
    expect(await chooseRejoinRole(d)).toMatchObject({ primaryPort: 7000, waitedMs: 0 });
    expect(d.asked()).toBe(1);
  });

  it('comes back as primary after the bounded wait when no fail-over happens', async () => {
    const d = deps([[7000, 7000, 7000]]);
    const choice = await chooseRejoinRole(d);
    expect(choice).toMatchObject({ primaryPort: 7000, waitedMs: 7_000 });
    expect(choice.why).toContain('after 7.0 s');
  });

  it('does not wait when nothing can be promoted, or no sentinel answers', async () => {
    expect(await chooseRejoinRole(deps([[7000, 7000, 7000]], { otherAlive: () => false }))).toMatchObject({
      primaryPort: 7000,
      waitedMs: 0,
    });
    expect(
      await chooseRejoinRole(deps([[undefined, undefined, undefined]], { recordedPrimary: () => 7001 })),
    ).toMatchObject({ primaryPort: 7001, waitedMs: 0 });
  });

  it('ends the wait when the desk stops', async () => {
    const ctl = new AbortController();
    const d = deps([[7000, 7000, 7000]], { sleep: async () => ctl.abort() });
    await expect(chooseRejoinRole({ ...d, signal: ctl.signal })).rejects.toThrow('stopping');
  });

  it('takes the port most sentinels name, a tie going to the other node', () => {
    expect(namedPrimary([7000, 7001, 7001], 7000)).toBe(7001);
    expect(namedPrimary([7000, 7000, 7001], 7000)).toBe(7000);
    expect(namedPrimary([7000, 7001, undefined], 7000)).toBe(7001);
    expect(namedPrimary([7000, 7001, undefined], 7001)).toBe(7000);
    expect(namedPrimary([undefined, undefined], 7000)).toBeUndefined();
  });
});
