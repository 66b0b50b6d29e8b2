import { get, readonly, writable } from 'svelte/store';
import type { Rule } from '@tickdesk/schemas';
import type { DeskApi } from '../api/desk-api.js';
import { ApiError } from '../api/http.js';
import { ruleFieldError } from '../api/rule-errors.js';
import { FORM_FIELDS, draftOf, emptyDraft, toRuleInput, type RuleDraft } from './rule-draft.js';
import { hasSlot, legsProblem, type KnownInstruments } from './rule-legs-draft.js';

export interface FormErrors {
  /** By the API's field name (threshold, windowSeconds, series.legs[1].coefficient…). */
  fields: Record<string, string>;
  general: string;
}

const noErrors = (): FormErrors => ({ fields: {}, general: '' });
const text = (err: unknown) => (err instanceof ApiError ? err.message : String((err as Error)?.message ?? err));

/**
 * The trader's rules over REST, and the rule form's draft and errors. The draft lives
 * here, not in the component, so a refused save, a re-login or a view switch keeps
 * every typed value.
 */
export function createRules({ api }: { api: DeskApi }) {
  const list = writable<Rule[]>([]);
  const draft = writable<RuleDraft>(emptyDraft());
  const errors = writable<FormErrors>(noErrors());
  const busy = writable(false);
  const listError = writable('');

  // Writes answered while a list request is out, so its older answer cannot undo them.
  type Write = { id: string; rule: Rule | undefined };
  let writes: Write[] | undefined;
  const replace = (rule: Rule) => {
    writes?.push({ id: rule.id, rule });
    list.update((l) => (l.some((r) => r.id === rule.id) ? l.map((r) => (r.id === rule.id ? rule : r)) : [rule, ...l]));
  };
  const removed = (id: string) => {
    writes?.push({ id, rule: undefined });
    list.update((l) => l.filter((r) => r.id !== id));
  };

  /** A field error beside its input; one the form has no input for (`and[0].foo`) as the general error. */
  function named(field: string, message: string): void {
    const form: readonly string[] = FORM_FIELDS;
    if (form.includes(field) || hasSlot(field)) errors.set({ fields: { [field]: message }, general: '' });
    else errors.set({ fields: {}, general: `${field}: ${message}` });
  }

  function refused(err: unknown): void {
    const field = err instanceof ApiError ? ruleFieldError(err) : undefined;
    if (field && (FORM_FIELDS as readonly string[]).includes(field.field)) named(field.path, field.message);
    else errors.set({ fields: {}, general: text(err) });
  }

  async function act(id: string, run: () => Promise<Rule | void>): Promise<void> {
    listError.set('');
    try {
      const rule = await run();
      if (rule) replace(rule);
      else removed(id);
    } catch (err) {
      listError.set(`${id}: ${text(err)}`);
      if (err instanceof ApiError && err.status === 409) await load().catch(() => undefined);
    }
  }

  async function load(): Promise<void> {
    const mine: Write[] = [];
    writes = mine;
    try {
      let fresh = await api.rules();
      for (const w of mine) {
        const known = fresh.find((r) => r.id === w.id);
        if (!w.rule) fresh = fresh.filter((r) => r.id !== w.id);
        else if (!known) fresh = [w.rule, ...fresh];
        else if (known.version < w.rule.version) fresh = fresh.map((r) => (r.id === w.id ? w.rule! : r));
      }
      list.set(fresh);
    } finally {
      if (writes === mine) writes = undefined;
    }
  }

  return {
    list: readonly(list),
    draft,
    errors: readonly(errors),
    busy: readonly(busy),
    listError: readonly(listError),
    load,

    /**
     * Create, or replace the rule being edited; on refusal the draft stays as typed. With the
     * desk's instruments, a series, AND or escalation chain the server would refuse is named
     * beside its input and not sent.
     */
    async save(known: KnownInstruments = []): Promise<boolean> {
      const d = get(draft);
      const input = toRuleInput(d);
      const problem = legsProblem(input, known);
      if (problem) {
        named(problem.field, problem.message);
        return false;
      }
      busy.set(true);
      errors.set(noErrors());
      try {
        const rule = d.editingId ? await api.updateRule(d.editingId, input, d.version) : await api.createRule(input);
        replace(rule);
        draft.set(emptyDraft(d.symbol));
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && d.editingId) {
          await load().catch(() => undefined);
          const latest = get(list).find((r) => r.id === d.editingId);
          if (latest) draft.update((x) => ({ ...x, version: latest.version }));
          errors.set({
            fields: {},
            general: `${err.message}. Your changes are kept: submit again to overwrite version ${latest?.version ?? '?'}.`,
          });
        } else refused(err);
        return false;
      } finally {
        busy.set(false);
      }
    },

    edit(rule: Rule): void {
      draft.set(draftOf(rule));
      errors.set(noErrors());
    },
    cancelEdit(): void {
      draft.update((d) => emptyDraft(d.symbol));
      errors.set(noErrors());
    },
    pause: (r: Rule) => act(r.id, () => api.pauseRule(r.id, r.version)),
    resume: (r: Rule) => act(r.id, () => api.resumeRule(r.id, r.version)),
    remove: (r: Rule) => act(r.id, () => api.deleteRule(r.id)),

    clear(): void {
      list.set([]);
      draft.set(emptyDraft());
      errors.set(noErrors());
      listError.set('');
    },
  };
}
