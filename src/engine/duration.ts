/** How long something took or may take, in words people read at a glance (core messages and every reporter). */

/** 850ms, 3s, 12.3s, 2m 05s, 15m, 1h 02m (whole seconds, minutes and hours drop the zero part). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  // A whole number of seconds (a --timeout of 3s) reads as written; a measured 12345 ms as 12.3s.
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000}s` : `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalS = Math.floor(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return m ? `${h}h ${String(m).padStart(2, '0')}m` : `${h}h`;
  return s ? `${m}m ${String(s).padStart(2, '0')}s` : `${m}m`;
}
