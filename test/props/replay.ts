import type { Parameters } from 'fast-check';

/**
 * fast-check options for a property: `numRuns` cases from a seed fast-check picks. A failure
 * prints its seed and path; run the file again with PROMHTTP_FC_SEED and PROMHTTP_FC_PATH set to
 * them to replay exactly that counterexample.
 */
export function runs<T>(numRuns: number): Parameters<T> {
  const seed = process.env.PROMHTTP_FC_SEED;
  const path = process.env.PROMHTTP_FC_PATH;
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

/** Time a property test may take: its runs take seconds, but shrinking a failure with servers in the loop takes longer. */
export const PROPERTY_TIMEOUT = 300_000;
