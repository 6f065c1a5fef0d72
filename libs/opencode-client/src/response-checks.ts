// Cheap shape checks of response bodies: a body that fails one becomes OpencodeBadResponseError
// (e.g. the 200 HTML page OpenCode serves for unknown routes) instead of a wrong value downstream.

export const isArray = (v: unknown) => Array.isArray(v);
export const isObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);
export const isBoolean = (v: unknown) => typeof v === 'boolean';
export const hasId = (v: unknown) => isObject(v) && typeof (v as { id?: unknown }).id === 'string';
export const isMessage = (v: unknown) => isObject(v) && hasId((v as { info?: unknown }).info);
export const isProviderList = (v: unknown) =>
  isObject(v) &&
  isArray((v as { providers?: unknown }).providers) &&
  (v as { providers: unknown[] }).providers.every((p) => hasId(p) && isObject((p as { models?: unknown }).models)) &&
  isObject((v as { default?: unknown }).default);
export const isAgentList = (v: unknown) =>
  isArray(v) && (v as unknown[]).every((a) => isObject(a) && typeof (a as { name?: unknown }).name === 'string');
