/**
 * Remembers, per key and for `ttlMs`, what `load(...args)` gave: for reference data that every page
 * reads and that rarely changes (department choices, tag suggestions), never for anything a
 * permission depends on. Each process keeps its own copy: a change made in this process shows at
 * once (`clear()`), one made by another instance within `ttlMs`. The app has one database, so the
 * key need not name it.
 */
export function memoize<V, A extends unknown[]>(ttlMs: number, load: (...args: A) => Promise<V>) {
  const entries = new Map<string, { until: number; value: Promise<V> }>();
  /** The value for `key`, loaded with `args` when it is not remembered (the key must say what they change). */
  const get = (key: string, ...args: A): Promise<V> => {
    const now = performance.now();
    const hit = entries.get(key);
    if (hit && now < hit.until) return hit.value;
    const value = load(...args);
    entries.set(key, { until: now + ttlMs, value });
    // A failed load is not remembered.
    value.catch(() => entries.get(key)?.value === value && entries.delete(key));
    return value;
  };
  return Object.assign(get, { clear: () => entries.clear() });
}
