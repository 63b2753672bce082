/**
 * Named positions of log consumers other than projections (the relay). They
 * outlive view resets: rebuilding the views does not make the relay publish
 * everything again.
 */
export interface CheckpointStore {
  /** The saved position, 0 when none. */
  loadCheckpoint(name: string): Promise<number>;
  saveCheckpoint(name: string, position: number): Promise<void>;
}
