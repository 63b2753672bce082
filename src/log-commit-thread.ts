import { parentPort, workerData } from 'node:worker_threads';
import { serveCommits, type CommitThreadData } from './adapters/event-store/sqlite-commit-thread';

/**
 * The embedded log's commit thread (see src/adapters/event-store/sqlite-commit-thread.ts):
 * writes each group of appends on its own connection and waits for the disk
 * there, so the service's event loop does not.
 */
serveCommits(parentPort!, workerData as CommitThreadData);
