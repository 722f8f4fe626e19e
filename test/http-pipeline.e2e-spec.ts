import { type AddressInfo, connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { IsIn, IsInt, IsOptional, IsString, Min, MinLength } from 'class-validator';
import type { Response } from 'supertest';

import { Public } from '@codexflow/access';
import { createTestApp, type TestApp } from '@codexflow/testing';

class ProbeDto {
  @IsString()
  @MinLength(3)
  title!: string;

  @IsInt()
  @Min(1)
  count!: number;

  @IsOptional()
  @IsIn(['low', 'high'])
  priority?: string;
}

/** Routes that exist only in this suite, to drive validation and unexpected failures. */
@Public()
@Controller('probe')
class ProbeController {
  @Post('echo')
  echo(@Body() body: ProbeDto): ProbeDto {
    return body;
  }

  @Get('crash')
  crash(): never {
    throw new Error(
      'driver failure at mongodb://admin:s3cr3t-pw@10.0.0.5:27017 while reading jane.doe@example.com',
    );
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const ALLOWED_ORIGIN = 'https://app.example.com';

const SECURITY_HEADERS: Record<string, string | RegExp> = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': /default-src 'none'/,
};

function expectSecurityHeaders(response: Response): void {
  for (const [name, expected] of Object.entries(SECURITY_HEADERS)) {
    if (typeof expected === 'string') {
      expect(response.headers[name]).toBe(expected);
    } else {
      expect(response.headers[name]).toMatch(expected);
    }
  }
  expect(response.headers['x-powered-by']).toBeUndefined();
}

function expectProblem(response: Response, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.status).toBe(status);
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
  expect(response.body.type).toBe('about:blank');
  expect(response.body.requestId).toBe(response.headers['x-request-id']);
}

describe('HTTP pipeline', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({
      env: { CORS_ORIGINS: `${ALLOWED_ORIGIN},https://admin.example.com` },
      imports: [ProbeModule],
    });
  });

  afterAll(async () => {
    await testApp.close();
  });

  describe('operations routes', () => {
    it('reports liveness', async () => {
      const response = await testApp.http.get('/health/live');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
      expectSecurityHeaders(response);
    });

    it('reports readiness with the database up', async () => {
      const response = await testApp.http.get('/health/ready');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok', checks: { database: 'up' } });
      expectSecurityHeaders(response);
    });

    it('serves security.txt with a contact and a future expiry', async () => {
      const response = await testApp.http.get('/.well-known/security.txt');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.text).toMatch(/^Contact: mailto:security@localhost$/m);
      const expires = /^Expires: (.+)$/m.exec(response.text)?.[1];
      expect(expires).toBeDefined();
      const expiresAt = Date.parse(expires ?? '');
      expect(expiresAt).toBeGreaterThan(Date.now());
      expect(expiresAt).toBeLessThan(Date.now() + 365 * 24 * 3600 * 1000);
    });

    it('serves the OpenAPI document', async () => {
      const response = await testApp.http.get('/docs/openapi.json');

      expect(response.status).toBe(200);
      expect(response.body.openapi).toMatch(/^3\./);
      expect(Object.keys(response.body.paths)).toEqual(
        expect.arrayContaining([
          '/health/live',
          '/health/ready',
          '/.well-known/security.txt',
          '/.well-known/jwks.json',
          '/v1/auth/register',
          '/v1/auth/verify-email',
          '/v1/auth/resend-verification',
          '/v1/auth/login',
          '/v1/auth/refresh',
          '/v1/auth/logout',
          '/v1/auth/csrf',
          '/v1/auth/password/forgot',
          '/v1/auth/password/reset',
          '/v1/auth/password/change',
          '/v1/auth/invitations/accept',
          '/v1/auth/sessions',
          '/v1/auth/sessions/{id}',
          '/v1/users/me',
          '/v1/users',
          '/v1/users/{id}',
          '/v1/users/{id}/role',
          '/v1/users/me/activity',
          '/v1/users/me/data',
          '/v1/users/me/data-export',
          '/v1/users/me/consent',
          '/v1/tasks/{id}/attachments',
          '/v1/attachments/{id}',
          '/v1/projects/{id}/analytics',
          '/v1/audit/events',
          '/v1/audit/verify',
          '/v1/admin/blocked-ips',
          '/v1/admin/blocked-ips/{ip}',
          '/v1/auth/mfa/challenge',
          '/v1/auth/mfa/verify',
          '/v1/auth/mfa/step-up/challenge',
          '/v1/auth/mfa/totp/enroll',
          '/v1/auth/mfa/totp/activate',
          '/v1/auth/mfa/totp',
          '/v1/auth/mfa/email/enroll',
          '/v1/auth/mfa/email/activate',
          '/v1/auth/mfa/sms/enroll',
          '/v1/auth/mfa/sms/activate',
          '/v1/projects',
          '/v1/projects/{id}',
          '/v1/projects/{id}/members',
          '/v1/projects/{id}/members/{userId}',
          '/v1/projects/{id}/tasks',
          '/v1/tasks/{id}',
          '/v1/tasks/{id}/activity',
          '/v1/tasks/{id}/comments',
          '/v1/comments/{id}',
        ]),
      );
    });

    it('serves the documentation page under its own content security policy', async () => {
      const response = await testApp.http.get('/docs/');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(response.headers['x-frame-options']).toBe('DENY');
    });
  });

  describe('request id', () => {
    it('echoes a well-formed X-Request-ID', async () => {
      const response = await testApp.http.get('/health/live').set('X-Request-ID', 'abc.DEF_123-x');

      expect(response.headers['x-request-id']).toBe('abc.DEF_123-x');
    });

    it.each([
      ['characters outside the allowed set', 'bad id!'],
      ['more than 128 characters', 'a'.repeat(129)],
      ['an injected header', 'abc\tinjected'],
    ])('replaces an id with %s', async (_case, offered) => {
      const response = await testApp.http.get('/health/live').set('X-Request-ID', offered);

      expect(response.headers['x-request-id']).not.toBe(offered);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('assigns an id when none is sent', async () => {
      const response = await testApp.http.get('/health/live');

      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('accepts an id of exactly 128 characters', async () => {
      const offered = 'b'.repeat(128);
      const response = await testApp.http.get('/health/live').set('X-Request-ID', offered);

      expect(response.headers['x-request-id']).toBe(offered);
    });
  });

  describe('problem+json errors', () => {
    it('rejects malformed JSON with 400', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .set('Content-Type', 'application/json')
        .send('{"title": "abc",');

      expectProblem(response, 400);
      expect(response.body.detail).toBe('The request body is not valid JSON');
      expect(response.body.instance).toBe('/v1/probe/echo');
      expectSecurityHeaders(response);
    });

    it('returns 404 for an unknown route', async () => {
      const response = await testApp.http.get('/v1/does-not-exist?secret=1');

      expectProblem(response, 404);
      expect(response.body.instance).toBe('/v1/does-not-exist');
      expectSecurityHeaders(response);
    });

    it('rejects a body over 1 MiB with 413', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ title: 'x'.repeat(1024 * 1024), count: 1 }));

      expectProblem(response, 413);
      expect(response.body.detail).toBe('The request body exceeds the limit of 1048576 bytes');
    });

    it('accepts a body just under the limit', async () => {
      const title = 'y'.repeat(1024 * 1024 - 40);
      const response = await testApp.http
        .post('/v1/probe/echo')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ title, count: 1 }));

      expect(response.status).toBe(201);
      expect(response.body.title).toHaveLength(title.length);
    });

    it.each([
      ['text/plain', 'title=abc'],
      ['application/x-www-form-urlencoded', 'title=abc&count=1'],
      ['application/xml', '<probe/>'],
    ])('rejects a %s body with 415', async (contentType, body) => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .set('Content-Type', contentType)
        .send(body);

      expectProblem(response, 415);
    });

    it('rejects non-UTF-8 JSON with 415', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .set('Content-Type', 'application/json; charset=latin1')
        .send('{"title":"abc","count":1}');

      expectProblem(response, 415);
    });

    it('hides internals of an unexpected 500', async () => {
      const response = await testApp.http.get('/v1/probe/crash');

      expectProblem(response, 500);
      const body = JSON.stringify(response.body);
      for (const leaked of [
        'mongodb://',
        's3cr3t-pw',
        '10.0.0.5',
        'jane.doe',
        'driver',
        'Error:',
        '    at ',
      ]) {
        expect(body).not.toContain(leaked);
      }
      expect(Object.keys(response.body).sort()).toEqual(
        ['detail', 'instance', 'requestId', 'status', 'title', 'type'].sort(),
      );
    });
  });

  describe('validation', () => {
    it('reports every invalid field at once', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .send({ title: 'ab', count: 0, priority: 'urgent' });

      expectProblem(response, 400);
      const fields = (response.body.errors as Array<{ field: string }>).map((error) => error.field);
      expect(fields).toEqual(expect.arrayContaining(['title', 'count', 'priority']));
    });

    it('reports missing required fields', async () => {
      const response = await testApp.http.post('/v1/probe/echo').send({});

      expectProblem(response, 400);
      const fields = (response.body.errors as Array<{ field: string }>).map((error) => error.field);
      expect(new Set(fields)).toEqual(new Set(['title', 'count']));
    });

    it('rejects and names unknown properties', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .send({ title: 'abc', count: 1, role: 'admin', $where: '1' });

      expectProblem(response, 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'role', message: 'role is not an allowed property' },
          { field: '$where', message: '$where is not an allowed property' },
        ]),
      );
    });

    it('passes a valid body through', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .send({ title: 'abc', count: 2, priority: 'low' });

      expect(response.status).toBe(201);
      expect(response.body).toEqual({ title: 'abc', count: 2, priority: 'low' });
    });
  });

  describe('requests rejected before routing', () => {
    function rawRequest(port: number, request: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        socket.on('error', reject);
        socket.setTimeout(5_000, () => reject(new Error('no answer within 5 s')));
      });
    }

    let port: number;

    beforeAll(async () => {
      await new Promise<void>((resolve) =>
        testApp.app.getHttpServer().listen(0, '127.0.0.1', resolve),
      );
      port = (testApp.app.getHttpServer().address() as AddressInfo).port;
    });

    it('answers a declared oversized body with 413 before it arrives', async () => {
      const answer = await rawRequest(
        port,
        'POST /v1/probe/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          'Content-Length: 2000000\r\n\r\n',
      );

      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer).toMatch(/application\/problem\+json/);
    });

    it.each([
      [
        'oversized headers',
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
        431,
      ],
      ['a bare CR in a header', 'GET / HTTP/1.1\r\nHost: x\r\nBad\rHeader: y\r\n\r\n', 400],
      ['a malformed request line', 'NOT A REQUEST\r\n\r\n', 400],
      ['a missing Host header', 'GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
      [
        'an unsupported Expect header',
        'GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nConnection: close\r\n\r\n',
        417,
      ],
    ])('answers %s with problem+json', async (_case, request, status) => {
      const answer = await rawRequest(port, request);
      const [head = '', body = ''] = answer.split('\r\n\r\n');

      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/\r\nX-Request-ID: [0-9a-f-]{36}\r\n/);
      expect(head).toMatch(
        /\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains; preload/,
      );
      expect(head).toMatch(/\r\nX-Frame-Options: DENY/);
      expect(JSON.parse(body)).toMatchObject({ status, title: expect.any(String) });
    });

    it.each([
      ['/docs/package.json'],
      ['/docs/swagger-ui.js.map'],
      ['/docs/swagger-initializer.js'],
    ])('does not serve %s', async (path) => {
      const response = await testApp.http.get(path);

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('answers an undecodable gzip body with 400 and no zlib text', async () => {
      const response = await testApp.http
        .post('/v1/probe/echo')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('this is not gzip');

      expect(response.status).toBe(400);
      expect(response.body.detail).toBe('The request body could not be decompressed');
    });
  });

  describe('CORS', () => {
    it('allows a configured origin with credentials', async () => {
      const response = await testApp.http.get('/health/live').set('Origin', ALLOWED_ORIGIN);

      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(response.headers['access-control-expose-headers']).toMatch(/X-Request-ID/);
    });

    it('allows a preflight from a configured origin', async () => {
      const response = await testApp.http
        .options('/v1/probe/echo')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-csrf-token');

      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(response.headers['access-control-allow-methods']).toMatch(/POST/);
    });

    it.each(['https://evil.example.com', 'https://app.example.com.evil.io', 'null'])(
      'refuses origin %s',
      async (origin) => {
        const response = await testApp.http.get('/health/live').set('Origin', origin);

        expect(response.headers['access-control-allow-origin']).toBeUndefined();
        expect(response.headers['access-control-allow-credentials']).toBeUndefined();
        expect(response.headers.vary).toMatch(/Origin/);
      },
    );
  });
});
