import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import { signInAdminWithMfa } from './support/mfa.js';

const ADMIN = { email: 'tasks.admin@example.com', password: 'bootstrap admin passphrase 5' };
const FUTURE = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();

describe('tasks', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let manager: InvitedUser;
  let developer: InvitedUser;
  let otherDeveloper: InvitedUser;
  let qa: InvitedUser;
  let viewer: InvitedUser;
  let outsider: InvitedUser;
  let projectId: string;
  let projectKey: string;
  let keyCounter = 0;

  function bearer(user: InvitedUser | string): string {
    return `Bearer ${typeof user === 'string' ? user : user.accessToken}`;
  }

  async function newProject(members: InvitedUser[]): Promise<{ id: string; key: string }> {
    keyCounter += 1;
    const key = `T${String.fromCharCode(65 + (keyCounter % 26))}${String.fromCharCode(65 + Math.floor(keyCounter / 26))}`;
    const created = await testApp.http
      .post('/v1/projects')
      .set('Authorization', bearer(manager))
      .send({ key, name: `Tasks ${key}` });
    for (const member of members) {
      await testApp.http
        .post(`/v1/projects/${created.body.id as string}/members`)
        .set('Authorization', bearer(manager))
        .send({ userId: member.id });
    }
    return { id: created.body.id as string, key };
  }

  function createTask(
    user: InvitedUser | string,
    body: Record<string, unknown>,
    project = projectId,
  ) {
    return testApp.http
      .post(`/v1/projects/${project}/tasks`)
      .set('Authorization', bearer(user))
      .send({ title: 'Write the docs', priority: 'medium', ...body });
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN);
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    manager = await inviteUser(testApp, sink, admin, 'manager');
    developer = await inviteUser(testApp, sink, admin, 'developer');
    otherDeveloper = await inviteUser(testApp, sink, admin, 'developer');
    qa = await inviteUser(testApp, sink, admin, 'qa');
    viewer = await inviteUser(testApp, sink, admin, 'viewer');
    outsider = await inviteUser(testApp, sink, admin, 'developer');
    const project = await newProject([developer, otherDeveloper, qa, viewer]);
    projectId = project.id;
    projectKey = project.key;
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  describe('creation', () => {
    it('gives a member a task with a readable key and an ETag', async () => {
      const response = await createTask(developer, {
        assignee: developer.id,
        dueDate: FUTURE,
        labels: ['docs'],
      });

      expect(response.status).toBe(201);
      expect(response.body.key).toMatch(new RegExp(`^${projectKey}-\\d+$`));
      expect(response.body).toMatchObject({
        status: 'todo',
        type: 'task',
        assignee: developer.id,
        createdBy: developer.id,
      });
      expect(response.headers.etag).toBe('"v1"');
    });

    it('keeps keys unique and gapless under concurrent creation', async () => {
      const project = await newProject([developer]);

      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          createTask(developer, { title: `Parallel ${index}` }, project.id),
        ),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));
      const numbers = responses
        .map((response) => Number((response.body.key as string).split('-')[1]))
        .sort((a, b) => a - b);
      expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('answers 404 to a non-member and 403 to a viewer', async () => {
      expect((await createTask(outsider, {})).status).toBe(404);
      expect((await createTask(viewer, {})).status).toBe(403);
    });

    it('lets only qa, managers and admins create bugs', async () => {
      expect((await createTask(developer, { type: 'bug' })).status).toBe(403);
      expect((await createTask(qa, { type: 'bug' })).status).toBe(201);
    });

    it('sanitises the description', async () => {
      const response = await createTask(developer, {
        description:
          '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:alert(1)">x</a></p>',
      });

      expect(response.status).toBe(201);
      expect(response.body.description).toBe('<p>Hi <a>x</a></p>');
    });

    it.each([
      ['a 2-character title', { title: 'ab' }, 'title'],
      ['a 201-character title', { title: 'x'.repeat(201) }, 'title'],
      ['a 5001-character description', { description: 'x'.repeat(5001) }, 'description'],
      ['a description of tags only', { description: '<script>x</script>' }, 'description'],
      ['an unknown priority', { priority: 'urgent' }, 'priority'],
      ['an unknown status', { status: 'blocked' }, 'status'],
      ['a past due date', { dueDate: '2020-01-01T00:00:00Z' }, 'dueDate'],
      ['a malformed due date', { dueDate: 'tomorrow' }, 'dueDate'],
      ['a non-member assignee', { assignee: 'usr_00000000000000000000' }, 'assignee'],
      ['21 labels', { labels: Array.from({ length: 21 }, (_, index) => `l${index}`) }, 'labels'],
      ['createdBy', { createdBy: 'usr_00000000000000000000' }, 'createdBy'],
      ['projectId', { projectId: 'prj_00000000000000000000' }, 'projectId'],
      ['key', { key: 'X-1' }, 'key'],
      ['an operator', { title: { $ne: '' } }, 'title'],
      ['100,000 labels', { labels: Array.from({ length: 100_000 }, () => 'l') }, 'labels'],
      [
        '50,000 unknown properties',
        Object.fromEntries(Array.from({ length: 50_000 }, (_, index) => [`p${index}`, 1])),
        'body',
      ],
    ])('rejects %s', async (_case, body, field) => {
      const response = await createTask(developer, body);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it.each([['abc'], ['x'.repeat(200)]])('accepts title length %#', async (title) => {
      expect((await createTask(developer, { title })).status).toBe(201);
    });
  });

  describe('listing', () => {
    let listProject: string;

    beforeAll(async () => {
      listProject = (await newProject([developer, viewer])).id;
      for (const [index, priority] of ['low', 'high', 'critical', 'medium', 'high'].entries()) {
        await createTask(
          developer,
          { title: `Listed ${index}`, priority, status: index % 2 === 0 ? 'todo' : 'done' },
          listProject,
        );
      }
    });

    function list(query: string, user: InvitedUser = viewer) {
      return testApp.http
        .get(`/v1/projects/${listProject}/tasks${query}`)
        .set('Authorization', bearer(user));
    }

    it('filters by status and priority', async () => {
      const done = await list('?status=done');
      const high = await list('?priority=high');

      expect(
        (done.body.data as Array<{ status: string }>).every((task) => task.status === 'done'),
      ).toBe(true);
      expect(done.body.data).toHaveLength(2);
      expect(high.body.data).toHaveLength(2);
    });

    it('walks every page with the cursor in priority order', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const suffix: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const page = await list(`?limit=2&sort=-priority${suffix}`);
        expect(page.status).toBe(200);
        seen.push(...(page.body.data as Array<{ priority: string }>).map((task) => task.priority));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);

      expect(seen).toEqual(['critical', 'high', 'high', 'medium', 'low']);
    });

    it.each([
      ['?limit=0'],
      ['?limit=1000'],
      ['?limit=abc'],
      ['?cursor=forged.value'],
      ['?sort=title'],
      ['?status[$ne]=done'],
      ['?status=blocked'],
    ])('rejects %s with 400', async (query) => {
      expect((await list(query)).status).toBe(400);
    });

    it('rejects a cursor of another list', async () => {
      const first = await list('?limit=1');
      const other = (await newProject([viewer])).id;
      await createTask(manager, { title: 'Other list' }, other);

      const response = await testApp.http
        .get(
          `/v1/projects/${other}/tasks?limit=1&cursor=${encodeURIComponent(first.body.nextCursor as string)}`,
        )
        .set('Authorization', bearer(viewer));

      expect(response.status).toBe(400);
    });

    it("hides another project's tasks with 404", async () => {
      const response = await list('', outsider);

      expect(response.status).toBe(404);
    });
  });

  describe('changes', () => {
    it('honours If-Match and records activity', async () => {
      const created = await createTask(developer, { title: 'Versioned task' });
      const id = created.body.id as string;

      const updated = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .set('If-Match', '"v1"')
        .send({ status: 'in_progress' });
      const stale = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .set('If-Match', '"v1"')
        .send({ status: 'done' });
      const activity = await testApp.http
        .get(`/v1/tasks/${id}/activity`)
        .set('Authorization', bearer(viewer));

      expect(updated.status).toBe(200);
      expect(updated.headers.etag).toBe('"v2"');
      expect(stale.status).toBe(412);
      expect(activity.body.data).toEqual([
        expect.objectContaining({
          actor: developer.id,
          field: 'status',
          from: 'todo',
          to: 'in_progress',
        }),
      ]);
    });

    it('applies parallel changes without If-Match one after another', async () => {
      const created = await createTask(developer, { title: 'Busy task' });
      const id = created.body.id as string;

      const responses = await Promise.all(
        Array.from({ length: 5 }, (_, index) =>
          testApp.http
            .patch(`/v1/tasks/${id}`)
            .set('Authorization', bearer(developer))
            .send({ title: `Busy ${index}` }),
        ),
      );

      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    });

    it('stores label and due date changes that look alike as text', async () => {
      const created = await createTask(developer, { title: 'Lookalike', labels: ['a', 'b'] });
      const id = created.body.id as string;
      const due = new Date(Date.now() + 86_400_000);
      due.setUTCMilliseconds(0);
      const later = new Date(due.getTime() + 900);

      await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .send({ dueDate: due.toISOString() });
      const labels = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .send({ labels: ['a,b'] });
      const dueDate = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .send({ dueDate: later.toISOString() });

      expect(labels.body.labels).toEqual(['a,b']);
      expect(dueDate.body.dueDate).toBe(later.toISOString());
    });

    it('clears the assignee and the due date with null', async () => {
      const created = await createTask(developer, {
        title: 'Clearable',
        assignee: developer.id,
        dueDate: FUTURE,
      });

      const cleared = await testApp.http
        .patch(`/v1/tasks/${created.body.id as string}`)
        .set('Authorization', bearer(developer))
        .send({ assignee: null, dueDate: null });

      expect(cleared.status).toBe(200);
      expect(cleared.body.assignee).toBeNull();
      expect(cleared.body.dueDate).toBeNull();
    });

    it('accepts If-Match * and tag lists, and checks it on delete', async () => {
      const created = await createTask(developer, { title: 'Tagged task' });
      const id = created.body.id as string;

      const star = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .set('If-Match', '*')
        .send({ status: 'done' });
      const list = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .set('If-Match', '"bogus", W/"v2"')
        .send({ status: 'todo' });
      const staleDelete = await testApp.http
        .delete(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .set('If-Match', '"v1"');

      expect(star.status).toBe(200);
      expect(list.status).toBe(200);
      expect(staleDelete.status).toBe(412);
    });

    it.each([[{ title: '   ' }], [{ title: ' ab ' }], [{ description: '&'.repeat(5000) }]])(
      'rejects %j',
      async (body) => {
        const response = await createTask(developer, body);

        expect(response.status).toBe(400);
      },
    );

    it('lets only bug-reporting roles turn a task into a bug', async () => {
      const created = await createTask(qa, { title: 'Maybe a bug', assignee: developer.id });
      const id = created.body.id as string;

      const byDeveloper = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(developer))
        .send({ type: 'bug' });
      const byQa = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(qa))
        .send({ type: 'bug' });

      expect(byDeveloper.status).toBe(403);
      expect(byQa.status).toBe(200);
      expect(byQa.body.type).toBe('bug');
    });

    it("forbids a developer to change another developer's task", async () => {
      const created = await createTask(developer, { title: 'Not yours' });

      const response = await testApp.http
        .patch(`/v1/tasks/${created.body.id as string}`)
        .set('Authorization', bearer(otherDeveloper))
        .send({ title: 'Taken over' });

      expect(response.status).toBe(403);
    });

    it('lets the assignee and a manager change the task', async () => {
      const created = await createTask(developer, {
        title: 'Shared task',
        assignee: otherDeveloper.id,
      });
      const id = created.body.id as string;

      const byAssignee = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(otherDeveloper))
        .send({ status: 'in_review' });
      await testApp.http
        .post(`/v1/projects/${projectId}/members`)
        .set('Authorization', bearer(manager))
        .send({ userId: manager.id });
      const byManager = await testApp.http
        .patch(`/v1/tasks/${id}`)
        .set('Authorization', bearer(manager))
        .send({ status: 'done' });

      expect(byAssignee.status).toBe(200);
      expect(byManager.status).toBe(200);
    });

    it.each([
      [{ createdBy: 'usr_00000000000000000000' }],
      [{ projectId: 'prj_00000000000000000000' }],
      [{ key: 'X-9' }],
      [{ id: 'tsk_00000000000000000000' }],
    ])('rejects mass assignment %j', async (body) => {
      const created = await createTask(developer, { title: 'Guarded task' });

      const response = await testApp.http
        .patch(`/v1/tasks/${created.body.id as string}`)
        .set('Authorization', bearer(developer))
        .send(body);

      expect(response.status).toBe(400);
    });

    it('lets the creator and admins delete, nobody else', async () => {
      const first = await createTask(developer, { title: 'Delete me' });
      const second = await createTask(developer, { title: 'Admin deletes me' });

      const byOther = await testApp.http
        .delete(`/v1/tasks/${first.body.id as string}`)
        .set('Authorization', bearer(otherDeveloper));
      const byManager = await testApp.http
        .delete(`/v1/tasks/${first.body.id as string}`)
        .set('Authorization', bearer(manager));
      const byCreator = await testApp.http
        .delete(`/v1/tasks/${first.body.id as string}`)
        .set('Authorization', bearer(developer));
      const byAdmin = await testApp.http
        .delete(`/v1/tasks/${second.body.id as string}`)
        .set('Authorization', bearer(admin));
      const gone = await testApp.http
        .get(`/v1/tasks/${first.body.id as string}`)
        .set('Authorization', bearer(developer));

      expect(byOther.status).toBe(403);
      expect(byManager.status).toBe(403);
      expect(byCreator.status).toBe(204);
      expect(byAdmin.status).toBe(204);
      expect(gone.status).toBe(404);
    });

    it.each([
      ['/v1/tasks/507f1f77bcf86cd799439011'],
      ['/v1/tasks/..%2F..%2Fetc'],
      ['/v1/tasks/tsk_00000000000000000000'],
    ])('answers 404 for %s', async (path) => {
      expect((await testApp.http.get(path).set('Authorization', bearer(developer))).status).toBe(
        404,
      );
    });
  });
});
