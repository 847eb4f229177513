export { clusterPrimary } from './primary.js';
export type { ClusterPrimary, ClusterPrimaryOptions } from './primary.js';
export { clusterWorker } from './worker.js';
export type { ClusterWorker, ClusterWorkerOptions } from './worker.js';
