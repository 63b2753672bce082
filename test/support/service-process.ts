import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The built service (`npm test` builds it first), started as `npm start` would start it. */
export const SERVICE_MAIN = path.resolve(__dirname, '../../dist/src/main.js');
export const serviceBuilt = existsSync(SERVICE_MAIN);

export interface ServiceProcess {
  readonly process: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM (or the given signal), then waits for it to exit; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the service with PORT=0 on loopback and resolves once it logs the
 * port it listens on; rejects with its output if it exits first.
 */
export function startServiceProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [SERVICE_MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const listening = /"port":(\d+)[^\n]*ConfigLedger listening/.exec(output);
      if (listening) {
        clearTimeout(timer);
        const port = Number(listening[1]);
        resolve({
          process: child,
          port,
          base: `http://127.0.0.1:${port}`,
          output: () => output,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Runs the service expecting it to refuse to start; resolves with its exit code and output. */
export function runServiceToFailure(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SERVICE_MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    // 'close', not 'exit': at 'exit' the last of the output (the error asserted on) may still be in the pipes.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}
