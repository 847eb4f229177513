// Dashboard panels whose metric promhttp does not record yet: each comes with the hardening of the
// series limits, the scrape handler and the multi-process directory. Each has the one function
// that makes its metric appear once it exists; until then the end-to-end test checks that the
// panel's query is valid and still empty, and fails the day it returns data, so that the panel is
// then moved to the asserted ones.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpsStack as Stack } from '../support/ops-stack.js';

export interface Pending {
  /** Why the panel cannot show data yet. */
  readonly reason: string;
  trigger(stack: Stack): Promise<void>;
}

/** A label from client input with more values than a series limit allows: 300 distinct tenants. */
async function sendManyTenants({ apps }: Stack): Promise<void> {
  for (let i = 0; i < 300; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => fetch(`${apps['app-single'].url}/tenants/t${i + j}`).then((r) => r.arrayBuffer())));
}

/** A truncated archive in the workers' directory, which a scrape cannot read. */
async function corruptDirectoryFile({ dir }: Stack): Promise<void> {
  writeFileSync(join(dir, 'archive.1-1-1-1.json'), '{"version":1,"families":[{"na');
}

/** The workers' directory removed under them, so that their writes fail. */
async function removeDirectory({ apps, dir }: Stack): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  await fetch(`${apps['app-workers'].url}/`).then((r) => r.arrayBuffer()).catch(() => {});
}

/** By panel title. */
export const PENDING: Readonly<Record<string, Pending>> = {
  'Series overflow': { reason: 'promhttp_series_overflow_total comes with the per-metric series limit', trigger: sendManyTenants },
  'Multi-process read errors': { reason: 'promhttp_multiprocess_read_errors_total comes with scrapes that skip unreadable files', trigger: corruptDirectoryFile },
  'Multi-process write errors': { reason: 'promhttp_multiprocess_write_errors_total comes with writes that survive a failing disk', trigger: removeDirectory },
};
