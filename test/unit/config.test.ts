import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('defaults to port 8080, ./data, info logs and fsync on every commit', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 8080,
      DATA_DIR: path.resolve('./data'),
      LOG_LEVEL: 'info',
      SQLITE_SYNCHRONOUS: 'full',
    });
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
});
