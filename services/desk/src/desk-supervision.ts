import type { DeskPart } from '@tickdesk/schemas';
import { writeDeskState, type DeskState } from './state-file.js';
import {
  createSupervisor,
  type PartStatus,
  type RestartPolicy,
  type Supervisor,
  type SupervisorDeps,
} from './supervisor.js';

/**
 * The desk's supervised parts by name, and desk.json kept up to date with their state
 * (for `status`, `down` and /health) from the end of the start until the stop begins, so
 * the file never lists a desk half-started or half-stopped.
 */
export function createDeskSupervision({
  home,
  desk,
  partPorts,
  policy,
  report,
  logOf,
  onGiveUp,
}: {
  home: string;
  /** desk.json without its parts: the desk's pid, start time, domain, ports and XMPP nodes. */
  desk: Omit<DeskState, 'parts'>;
  /** Each part's metrics port, for those that have one. */
  partPorts: Readonly<Record<string, number>>;
  policy: Partial<RestartPolicy>;
  report: (line: string) => void;
  /** Each part's log, named when it is given up on. */
  logOf: Readonly<Record<string, string>>;
  /** A part failed too often: the desk stops. */
  onGiveUp: () => void;
}) {
  const parts = new Map<string, Supervisor>();
  const statuses = new Map<string, PartStatus>();
  let started = false;
  let stopping = false;
  const save = () => {
    if (!started || stopping) return;
    const recorded: Record<string, DeskPart> = {};
    for (const [name, s] of statuses) {
      const port = partPorts[name];
      recorded[name] = {
        state: s.state,
        pid: s.pid,
        restarts: s.restarts,
        ...(s.lastExit ? { lastExit: s.lastExit } : {}),
        ...(s.lastRestartAt ? { lastRestartAt: s.lastRestartAt } : {}),
        ...(port ? { metricsPort: port } : {}),
      };
    }
    writeDeskState(home, { ...desk, parts: recorded });
  };
  return {
    /** A supervisor for part `name`, not started yet. */
    supervise(name: string, start: SupervisorDeps['start']): Supervisor {
      const sup = createSupervisor({
        name,
        start,
        policy,
        report,
        onChange: (s) => {
          statuses.set(name, s);
          save();
        },
        onGiveUp: () => {
          report(`${name} keeps failing; see ${logOf[name]}. Stopping the desk.`);
          onGiveUp();
        },
      });
      parts.set(name, sup);
      if (stopping) sup.halt();
      return sup;
    },
    part: (name: string): Supervisor | undefined => parts.get(name),
    /** The start has ended: desk.json is written now and after every change (unless the stop has begun). */
    started(): void {
      started = true;
      save();
    },
    /**
     * The stop has begun: desk.json is no longer written (`up` removes it once stopped), and
     * no part is restarted any more: one that exits before its turn to stop stays stopped.
     */
    stopping(): void {
      stopping = true;
      for (const sup of parts.values()) sup.halt();
    },
  };
}
