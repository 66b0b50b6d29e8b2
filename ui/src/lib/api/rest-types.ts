import type {
  AlertRecord,
  AlertState,
  Bar,
  BarInterval,
  DeskRole,
  Instrument,
  LastPrice,
  LifecycleStep,
  Rule,
  RuleInput,
  TraderPresence,
} from '@tickdesk/schemas';

// Response shapes of the REST API (services/api/src/routes/*): the types of the very
// TypeBox schemas the API declares as its responses, from the browser-safe
// `@tickdesk/schemas/rest` entry (type-only: nothing of it reaches the bundle).
// rest-types.typecheck.ts fails `tsc` if the dashboard's reading of a body stops
// matching them.
export type {
  AlertPage,
  AuditVerdict,
  CandlePage,
  ComponentHealth,
  HealthReport,
  HopLatency,
  InstrumentList,
  IssuedToken,
  LastPriceList,
  RuleList,
  TraderPresenceList,
} from '@tickdesk/schemas/rest';

export type Role = DeskRole;
export type {
  AlertRecord,
  AlertState,
  Bar,
  BarInterval,
  Instrument,
  LastPrice,
  LifecycleStep,
  Rule,
  RuleInput,
  TraderPresence,
};
