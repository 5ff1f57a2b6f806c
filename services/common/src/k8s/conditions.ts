/**
 * Status conditions the way cert-manager and metav1.Condition keep them: a
 * condition says which generation it describes, and lastTransitionTime moves
 * only when the status does, so "Ready since" stays true across re-reconciles.
 * The clock is an argument; writes are guarded by semanticallyEqual so an
 * unchanged status costs no API call.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, machine-readable. */
  reason: string;
  message: string;
  /** The metadata.generation this condition was computed from. */
  observedGeneration?: number;
  /** RFC 3339, when status last changed. */
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'> & { observedGeneration: number };

/** RFC 3339 in UTC without milliseconds: what metav1.Time serializes to. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new list with `next` set: replaced in place (order kept) or
 * appended. lastTransitionTime is kept when the status did not change, even if
 * reason, message or generation did; otherwise it becomes `now`.
 */
export function setCondition(conditions: readonly Condition[], next: ConditionUpdate, now: Date): Condition[] {
  const previous = findCondition(conditions, next.type);
  const lastTransitionTime = previous && previous.status === next.status ? previous.lastTransitionTime : rfc3339(now);
  const condition: Condition = { ...next, lastTransitionTime };
  return previous ? conditions.map((c) => (c === previous ? condition : c)) : [...conditions, condition];
}

/**
 * Deep equality of JSON values, ignoring key order: what the API server would
 * store is the same. A property whose value is undefined counts as absent (JSON
 * drops it), and a value with toJSON (a Date) compares by what it serializes to.
 */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  const x = toJsonValue(a);
  const y = toJsonValue(b);
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    return x.every((v, i) => semanticallyEqual(v, y[i]));
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const xKeys = Object.keys(xo).filter((k) => xo[k] !== undefined);
  const yKeys = Object.keys(yo).filter((k) => yo[k] !== undefined);
  if (xKeys.length !== yKeys.length) return false;
  return xKeys.every((k) => Object.hasOwn(yo, k) && semanticallyEqual(xo[k], yo[k]));
}

function toJsonValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}
