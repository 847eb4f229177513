import { mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from '../files.js';

/** One entry of a Prometheus `file_sd_configs` file. */
export interface FileSdGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** The file a worker's target is written to: named by port, which is unique on the host. */
export const targetFileName = (port: number): string => `promhttp-${port}.json`;

/**
 * Writes the target file in one rename, so Prometheus (which watches the directory) never reads half
 * of it. Returns the inode written, so that only this very file is removed later.
 */
export function writeTargetFile(dir: string, port: number, group: FileSdGroup): { path: string; inode: number } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, targetFileName(port));
  writeAtomically(dir, String(process.pid), path, `${JSON.stringify([group], null, 2)}\n`);
  return { path, inode: statSync(path).ino };
}

/**
 * Removes the target file unless a successor has replaced it: during a rolling restart the new
 * worker with the same index writes its file before the old one has finished exiting.
 */
export function removeTargetFile(path: string, inode: number): void {
  try {
    if (statSync(path).ino === inode) unlinkSync(path);
  } catch {
    // Already gone: nothing to remove.
  }
}
