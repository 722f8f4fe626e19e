import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import { registerVerified, signIn, tokenClaims } from './support/identity.js';
import { signInAdminWithMfa } from './support/mfa.js';

const ADMIN_EMAIL = 'projects.admin@example.com';
const ADMIN_PASSWORD = 'bootstrap admin passphrase 4';

describe('projects', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let keyCounter = 0;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    admin = await signInAdminWithMfa(testApp, sink, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  function uniqueKey(): string {
    keyCounter += 1;
    return `P${String.fromCharCode(65 + (keyCounter % 26))}${String.fromCharCode(65 + Math.floor(keyCounter / 26))}`;
  }

  function userWithRole(role: string): Promise<InvitedUser> {
    return inviteUser(testApp, sink, admin, role);
  }

  async function createProject(token: string, key = uniqueKey()) {
    return testApp.http
      .post('/v1/projects')
      .set('Authorization', `Bearer ${token}`)
      .send({ key, name: `Project ${key}` });
  }

  it('lets a manager create a project and become its member', async () => {
    const manager = await userWithRole('manager');

    const created = await createProject(manager.accessToken, 'CFX');

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      key: 'CFX',
      ownerId: manager.id,
      memberIds: [manager.id],
      archived: false,
    });
    expect(created.body.id).toMatch(/^prj_[0-9A-Za-z]{20}$/);
  });

  describe('Idempotency-Key', () => {
    function createWithKey(token: string, idempotencyKey: string, body: Record<string, unknown>) {
      return testApp.http
        .post('/v1/projects')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', idempotencyKey)
        .send(body);
    }

    it('replays the first response and creates nothing more', async () => {
      const manager = await userWithRole('manager');
      const body = { key: uniqueKey(), name: 'Retried' };

      const first = await createWithKey(manager.accessToken, 'retry-1', body);
      const second = await createWithKey(manager.accessToken, 'retry-1', {
        name: 'Retried',
        key: body.key,
      });
      const listed = await testApp.http
        .get('/v1/projects?limit=100')
        .set('Authorization', `Bearer ${manager.accessToken}`);

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      const keys = (listed.body.data as Array<{ key: string }>).map((project) => project.key);
      expect(keys.filter((key) => key === body.key)).toHaveLength(1);
    });

    it('rejects the same key with another body with 422', async () => {
      const manager = await userWithRole('manager');
      await createWithKey(manager.accessToken, 'retry-2', { key: uniqueKey(), name: 'First' });

      const other = await createWithKey(manager.accessToken, 'retry-2', {
        key: uniqueKey(),
        name: 'Other',
      });

      expect(other.status).toBe(422);
    });

    it('does not replay a failed request', async () => {
      const manager = await userWithRole('manager');
      const key = uniqueKey();
      await createProject(manager.accessToken, key);

      const first = await createWithKey(manager.accessToken, 'retry-3', { key, name: 'Clash' });
      const second = await createWithKey(manager.accessToken, 'retry-3', { key, name: 'Clash' });

      expect(first.status).toBe(409);
      expect(second.status).toBe(409);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
    });

    it('rejects a deeply nested body with 400 before fingerprinting it', async () => {
      const manager = await userWithRole('manager');
      const key = uniqueKey();
      const nested = `${'['.repeat(8_000)}${']'.repeat(8_000)}`;

      const response = await testApp.http
        .post('/v1/projects')
        .set('Authorization', `Bearer ${manager.accessToken}`)
        .set('Idempotency-Key', 'deep-1')
        .set('Content-Type', 'application/json')
        .send(`{"key":"${key}","name":"Deep","extra":${nested}}`);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        {
          field: expect.stringMatching(/^extra(\.0)+$/),
          message: expect.stringMatching(/nested more than 32 levels/),
        },
      ]);
      const retried = await createWithKey(manager.accessToken, 'deep-1', { key, name: 'Deep' });
      expect(retried.status).toBe(201);
    });

    it.each([['has spaces'], ['x'.repeat(256)]])('rejects key %j', async (idempotencyKey) => {
      const manager = await userWithRole('manager');

      const response = await createWithKey(manager.accessToken, idempotencyKey, {
        key: uniqueKey(),
        name: 'X',
      });

      expect(response.status).toBe(400);
    });
  });

  it('rejects a duplicate key with 409', async () => {
    const manager = await userWithRole('manager');
    const key = uniqueKey();
    await createProject(manager.accessToken, key);

    expect((await createProject(manager.accessToken, key)).status).toBe(409);
  });

  it.each([['A'], ['ABCDEFGHIJK'], ['cfx'], ['C1X'], ['']])('rejects key %j', async (key) => {
    const manager = await userWithRole('manager');

    const response = await createProject(manager.accessToken, key);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'key' })]),
    );
  });

  it.each([['AB'], ['ABCDEFGHIJ']])('accepts key length boundary %j', async (base) => {
    const manager = await userWithRole('manager');
    const key = `${base.slice(0, -2)}${uniqueKey().slice(1, 3)}`;

    expect((await createProject(manager.accessToken, key)).status).toBe(201);
  });

  it.each([['developer'], ['designer'], ['qa'], ['viewer']])(
    'forbids creation to a %s',
    async (role) => {
      const user = await userWithRole(role);

      expect((await createProject(user.accessToken)).status).toBe(403);
    },
  );

  it('shows members only their projects and hides others with 404', async () => {
    const manager = await userWithRole('manager');
    const developer = await userWithRole('developer');
    const mine = (await createProject(manager.accessToken)).body as { id: string };
    const other = (await createProject(manager.accessToken)).body as { id: string };
    await testApp.http
      .post(`/v1/projects/${mine.id}/members`)
      .set('Authorization', `Bearer ${manager.accessToken}`)
      .send({ userId: developer.id });

    const listed = await testApp.http
      .get('/v1/projects')
      .set('Authorization', `Bearer ${developer.accessToken}`);
    const foreign = await testApp.http
      .get(`/v1/projects/${other.id}`)
      .set('Authorization', `Bearer ${developer.accessToken}`);
    const malformed = await testApp.http
      .get('/v1/projects/507f1f77bcf86cd799439011')
      .set('Authorization', `Bearer ${developer.accessToken}`);

    expect((listed.body.data as Array<{ id: string }>).map((project) => project.id)).toEqual([
      mine.id,
    ]);
    expect(foreign.status).toBe(404);
    expect(malformed.status).toBe(404);
  });

  it('lets managers list every project', async () => {
    const first = await userWithRole('manager');
    const second = await userWithRole('manager');
    const project = (await createProject(first.accessToken)).body as { id: string };

    const listed = await testApp.http
      .get('/v1/projects?limit=100')
      .set('Authorization', `Bearer ${second.accessToken}`);

    expect((listed.body.data as Array<{ id: string }>).map((row) => row.id)).toContain(project.id);
  });

  it('manages members', async () => {
    const manager = await userWithRole('manager');
    const developer = await userWithRole('developer');
    const project = (await createProject(manager.accessToken)).body as { id: string };
    const members = `/v1/projects/${project.id}/members`;
    const auth = `Bearer ${manager.accessToken}`;

    const added = await testApp.http
      .post(members)
      .set('Authorization', auth)
      .send({ userId: developer.id });
    const again = await testApp.http
      .post(members)
      .set('Authorization', auth)
      .send({ userId: developer.id });
    const ghost = await testApp.http
      .post(members)
      .set('Authorization', auth)
      .send({ userId: 'usr_00000000000000000000' });
    const byDeveloper = await testApp.http
      .post(members)
      .set('Authorization', `Bearer ${developer.accessToken}`)
      .send({ userId: manager.id });
    const removed = await testApp.http
      .delete(`${members}/${developer.id}`)
      .set('Authorization', auth);
    const afterRemoval = await testApp.http
      .get(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${developer.accessToken}`);

    expect(added.status).toBe(201);
    expect(added.body.memberIds).toContain(developer.id);
    expect(again.status).toBe(409);
    expect(ghost.status).toBe(400);
    expect(byDeveloper.status).toBe(403);
    expect(removed.status).toBe(204);
    expect(afterRemoval.status).toBe(404);
  });

  it.each([
    [{ key: 'NEW' }, 'key'],
    [{ ownerId: 'usr_00000000000000000000' }, 'ownerId'],
    [{ id: 'prj_00000000000000000000' }, 'id'],
    [{ memberIds: [] }, 'memberIds'],
    [{ archived: true }, 'archived'],
    [{ name: '' }, 'name'],
  ])('rejects update %j', async (body, field) => {
    const manager = await userWithRole('manager');
    const project = (await createProject(manager.accessToken)).body as { id: string };

    const response = await testApp.http
      .patch(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.accessToken}`)
      .send(body);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  });

  it('archives for admins only and then rejects writes with 409', async () => {
    const manager = await userWithRole('manager');
    const project = (await createProject(manager.accessToken)).body as { id: string };

    const byManager = await testApp.http
      .delete(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.accessToken}`);
    const byAdmin = await testApp.http
      .delete(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${admin}`);
    const write = await testApp.http
      .patch(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.accessToken}`)
      .send({ name: 'Renamed' });
    const read = await testApp.http
      .get(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.accessToken}`);

    expect(byManager.status).toBe(403);
    expect(byAdmin.status).toBe(204);
    expect(write.status).toBe(409);
    expect(read.body.archived).toBe(true);
  });

  it('keeps a viewer out of other users', async () => {
    const viewer = await signIn(testApp, await registerVerified(testApp, sink));

    const response = await testApp.http
      .get('/v1/projects')
      .set('Authorization', `Bearer ${viewer.accessToken}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: [], nextCursor: null });
    expect(tokenClaims(viewer.accessToken).role).toBe('viewer');
  });
});
