import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import { tokenClaims } from './support/identity.js';
import { signInAdminWithMfa } from './support/mfa.js';
import { SAMPLES } from './support/uploads.js';

const ADMIN = { email: 'matrix.admin@example.com', password: 'bootstrap admin passphrase 6' };
const ROLES = ['admin', 'manager', 'developer', 'designer', 'qa', 'viewer'] as const;
type Role = (typeof ROLES)[number];

interface Actor {
  id: string;
  token: string;
}

/** What one role gets from one route, from the default permission matrix. */
type Expected = Record<Role, number>;

function only(allowed: Partial<Expected>, otherwise: number): Expected {
  return Object.fromEntries(ROLES.map((role) => [role, allowed[role] ?? otherwise])) as Expected;
}

describe('default permission matrix', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  const actors = {} as Record<Role, Actor>;
  let author: InvitedUser;
  let creator: InvitedUser;
  let teamProject: string;
  let foreignProject: string;
  let authorsTask: string;
  let keyCounter = 0;

  function nextKey(): string {
    keyCounter += 1;
    return `M${String.fromCharCode(65 + (keyCounter % 26))}${String.fromCharCode(65 + Math.floor(keyCounter / 26))}`;
  }

  function as(role: Role) {
    const token = actors[role].token;
    return {
      get: (path: string) => testApp.http.get(path).set('Authorization', `Bearer ${token}`),
      post: (path: string, body: object = {}) =>
        testApp.http.post(path).set('Authorization', `Bearer ${token}`).send(body),
      patch: (path: string, body: object) =>
        testApp.http.patch(path).set('Authorization', `Bearer ${token}`).send(body),
      delete: (path: string) =>
        testApp.http.delete(path).set('Authorization', `Bearer ${token}`).send({}),
    };
  }

  async function projectWith(members: string[]): Promise<string> {
    const created = await testApp.http
      .post('/v1/projects')
      .set('Authorization', `Bearer ${creator.accessToken}`)
      .send({ key: nextKey(), name: 'Matrix' });
    for (const userId of members) {
      await testApp.http
        .post(`/v1/projects/${created.body.id as string}/members`)
        .set('Authorization', `Bearer ${creator.accessToken}`)
        .send({ userId });
    }
    return created.body.id as string;
  }

  async function taskBy(token: string, project = teamProject): Promise<string> {
    const created = await testApp.http
      .post(`/v1/projects/${project}/tasks`)
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'Matrix task', priority: 'low' });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function commentBy(token: string): Promise<string> {
    const created = await testApp.http
      .post(`/v1/tasks/${authorsTask}/comments`)
      .set('Authorization', `Bearer ${token}`)
      .send({ body: 'Matrix comment' });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function attachmentBy(token: string): Promise<string> {
    const created = await testApp.http
      .post(`/v1/tasks/${authorsTask}/attachments`)
      .set('Authorization', `Bearer ${token}`)
      .attach('file', SAMPLES.png, 'matrix.png');
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN);
    const admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    actors.admin = { id: tokenClaims(admin).sub as string, token: admin };
    for (const role of ROLES.filter((candidate) => candidate !== 'admin')) {
      const user = await inviteUser(testApp, sink, admin, role);
      actors[role] = { id: user.id, token: user.accessToken };
    }
    author = await inviteUser(testApp, sink, admin, 'developer');
    creator = await inviteUser(testApp, sink, admin, 'manager');

    teamProject = await projectWith([...ROLES.map((role) => actors[role].id), author.id]);
    foreignProject = await projectWith([]);
    authorsTask = await taskBy(author.accessToken);
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  const routes: Array<[string, (role: Role) => Promise<Response>, Expected]> = [
    [
      'POST /v1/projects',
      (role) => as(role).post('/v1/projects', { key: nextKey(), name: 'New' }),
      only({ admin: 201, manager: 201 }, 403),
    ],
    ['GET /v1/projects', (role) => as(role).get('/v1/projects'), only({}, 200)],
    [
      'GET /v1/projects/:id of a member',
      (role) => as(role).get(`/v1/projects/${teamProject}`),
      only({}, 200),
    ],
    [
      'GET /v1/projects/:id of another team',
      (role) => as(role).get(`/v1/projects/${foreignProject}`),
      only({ admin: 200, manager: 200 }, 404),
    ],
    [
      'PATCH /v1/projects/:id',
      (role) => as(role).patch(`/v1/projects/${teamProject}`, { name: `By ${role}` }),
      only({ admin: 200, manager: 200 }, 403),
    ],
    [
      'DELETE /v1/projects/:id',
      async (role) =>
        as(role).delete(
          `/v1/projects/${await projectWith(ROLES.map((member) => actors[member].id))}`,
        ),
      only({ admin: 204 }, 403),
    ],
    [
      'POST /v1/projects/:id/members',
      async (role) =>
        as(role).post(
          `/v1/projects/${await projectWith(ROLES.map((member) => actors[member].id))}/members`,
          { userId: author.id },
        ),
      only({ admin: 201, manager: 201 }, 403),
    ],
    [
      'DELETE /v1/projects/:id/members/:userId',
      async (role) =>
        as(role).delete(
          `/v1/projects/${await projectWith([...ROLES.map((member) => actors[member].id), author.id])}/members/${author.id}`,
        ),
      only({ admin: 204, manager: 204 }, 403),
    ],
    [
      'POST /v1/projects/:id/tasks',
      (role) =>
        as(role).post(`/v1/projects/${teamProject}/tasks`, { title: 'A task', priority: 'low' }),
      only({ viewer: 403 }, 201),
    ],
    [
      'POST /v1/projects/:id/tasks of type bug',
      (role) =>
        as(role).post(`/v1/projects/${teamProject}/tasks`, {
          title: 'A bug',
          priority: 'low',
          type: 'bug',
        }),
      only({ admin: 201, manager: 201, qa: 201 }, 403),
    ],
    [
      'POST /v1/projects/:id/tasks in another team',
      (role) =>
        as(role).post(`/v1/projects/${foreignProject}/tasks`, {
          title: 'Elsewhere',
          priority: 'low',
        }),
      only({ admin: 201, manager: 403, viewer: 403 }, 404),
    ],
    [
      'GET /v1/projects/:id/tasks',
      (role) => as(role).get(`/v1/projects/${teamProject}/tasks`),
      only({}, 200),
    ],
    [
      'GET /v1/projects/:id/tasks of another team',
      (role) => as(role).get(`/v1/projects/${foreignProject}/tasks`),
      only({ admin: 200, manager: 200 }, 404),
    ],
    ['GET /v1/tasks/:id', (role) => as(role).get(`/v1/tasks/${authorsTask}`), only({}, 200)],
    [
      'GET /v1/tasks/:id/activity',
      (role) => as(role).get(`/v1/tasks/${authorsTask}/activity`),
      only({}, 200),
    ],
    [
      'PATCH /v1/tasks/:id of their own',
      async (role) =>
        as(role).patch(
          `/v1/tasks/${await taskBy(role === 'viewer' ? author.accessToken : actors[role].token)}`,
          { status: 'in_progress' },
        ),
      only({ viewer: 403 }, 200),
    ],
    [
      "PATCH /v1/tasks/:id of someone else's",
      async (role) =>
        as(role).patch(`/v1/tasks/${await taskBy(author.accessToken)}`, { status: 'in_review' }),
      only({ admin: 200, manager: 200 }, 403),
    ],
    [
      'DELETE /v1/tasks/:id of their own',
      async (role) =>
        as(role).delete(
          `/v1/tasks/${await taskBy(role === 'viewer' ? author.accessToken : actors[role].token)}`,
        ),
      only({ admin: 204, developer: 204, designer: 204, qa: 204 }, 403),
    ],
    [
      "DELETE /v1/tasks/:id of someone else's",
      async (role) => as(role).delete(`/v1/tasks/${await taskBy(author.accessToken)}`),
      only({ admin: 204 }, 403),
    ],
    [
      'POST /v1/tasks/:id/comments',
      (role) => as(role).post(`/v1/tasks/${authorsTask}/comments`, { body: `By ${role}` }),
      only({ viewer: 403 }, 201),
    ],
    [
      'GET /v1/tasks/:id/comments',
      (role) => as(role).get(`/v1/tasks/${authorsTask}/comments`),
      only({}, 200),
    ],
    [
      'DELETE /v1/comments/:id of their own',
      async (role) =>
        as(role).delete(
          `/v1/comments/${await commentBy(role === 'viewer' ? author.accessToken : actors[role].token)}`,
        ),
      only({ viewer: 403 }, 204),
    ],
    [
      "DELETE /v1/comments/:id of someone else's",
      async (role) => as(role).delete(`/v1/comments/${await commentBy(author.accessToken)}`),
      only({ admin: 204, manager: 204 }, 403),
    ],
    [
      'POST /v1/tasks/:id/attachments',
      (role) =>
        testApp.http
          .post(`/v1/tasks/${authorsTask}/attachments`)
          .set('Authorization', `Bearer ${actors[role].token}`)
          .attach('file', SAMPLES.png, `by-${role}.png`),
      only({ admin: 201, manager: 201, designer: 201 }, 403),
    ],
    [
      'GET /v1/tasks/:id/attachments',
      (role) => as(role).get(`/v1/tasks/${authorsTask}/attachments`),
      only({}, 200),
    ],
    [
      'GET /v1/attachments/:id',
      async (role) => as(role).get(`/v1/attachments/${await attachmentBy(creator.accessToken)}`),
      only({}, 200),
    ],
    [
      'DELETE /v1/attachments/:id',
      async (role) => as(role).delete(`/v1/attachments/${await attachmentBy(creator.accessToken)}`),
      only({ admin: 204 }, 403),
    ],
    [
      'GET /v1/projects/:id/analytics',
      (role) => as(role).get(`/v1/projects/${teamProject}/analytics`),
      only({ admin: 200, manager: 200 }, 403),
    ],
    [
      'GET /v1/projects/:id/analytics of another team',
      (role) => as(role).get(`/v1/projects/${foreignProject}/analytics`),
      only({ admin: 200, manager: 200 }, 403),
    ],
    ['GET /v1/users', (role) => as(role).get('/v1/users'), only({ admin: 200, manager: 200 }, 403)],
    [
      'GET /v1/users/:id of another user',
      (role) => as(role).get(`/v1/users/${author.id}`),
      only({ admin: 200, manager: 200 }, 404),
    ],
    [
      'GET /v1/users/:id of themselves',
      (role) => as(role).get(`/v1/users/${actors[role].id}`),
      only({}, 200),
    ],
    [
      'POST /v1/users',
      (role) =>
        as(role).post('/v1/users', {
          email: `matrix.${role}.${Date.now()}@example.com`,
          name: 'Invitee',
          role: 'viewer',
        }),
      only({ admin: 201 }, 403),
    ],
  ];

  describe.each(routes)('%s', (_route, request, expected) => {
    it.each(ROLES)('as %s', async (role) => {
      const response = await request(role);

      expect(response.status).toBe(expected[role]);
    });
  });
});
