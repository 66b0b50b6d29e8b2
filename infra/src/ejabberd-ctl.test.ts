import { describe, expect, it } from 'vitest';
import { InfraError } from './errors.js';
import { requireEjabberd } from './ejabberd-ctl.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('ejabberd missing', () => {
  it('one message: what is missing, which setting needs it, how to install it, and the other way to run the desk', () => {
    const err = thrownBy(() => requireEjabberd(() => undefined));
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).code).toBe('TICKDESK_INFRA_BINARY_MISSING');
    expect((err as InfraError).message).toMatch(
      /^ejabberd is not installed \(no ejabberdctl.*TICKDESK_XMPP_SERVER=ejabberd needs it\. Install it with: apt-get install -y ejabberd erlang-p1-sqlite3.*or run the desk on Prosody: TICKDESK_XMPP_SERVER=prosody TICKDESK_XMPP_NODES=1\.$/,
    );
  });

  it('the installed ejabberdctl when there is one', () => {
    expect(requireEjabberd((name) => `/opt/bin/${name}`)).toBe('/opt/bin/ejabberdctl');
  });
});
