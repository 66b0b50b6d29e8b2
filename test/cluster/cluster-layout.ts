import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ejabberdCluster, ensureCertificates, freePort, type ClusterNodeOptions } from '@tickdesk/infra';

/**
 * Three ejabberd nodes of `domain` under `home`, each on free ports and named `<prefix><pid>n<i>@localhost`, with feed
 * and admin as the server's and pubsub's admins, unlimited; the desk's own epmd on a free port. Nothing started yet.
 */
export async function threeNodeLayout(home: string, domain: string, prefix: string) {
  const certs = ensureCertificates(join(home, 'certs'), domain);
  const nodes: ClusterNodeOptions[] = [];
  for (let i = 1; i <= 3; i++) {
    nodes.push({
      dir: join(home, `ejabberd-${i}`),
      name: `${prefix}${process.pid}n${i}@localhost`,
      c2sPort: await freePort(),
      c2sDirectTlsPort: await freePort(),
      httpPort: await freePort(),
      distPort: await freePort(),
    });
  }
  const jid = (u: string) => `${u}@${domain}`;
  const base: Parameters<typeof ejabberdCluster>[0] = {
    domain,
    certs,
    admins: [jid('admin')],
    pubsubAdmins: [jid('feed'), jid('admin')],
    unlimited: [jid('feed'), jid('admin')],
  };
  return { ca: readFileSync(certs.caCert, 'utf8'), nodes, base, epmdPort: await freePort() };
}
