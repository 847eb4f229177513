/**
 * Set by `clusterPrimary()` in the primary's own environment, which `cluster.fork()` passes on:
 * `<primary pid>:<timeout ms>`. A worker finds out from it, at construction, whether its primary
 * will answer, instead of finding out at the first scrape.
 */
export const PRIMARY_ENV = 'PROMHTTP_CLUSTER_PRIMARY';

export interface PrimaryMark {
  readonly pid: number;
  readonly timeoutMs: number;
}

export function markPrimary(timeoutMs: number): void {
  process.env[PRIMARY_ENV] = `${process.pid}:${timeoutMs}`;
}

/** The mark of this process's parent, if the parent is a primary that set one up. */
export function parentPrimary(): PrimaryMark | undefined {
  const match = /^(\d+):(\d+)$/.exec(process.env[PRIMARY_ENV] ?? '');
  if (!match) return undefined;
  const pid = Number(match[1]);
  // A grandchild inherits the variable too; only the direct parent is the primary.
  return pid === process.ppid ? { pid, timeoutMs: Number(match[2]) } : undefined;
}

/** PM2 sets these in every process it starts, in cluster and in fork mode. */
export function underPm2(): boolean {
  return process.env.pm_id !== undefined || process.env.NODE_APP_INSTANCE !== undefined;
}
