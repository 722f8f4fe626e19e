import { spawn } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import { ROLES } from '@codexflow/access';
import { DatabaseServer } from '@codexflow/core';
import { builtEntryPoint, createTestApp, type TestApp } from '@codexflow/testing';

const BIG_PROJECT_TASKS = 10_000;

interface SeedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

interface SeededUser {
  email: string;
  password: string;
  role: string;
  id: string;
}

interface SeededProject {
  id: string;
  key: string;
  name: string;
  taskCount: number;
}

interface SeedReport {
  users: SeededUser[];
  projects: SeededProject[];
}

/** Runs the built `demo:seed` as its own process and keeps stdout and stderr apart. */
function runSeed(args: string[], env: Record<string, string>): Promise<SeedRun> {
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [builtEntryPoint('apps/jobs/src/main.js'), 'demo:seed', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout, stderr, seconds: (performance.now() - startedAt) / 1000 }),
    );
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

describe('demo:seed', () => {
  let testApp: TestApp;
  let databaseEnv: Record<string, string>;
  let firstRun: SeedRun;
  let report: SeedReport;
  let shop: SeededProject;
  const tokens = new Map<string, string>();

  function userWithRole(role: string): SeededUser {
    const user = report.users.find((candidate) => candidate.role === role);
    if (user === undefined) {
      throw new Error(`no ${role} in the report`);
    }
    return user;
  }

  function bearer(role: string): string {
    return `Bearer ${tokens.get(userWithRole(role).email) ?? ''}`;
  }

  function database() {
    return testApp.app.get<Connection>(getConnectionToken()).db!;
  }

  beforeAll(async () => {
    testApp = await createTestApp();
    databaseEnv = {
      MONGODB_URI: testApp.app.get(DatabaseServer).uri,
      DATA_DIR: testApp.config.dataDir,
    };
    // Logs at info level, so the test also shows that they stay off stdout.
    firstRun = await runSeed(['--json'], { ...databaseEnv, LOG_LEVEL: 'info' });
    if (firstRun.code !== 0) {
      throw new Error(`demo:seed exited with ${firstRun.code}:\n${firstRun.stderr}`);
    }
    report = JSON.parse(firstRun.stdout) as SeedReport;
    shop = report.projects.find((project) => project.taskCount === BIG_PROJECT_TASKS)!;
  }, 180_000);

  afterAll(async () => {
    await testApp?.close();
  });

  it('prints one JSON object on stdout', () => {
    expect(lines(firstRun.stdout)).toHaveLength(1);
    expect(Object.keys(report)).toEqual(['users', 'projects']);
    for (const user of report.users) {
      expect(Object.keys(user)).toEqual(['email', 'password', 'role', 'id']);
      expect(user.id).toMatch(/^usr_[0-9A-Za-z]{20}$/);
    }
    for (const project of report.projects) {
      expect(Object.keys(project)).toEqual(['id', 'key', 'name', 'taskCount']);
      expect(project.id).toMatch(/^prj_[0-9A-Za-z]{20}$/);
    }
    expect(report.projects).toHaveLength(3);
    expect(shop).toBeDefined();
  });

  it('writes its logs to stderr', () => {
    expect(lines(firstRun.stderr).some((line) => line.includes('"context":"DemoSeed"'))).toBe(true);
  });

  it('seeds within a minute', () => {
    expect(firstRun.seconds).toBeLessThan(60);
  });

  it('signs in every printed user, one per role', async () => {
    expect(new Set(report.users.map((user) => user.role))).toEqual(new Set(ROLES));

    for (const user of report.users) {
      const login = await testApp.http
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(login.status).toBe(200);
      tokens.set(user.email, login.body.accessToken as string);

      const me = await testApp.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${login.body.accessToken as string}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        id: user.id,
        email: user.email,
        role: user.role,
        emailVerified: true,
      });
    }
  });

  it('lists the first page of the big project, newest first, for its members', async () => {
    for (const role of ['manager', 'viewer']) {
      const page = await testApp.http
        .get(`/v1/projects/${shop.id}/tasks`)
        .set('Authorization', bearer(role));

      expect(page.status).toBe(200);
      expect(page.body.data).toHaveLength(20);
      expect(typeof page.body.nextCursor).toBe('string');
      expect(page.body.data[0].key).toBe(`${shop.key}-${BIG_PROJECT_TASKS}`);
    }

    const project = await testApp.http
      .get(`/v1/projects/${shop.id}`)
      .set('Authorization', bearer('manager'));
    const members = new Set(project.body.memberIds as string[]);
    const filtered = await testApp.http
      .get(`/v1/projects/${shop.id}/tasks`)
      .query({ status: 'in_progress', priority: 'critical', limit: 100 })
      .set('Authorization', bearer('manager'));

    expect(filtered.status).toBe(200);
    expect(filtered.body.data.length).toBeGreaterThan(0);
    for (const task of filtered.body.data as Array<Record<string, unknown>>) {
      expect(task).toMatchObject({ status: 'in_progress', priority: 'critical' });
      expect(task.assignee === null || members.has(task.assignee as string)).toBe(true);
    }
  });

  it('leaves the viewer out of one project, which it then cannot see', async () => {
    const listed = await testApp.http.get('/v1/projects').set('Authorization', bearer('viewer'));
    const keys = (listed.body.data as SeededProject[]).map((project) => project.key);

    expect(listed.status).toBe(200);
    expect(keys).toContain(shop.key);
    expect(keys.length).toBe(report.projects.length - 1);
  });

  it('serves analytics with every status, overdue tasks and a weekly history', async () => {
    const analytics = await testApp.http
      .get(`/v1/projects/${shop.id}/analytics`)
      .set('Authorization', bearer('manager'));

    expect(analytics.status).toBe(200);
    expect(analytics.body.total).toBe(BIG_PROJECT_TASKS);
    for (const count of Object.values(analytics.body.byStatus as Record<string, number>)) {
      expect(count).toBeGreaterThan(0);
    }
    for (const count of Object.values(analytics.body.byType as Record<string, number>)) {
      expect(count).toBeGreaterThan(0);
    }
    const byAssignee = analytics.body.byAssignee as Array<{ userId: string | null; count: number }>;
    expect(byAssignee.some((row) => row.userId === null)).toBe(true);
    expect(byAssignee.filter((row) => row.userId !== null).length).toBeGreaterThan(3);
    expect(analytics.body.overdue).toBeGreaterThan(0);
    const weekly = analytics.body.weekly as Array<{ created: number; done: number }>;
    expect(weekly.every((week) => week.created > 0)).toBe(true);
    expect(weekly.filter((week) => week.done > 0).length).toBeGreaterThan(6);

    const forbidden = await testApp.http
      .get(`/v1/projects/${shop.id}/analytics`)
      .set('Authorization', bearer('viewer'));
    expect(forbidden.status).toBe(403);
  });

  it('comments on a few thousand tasks, readable through the API', async () => {
    const comments = database().collection('comments');
    const count = await comments.countDocuments({ projectId: shop.id });
    expect(count).toBeGreaterThan(3_000);
    expect(count).toBeLessThan(9_000);

    const sample = await comments.findOne({ projectId: shop.id });
    const listed = await testApp.http
      .get(`/v1/tasks/${sample?.taskId as string}/comments`)
      .set('Authorization', bearer('developer'));
    expect(listed.status).toBe(200);
    expect(listed.body.data.length).toBeGreaterThanOrEqual(1);
    expect(listed.body.data.length).toBeLessThanOrEqual(3);
  });

  it('continues the task numbers of the big project without a gap', async () => {
    const created = await testApp.http
      .post(`/v1/projects/${shop.id}/tasks`)
      .set('Authorization', bearer('developer'))
      .send({ title: 'Check the demo data', priority: 'low' });

    expect(created.status).toBe(201);
    expect(created.body.key).toBe(`${shop.key}-${BIG_PROJECT_TASKS + 1}`);
  });

  it('records the seeding in the audit trail', async () => {
    const events = database().collection('audit_events');

    expect(await events.countDocuments({ action: 'demo.seed' })).toBe(1);
    expect(await events.countDocuments({ action: 'users.create' })).toBe(report.users.length);
  });

  it('rejects a second run with exit code 2', async () => {
    const counts = async () =>
      Promise.all(
        ['users', 'projects', 'tasks', 'comments'].map((name) =>
          database().collection(name).countDocuments(),
        ),
      );
    const before = await counts();

    const second = await runSeed([], { ...databaseEnv, LOG_LEVEL: 'warn' });

    expect(second.code).toBe(2);
    expect(second.stdout).toBe('');
    expect(lines(second.stderr)).toEqual([
      expect.stringMatching(
        /^demo:seed: the database already contains demo data \(the account \S+ exists\); nothing was changed$/,
      ),
    ]);
    expect(await counts()).toEqual(before);
  });

  it('rejects unknown options and production without touching a database', async () => {
    const unknown = await runSeed(['--force'], { MONGODB_URI: 'mongodb://127.0.0.1:9/none' });
    const production = await runSeed([], {
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://127.0.0.1:9/none',
    });

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Usage: demo:seed \[--json\]/);
    expect(production.code).toBe(2);
    expect(production.stderr).toMatch(/NODE_ENV=production/);
    expect(production.stdout).toBe('');
  });
});
