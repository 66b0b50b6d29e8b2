import { ejabberdControl } from './ejabberd-server.js';
import { prosodyControl } from './prosody-server.js';
import type { XmppServerControl, XmppServerKind, XmppServerOptions } from './xmpp-server.js';

/** The control of the chosen server: the one place that maps a kind to its starter. */
export function xmppServerControl(kind: XmppServerKind, opts: XmppServerOptions): XmppServerControl {
  if (kind === 'prosody') return prosodyControl(opts);
  if (opts.distPort === undefined) throw new RangeError('ejabberd needs a distribution port (distPort)');
  return ejabberdControl({ ...opts, distPort: opts.distPort });
}
