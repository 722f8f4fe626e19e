import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { ConfigValidationError, loadConfig, parseDurationSeconds } from './app-config.js';

const PRODUCTION_SECRETS = {
  MONGODB_URI: 'mongodb://db:27017',
  JWT_PRIVATE_KEYS: '-----BEGIN PRIVATE KEY-----',
  ENCRYPTION_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected loadConfig to reject the environment');
}

describe(loadConfig.name, () => {
  it('applies development defaults to an empty environment', () => {
    const config = loadConfig({}, '/srv/app');

    expect(config.nodeEnv).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.http.jsonBodyLimitBytes).toBe(1024 * 1024);
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.http.trustProxy).toBe(false);
    expect(config.metricsPort).toBe(9464);
    expect(config.dataDir).toBe('/srv/app/.data');
    expect(config.mongodbUri).toBeUndefined();
    expect(config.jwt.accessTokenTtlSeconds).toBe(900);
    expect(config.docsEnabled).toBe(true);
    expect(config.logLevel).toBe('info');
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      ...PRODUCTION_SECRETS,
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '0.0.0.0',
      METRICS_PORT: '9100',
      MONGODB_URI: 'mongodb://db.internal:27017/codexflow?replicaSet=rs0',
      REDIS_URL: 'redis://cache:6379',
      APP_BASE_URL: 'https://app.example.com/',
      ACCESS_TOKEN_TTL: '1h',
      CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      TRUST_PROXY: '10.0.0.0/8,loopback',
      LOG_LEVEL: 'warn',
      DOCS_ENABLED: 'true',
    });

    expect(config.isProduction).toBe(true);
    expect(config.http.port).toBe(8080);
    expect(config.metricsPort).toBe(9100);
    expect(config.appBaseUrl).toBe('https://app.example.com');
    expect(config.jwt.accessTokenTtlSeconds).toBe(3600);
    expect(config.http.corsOrigins).toEqual([
      'https://app.example.com',
      'https://admin.example.com',
    ]);
    expect(config.http.trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(config.docsEnabled).toBe(true);
    expect(config.securityContact).toBe('mailto:security@app.example.com');
  });

  it('turns the docs off in production by default', () => {
    const config = loadConfig({ ...PRODUCTION_SECRETS, NODE_ENV: 'production' });

    expect(config.docsEnabled).toBe(false);
    expect(config.http.host).toBe('0.0.0.0');
  });

  it('rejects production without its secrets', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });

    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/MONGODB_URI is required when NODE_ENV=production/);
    expect(problems[1]).toMatch(/JWT_PRIVATE_KEYS is required when NODE_ENV=production/);
    expect(problems[2]).toMatch(/ENCRYPTION_KEYS is required when NODE_ENV=production/);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      METRICS_PORT: '70000',
      NODE_ENV: 'staging',
      LOG_LEVEL: 'loud',
      MONGODB_URI: 'postgres://db',
      APP_BASE_URL: 'not a url',
      ACCESS_TOKEN_TTL: '2h',
      TRUST_PROXY: 'everyone',
      DOCS_ENABLED: 'yes',
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer between 0 and 65535',
        'METRICS_PORT must be an integer between 0 and 65535',
        'NODE_ENV must be one of development, test, production',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
        'MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string',
        'APP_BASE_URL must be an http or https URL',
        'ACCESS_TOKEN_TTL must be between 1 second and 1 hour',
        'DOCS_ENABLED must be true or false',
      ]),
    );
    expect(problems.some((problem) => problem.startsWith('TRUST_PROXY must be'))).toBe(true);
  });

  it('applies the security alert defaults', () => {
    const { alerts } = loadConfig({});

    expect(alerts.failedLogins).toEqual({ threshold: 5, windowSeconds: 3600 });
    expect(alerts.unauthorizedResponses).toEqual({ threshold: 50, windowSeconds: 300 });
    expect(alerts.dataExports).toEqual({ threshold: 100, windowSeconds: 3600 });
    expect(alerts.serverErrors).toEqual({ threshold: 10, windowSeconds: 300 });
    expect(alerts.ipBlockSeconds).toBe(900);
  });

  it('reads the security alert thresholds', () => {
    const { alerts } = loadConfig({
      ALERT_FAILED_LOGINS_PER_HOUR: '3',
      ALERT_UNAUTHORIZED_PER_IP: '20',
      ALERT_UNAUTHORIZED_WINDOW_SECONDS: '60',
      IP_BLOCK_SECONDS: '3600',
      ALERT_EXPORTS_PER_HOUR: '40',
      ALERT_SERVER_ERRORS: '25',
      ALERT_SERVER_ERRORS_WINDOW_SECONDS: '120',
    });

    expect(alerts.failedLogins).toEqual({ threshold: 3, windowSeconds: 3600 });
    expect(alerts.unauthorizedResponses).toEqual({ threshold: 20, windowSeconds: 60 });
    expect(alerts.dataExports).toEqual({ threshold: 40, windowSeconds: 3600 });
    expect(alerts.serverErrors).toEqual({ threshold: 25, windowSeconds: 120 });
    expect(alerts.ipBlockSeconds).toBe(3600);
  });

  it.each([
    ['ALERT_FAILED_LOGINS_PER_HOUR', '0', 'between 1 and 1000000'],
    ['ALERT_UNAUTHORIZED_PER_IP', 'fifty', 'between 1 and 1000000'],
    ['ALERT_UNAUTHORIZED_WINDOW_SECONDS', '86401', 'between 1 and 86400'],
    ['IP_BLOCK_SECONDS', '-1', 'between 1 and 604800'],
    ['ALERT_EXPORTS_PER_HOUR', '1.5', 'between 1 and 1000000'],
    ['ALERT_SERVER_ERRORS', '1e3', 'between 1 and 1000000'],
    ['ALERT_SERVER_ERRORS_WINDOW_SECONDS', '0', 'between 1 and 86400'],
  ])('rejects %s=%s', (name, value, range) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name} must be an integer ${range}`]);
  });

  it('names each problem in the error message', () => {
    expect(() => loadConfig({ PORT: '-1', LOG_LEVEL: 'loud' })).toThrow(
      /Invalid configuration \(2 problems\):\n {2}- .*\n {2}- /,
    );
  });

  it.each([
    ['999.999.999.999/99'],
    ['10.0.0.0/33'],
    ['::1/129'],
    ['proxy.internal'],
    ['10.0.0.1/8/1'],
  ])('rejects TRUST_PROXY %s', (value) => {
    const problems = problemsOf({ TRUST_PROXY: value });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TRUST_PROXY must be/);
  });

  it('accepts IPv6 ranges and keywords in TRUST_PROXY', () => {
    expect(loadConfig({ TRUST_PROXY: 'fd00::/8, loopback, 192.168.1.10' }).http.trustProxy).toEqual(
      ['fd00::/8', 'loopback', '192.168.1.10'],
    );
  });

  it.each([
    ['https://app.example.com/'],
    ['*'],
    ['app.example.com'],
    ['https://app.example.com/path'],
  ])('rejects CORS_ORIGINS entry %s', (origin) => {
    const problems = problemsOf({ CORS_ORIGINS: origin });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^CORS_ORIGINS entry .* must be an origin/);
  });

  it.each([
    ['http://cache:6379'],
    ['redis://cache:99999'],
    ['redis://:pa%ss@cache:6379'],
    ['redis://cache:6379/abc'],
    ['redis://cache:6379/1/2'],
    ['redis://cache:6379/-1'],
    ['redis://:6379/0'],
    ['redis://cache:6379?db=abc'],
    ['redis://cache:6379/1?db=2&db=x'],
  ])('rejects REDIS_URL %s', (url) => {
    const problems = problemsOf({ REDIS_URL: url });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    // The message never repeats the value, which may hold a password.
    expect(problems[0]).not.toContain(url);
  });

  it.each([
    ['redis://cache'],
    ['redis://cache:6379/'],
    ['rediss://user:p%40ss@cache.internal:6380/15'],
    ['redis://[::1]:6379/2'],
    ['redis://cache:6379?db=3'],
  ])('accepts REDIS_URL %s', (url) => {
    expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
  });

  it.each([['0x10'], ['1e3'], [' 80'], ['80.5']])('rejects PORT %j', (port) => {
    expect(problemsOf({ PORT: port })).toEqual(['PORT must be an integer between 0 and 65535']);
  });

  it('requires the bootstrap admin e-mail and password together', () => {
    expect(problemsOf({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com' })).toEqual([
      'BOOTSTRAP_ADMIN_PASSWORD is required when BOOTSTRAP_ADMIN_EMAIL is set',
    ]);
  });

  describe('NAME_FILE variables', () => {
    const folder = mkdtempSync(join(tmpdir(), 'codexflow-config-'));

    it('reads a secret from the named file without its final newline', () => {
      const file = join(folder, 'mongodb-uri');
      writeFileSync(file, 'mongodb://user:pw@db:27017/codexflow \r\n\n');

      const config = loadConfig({ MONGODB_URI_FILE: file });

      expect(config.mongodbUri).toBe('mongodb://user:pw@db:27017/codexflow');
    });

    it('validates the value read from the file', () => {
      const file = join(folder, 'redis-url');
      writeFileSync(file, 'http://not-redis\n');

      expect(problemsOf({ REDIS_URL_FILE: file })).toHaveLength(1);
      expect(problemsOf({ REDIS_URL_FILE: file })[0]).toMatch(
        /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
      );
    });

    it('rejects a file that cannot be read', () => {
      const problems = problemsOf({ SMTP_URL_FILE: join(folder, 'missing') });

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^SMTP_URL_FILE names a file that cannot be read \(.*: ENOENT\)$/,
      );
    });

    it('rejects a variable set both directly and through a file', () => {
      const file = join(folder, 'keys');
      writeFileSync(file, 'k1:secret');

      expect(problemsOf({ ENCRYPTION_KEYS: 'k0:other', ENCRYPTION_KEYS_FILE: file })).toEqual([
        'ENCRYPTION_KEYS and ENCRYPTION_KEYS_FILE are both set; set only one of them',
      ]);
    });
  });
});

describe(parseDurationSeconds.name, () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('parses %s', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });

  it.each(['', '15 minutes', '-5', '1.5h', '1w'])('rejects %j', (input) => {
    expect(parseDurationSeconds(input)).toBeUndefined();
  });
});
