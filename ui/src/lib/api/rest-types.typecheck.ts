// Type-level test, checked by `npx tsc -p ui` (part of `npm run lint:types`): every body the
// dashboard reads from the REST API has the type of the schema the API declares for it
// (services/api/src/route-tests/rest-schemas.test.ts holds the API to those schemas), so
// a field added, removed or retyped on one side fails here. Nothing imports this file.
import type { Static, TSchema } from '@sinclair/typebox';
import type * as Rest from '@tickdesk/schemas/rest';
import type { DeskApi } from './desk-api.js';
import type { MarketApi } from './market-api.js';
import type { AuditVerdict, ComponentHealth, HealthReport } from './rest-types.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Body<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
type Schema<K extends keyof typeof Rest> = (typeof Rest)[K] extends infer S extends TSchema ? Static<S> : never;

export type Checks = [
  Expect<Equal<Body<MarketApi['token']>, Schema<'IssuedToken'>>>,
  Expect<Equal<Body<MarketApi['instruments']>, Schema<'InstrumentList'>['instruments']>>,
  Expect<Equal<Body<MarketApi['prices']>, Schema<'LastPriceList'>['prices']>>,
  Expect<Equal<Body<MarketApi['candles']>, Schema<'CandlePage'>>>,
  Expect<Equal<Body<DeskApi['rules']>, Schema<'RuleList'>['rules']>>,
  Expect<Equal<Body<DeskApi['alerts']>, Schema<'AlertPage'>>>,
  Expect<Equal<Body<DeskApi['presence']>, Schema<'TraderPresenceList'>['traders']>>,
  Expect<Equal<Body<DeskApi['verifyAudit']>, Schema<'AuditVerdict'>>>,
  // Read by stores/desk-health.ts and desk-parts.ts with the ui's own fetch of /health.
  Expect<Equal<HealthReport, Schema<'HealthReport'>>>,
  Expect<Equal<ComponentHealth, Schema<'ComponentHealth'>>>,
  Expect<Equal<AuditVerdict, Schema<'AuditVerdict'>>>,
];
