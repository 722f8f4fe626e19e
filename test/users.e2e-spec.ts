import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import {
  linkToken,
  registerVerified,
  signIn,
  STRONG_PASSWORD,
  tokenClaims,
  uniqueEmail,
} from './support/identity.js';
import { signInAdminWithMfa, stepUpCode } from './support/mfa.js';

const ADMIN_EMAIL = 'root.admin@example.com';
const ADMIN_PASSWORD = 'bootstrap admin passphrase 1';

describe('users', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    adminToken = await signInAdminWithMfa(testApp, sink, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  /** Requests a step-up code by mail for the admin and returns it. */
  function adminStepUp(): Promise<string> {
    return stepUpCode(testApp, sink, adminToken, ADMIN_EMAIL);
  }

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  /** Invites a user with `role` and accepts the invitation; returns the new user's tokens. */
  function invited(role: string): Promise<InvitedUser> {
    return inviteUser(testApp, sink, adminToken, role);
  }

  it('lists the grants of the access token without MFA', async () => {
    const developer = await invited('developer');

    const response = await testApp.http
      .get('/v1/users/me/permissions')
      .set('Authorization', `Bearer ${developer.accessToken}`);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ userId: developer.id, role: 'developer', amr: ['pwd'] });
    expect(response.body.permissions).toContain('tasks:create:team');
    expect(Date.parse(response.body.tokenExpiresAt as string)).toBeGreaterThan(Date.now());
    expect((await testApp.http.get('/v1/users/me/permissions')).status).toBe(401);
  });

  it('creates the bootstrap admin as a verified admin', async () => {
    const me = await testApp.http.get('/v1/users/me').set('Authorization', `Bearer ${adminToken}`);

    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: ADMIN_EMAIL, role: 'admin', emailVerified: true });
    expect(Object.keys(me.body).sort()).toEqual(
      [
        'createdAt',
        'email',
        'emailVerified',
        'id',
        'mfa',
        'name',
        'pendingEmail',
        'role',
        'status',
      ].sort(),
    );
  });

  describe('invitations', () => {
    it('signs the invitee in with the chosen role', async () => {
      const manager = await invited('manager');

      expect(tokenClaims(manager.accessToken).role).toBe('manager');
      const me = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${manager.accessToken}`);
      expect(me.body).toMatchObject({ role: 'manager', emailVerified: true, status: 'active' });
    });

    it('rejects a duplicate address with 409', async () => {
      const email = await registerVerified(testApp, sink);

      const response = await testApp.http
        .post('/v1/users')
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ email, name: 'Again', role: 'qa' });

      expect(response.status).toBe(409);
    });

    it.each([
      [{ email: 'x@example.com', name: 'X', role: 'root' }, 'role'],
      [{ email: 'x@example.com', name: 'X' }, 'role'],
      [{ email: 'nope', name: 'X', role: 'qa' }, 'email'],
      [{ email: 'x@example.com', name: 'X', role: 'qa', password: 'x' }, 'password'],
    ])('rejects %j', async (body, field) => {
      const response = await testApp.http
        .post('/v1/users')
        .set('Authorization', `Bearer ${adminToken}`)
        .send(body);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it('forbids inviting to non-admins', async () => {
      const manager = await invited('manager');

      const response = await testApp.http
        .post('/v1/users')
        .set('Authorization', `Bearer ${manager.accessToken}`)
        .send({ email: uniqueEmail(), name: 'X', role: 'admin' });

      expect(response.status).toBe(403);
    });

    it('accepts an invitation only once', async () => {
      const email = uniqueEmail('once');
      await testApp.http
        .post('/v1/users')
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ email, name: 'Once', role: 'developer' });
      const mail = await sink.waitForMail({ to: email, subject: /invited/i });
      const token = linkToken(mail.links, '/accept-invite');

      const first = await testApp.http
        .post('/v1/auth/invitations/accept')
        .send({ token, password: STRONG_PASSWORD, name: 'Once Accepted' });
      const second = await testApp.http
        .post('/v1/auth/invitations/accept')
        .send({ token, password: STRONG_PASSWORD });

      expect(first.status).toBe(200);
      expect(second.status).toBe(400);
    });
  });

  describe('reading users', () => {
    it('lets admins and managers list users with a cursor', async () => {
      const manager = await invited('manager');
      await registerVerified(testApp, sink);
      await registerVerified(testApp, sink);

      const first = await testApp.http
        .get('/v1/users?limit=2')
        .set('Authorization', `Bearer ${manager.accessToken}`);
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(2);
      expect(typeof first.body.nextCursor).toBe('string');

      const second = await testApp.http
        .get(`/v1/users?limit=2&cursor=${encodeURIComponent(first.body.nextCursor as string)}`)
        .set('Authorization', `Bearer ${manager.accessToken}`);
      expect(second.status).toBe(200);
      const firstIds = (first.body.data as Array<{ id: string }>).map((user) => user.id);
      const secondIds = (second.body.data as Array<{ id: string }>).map((user) => user.id);
      expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);
    });

    it.each([
      ['limit=0'],
      ['limit=101'],
      ['limit=abc'],
      ['limit=1e1'],
      ['limit=0x10'],
      ['cursor=forged.cursor'],
      ['cursor=eyJhZnRlciI6InVzcl8xIn0.AAAA'],
    ])('rejects %s with 400', async (query) => {
      const response = await testApp.http
        .get(`/v1/users?${query}`)
        .set('Authorization', `Bearer ${adminToken}`);

      expect(response.status).toBe(400);
    });

    it('forbids the list to other roles', async () => {
      const viewer = await signIn(testApp, await registerVerified(testApp, sink));

      const response = await testApp.http
        .get('/v1/users')
        .set('Authorization', `Bearer ${viewer.accessToken}`);

      expect(response.status).toBe(403);
    });

    it('lets users read only themselves', async () => {
      const viewer = await signIn(testApp, await registerVerified(testApp, sink));
      const self = tokenClaims(viewer.accessToken).sub as string;
      const other = await invited('qa');

      const own = await testApp.http
        .get(`/v1/users/${self}`)
        .set('Authorization', `Bearer ${viewer.accessToken}`);
      const foreign = await testApp.http
        .get(`/v1/users/${other.id}`)
        .set('Authorization', `Bearer ${viewer.accessToken}`);
      const malformed = await testApp.http
        .get('/v1/users/507f1f77bcf86cd799439011')
        .set('Authorization', `Bearer ${adminToken}`);

      expect(own.status).toBe(200);
      expect(foreign.status).toBe(404);
      expect(malformed.status).toBe(404);
    });
  });

  describe('role changes', () => {
    it('apply to live sessions at their next refresh', async () => {
      const user = await invited('viewer');

      const withoutCode = await testApp.http
        .patch(`/v1/users/${user.id}/role`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ role: 'designer' });
      expect(withoutCode.status).toBe(403);
      expect(withoutCode.body.detail).toMatch(/MFA is required/);

      const changed = await testApp.http
        .patch(`/v1/users/${user.id}/role`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ role: 'designer', mfaCode: await adminStepUp() });
      expect(changed.status).toBe(200);
      expect(changed.body.role).toBe('designer');

      const refreshed = await testApp.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: user.refreshToken });
      expect(refreshed.status).toBe(200);
      const claims = tokenClaims(refreshed.body.accessToken as string);
      expect(claims.role).toBe('designer');
      expect(claims.permissions).toEqual(expect.arrayContaining(['attachments:create:team']));
    });

    it('rejects an unknown role', async () => {
      const user = await invited('viewer');

      const response = await testApp.http
        .patch(`/v1/users/${user.id}/role`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ role: 'owner' });

      expect(response.status).toBe(400);
    });

    it('keeps the last admin', async () => {
      const adminId = tokenClaims(adminToken).sub as string;

      const response = await testApp.http
        .patch(`/v1/users/${adminId}/role`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ role: 'viewer', mfaCode: await adminStepUp() });

      expect(response.status).toBe(409);
    });

    it('forbids role changes to managers', async () => {
      const manager = await invited('manager');
      const target = await invited('viewer');

      const response = await testApp.http
        .patch(`/v1/users/${target.id}/role`)
        .set('Authorization', `Bearer ${manager.accessToken}`)
        .send({ role: 'admin' });

      expect(response.status).toBe(403);
    });
  });

  describe('erasure by an admin', () => {
    it('stops sign-in at once and schedules the purge', async () => {
      const email = uniqueEmail('erased');
      await registerVerified(testApp, sink, email);
      const victim = await signIn(testApp, email);
      const victimId = tokenClaims(victim.accessToken).sub as string;

      const withoutCode = await testApp.http
        .delete(`/v1/users/${victimId}`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({});
      expect(withoutCode.status).toBe(403);

      const erased = await testApp.http
        .delete(`/v1/users/${victimId}`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ mfaCode: await adminStepUp() });
      expect(erased.status).toBe(202);
      const purgeAfter = Date.parse(erased.body.purgeAfter as string);
      expect(purgeAfter).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
      expect(purgeAfter).toBeLessThanOrEqual(Date.now() + 30 * 24 * 3600 * 1000);

      const access = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${victim.accessToken}`);
      const login = await testApp.http
        .post('/v1/auth/login')
        .send({ email, password: STRONG_PASSWORD });
      const refresh = await testApp.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: victim.refreshToken });
      expect(access.status).toBe(401);
      expect(login.status).toBe(401);
      expect(refresh.status).toBe(401);
    });

    it('forbids erasure to non-admins', async () => {
      const manager = await invited('manager');
      const target = await invited('viewer');

      const response = await testApp.http
        .delete(`/v1/users/${target.id}`)
        .set('Authorization', `Bearer ${manager.accessToken}`)
        .send({});

      expect(response.status).toBe(403);
    });
  });
});
