import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import { DatabaseServer } from '@codexflow/core';
import {
  createTestApp,
  runBuiltEntryPoint,
  type SmtpSink,
  startSmtpSink,
  type TestApp,
} from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import {
  linkToken,
  registerVerified,
  signIn,
  STRONG_PASSWORD,
  uniqueEmail,
} from './support/identity.js';
import { enrollTotp, signInAdminWithMfa, stepUpCode } from './support/mfa.js';
import { waitFor } from './support/wait.js';

const ADMIN = { email: 'audit.admin@example.com', password: 'bootstrap admin passphrase 10' };

interface EventView {
  id: string;
  timestamp: string;
  userId: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  result: string;
  details: Record<string, unknown>;
  ipAddress: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

describe('audit trail', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let manager: InvitedUser;

  const bearer = (token: string) => `Bearer ${token}`;

  function events(query: Record<string, string>) {
    return testApp.http.get('/v1/audit/events').query(query).set('Authorization', bearer(admin));
  }

  async function eventsOf(query: Record<string, string>): Promise<EventView[]> {
    const response = await events({ limit: '100', ...query });
    expect(response.status).toBe(200);
    return response.body.data as EventView[];
  }

  function verify() {
    return testApp.http.get('/v1/audit/verify').set('Authorization', bearer(admin));
  }

  function auditCollection() {
    return testApp.app.get<Connection>(getConnectionToken()).db!.collection('audit_events');
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN, { REFRESH_REUSE_GRACE_SECONDS: '0' });
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    manager = await inviteUser(testApp, sink, admin, 'manager');
  }, 120_000);

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  describe('recorded actions', () => {
    it('records registration, verification and sign-in of an account', async () => {
      const email = await registerVerified(testApp, sink);
      await signIn(testApp, email);

      const [registered] = await eventsOf({ action: 'auth.register', result: 'success' });
      expect(registered).toBeDefined();
      const userId = registered!.resourceId!;
      expect(await eventsOf({ action: 'auth.verify_email', resourceId: userId })).toHaveLength(1);
      const [login] = await eventsOf({ action: 'auth.login', userId, result: 'success' });
      expect(login).toMatchObject({ resource: 'users', details: { amr: 'pwd' } });
      expect(login!.ipAddress).toMatch(/127\.0\.0\.1/);
      expect(login!.requestId).not.toBeNull();
    });

    it('records failed sign-ins and the lockout, without the password', async () => {
      const email = await registerVerified(testApp, sink);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await testApp.http.post('/v1/auth/login').send({ email, password: 'wrong guess 12345' });
      }
      await testApp.http
        .post('/v1/auth/login')
        .send({ email: uniqueEmail('nobody'), password: 'wrong guess 12345' });

      const failures = await eventsOf({ action: 'auth.login', result: 'failure' });
      expect(failures.filter((event) => event.details.reason === 'wrong_password')).toHaveLength(5);
      expect(failures.some((event) => event.details.reason === 'unknown_account')).toBe(true);
      expect(await eventsOf({ action: 'auth.lockout' })).toHaveLength(1);
      const everything = JSON.stringify(await eventsOf({}));
      expect(everything).not.toContain('wrong guess');
      expect(everything).not.toContain(STRONG_PASSWORD);
    });

    it('records refresh-token reuse, logout and session revocation', async () => {
      const email = await registerVerified(testApp, sink);
      const first = await signIn(testApp, email);
      const rotated = await testApp.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: first.refreshToken });
      expect(rotated.status).toBe(200);
      const reuse = await testApp.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: first.refreshToken });
      expect(reuse.status).toBe(401);
      const second = await signIn(testApp, email);
      await testApp.http.post('/v1/auth/logout').set('Authorization', bearer(second.accessToken));

      expect(await eventsOf({ action: 'auth.refresh_reuse' })).toHaveLength(1);
      const revoked = await eventsOf({ action: 'auth.session_revoked' });
      expect(revoked.some((event) => event.details.reason === 'refresh-token-reuse')).toBe(true);
      expect(await eventsOf({ action: 'auth.logout' })).toHaveLength(1);
    });

    it('records password changes and resets', async () => {
      const email = await registerVerified(testApp, sink);
      const signedIn = await signIn(testApp, email);
      const changed = await testApp.http
        .post('/v1/auth/password/change')
        .set('Authorization', bearer(signedIn.accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: 'changed passphrase 55' });
      expect(changed.status).toBe(204);
      await testApp.http.post('/v1/auth/password/forgot').send({ email });
      const mail = await sink.waitForMail({ to: email, subject: /reset/i });
      const reset = await testApp.http.post('/v1/auth/password/reset').send({
        token: linkToken(mail.links, '/reset-password'),
        newPassword: 'reset passphrase 66',
      });
      expect(reset.status).toBe(204);

      expect(await eventsOf({ action: 'auth.password_change' })).toHaveLength(1);
      expect(await eventsOf({ action: 'auth.password_reset' })).toHaveLength(1);
      expect(JSON.stringify(await eventsOf({}))).not.toContain('passphrase');
    });

    it('records MFA successes and failures', async () => {
      const successes = await eventsOf({ action: 'auth.mfa', result: 'success' });
      expect(successes.length).toBeGreaterThan(0);

      const wrong = await testApp.http
        .patch(`/v1/users/${manager.id}/role`)
        .set('Authorization', bearer(admin))
        .send({ role: 'designer', mfaCode: '000000' });
      expect(wrong.status).toBe(403);
      const failures = await eventsOf({ action: 'auth.mfa', result: 'failure' });
      expect(failures.some((event) => event.details.method === 'step-up')).toBe(true);
    });

    it('records the use of a recovery code without the code', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      const { recoveryCodes } = await enrollTotp(testApp, accessToken);
      const started = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      const verified = await testApp.http.post('/v1/auth/mfa/verify').send({
        mfaToken: started.body.mfaToken,
        method: 'recovery',
        code: recoveryCodes[0],
      });
      expect(verified.status).toBe(200);

      const [used] = await eventsOf({ action: 'auth.recovery_code_used' });
      expect(used).toMatchObject({ result: 'success', details: { remaining: 9 } });
      expect(JSON.stringify(await eventsOf({}))).not.toContain(recoveryCodes[0]);
    });

    it('records consent changes and exports', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      await testApp.http
        .put('/v1/users/me/consent')
        .set('Authorization', bearer(accessToken))
        .send({ marketing: true });
      await testApp.http.get('/v1/users/me/data').set('Authorization', bearer(accessToken));

      const [consent] = await eventsOf({ action: 'gdpr.consent_change' });
      expect(consent).toMatchObject({ details: { marketing: true, analytics: false } });
      expect(await eventsOf({ action: 'gdpr.export', userId: consent!.userId! })).toHaveLength(1);
    });

    it('records a role change and an erasure with their details', async () => {
      const target = await inviteUser(testApp, sink, admin, 'developer');
      const changed = await testApp.http
        .patch(`/v1/users/${target.id}/role`)
        .set('Authorization', bearer(admin))
        .send({ role: 'qa', mfaCode: await stepUpCode(testApp, sink, admin, ADMIN.email) });
      expect(changed.status).toBe(200);
      const erased = await testApp.http
        .delete(`/v1/users/${target.id}`)
        .set('Authorization', bearer(admin))
        .send({ mfaCode: await stepUpCode(testApp, sink, admin, ADMIN.email) });
      expect(erased.status).toBe(202);

      const [role] = await eventsOf({ action: 'users.role_change', resourceId: target.id });
      expect(role).toMatchObject({ result: 'success', details: { from: 'developer', to: 'qa' } });
      expect(
        await eventsOf({ action: 'users.erasure_requested', resourceId: target.id }),
      ).toHaveLength(1);
      // The service's own event replaces the route's generic one.
      expect(await eventsOf({ action: 'users.role.update', resourceId: target.id })).toHaveLength(
        0,
      );
    });

    it('records the outcome of mutating routes, refused ones included', async () => {
      const created = await testApp.http
        .post('/v1/projects')
        .set('Authorization', bearer(manager.accessToken))
        .send({ key: 'AUD', name: 'Audited' });
      expect(created.status).toBe(201);
      const developer = await inviteUser(testApp, sink, admin, 'developer');
      const refused = await testApp.http
        .post('/v1/projects')
        .set('Authorization', bearer(developer.accessToken))
        .send({ key: 'NOPE', name: 'Refused' });
      expect(refused.status).toBe(403);

      const [success] = await eventsOf({ action: 'projects.create', result: 'success' });
      expect(success).toMatchObject({ resourceId: created.body.id, userId: manager.id });
      const [failure] = await eventsOf({ action: 'projects.create', result: 'failure' });
      expect(failure).toMatchObject({ userId: developer.id, details: { status: 403 } });
    });
  });

  describe('queries', () => {
    it('pages newest first without repeats', async () => {
      const first = await events({ limit: '3' });
      const second = await events({ limit: '3', cursor: String(first.body.nextCursor) });

      const ids = [...first.body.data, ...second.body.data].map((event: EventView) => event.id);
      expect(new Set(ids).size).toBe(6);
      const times = [...first.body.data, ...second.body.data].map(
        (event: EventView) => event.timestamp,
      );
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('rejects a cursor issued under other filters', async () => {
      const page = await events({ limit: '1', action: 'auth.login' });
      const replayed = await events({
        limit: '1',
        action: 'auth.mfa',
        cursor: page.body.nextCursor as string,
      });

      expect(replayed.status).toBe(400);
    });

    it('filters by time', async () => {
      const future = await eventsOf({ from: '2999-01-01T00:00:00Z' });
      const past = await eventsOf({ to: '2000-01-01T00:00:00Z' });

      expect(future).toHaveLength(0);
      expect(past).toHaveLength(0);
    });

    it.each([
      ['an operator in a filter', { 'userId[$ne]': 'x' }],
      ['a bad date', { from: 'yesterday' }],
      ['an ISO week date', { from: '2025-W01' }],
      ['a basic-format date', { to: '20250101T000000Z' }],
      ['an unknown result', { result: 'maybe' }],
      ['an unknown filter', { ipAddress: '127.0.0.1' }],
      ['a forged cursor', { cursor: 'forged' }],
    ])('rejects %s with 400', async (_case, query) => {
      const response = await events(query);

      expect(response.status).toBe(400);
    });

    it('keeps the trail to admins and shows everyone their own activity', async () => {
      const asManager = await testApp.http
        .get('/v1/audit/events')
        .set('Authorization', bearer(manager.accessToken));
      expect(asManager.status).toBe(403);

      const activity = await testApp.http
        .get('/v1/users/me/activity')
        .set('Authorization', bearer(manager.accessToken));
      expect(activity.status).toBe(200);
      const own = activity.body.data as EventView[];
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((event) => event.userId === manager.id)).toBe(true);
    });

    it('stores no odd path parameter sent without credentials', async () => {
      const long = await testApp.http.delete(`/v1/tasks/INJECTED-${'x'.repeat(6000)}`);
      const email = await testApp.http.delete('/v1/users/victim%40example.com');
      expect([long.status, email.status]).toEqual([401, 401]);

      // The error filter writes failure events without waiting, so they may land after the 401s.
      let failures: EventView[] = [];
      const landed = await waitFor(async () => {
        failures = await eventsOf({ action: 'users.delete', result: 'failure' });
        const taskFailures = await eventsOf({ action: 'tasks.delete', result: 'failure' });
        return failures.length > 0 && taskFailures.length > 0;
      });
      expect(landed).toBe(true);
      expect(failures[0]?.resourceId).toBeNull();
      expect(JSON.stringify(await eventsOf({}))).not.toContain('victim@example.com');
      expect(JSON.stringify(await eventsOf({ action: 'tasks.delete' }))).not.toContain('xxxx');
    });

    it('records no event for an unknown path', async () => {
      const before = await auditCollection().countDocuments();
      const response = await testApp.http
        .post('/v1/nothing-here')
        .set('Authorization', bearer(manager.accessToken))
        .send({});

      expect(response.status).toBe(404);
      expect(await auditCollection().countDocuments()).toBe(before);
    });

    it('offers no route that changes an event', async () => {
      const [event] = await eventsOf({ limit: '1' });
      for (const method of ['patch', 'put', 'delete'] as const) {
        const response = await testApp.http[method](`/v1/audit/events/${event!.id}`)
          .set('Authorization', bearer(admin))
          .send({});
        expect(response.status).toBe(404);
      }
    });
  });

  describe('tamper evidence', () => {
    async function nthEvent(position: number) {
      return (await auditCollection().findOne({ _id: position as never }))!;
    }

    it('verifies the untouched chain', async () => {
      const response = await verify();

      expect(response.status).toBe(200);
      expect(response.body.valid).toBe(true);
      expect(response.body.checked).toBeGreaterThan(10);
    });

    it('names an edited event', async () => {
      const original = await nthEvent(5);
      await auditCollection().updateOne({ _id: 5 as never }, { $set: { action: 'edited' } });

      const response = await verify();
      await auditCollection().replaceOne({ _id: 5 as never }, original);

      expect(response.body).toMatchObject({ valid: false, firstBrokenEventId: original.publicId });
      expect((await verify()).body.valid).toBe(true);
    });

    it('names an event whose personal fields were edited', async () => {
      const original = await nthEvent(6);
      await auditCollection().updateOne({ _id: 6 as never }, { $set: { ipAddress: '10.9.9.9' } });

      const response = await verify();
      await auditCollection().replaceOne({ _id: 6 as never }, original);

      expect(response.body).toMatchObject({ valid: false, firstBrokenEventId: original.publicId });
    });

    it('names an event whose salt was dropped to hide an edit', async () => {
      const original = await nthEvent(6);
      await auditCollection().updateOne(
        { _id: 6 as never },
        { $set: { personalSalt: null, userId: 'usr_SOMEONEELSE00000000' } },
      );

      const response = await verify();
      await auditCollection().replaceOne({ _id: 6 as never }, original);

      expect(response.body).toMatchObject({ valid: false, firstBrokenEventId: original.publicId });
    });

    it('names an event with a field of the wrong type instead of failing', async () => {
      const original = await nthEvent(4);
      await auditCollection().updateOne({ _id: 4 as never }, { $set: { timestamp: 'yesterday' } });

      const response = await verify();
      await auditCollection().replaceOne({ _id: 4 as never }, original);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ valid: false, firstBrokenEventId: original.publicId });
    });

    it('names the event after a deleted one', async () => {
      const deleted = await nthEvent(7);
      const next = await nthEvent(8);
      await auditCollection().deleteOne({ _id: 7 as never });

      const response = await verify();
      await auditCollection().insertOne(deleted);

      expect(response.body).toMatchObject({ valid: false, firstBrokenEventId: next.publicId });
    });

    it('names the first of two swapped events', async () => {
      const ninth = await nthEvent(9);
      const tenth = await nthEvent(10);
      await auditCollection().deleteMany({ _id: { $in: [9, 10] as never[] } });
      await auditCollection().insertMany([
        { ...tenth, _id: 9 as never },
        { ...ninth, _id: 10 as never },
      ]);

      const response = await verify();
      await auditCollection().deleteMany({ _id: { $in: [9, 10] as never[] } });
      await auditCollection().insertMany([ninth, tenth]);

      expect(response.body).toMatchObject({ valid: false, firstBrokenEventId: tenth.publicId });
      expect((await verify()).body.valid).toBe(true);
    });
  });

  describe('faults', () => {
    it('refuses a role change with 503 when its event cannot be written', async () => {
      const target = await inviteUser(testApp, sink, admin, 'viewer');
      const mfaCode = await stepUpCode(testApp, sink, admin, ADMIN.email);
      // A unique index that the next role change from viewer must violate makes the write fail.
      await auditCollection().insertOne({
        _id: 'blocker' as never,
        details: { from: 'viewer' },
      });
      await auditCollection().createIndex({ 'details.from': 1 }, { unique: true, sparse: true });

      const response = await testApp.http
        .patch(`/v1/users/${target.id}/role`)
        .set('Authorization', bearer(admin))
        .send({ role: 'developer', mfaCode });
      await auditCollection().dropIndex('details.from_1');
      await auditCollection().deleteOne({ _id: 'blocker' as never });

      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      const user = await testApp.http
        .get(`/v1/users/${target.id}`)
        .set('Authorization', bearer(admin));
      expect(user.body.role).toBe('viewer');
    });
  });
});

describe('audit trail across two instances and retention', () => {
  let sink: SmtpSink;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    first = await createTestApp({ env: { SMTP_URL: sink.url } });
    second = await createTestApp({
      env: { SMTP_URL: sink.url, MONGODB_URI: first.app.get(DatabaseServer).uri },
    });
  }, 120_000);

  afterAll(async () => {
    await second.close();
    await first.close();
    await sink.close();
  });

  function runJob(args: string[]) {
    return runBuiltEntryPoint('apps/jobs/src/main.js', args, {
      MONGODB_URI: first.app.get(DatabaseServer).uri,
      DATA_DIR: first.config.dataDir,
      LOG_LEVEL: 'warn',
    });
  }

  it('keeps one valid chain while two instances write at once', async () => {
    const attempts = Array.from({ length: 40 }, (_unused, index) =>
      (index % 2 === 0 ? first : second).http
        .post('/v1/auth/login')
        .send({ email: `nobody${index}@example.com`, password: 'wrong guess 12345' }),
    );
    const responses = await Promise.all(attempts);
    expect(responses.every((response) => response.status === 401)).toBe(true);

    const job = runJob(['audit:verify']);
    expect(await job.exited).toBe(0);
    const report = JSON.parse(job.output().find((line) => line.startsWith('{"valid"'))!) as {
      valid: boolean;
      checked: number;
    };
    expect(report).toEqual({ valid: true, checked: 40 });
  });

  it('removes old events and still verifies what remains', async () => {
    const connection = first.app.get<Connection>(getConnectionToken());
    // Retention applied 365 days after the 21st event removes the events before it, at most 20.
    const twentyFirst = await connection
      .db!.collection('audit_events')
      .findOne({ _id: 21 as never });
    const now = new Date((twentyFirst!.timestamp as Date).getTime() + 365 * 24 * 3600 * 1000);

    const retention = runJob(['retention:apply', `--now=${now.toISOString()}`]);
    expect(await retention.exited).toBe(0);

    const report = JSON.parse(retention.output().find((line) => line.startsWith('{'))!) as {
      removed: Record<string, number>;
    };
    const auditEventsRemoved = report.removed['audit events']!;
    const left = await connection.db!.collection('audit_events').countDocuments();
    expect(auditEventsRemoved).toBeGreaterThan(0);
    expect(auditEventsRemoved).toBeLessThanOrEqual(20);
    expect(left).toBe(40 - auditEventsRemoved);
    const verify = runJob(['audit:verify']);
    expect(await verify.exited).toBe(0);

    await connection
      .db!.collection('audit_checkpoints')
      .updateOne({ _id: 'retention' as never }, { $set: { seq: 1 } });
    const forged = runJob(['audit:verify']);
    expect(await forged.exited).toBe(1);
  });
});
