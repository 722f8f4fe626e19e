import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { createTestApp, type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import {
  linkToken,
  registerVerified,
  signIn,
  STRONG_PASSWORD,
  tokenClaims,
  uniqueEmail,
} from './support/identity.js';
import { signInAdminWithMfa } from './support/mfa.js';

const ADMIN_EMAIL = 'projects.admin@example.com';
const ADMIN_PASSWORD = 'bootstrap admin passphrase 4';

interface Member {
  id: string;
  token: string;
}

describe('projects', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let keyCounter = 0;

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createTestApp({
      env: {
        SMTP_URL: sink.url,
        BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      },
    });
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

  async function userWithRole(role: string): Promise<Member> {
    const email = uniqueEmail(role);
    const invite = await testApp.http
      .post('/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ email, name: `A ${role}`, role });
    const mail = await sink.waitForMail({ to: email, subject: /invited/i });
    const accepted = await testApp.http
      .post('/v1/auth/invitations/accept')
      .send({ token: linkToken(mail.links, '/accept-invite'), password: STRONG_PASSWORD });
    return { id: invite.body.id as string, token: accepted.body.accessToken as string };
  }

  async function createProject(token: string, key = uniqueKey()) {
    return testApp.http
      .post('/v1/projects')
      .set('Authorization', `Bearer ${token}`)
      .send({ key, name: `Project ${key}` });
  }

  it('lets a manager create a project and become its member', async () => {
    const manager = await userWithRole('manager');

    const created = await createProject(manager.token, 'CFX');

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      key: 'CFX',
      ownerId: manager.id,
      memberIds: [manager.id],
      archived: false,
    });
    expect(created.body.id).toMatch(/^prj_[0-9A-Za-z]{20}$/);
  });

  it('rejects a duplicate key with 409', async () => {
    const manager = await userWithRole('manager');
    const key = uniqueKey();
    await createProject(manager.token, key);

    expect((await createProject(manager.token, key)).status).toBe(409);
  });

  it.each([['A'], ['ABCDEFGHIJK'], ['cfx'], ['C1X'], ['']])('rejects key %j', async (key) => {
    const manager = await userWithRole('manager');

    const response = await createProject(manager.token, key);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'key' })]),
    );
  });

  it.each([['AB'], ['ABCDEFGHIJ']])('accepts key length boundary %j', async (base) => {
    const manager = await userWithRole('manager');
    const key = `${base.slice(0, -2)}${uniqueKey().slice(1, 3)}`;

    expect((await createProject(manager.token, key)).status).toBe(201);
  });

  it.each([['developer'], ['designer'], ['qa'], ['viewer']])(
    'forbids creation to a %s',
    async (role) => {
      const user = await userWithRole(role);

      expect((await createProject(user.token)).status).toBe(403);
    },
  );

  it('shows members only their projects and hides others with 404', async () => {
    const manager = await userWithRole('manager');
    const developer = await userWithRole('developer');
    const mine = (await createProject(manager.token)).body as { id: string };
    const other = (await createProject(manager.token)).body as { id: string };
    await testApp.http
      .post(`/v1/projects/${mine.id}/members`)
      .set('Authorization', `Bearer ${manager.token}`)
      .send({ userId: developer.id });

    const listed = await testApp.http
      .get('/v1/projects')
      .set('Authorization', `Bearer ${developer.token}`);
    const foreign = await testApp.http
      .get(`/v1/projects/${other.id}`)
      .set('Authorization', `Bearer ${developer.token}`);
    const malformed = await testApp.http
      .get('/v1/projects/507f1f77bcf86cd799439011')
      .set('Authorization', `Bearer ${developer.token}`);

    expect((listed.body.data as Array<{ id: string }>).map((project) => project.id)).toEqual([
      mine.id,
    ]);
    expect(foreign.status).toBe(404);
    expect(malformed.status).toBe(404);
  });

  it('lets managers list every project', async () => {
    const first = await userWithRole('manager');
    const second = await userWithRole('manager');
    const project = (await createProject(first.token)).body as { id: string };

    const listed = await testApp.http
      .get('/v1/projects?limit=100')
      .set('Authorization', `Bearer ${second.token}`);

    expect((listed.body.data as Array<{ id: string }>).map((row) => row.id)).toContain(project.id);
  });

  it('manages members', async () => {
    const manager = await userWithRole('manager');
    const developer = await userWithRole('developer');
    const project = (await createProject(manager.token)).body as { id: string };
    const members = `/v1/projects/${project.id}/members`;
    const auth = `Bearer ${manager.token}`;

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
      .set('Authorization', `Bearer ${developer.token}`)
      .send({ userId: manager.id });
    const removed = await testApp.http
      .delete(`${members}/${developer.id}`)
      .set('Authorization', auth);
    const afterRemoval = await testApp.http
      .get(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${developer.token}`);

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
    const project = (await createProject(manager.token)).body as { id: string };

    const response = await testApp.http
      .patch(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.token}`)
      .send(body);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  });

  it('archives for admins only and then rejects writes with 409', async () => {
    const manager = await userWithRole('manager');
    const project = (await createProject(manager.token)).body as { id: string };

    const byManager = await testApp.http
      .delete(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.token}`);
    const byAdmin = await testApp.http
      .delete(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${admin}`);
    const write = await testApp.http
      .patch(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.token}`)
      .send({ name: 'Renamed' });
    const read = await testApp.http
      .get(`/v1/projects/${project.id}`)
      .set('Authorization', `Bearer ${manager.token}`);

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
