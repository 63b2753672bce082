import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigSchema, loadConfig } from '../../src/config';

/**
 * docker-compose.yml and the Dockerfile kept consistent with the service's
 * configuration: a renamed variable, a wrong port or a missing healthcheck
 * fails here rather than on a user's `docker compose up`.
 */
const root = path.resolve(__dirname, '../..');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const service = compose.services['configledger']!;
const env = service.environment!;

/** host:port of a URL-ish setting (esdb://host:port?…, mongodb://host:port/…, host:port). */
function hostPort(value: string): { host: string; port: number } {
  const match = /^(?:[a-z+]+:\/\/)?(?:[^@/]*@)?([^:/?,]+):(\d+)/.exec(value);
  if (!match) throw new Error(`no host:port in ${value}`);
  return { host: match[1]!, port: Number(match[2]) };
}

describe('docker-compose.yml', () => {
  it('sets only variables the service reads, and they pass its configuration schema', () => {
    const known = Object.keys(ConfigSchema.shape);
    expect(Object.keys(env).filter((name) => !known.includes(name))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('runs the service on the production adapters: EventStoreDB, MongoDB and Kafka', () => {
    const config = loadConfig(env);
    expect(config.EVENTSTORE_URL).toBeDefined();
    expect(config.MONGODB_URL).toBeDefined();
    expect(config.KAFKA_BROKERS?.length).toBeGreaterThan(0);
  });

  it('points each adapter at a compose service, on the port that service listens on', () => {
    const eventstore = hostPort(env['EVENTSTORE_URL']!);
    expect(eventstore.host).toBe('eventstore');
    expect(String(eventstore.port)).toBe(compose.services['eventstore']!.environment!['EVENTSTORE_NODE_PORT']);

    const mongo = hostPort(env['MONGODB_URL']!);
    expect(mongo.host).toBe('mongo');
    const mongoCommand = compose.services['mongo']!.command!;
    expect(mongoCommand[mongoCommand.indexOf('--port') + 1]).toBe(String(mongo.port));
    // The replica set the URL names is the one the server runs (and the healthcheck initiates).
    const replicaSet = /replicaSet=([^&]+)/.exec(env['MONGODB_URL']!)?.[1];
    expect(mongoCommand[mongoCommand.indexOf('--replSet') + 1]).toBe(replicaSet);
    expect(compose.services['mongo']!.healthcheck!.test.join(' ')).toContain(`_id: '${replicaSet}'`);

    const kafka = hostPort(env['KAFKA_BROKERS']!);
    expect(compose.services['kafka']!.environment!['KAFKA_ADVERTISED_LISTENERS']).toContain(
      `//${kafka.host}:${kafka.port}`,
    );
  });

  it('publishes the service port, which its healthcheck and the Dockerfile use', () => {
    const port = loadConfig(env).PORT;
    // A range of host ports starting at the port, one per instance when scaled.
    expect(service.ports).toEqual([expect.stringMatching(new RegExp(`^${port}(-\\d+)?:${port}$`))]);
    expect(service.healthcheck!.test.join(' ')).toContain(`:${port}/readyz`);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
  });

  it('gives every service a healthcheck, and starts the service only once its dependencies are healthy', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      // The service name is in the compared value, so a failure says which service lacks one.
      expect([name, (definition.healthcheck?.test.length ?? 0) > 1]).toEqual([name, true]);
    }
    expect(service.depends_on).toEqual({
      eventstore: { condition: 'service_healthy' },
      mongo: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
    });
  });

  it('keeps every piece of state in a declared named volume, the service data directory included', () => {
    const used = Object.values(compose.services).flatMap((definition) =>
      (definition.volumes ?? []).map((mount) => mount.split(':')),
    );
    for (const [source] of used) expect(Object.keys(compose.volumes)).toContain(source);
    expect(used.map(([source]) => source).sort()).toEqual(Object.keys(compose.volumes).sort());
    expect(service.volumes!.map((mount) => mount.split(':')[1])).toContain(env['DATA_DIR']);
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, with production dependencies only, as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const user = /^USER (\S+)$/m.exec(dockerfile)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(compose.services['configledger']!.build).toBe('.');
  });

  it('listens beyond the container only with authentication or an explicit AUTH=off (the compose stack says off)', () => {
    const imageEnv = Object.fromEntries(
      [...dockerfile.matchAll(/^\s*(?:ENV )?([A-Z_]+)=(\S+?)\s*\\?$/gm)].map((match) => [match[1]!, match[2]!]),
    );
    expect(imageEnv['HOST']).toBe('0.0.0.0');
    expect(() => loadConfig(imageEnv)).toThrow(/HOST: 0\.0\.0\.0 would let anyone who reaches it write/);
    expect(loadConfig({ ...imageEnv, AUTH_TOKENS_FILE: '/run/secrets/tokens.json' }).authEnabled).toBe(true);
    expect(loadConfig(env)).toMatchObject({ HOST: '0.0.0.0', AUTH: 'off' });
  });
});
