import type { Logger } from 'pino';

/**
 * A service process (`tickdesk run <name>`) that meets an uncaught exception, or a
 * rejection nobody handled (Node raises it as one), logs it with its stack in its own
 * JSON log and exits 1; `tickdesk up`'s supervisor restarts it. Node's own report went
 * to stderr as plain text, outside the log's records, and without the service's fields.
 * Pino flushes its buffered lines on 'exit'.
 */
export function exitOnUncaught(log: Logger, proc: NodeJS.Process = process): void {
  proc.on('uncaughtException', (err, origin) => {
    log.fatal({ err, origin }, 'uncaught exception: the process exits and its supervisor restarts it');
    proc.exit(1);
  });
}
