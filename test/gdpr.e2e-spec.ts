import { mkdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import { DatabaseServer } from '@codexflow/core';
import { runBuiltEntryPoint, type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import {
  linkToken,
  registerVerified,
  signIn,
  STRONG_PASSWORD,
  uniqueEmail,
} from './support/identity.js';
import { enrollTotp, signInAdminWithMfa, totpCode } from './support/mfa.js';
import { SAMPLES } from './support/uploads.js';

const ADMIN = { email: 'gdpr.admin@example.com', password: 'bootstrap admin passphrase 11' };
const SUBJECT_NAME = 'Zelda Quartermaine';
// The subject's requests come through a trusted loopback proxy from this address, so a scan can find it.
const SUBJECT_ADDRESS = '203.0.113.77';
const DAY_MS = 24 * 60 * 60 * 1000;

interface ExportDocument {
  schemaVersion: number;
  generatedAt: string;
  subject: string;
  sections: Record<string, { description: string; data: unknown }>;
}

describe('personal data rights', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let manager: InvitedUser;
  const subject = { id: '', email: uniqueEmail('zelda'), token: '', totpSecret: '' };
  let projectId: string;

  const asSubject = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) =>
    testApp.http[method](path)
      .set('Authorization', `Bearer ${subject.token}`)
      .set('X-Forwarded-For', SUBJECT_ADDRESS);

  function runJob(args: string[]) {
    return runBuiltEntryPoint('apps/jobs/src/main.js', args, {
      MONGODB_URI: testApp.app.get(DatabaseServer).uri,
      DATA_DIR: testApp.config.dataDir,
      LOG_LEVEL: 'warn',
    });
  }

  async function jobReport(args: string[]): Promise<{ code: number | null; report: unknown }> {
    const job = runJob(args);
    const code = await job.exited;
    const line = job.output().find((candidate) => candidate.startsWith('{"'));
    return { code, report: line === undefined ? undefined : JSON.parse(line) };
  }

  function database() {
    return testApp.app.get<Connection>(getConnectionToken()).db!;
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN, { TRUST_PROXY: 'loopback' });
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    manager = await inviteUser(testApp, sink, admin, 'manager');

    const invited = await testApp.http
      .post('/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ email: subject.email, name: SUBJECT_NAME, role: 'designer' });
    subject.id = invited.body.id as string;
    const mail = await sink.waitForMail({ to: subject.email, subject: /invited/i });
    const accepted = await testApp.http
      .post('/v1/auth/invitations/accept')
      .set('X-Forwarded-For', SUBJECT_ADDRESS)
      .send({ token: linkToken(mail.links, '/accept-invite'), password: STRONG_PASSWORD });
    subject.token = accepted.body.accessToken as string;
    subject.totpSecret = (await enrollTotp(testApp, subject.token)).secret;

    const project = await testApp.http
      .post('/v1/projects')
      .set('Authorization', `Bearer ${manager.accessToken}`)
      .send({ key: 'GDPR', name: 'Shared work' });
    projectId = project.body.id as string;
    await testApp.http
      .post(`/v1/projects/${projectId}/members`)
      .set('Authorization', `Bearer ${manager.accessToken}`)
      .send({ userId: subject.id });
  }, 120_000);

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  describe('consent', () => {
    it('stores the choices and keeps every change', async () => {
      const first = await asSubject('put', '/v1/users/me/consent').send({ analytics: true });
      const second = await asSubject('put', '/v1/users/me/consent').send({
        analytics: false,
        marketing: true,
      });

      expect(first.body).toEqual({ analytics: true, marketing: false, productUpdates: false });
      expect(second.body).toEqual({ analytics: false, marketing: true, productUpdates: false });
      expect((await asSubject('get', '/v1/users/me/consent')).body).toEqual(second.body);
    });

    it.each([
      ['a non-boolean', { analytics: 'yes' }],
      ['an unknown purpose', { telepathy: true }],
      ['null', { marketing: null }],
    ])('rejects %s with 400', async (_case, body) => {
      const response = await asSubject('put', '/v1/users/me/consent').send(body);

      expect(response.status).toBe(400);
    });
  });

  describe('export', () => {
    let taskId: string;

    beforeAll(async () => {
      const task = await asSubject('post', `/v1/projects/${projectId}/tasks`).send({
        title: `Logo concepts by ${subject.id} (${subject.email})`,
        priority: 'high',
        type: 'design',
        assignee: subject.id,
      });
      taskId = task.body.id as string;
      await asSubject('post', `/v1/tasks/${taskId}/comments`).send({
        body: 'First sketches attached',
      });
      await testApp.http
        .post(`/v1/tasks/${taskId}/comments`)
        .set('Authorization', `Bearer ${manager.accessToken}`)
        .send({ body: `Thanks ${subject.id}, looks good` });
      await testApp.http
        .post(`/v1/tasks/${taskId}/attachments`)
        .set('Authorization', `Bearer ${subject.token}`)
        .set('X-Forwarded-For', SUBJECT_ADDRESS)
        .attach('file', SAMPLES.png, 'sketch.png');
    });

    it('returns every section with the subject’s data', async () => {
      const response = await asSubject('get', '/v1/users/me/data');

      expect(response.status).toBe(200);
      const document = response.body as ExportDocument;
      expect(document).toMatchObject({ schemaVersion: 1, subject: subject.id });
      const data = (name: string) => document.sections[name]!.data as never;
      expect(data('profile')).toMatchObject({ email: subject.email, name: SUBJECT_NAME });
      expect(data('consents')).toMatchObject({ current: { marketing: true } });
      expect((data('consents') as { history: unknown[] }).history).toHaveLength(2);
      expect(data('sessions')).toEqual(
        expect.arrayContaining([expect.objectContaining({ ipAddress: SUBJECT_ADDRESS })]),
      );
      expect(data('mfa')).toEqual([expect.objectContaining({ method: 'totp' })]);
      expect(JSON.stringify(data('mfa'))).not.toContain(subject.totpSecret);
      expect(data('projectMemberships')).toEqual([expect.objectContaining({ id: projectId })]);
      expect(data('tasks')).toEqual([
        expect.objectContaining({ id: taskId, createdByYou: true, assignedToYou: true }),
      ]);
      expect(data('comments')).toEqual([expect.objectContaining({ taskId })]);
      expect(data('attachments')).toEqual([expect.objectContaining({ fileName: 'sketch.png' })]);
      expect((data('auditEvents') as unknown[]).length).toBeGreaterThan(0);
      for (const section of Object.values(document.sections)) {
        expect(section.description.length).toBeGreaterThan(0);
      }
    });

    it('offers the same as a JSON file and records the export', async () => {
      const response = await asSubject('get', '/v1/users/me/data-export');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(
        new RegExp(
          `^attachment; filename=codexflow-data-${subject.id}-\\d{4}-\\d{2}-\\d{2}\\.json$`,
        ),
      );
      const document = JSON.parse(response.text) as ExportDocument;
      expect(document.schemaVersion).toBe(1);
      expect(Object.keys(document.sections)).toContain('auditEvents');

      const events = await testApp.http
        .get('/v1/audit/events')
        .query({ action: 'gdpr.export', userId: subject.id })
        .set('Authorization', `Bearer ${admin}`);
      expect(events.body.data.length).toBeGreaterThanOrEqual(2);
    });

    it('gives a user with no data a valid, small document', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);

      const response = await testApp.http
        .get('/v1/users/me/data')
        .set('Authorization', `Bearer ${accessToken}`);

      expect(response.status).toBe(200);
      expect(response.body.sections.tasks.data).toEqual([]);
      expect(response.text.length).toBeLessThan(16 * 1024);
    });

    it('reflects a rectified name at once', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);

      const patched = await testApp.http
        .patch('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ name: 'Corrected Name' });
      const response = await testApp.http
        .get('/v1/users/me/data')
        .set('Authorization', `Bearer ${accessToken}`);

      expect(patched.status).toBe(200);
      expect(response.body.sections.profile.data.name).toBe('Corrected Name');
    });
  });

  describe('erasure and purge', () => {
    it.each([
      ['no password', { mfaCode: '123456' }],
      ['a wrong password', { password: 'not my password 9' }],
      ['no MFA code', { password: STRONG_PASSWORD }],
      ['a wrong MFA code', { password: STRONG_PASSWORD, mfaCode: '000000' }],
    ])('refuses %s with 403 and changes nothing', async (_case, body) => {
      const response = await asSubject('delete', '/v1/users/me').send(body);

      expect(response.status).toBe(403);
      expect((await asSubject('get', '/v1/users/me')).status).toBe(200);
    });

    it('counts wrong passwords towards the account lockout', async () => {
      const email = await registerVerified(testApp, sink);
      const { accessToken } = await signIn(testApp, email);
      const erase = (password: string) =>
        testApp.http
          .delete('/v1/users/me')
          .set('Authorization', `Bearer ${accessToken}`)
          .send({ password });

      const statuses: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        statuses.push((await erase(`wrong guess number ${attempt}`)).status);
      }

      expect(statuses).toEqual([403, 403, 403, 403, 429]);
      expect((await erase(STRONG_PASSWORD)).status).toBe(429);
      const me = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${accessToken}`);
      expect(me.status).toBe(200);
    });

    it('erases the account, purges it, and leaves only pseudonyms', async () => {
      // Anonymous requests from the subject's address: a sign-in that stops at MFA, a typo'd address.
      await testApp.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', SUBJECT_ADDRESS)
        .send({ email: subject.email, password: STRONG_PASSWORD });
      await testApp.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', SUBJECT_ADDRESS)
        .send({ email: uniqueEmail('typo'), password: STRONG_PASSWORD });

      const erased = await asSubject('delete', '/v1/users/me').send({
        password: STRONG_PASSWORD,
        mfaCode: await totpCode(subject.totpSecret, 1),
      });
      expect(erased.status).toBe(202);
      const purgeAfter = new Date(erased.body.purgeAfter as string);
      expect(purgeAfter.getTime()).toBeGreaterThan(Date.now() + 29 * DAY_MS);
      expect((await asSubject('get', '/v1/users/me')).status).toBe(401);
      const signInAgain = await testApp.http
        .post('/v1/auth/login')
        .send({ email: subject.email, password: STRONG_PASSWORD });
      expect(signInAgain.status).toBe(401);

      const early = await jobReport(['gdpr:purge']);
      expect(early.report).toEqual({ purged: 0, failed: 0 });
      const after = `--now=${new Date(purgeAfter.getTime() + 1000).toISOString()}`;
      const purge = await jobReport(['gdpr:purge', after]);
      expect(purge).toEqual({ code: 0, report: { purged: 1, failed: 0 } });
      const again = await jobReport(['gdpr:purge', after]);
      expect(again.report).toEqual({ purged: 0, failed: 0 });

      const traces = [subject.email, SUBJECT_NAME, subject.id, SUBJECT_ADDRESS];
      const found: string[] = [];
      for (const { name } of await database().listCollections().toArray()) {
        if (name.endsWith('.chunks')) {
          continue;
        }
        for (const document of await database().collection(name).find().toArray()) {
          const text = JSON.stringify(document);
          for (const trace of traces.filter((candidate) => text.includes(candidate))) {
            found.push(`${name}: ${trace}`);
          }
        }
      }
      expect(found).toEqual([]);

      const tasks = await database().collection('tasks').find({ projectId }).toArray();
      expect(tasks).toHaveLength(1);
      expect(String(tasks[0]!.createdBy)).toMatch(/^anon_[0-9a-f]{20}$/);
      const comments = await database().collection('comments').find().toArray();
      expect(
        comments.some((comment) => String(comment.body).includes(String(tasks[0]!.createdBy))),
      ).toBe(true);

      const verify = await jobReport(['audit:verify']);
      expect(verify.code).toBe(0);
      expect(verify.report).toMatchObject({ valid: true });
    });
  });

  describe('retention', () => {
    it('applies every period as of a later day', async () => {
      const outbox = join(testApp.config.dataDir, 'outbox');
      mkdirSync(outbox, { recursive: true });
      const stale = join(outbox, 'stale.eml');
      const fresh = join(outbox, 'fresh.eml');
      writeFileSync(stale, 'To: someone@example.com\r\n\r\nold');
      writeFileSync(fresh, 'To: someone@example.com\r\n\r\nnew');
      const eightDaysAgo = new Date(Date.now() - 8 * DAY_MS);
      utimesSync(stale, eightDaysAgo, eightDaysAgo);

      const today = await jobReport(['retention:apply']);
      expect(today.code).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(fresh)).toBe(true);
      const eventsBefore = await database().collection('audit_events').countDocuments();
      expect(eventsBefore).toBeGreaterThan(0);

      const later = await jobReport([
        'retention:apply',
        `--now=${new Date(Date.now() + 400 * DAY_MS).toISOString()}`,
      ]);
      expect(later.code).toBe(0);
      const removed = (later.report as { removed: Record<string, number> }).removed;
      expect(removed['audit events']).toBe(eventsBefore);
      expect(await database().collection('audit_events').countDocuments()).toBe(0);
      expect(await database().collection('sessions').countDocuments()).toBe(0);
      expect(await database().collection('one_time_tokens').countDocuments()).toBe(0);
      expect((await jobReport(['audit:verify'])).code).toBe(0);

      const rejected = await jobReport(['retention:apply', '--now=soon']);
      expect(rejected.code).toBe(2);
    });
  });
});
