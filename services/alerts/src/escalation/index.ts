export { createEscalationStore, type EscalationStore } from './escalation-store.js';
export { createEscalationRunner, type EscalationRunner, type EscalationRunnerDeps } from './escalation-runner.js';
export { chainEnded, deskNotified, dueAt, hopDetail, nextStep, stepsTaken } from './escalation-progress.js';
export { createDeskTargets } from './desk-targets.js';
