import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import type { Connection, Model } from 'mongoose';
import type { Response } from 'supertest';

import { generatePublicId } from '@codexflow/core';
import { isoWeekOf, lastIsoWeeks } from '@codexflow/tasks';
import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import { signInAdminWithMfa } from './support/mfa.js';

const ADMIN = { email: 'analytics.admin@example.com', password: 'bootstrap admin passphrase 7' };
const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;
const FUTURE = new Date(Date.now() + 7 * DAY_MS).toISOString();
const STATUSES = ['todo', 'in_progress', 'in_review', 'done'] as const;
const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
const TYPES = ['task', 'bug', 'design'] as const;

interface AssigneeCount {
  userId: string | null;
  count: number;
}

/** Orders assignee counts as the API promises: count descending, then null, then ids. */
function byCountThenId(left: AssigneeCount, right: AssigneeCount): number {
  if (left.count !== right.count) {
    return right.count - left.count;
  }
  if (left.userId === right.userId) {
    return 0;
  }
  if (left.userId === null || right.userId === null) {
    return left.userId === null ? -1 : 1;
  }
  return left.userId < right.userId ? -1 : 1;
}

/** Returns a time inside the ISO week that starts `weeksAgo` weeks before the current one. */
function inWeeksAgo(weeksAgo: number): Date {
  const monday = new Date(`${isoWeekOf(new Date()).start}T00:00:00Z`).getTime();
  return new Date(monday - weeksAgo * WEEK_MS + DAY_MS + 3_600_000);
}

describe('project analytics', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let admin: string;
  let manager: InvitedUser;
  let developer: InvitedUser;
  let designer: InvitedUser;
  let qa: InvitedUser;
  let viewer: InvitedUser;
  let keyCounter = 0;

  function bearer(user: InvitedUser | string): string {
    return `Bearer ${typeof user === 'string' ? user : user.accessToken}`;
  }

  function tasksCollection() {
    return testApp.app.get<Connection>(getConnectionToken()).db!.collection('tasks');
  }

  /** Writes stored task fields directly, for values the API rejects such as past due dates. */
  async function setStored(taskId: string, fields: Record<string, unknown>): Promise<void> {
    const result = await tasksCollection().updateOne({ publicId: taskId }, { $set: fields });
    expect(result.matchedCount).toBe(1);
  }

  async function newProject(
    members: InvitedUser[],
    owner: InvitedUser | string = manager,
  ): Promise<{ id: string; key: string }> {
    keyCounter += 1;
    const key = `AN${String.fromCharCode(65 + (keyCounter % 26))}${String.fromCharCode(65 + Math.floor(keyCounter / 26))}`;
    const created = await testApp.http
      .post('/v1/projects')
      .set('Authorization', bearer(owner))
      .send({ key, name: `Analytics ${key}` });
    expect(created.status).toBe(201);
    for (const member of members) {
      const added = await testApp.http
        .post(`/v1/projects/${created.body.id as string}/members`)
        .set('Authorization', bearer(owner))
        .send({ userId: member.id });
      expect(added.status).toBe(201);
    }
    return { id: created.body.id as string, key };
  }

  async function createTask(projectId: string, body: Record<string, unknown>): Promise<string> {
    const response = await testApp.http
      .post(`/v1/projects/${projectId}/tasks`)
      .set('Authorization', bearer(manager))
      .send({ title: 'Counted task', ...body });
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  async function changeTask(taskId: string, body: Record<string, unknown>): Promise<void> {
    const response = await testApp.http
      .patch(`/v1/tasks/${taskId}`)
      .set('Authorization', bearer(manager))
      .send(body);
    expect(response.status).toBe(200);
  }

  function analytics(user: InvitedUser | string, projectId: string, query = '') {
    return testApp.http
      .get(`/v1/projects/${projectId}/analytics${query}`)
      .set('Authorization', bearer(user));
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN);
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    manager = await inviteUser(testApp, sink, admin, 'manager');
    developer = await inviteUser(testApp, sink, admin, 'developer');
    designer = await inviteUser(testApp, sink, admin, 'designer');
    qa = await inviteUser(testApp, sink, admin, 'qa');
    viewer = await inviteUser(testApp, sink, admin, 'viewer');
  });

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  describe('figures of a seeded project', () => {
    let projectId: string;
    let body: Record<string, unknown>;
    const weeks = lastIsoWeeks(new Date(), 12);

    /**
     * Nine tasks: `weeks[n]` is n weeks after the oldest counted week, so
     * weeks[11] is the current one. Two tasks were created before the
     * counted weeks, and one of them also became done before them.
     * A run that crosses Monday 00:00 UTC between this seeding and the
     * requests fails, because the weeks shift.
     */
    beforeAll(async () => {
      projectId = (await newProject([developer, designer, qa, viewer])).id;
      const other = await newProject([]);
      await createTask(other.id, { priority: 'high', status: 'done', type: 'bug' });

      const t1 = await createTask(projectId, { priority: 'low', assignee: developer.id });
      const t2 = await createTask(projectId, {
        priority: 'medium',
        type: 'bug',
        assignee: developer.id,
      });
      const t3 = await createTask(projectId, {
        priority: 'high',
        status: 'in_progress',
        assignee: designer.id,
      });
      const t4 = await createTask(projectId, {
        priority: 'critical',
        status: 'in_review',
        type: 'design',
      });
      const t5 = await createTask(projectId, {
        priority: 'medium',
        status: 'done',
        assignee: developer.id,
      });
      const t6 = await createTask(projectId, { priority: 'high', type: 'bug', assignee: qa.id });
      await changeTask(t6, { status: 'done' });
      const t7 = await createTask(projectId, { priority: 'low', status: 'done', type: 'design' });
      await changeTask(t7, { status: 'in_progress' });
      await createTask(projectId, {
        priority: 'critical',
        assignee: qa.id,
        dueDate: FUTURE,
      });
      const t9 = await createTask(projectId, {
        priority: 'low',
        status: 'done',
        assignee: designer.id,
      });

      const past = new Date(Date.now() - 3 * DAY_MS);
      await setStored(t1, { dueDate: past });
      await setStored(t3, { dueDate: past });
      await setStored(t4, { dueDate: past });
      await setStored(t5, { dueDate: past });

      const moveCreation = (taskId: string, weeksAgo: number) => {
        const at = inWeeksAgo(weeksAgo);
        return setStored(taskId, { createdAt: at, createdWeek: isoWeekOf(at).label });
      };
      const moveDone = (taskId: string, weeksAgo: number) => {
        const at = inWeeksAgo(weeksAgo);
        return setStored(taskId, { doneAt: at, doneWeek: isoWeekOf(at).label });
      };
      await moveCreation(t2, 3);
      await moveCreation(t3, 11);
      await moveCreation(t4, 12);
      await moveCreation(t5, 6);
      await moveDone(t5, 5);
      await moveCreation(t9, 20);
      await moveDone(t9, 13);

      const response = await analytics(manager, projectId);
      expect(response.status).toBe(200);
      body = response.body as Record<string, unknown>;
    });

    it('names the project and the time', () => {
      expect(body.projectId).toBe(projectId);
      expect(Math.abs(Date.parse(body.generatedAt as string) - Date.now())).toBeLessThan(60_000);
    });

    it('counts every task once', () => {
      expect(body.total).toBe(9);
    });

    it('counts by status', () => {
      expect(body.byStatus).toEqual({ todo: 3, in_progress: 2, in_review: 1, done: 3 });
    });

    it('counts by priority', () => {
      expect(body.byPriority).toEqual({ low: 3, medium: 2, high: 2, critical: 2 });
    });

    it('counts by type', () => {
      expect(body.byType).toEqual({ task: 5, bug: 2, design: 2 });
    });

    it('counts by assignee, largest first, null first among ties', () => {
      const tied = [designer.id, qa.id].sort();

      expect(body.byAssignee).toEqual([
        { userId: developer.id, count: 3 },
        { userId: null, count: 2 },
        { userId: tied[0], count: 2 },
        { userId: tied[1], count: 2 },
      ]);
    });

    it('counts overdue tasks that are not done', () => {
      expect(body.overdue).toBe(3);
    });

    it('lists the last 12 ISO weeks, oldest first', () => {
      const weekly = body.weekly as Array<{ week: string; start: string }>;

      expect(weekly.map((entry) => entry.week)).toEqual(weeks.map((week) => week.label));
      expect(weekly.map((entry) => entry.start)).toEqual(weeks.map((week) => week.start));
      expect(weekly[11]?.start).toBe(isoWeekOf(new Date()).start);
      expect(new Date(`${weekly[0]!.start}T00:00:00Z`).getUTCDay()).toBe(1);
    });

    it('counts tasks created in each week', () => {
      const created = (body.weekly as Array<{ created: number }>).map((entry) => entry.created);

      expect(created).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 4]);
    });

    it('counts tasks still done by the week they became done', () => {
      const done = (body.weekly as Array<{ done: number }>).map((entry) => entry.done);

      expect(done).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    });

    it('returns the same figures to an admin', async () => {
      const response = await analytics(admin, projectId);

      expect(response.status).toBe(200);
      expect({ ...response.body, generatedAt: null }).toEqual({ ...body, generatedAt: null });
    });
  });

  describe('week fields of tasks', () => {
    async function stored(taskId: string) {
      return tasksCollection().findOne({ publicId: taskId });
    }

    it('stores the week of creation', async () => {
      const project = await newProject([]);
      const taskId = await createTask(project.id, { priority: 'low' });

      const task = await stored(taskId);

      expect(task?.createdWeek).toBe(isoWeekOf(task?.createdAt as Date).label);
      expect(task?.doneAt).toBeNull();
      expect(task?.doneWeek).toBeNull();
    });

    it('sets doneWeek on entering done and clears it on leaving', async () => {
      const project = await newProject([]);
      const taskId = await createTask(project.id, { priority: 'low', status: 'done' });
      const createdDone = await stored(taskId);

      await changeTask(taskId, { status: 'in_review' });
      const reopened = await stored(taskId);
      await changeTask(taskId, { status: 'done' });
      const doneAgain = await stored(taskId);

      expect(createdDone?.doneAt).toEqual(createdDone?.createdAt);
      expect(createdDone?.doneWeek).toBe(createdDone?.createdWeek);
      expect(reopened?.doneAt).toBeNull();
      expect(reopened?.doneWeek).toBeNull();
      expect(doneAgain?.doneAt).toBeInstanceOf(Date);
      expect(doneAgain?.doneWeek).toBe(isoWeekOf(doneAgain?.doneAt as Date).label);
    });

    it('keeps doneAt when a done task changes otherwise', async () => {
      const project = await newProject([]);
      const taskId = await createTask(project.id, { priority: 'low', status: 'done' });
      const before = await stored(taskId);

      await changeTask(taskId, { title: 'Renamed done task' });
      const after = await stored(taskId);

      expect(after?.doneAt).toEqual(before?.doneAt);
    });

    it('leaves the week fields out of the activity and the task', async () => {
      const project = await newProject([]);
      const taskId = await createTask(project.id, { priority: 'low' });
      await changeTask(taskId, { status: 'done' });

      const activity = await testApp.http
        .get(`/v1/tasks/${taskId}/activity`)
        .set('Authorization', bearer(manager));
      const task = await testApp.http
        .get(`/v1/tasks/${taskId}`)
        .set('Authorization', bearer(manager));

      expect((activity.body.data as Array<{ field: string }>).map((entry) => entry.field)).toEqual([
        'status',
      ]);
      expect(task.body).not.toHaveProperty('createdWeek');
      expect(task.body).not.toHaveProperty('doneWeek');
      expect(task.body).not.toHaveProperty('doneAt');
    });
  });

  describe('access and input', () => {
    let projectId: string;

    beforeAll(async () => {
      projectId = (await newProject([developer, designer, qa, viewer])).id;
    });

    it.each([['developer'], ['designer'], ['qa'], ['viewer']])(
      'rejects a %s member with 403',
      async (role) => {
        const user = { developer, designer, qa, viewer }[role]!;

        const response = await analytics(user, projectId);

        expect(response.status).toBe(403);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      },
    );

    it('rejects a caller without credentials with 401', async () => {
      const response = await testApp.http.get(`/v1/projects/${projectId}/analytics`);

      expect(response.status).toBe(401);
    });

    it('returns 404 for an unknown project id', async () => {
      const response = await analytics(manager, 'prj_00000000000000000000');

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.detail).toBe('project not found');
    });

    it.each([['prj_x'], ['tsk_0123456789abcdefghij'], ['..%2F..%2Fetc']])(
      'returns 404 for the malformed id %s',
      async (id) => {
        const response = await analytics(manager, id);

        expect(response.status).toBe(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      },
    );

    it.each([
      ['?weeks=4', 'weeks'],
      ['?status=done', 'status'],
      ['?projectId[$ne]=x', 'projectId[$ne]'],
    ])('rejects the query %s with 400', async (query, field) => {
      const response = await analytics(manager, projectId, query);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    });

    it('gives zeros and 12 weeks for a project without tasks', async () => {
      const empty = await newProject([], admin);

      const response = await analytics(manager, empty.id);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        projectId: empty.id,
        total: 0,
        byStatus: { todo: 0, in_progress: 0, in_review: 0, done: 0 },
        byPriority: { low: 0, medium: 0, high: 0, critical: 0 },
        byType: { task: 0, bug: 0, design: 0 },
        byAssignee: [],
        overdue: 0,
      });
      expect(response.body.weekly).toEqual(
        lastIsoWeeks(new Date(), 12).map((week) => ({
          week: week.label,
          start: week.start,
          created: 0,
          done: 0,
        })),
      );
    });

    it('is described in the OpenAPI document', async () => {
      const response = await testApp.http.get('/docs/openapi.json');

      expect(response.body.paths).toHaveProperty(['/v1/projects/{id}/analytics', 'get']);
    });
  });

  describe('a project with 10,000 tasks', () => {
    const TASK_COUNT = 10_000;
    const BATCH_SIZE = 2_000;
    // The embedded FerretDB reads every task of the project once per aggregation,
    // so this request takes seconds there.
    const TIMEOUT_MS = 180_000;

    /** Builds stored tasks with every field the service sets, spread over the last 14 weeks. */
    function bulkTasks(project: { id: string; key: string }, assignees: Array<string | null>) {
      const now = Date.now();
      const seededWeeks = lastIsoWeeks(new Date(now), 14);
      return Array.from({ length: TASK_COUNT }, (_, index) => {
        const status = STATUSES[index % 4]!;
        const priority = PRIORITIES[(index % 5) % 4]!;
        const week = seededWeeks[index % 14]!;
        const createdAt = new Date(`${week.start}T12:00:00Z`);
        return {
          publicId: generatePublicId('tsk'),
          projectId: project.id,
          number: index + 1,
          key: `${project.key}-${index + 1}`,
          title: `Bulk task ${index}`,
          description: '',
          priority,
          priorityRank: PRIORITIES.indexOf(priority),
          status,
          type: TYPES[(index % 7) % 3]!,
          assigneeId: assignees[index % assignees.length]!,
          dueDate: index % 5 === 0 ? new Date(now - DAY_MS) : null,
          labels: [],
          createdBy: manager.id,
          version: 1,
          createdAt,
          updatedAt: createdAt,
          createdWeek: week.label,
          doneAt: status === 'done' ? createdAt : null,
          doneWeek: status === 'done' ? week.label : null,
        };
      });
    }

    it(
      'returns exact figures with one aggregation per figure group',
      async () => {
        const project = await newProject([developer, designer]);
        const assignees = [developer.id, designer.id, null];
        const documents = bulkTasks(project, assignees);
        const tasks = testApp.app.get<Model<Record<string, unknown>>>(getModelToken('Task'));
        for (let start = 0; start < documents.length; start += BATCH_SIZE) {
          await tasks.collection.insertMany(documents.slice(start, start + BATCH_SIZE));
        }

        // The app's connection does not set monitorCommands, so the test counts
        // calls of the model's aggregate and find. Both spies call through.
        const aggregate = jest.spyOn(tasks, 'aggregate');
        const find = jest.spyOn(tasks, 'find');
        let response: Response;
        let aggregateCalls: number;
        let findCalls: number;
        try {
          response = await analytics(manager, project.id);
          aggregateCalls = aggregate.mock.calls.length;
          findCalls = find.mock.calls.length;
        } finally {
          aggregate.mockRestore();
          find.mockRestore();
        }

        const countOf = (predicate: (task: (typeof documents)[number]) => boolean) =>
          documents.filter(predicate).length;
        expect(response.status).toBe(200);
        expect(aggregateCalls).toBe(3);
        expect(findCalls).toBe(0);
        expect(response.body.total).toBe(TASK_COUNT);
        expect(response.body.byStatus).toEqual(
          Object.fromEntries(STATUSES.map((key) => [key, countOf((task) => task.status === key)])),
        );
        expect(response.body.byPriority).toEqual(
          Object.fromEntries(
            PRIORITIES.map((key) => [key, countOf((task) => task.priority === key)]),
          ),
        );
        expect(response.body.byType).toEqual(
          Object.fromEntries(TYPES.map((key) => [key, countOf((task) => task.type === key)])),
        );
        expect(response.body.byAssignee).toEqual(
          assignees
            .map((userId) => ({ userId, count: countOf((task) => task.assigneeId === userId) }))
            .sort(byCountThenId),
        );
        expect(response.body.overdue).toBe(
          countOf((task) => task.dueDate !== null && task.status !== 'done'),
        );
        expect(response.body.weekly).toEqual(
          lastIsoWeeks(new Date(), 12).map((week) => ({
            week: week.label,
            start: week.start,
            created: countOf((task) => task.createdWeek === week.label),
            done: countOf((task) => task.doneWeek === week.label),
          })),
        );
      },
      TIMEOUT_MS,
    );
  });
});
