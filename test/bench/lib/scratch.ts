import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory for directory mode, on tmpfs where the machine has one: that is where the
 * multi-process store is meant to live, and a disk would measure the disk.
 */
export function scratchDirectory(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return mkdtempSync(join(base, 'promhttp-bench-'));
}
