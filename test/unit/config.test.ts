import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it("defaults to port 8080, ./data, info logs, fsync on every commit, on the log's commit thread", () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 8080,
      DATA_DIR: path.resolve('./data'),
      LOG_LEVEL: 'info',
      SQLITE_SYNCHRONOUS: 'full',
      SQLITE_COMMIT_THREAD: 'on',
    });
    expect(loadConfig({ SQLITE_COMMIT_THREAD: 'off' }).SQLITE_COMMIT_THREAD).toBe('off');
    expect(() => loadConfig({ SQLITE_COMMIT_THREAD: 'yes' })).toThrow(/SQLITE_COMMIT_THREAD: /);
  });

  it('reads the environment', () => {
    expect(loadConfig({ PORT: '9000', DATA_DIR: '/tmp/x', LOG_LEVEL: 'debug' })).toMatchObject({
      PORT: 9000,
      DATA_DIR: '/tmp/x',
      LOG_LEVEL: 'debug',
    });
  });

  it('fails fast naming every bad variable', () => {
    const load = () => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT: .*\n.*LOG_LEVEL: /);
  });

  it('selects production stores by URL, treating an empty value as unset', () => {
    expect(loadConfig({ EVENTSTORE_URL: '', MONGODB_URL: ' ' })).toMatchObject({
      EVENTSTORE_URL: undefined,
      MONGODB_URL: undefined,
    });
    expect(
      loadConfig({ EVENTSTORE_URL: 'esdb://es:2113?tls=false', MONGODB_URL: 'mongodb+srv://u:p@cluster/db' }),
    ).toMatchObject({ EVENTSTORE_URL: 'esdb://es:2113?tls=false', MONGODB_URL: 'mongodb+srv://u:p@cluster/db' });
  });

  it('refuses connection strings of the wrong kind, naming the variable', () => {
    expect(() => loadConfig({ EVENTSTORE_URL: 'http://localhost:2113' })).toThrow(
      /EVENTSTORE_URL: must be an esdb:\/\/ or esdb\+discover:\/\/ connection string/,
    );
    expect(() => loadConfig({ MONGODB_URL: 'localhost:27017' })).toThrow(/MONGODB_URL: must be a mongodb:\/\//);
    expect(() => loadConfig({ MONGODB_DATABASE: 'a.b' })).toThrow(/MONGODB_DATABASE: must be a MongoDB database name/);
  });

  describe('the secure default (like Redis protected mode)', () => {
    it('listens on loopback when no authentication is configured', () => {
      expect(loadConfig({})).toMatchObject({ HOST: '127.0.0.1', authEnabled: false });
    });

    it('refuses to listen beyond loopback without authentication, unless AUTH=off says so', () => {
      expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(
        /HOST: 0\.0\.0\.0 would let anyone who reaches it write.*AUTH=off/,
      );
      expect(loadConfig({ HOST: '0.0.0.0', AUTH: 'off' })).toMatchObject({ HOST: '0.0.0.0', authEnabled: false });
      expect(loadConfig({ HOST: '::1' }).HOST).toBe('::1');
    });

    it('listens everywhere by default once a tokens file or a JWKS is set, and refuses AUTH=off beside them', () => {
      expect(loadConfig({ AUTH_TOKENS_FILE: '/etc/cl/tokens.json' })).toMatchObject({
        HOST: '0.0.0.0',
        authEnabled: true,
      });
      expect(loadConfig({ AUTH_JWKS_URL: 'https://idp/jwks' }).authEnabled).toBe(true);
      expect(() => loadConfig({ AUTH_TOKENS_FILE: '/x', AUTH: 'off' })).toThrow(/AUTH: is "off" but AUTH_TOKENS_FILE/);
      expect(() => loadConfig({ AUTH: 'none' })).toThrow(/AUTH: may only be "off"/);
    });
  });
});
