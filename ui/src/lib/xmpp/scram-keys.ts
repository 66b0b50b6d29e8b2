import scramSha1 from '@xmpp/sasl-scram-sha-1';
import { checkServerSignature } from '@tickdesk/xmpp/browser';

type Mechanism = { name: string; response(cred: Record<string, unknown>): unknown; challenge(data: string): unknown; cache?: unknown; _serverSignature?: Uint8Array };
type MechanismClass = new () => Mechanism;

/** The stock SCRAM-SHA-1 mechanism class (xmpp.js registers it on a factory; take it from there). */
function baseMechanism(): MechanismClass {
  let mech: MechanismClass | undefined;
  scramSha1({ use: (m: MechanismClass) => void (mech = m) });
  if (!mech) throw new Error('SCRAM-SHA-1 mechanism missing');
  return mech;
}

/**
 * SCRAM-SHA-1 (RFC 5802) that reports the keys it derived (salt, ClientKey, ServerKey),
 * so a reconnect can authenticate with them and the password need not stay in memory.
 * The stock mechanism reuses them when the server's salt is unchanged. It never checks
 * the server's final message; this one does (RFC 5802 §3), so a server that does not
 * know the password is refused.
 */
export function keyReportingScram(onKeys: (keys: unknown) => void): MechanismClass {
  const Base = baseMechanism();
  return class extends Base {
    override async response(cred: Record<string, unknown>): Promise<unknown> {
      const out = await super.response(cred);
      if (this.cache) onKeys(this.cache);
      return out;
    }
    verifyServerFinal(data: string): void {
      const signature = this._serverSignature ? btoa(String.fromCharCode(...this._serverSignature)) : '';
      checkServerSignature(data, signature);
    }
  };
}
