/**
 * Files of the directory a reader cannot read: truncated, corrupted, written by another version of
 * promhttp, or failing to open. A scrape skips what it cannot read, shows everything else, and
 * counts each skipped file in `promhttp_multiprocess_read_errors_total{file}`; compaction leaves
 * such entries where they are (see compact.ts), so that nothing a later read could recover is lost.
 */

/** The version of the directory's formats this code reads and writes: the `promhttp` field of a store's header, of an archive and of a snapshot. */
export const FORMAT = 1;

/** The kind of file, as the `file` label says it. */
export type FileKind = 'meta' | 'values' | 'snapshot' | 'archive';

export const FILE_KINDS: readonly FileKind[] = ['meta', 'values', 'snapshot', 'archive'];

/** One file a read skipped, in whole or in part. */
export interface ReadProblem {
  readonly file: FileKind;
  /** The file's path. */
  readonly path: string;
  /** What is wrong with it, for the warning. */
  readonly reason: string;
}

/** The reason given for a file whose `promhttp` field names another format than ours. */
export function foreignVersion(version: unknown): string {
  return `written by another version of promhttp (format ${JSON.stringify(version)}; this version reads format ${FORMAT})`;
}

/** The reason given for a file that exists but cannot be opened or read (EACCES, EIO, EISDIR…). */
export function unreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return `cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
}

/** Paths already warned about, by directory: one warning per damaged file, again only after it was readable once more. */
const warned = new Map<string, Set<string>>();

/**
 * Emits one process warning per damaged file of `dir` (the counter says how often scrapes met it);
 * forgets files that are no longer damaged, so the set stays as small as the damage.
 */
export function warnDamaged(dir: string, problems: readonly ReadProblem[]): void {
  const before = warned.get(dir);
  if (before === undefined && problems.length === 0) return;
  const now = new Set<string>();
  for (const { file, path, reason } of problems) {
    now.add(path);
    if (before?.has(path)) continue;
    process.emitWarning(
      `promhttp: ${path} in the multi-process directory ${reason}; scrapes skip it and count it in promhttp_multiprocess_read_errors_total{file="${file}"} until it is readable again or removed (see "Faults" in docs/multiprocess.md).`,
    );
  }
  if (now.size === 0) warned.delete(dir);
  else warned.set(dir, now);
}
