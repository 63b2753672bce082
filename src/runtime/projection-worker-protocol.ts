import type { ProjectionRunnerOptions, ProjectionStatus } from './projection-runner';

/** What the projection worker is started with (must survive structured cloning). */
export interface ProjectionWorkerData {
  readonly eventStoreFile: string;
  readonly viewStoreFile: string;
  readonly logLevel: string;
  readonly runner: ProjectionRunnerOptions;
}

/** Service → worker. */
export type ToProjectionWorker =
  /** New events are readable up to this position (the worker's own store never sees appends). */
  | { readonly type: 'appended'; readonly position: number }
  /** Finish the page in flight, close the stores and exit. */
  | { readonly type: 'stop' };

/** Worker → service. */
export type FromProjectionWorker =
  /** Views that hold nothing of the log yet are being loaded in bulk; the runner starts after (`started`). */
  | { readonly type: 'loading'; readonly status: ProjectionStatus }
  /** The runner has prepared its checkpoints and is following the log. */
  | { readonly type: 'started'; readonly status: ProjectionStatus }
  /** Sent whenever the views reach a new position or the runner's state changes. */
  | { readonly type: 'status'; readonly status: ProjectionStatus }
  | { readonly type: 'stopped' }
  /** The worker could not start or run; it exits next. */
  | { readonly type: 'failed'; readonly message: string };
