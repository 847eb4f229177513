export { startWorkerTarget } from './worker-target.js';
export type { WorkerTarget, WorkerTargetOptions } from './worker-target.js';
export type { WorkerIndexSource } from './worker-index.js';
