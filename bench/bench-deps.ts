import { createRequire } from 'node:module';
import path from 'node:path';

/** Loads benchmark-only packages from bench/node_modules (bench/package.json), not the service's dependencies. */
export const benchRequire = createRequire(path.resolve(__dirname, '../../bench/package.json'));

export function benchDependencyAvailable(name: string): boolean {
  try {
    benchRequire.resolve(name);
    return true;
  } catch {
    return false;
  }
}
