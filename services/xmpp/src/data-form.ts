import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces.js';

export const NS_DATA = NS.data;

export type FieldValue = string | number | boolean | readonly string[];
export interface FormField {
  var: string;
  type?: string;
  label?: string;
  values: string[];
  options: string[];
}

function valuesOf(v: FieldValue): string[] {
  if (typeof v === 'object') return [...v];
  if (typeof v === 'boolean') return [v ? '1' : '0'];
  return [String(v)];
}

/** A XEP-0004 submit form; FORM_TYPE first (XEP-0068). */
export function submitForm(formType: string | undefined, fields: Record<string, FieldValue>): Element {
  const x = xml('x', { xmlns: NS_DATA, type: 'submit' });
  if (formType) x.append(xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)));
  for (const [name, value] of Object.entries(fields)) {
    x.append(xml('field', { var: name }, ...valuesOf(value).map((v) => xml('value', {}, v))));
  }
  return x;
}

/** The fields of a XEP-0004 form, by var. */
export function parseForm(x: Element | undefined): Map<string, FormField> {
  const out = new Map<string, FormField>();
  if (!x) return out;
  for (const f of x.getChildren('field')) {
    const name = f.attrs.var as string | undefined;
    if (!name) continue;
    out.set(name, {
      var: name,
      type: f.attrs.type as string | undefined,
      label: f.attrs.label as string | undefined,
      values: f.getChildren('value').map((v) => v.text()),
      options: f.getChildren('option').map((o) => o.getChildText('value') ?? ''),
    });
  }
  return out;
}
