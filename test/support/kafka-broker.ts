import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real single-node Apache Kafka broker (KRaft, combined broker and
 * controller) on loopback ports, from the jars broker/pom.xml resolves out of
 * Maven Central. For the integration suites: started once per run, stopped
 * at the end; storage in a temporary directory.
 */
/** The repository: the folder holding broker/pom.xml, from test/support or from its build under dist/. */
const root = [path.resolve(__dirname, '../..'), path.resolve(__dirname, '../../..')].find((dir) =>
  existsSync(path.join(dir, 'broker', 'pom.xml')),
)!;
const libs = path.join(root, 'broker', 'libs');

export interface RunningBroker {
  readonly bootstrap: string;
  readonly logFile: string;
  /** Stops the broker and deletes its storage. */
  stop(): Promise<void>;
  /** Kills the broker's JVM outright (SIGKILL: no clean shutdown), keeping its storage. */
  kill(): Promise<void>;
  /** Starts it again on the same storage and ports; resolves once it accepts connections. */
  restart(): Promise<void>;
}

/** Why a broker cannot be started here (no Java, no Maven), or undefined when it can. */
export function brokerUnavailable(): string | undefined {
  if (spawnSync('java', ['-version']).status !== 0) return 'no java on the PATH (Java 17 runs the broker)';
  if (!hasJars() && spawnSync('mvn', ['-v']).status !== 0) return 'no mvn on the PATH to fetch the broker jars';
  return undefined;
}

function hasJars(): boolean {
  return existsSync(libs) && readdirSync(libs).some((name) => /^kafka_2\.13-.*\.jar$/.test(name));
}

/** Resolves the broker's runtime classpath into broker/libs once (Maven's own cache makes it fast after). */
function ensureJars(): void {
  if (hasJars()) return;
  const resolved = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      path.join(root, 'broker', 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (resolved.status !== 0)
    throw new Error(`mvn could not resolve the Kafka broker:\n${resolved.stdout}\n${resolved.stderr}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

export async function startBroker(): Promise<RunningBroker> {
  ensureJars();
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-kafka-broker-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = path.join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      // A single node: the internal topics cannot have more replicas, or consumer groups never find a coordinator.
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
    ].join('\n'),
  );
  const classpath = `${libs}/*`;
  // A Kafka cluster id is 16 bytes in base64url; one that starts with '-' would read as an option.
  const clusterId = `A${randomBytes(16).toString('base64url').slice(1)}`;
  const format = spawnSync(
    'java',
    ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', properties],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (format.status !== 0) throw new Error(`formatting the broker storage failed:\n${format.stdout}\n${format.stderr}`);

  const logFile = path.join(dir, 'broker.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  let broker: ChildProcess;
  let exited: Promise<void>;
  const launch = async () => {
    broker = spawn('java', ['-Xmx512m', '-cp', classpath, 'kafka.Kafka', properties], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    broker.stdout!.pipe(log, { end: false });
    broker.stderr!.pipe(log, { end: false });
    const child = broker;
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (let waited = 0; !(await canConnect(port)); waited += 250) {
      if (child.exitCode !== null || waited > 60_000) {
        await stop();
        throw new Error(`the Kafka broker did not start (see ${logFile})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const halt = async (signal: NodeJS.Signals) => {
    if (broker.exitCode === null && broker.signalCode === null) {
      broker.kill(signal);
      const killer = setTimeout(() => broker.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
  };
  const stop = async () => {
    await halt('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  await launch();
  return { bootstrap: `127.0.0.1:${port}`, logFile, stop, kill: () => halt('SIGKILL'), restart: launch };
}
