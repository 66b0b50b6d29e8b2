import { describe, expect, it } from 'vitest';
import { requireEjabberd } from './ejabberd-server.js';

describe('ejabberd missing', () => {
  it('one message: what is missing, which setting needs it, how to install it, and the other way to run the desk', () => {
    expect(() => requireEjabberd(() => undefined)).toThrow(
      expect.objectContaining({
        code: 'TICKDESK_INFRA_BINARY_MISSING',
        message: expect.stringMatching(
          /^ejabberd is not installed \(no ejabberdctl.*TICKDESK_XMPP_SERVER=ejabberd needs it\. Install it with: apt-get install -y ejabberd erlang-p1-sqlite3.*or run the desk on Prosody: TICKDESK_XMPP_SERVER=prosody TICKDESK_XMPP_NODES=1\.$/,
        ),
      }),
    );
  });

  it('the installed ejabberdctl when there is one', () => {
    expect(requireEjabberd((name) => `/opt/bin/${name}`)).toBe('/opt/bin/ejabberdctl');
  });
});
