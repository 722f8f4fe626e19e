import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import { signInAdminWithMfa } from './support/mfa.js';

const ADMIN = { email: 'comments.admin@example.com', password: 'bootstrap admin passphrase 7' };

describe('comments', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let manager: InvitedUser;
  let developer: InvitedUser;
  let otherDeveloper: InvitedUser;
  let viewer: InvitedUser;
  let outsider: InvitedUser;
  let projectId: string;
  let taskId: string;

  const bearer = (user: InvitedUser | string) =>
    `Bearer ${typeof user === 'string' ? user : user.accessToken}`;

  function comment(user: InvitedUser | string, body: unknown, task = taskId) {
    return testApp.http
      .post(`/v1/tasks/${task}/comments`)
      .set('Authorization', bearer(user))
      .send({ body });
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN);
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    manager = await inviteUser(testApp, sink, admin, 'manager');
    developer = await inviteUser(testApp, sink, admin, 'developer');
    otherDeveloper = await inviteUser(testApp, sink, admin, 'developer');
    viewer = await inviteUser(testApp, sink, admin, 'viewer');
    outsider = await inviteUser(testApp, sink, admin, 'developer');

    const project = await testApp.http
      .post('/v1/projects')
      .set('Authorization', bearer(manager))
      .send({ key: 'CMT', name: 'Comments' });
    projectId = project.body.id as string;
    for (const member of [developer, otherDeveloper, viewer]) {
      await testApp.http
        .post(`/v1/projects/${projectId}/members`)
        .set('Authorization', bearer(manager))
        .send({ userId: member.id });
    }
    const task = await testApp.http
      .post(`/v1/projects/${projectId}/tasks`)
      .set('Authorization', bearer(developer))
      .send({ title: 'Discuss me', priority: 'low' });
    taskId = task.body.id as string;
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  it('stores a sanitised comment with its member mentions', async () => {
    const response = await comment(
      developer,
      `<p onclick="x()">Ping ${otherDeveloper.id} and ${outsider.id}<script>alert(1)</script></p>`,
    );

    expect(response.status).toBe(201);
    expect(response.body.id).toMatch(/^cmt_/);
    expect(response.body.body).toBe(`<p>Ping ${otherDeveloper.id} and ${outsider.id}</p>`);
    expect(response.body.mentions).toEqual([otherDeveloper.id]);
  });

  it.each([
    ['an empty body', ''],
    ['a body of tags only', '<p><script>x</script></p>'],
    ['a 5001-character body', 'x'.repeat(5001)],
    ['a body that grows past the limit when escaped', '&'.repeat(5000)],
    ['an object body', { $ne: '' }],
  ])('rejects %s', async (_case, body) => {
    const response = await comment(developer, body);

    expect(response.status).toBe(400);
  });

  it('forbids viewers and hides the task from outsiders', async () => {
    expect((await comment(viewer, 'Read only')).status).toBe(403);
    expect((await comment(outsider, 'Not mine')).status).toBe(404);
  });

  it('lists oldest first across pages', async () => {
    const task = await testApp.http
      .post(`/v1/projects/${projectId}/tasks`)
      .set('Authorization', bearer(developer))
      .send({ title: 'Paged discussion', priority: 'low' });
    const id = task.body.id as string;
    for (const text of ['first', 'second', 'third']) {
      await comment(developer, text, id);
    }

    const first = await testApp.http
      .get(`/v1/tasks/${id}/comments?limit=2`)
      .set('Authorization', bearer(viewer));
    const second = await testApp.http
      .get(
        `/v1/tasks/${id}/comments?limit=2&cursor=${encodeURIComponent(first.body.nextCursor as string)}`,
      )
      .set('Authorization', bearer(viewer));

    expect((first.body.data as Array<{ body: string }>).map((row) => row.body)).toEqual([
      'first',
      'second',
    ]);
    expect((second.body.data as Array<{ body: string }>).map((row) => row.body)).toEqual(['third']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('lets the author, a manager and an admin delete, nobody else', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(
        async (index) => (await comment(developer, `Delete ${index}`)).body.id as string,
      ),
    );

    const byOther = await testApp.http
      .delete(`/v1/comments/${ids[0]!}`)
      .set('Authorization', bearer(otherDeveloper));
    const byViewer = await testApp.http
      .delete(`/v1/comments/${ids[0]!}`)
      .set('Authorization', bearer(viewer));
    const byAuthor = await testApp.http
      .delete(`/v1/comments/${ids[0]!}`)
      .set('Authorization', bearer(developer));
    const byManager = await testApp.http
      .delete(`/v1/comments/${ids[1]!}`)
      .set('Authorization', bearer(manager));
    const byAdmin = await testApp.http
      .delete(`/v1/comments/${ids[2]!}`)
      .set('Authorization', bearer(admin));
    const malformed = await testApp.http
      .delete('/v1/comments/../../x')
      .set('Authorization', bearer(admin));

    expect(byOther.status).toBe(403);
    expect(byViewer.status).toBe(403);
    expect(byAuthor.status).toBe(204);
    expect(byManager.status).toBe(204);
    expect(byAdmin.status).toBe(204);
    expect(malformed.status).toBe(404);
  });
});
