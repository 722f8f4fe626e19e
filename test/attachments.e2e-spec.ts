import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

import { type SmtpSink, startSmtpSink, type TestApp } from '@codexflow/testing';

import { createAppWithAdmin, type InvitedUser, inviteUser } from './support/admin.js';
import { signInAdminWithMfa } from './support/mfa.js';
import { type Part, SAMPLES, sendMultipart } from './support/uploads.js';
import { waitFor } from './support/wait.js';

const ADMIN = { email: 'attachments.admin@example.com', password: 'bootstrap admin passphrase 8' };
const MIB = 1024 * 1024;
const LIMIT = 10 * MIB;
const PDF_HEAD = Buffer.from('%PDF-1.7\n');

describe('attachments', () => {
  let sink: SmtpSink;
  let testApp: TestApp;
  let port: number;
  let admin: string;
  let manager: InvitedUser;
  let designer: InvitedUser;
  let developer: InvitedUser;
  let qa: InvitedUser;
  let viewer: InvitedUser;
  let outsider: InvitedUser;
  let projectId: string;
  let taskId: string;

  const token = (user: InvitedUser | string) =>
    typeof user === 'string' ? user : user.accessToken;
  const bearer = (user: InvitedUser | string) => `Bearer ${token(user)}`;

  function upload(user: InvitedUser | string, parts: Part[], task = taskId, headers = {}) {
    return sendMultipart(port, `/v1/tasks/${task}/attachments`, parts, {
      token: token(user),
      headers,
    });
  }

  const file = (name: string, body: Part['body'], contentType = 'application/octet-stream') => [
    { name: 'file', fileName: name, contentType, body },
  ];

  function database() {
    return testApp.app.get<Connection>(getConnectionToken()).db!;
  }

  /** Counts GridFS files and chunks, and chunks whose file record is missing. */
  async function gridFs(): Promise<{ files: number; chunks: number; orphans: number }> {
    const files = await database().collection('attachments.files').find().toArray();
    const ids = new Set(files.map((entry) => String(entry._id)));
    const chunks = await database()
      .collection('attachments.chunks')
      .find({}, { projection: { files_id: 1 } })
      .toArray();
    return {
      files: files.length,
      chunks: chunks.length,
      orphans: chunks.filter((chunk) => !ids.has(String(chunk.files_id))).length,
    };
  }

  async function newTask(title = 'Design review'): Promise<string> {
    const task = await testApp.http
      .post(`/v1/projects/${projectId}/tasks`)
      .set('Authorization', bearer(designer))
      .send({ title, priority: 'medium', type: 'design' });
    expect(task.status).toBe(201);
    return task.body.id as string;
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    testApp = await createAppWithAdmin(sink, ADMIN);
    await testApp.app.listen(0, '127.0.0.1');
    port = (testApp.app.getHttpServer().address() as AddressInfo).port;
    admin = await signInAdminWithMfa(testApp, sink, ADMIN.email, ADMIN.password);
    manager = await inviteUser(testApp, sink, admin, 'manager');
    designer = await inviteUser(testApp, sink, admin, 'designer');
    developer = await inviteUser(testApp, sink, admin, 'developer');
    qa = await inviteUser(testApp, sink, admin, 'qa');
    viewer = await inviteUser(testApp, sink, admin, 'viewer');
    outsider = await inviteUser(testApp, sink, admin, 'designer');

    const project = await testApp.http
      .post('/v1/projects')
      .set('Authorization', bearer(manager))
      .send({ key: 'ATT', name: 'Attachments' });
    projectId = project.body.id as string;
    for (const member of [designer, developer, qa, viewer]) {
      await testApp.http
        .post(`/v1/projects/${projectId}/members`)
        .set('Authorization', bearer(manager))
        .send({ userId: member.id });
    }
    taskId = await newTask();
  }, 120_000);

  afterAll(async () => {
    await testApp.close();
    await sink.close();
  });

  describe('upload and download', () => {
    it('serves a stored PNG as a download', async () => {
      const response = await upload(designer, file('mock-up.png', SAMPLES.png, 'text/html'));

      expect(response.status).toBe(201);
      const created = response.json();
      expect(created).toMatchObject({
        taskId,
        fileName: 'mock-up.png',
        contentType: 'image/png',
        size: SAMPLES.png.length,
        uploadedBy: designer.id,
      });
      expect(created.id).toMatch(/^att_/);
      expect(response.headers.location).toBe(`/v1/attachments/${String(created.id)}`);

      const download = await testApp.http
        .get(`/v1/attachments/${String(created.id)}`)
        .set('Authorization', bearer(viewer))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expect(download.status).toBe(200);
      expect(Buffer.compare(download.body as Buffer, SAMPLES.png)).toBe(0);
      expect(download.headers['content-type']).toBe('image/png');
      expect(download.headers['content-disposition']).toBe('attachment; filename=mock-up.png');
      expect(download.headers['x-content-type-options']).toBe('nosniff');
      expect(download.headers['accept-ranges']).toBe('bytes');
      expect(download.headers['content-length']).toBe(String(SAMPLES.png.length));
      expect(download.headers.etag).toBe(`"${String(created.sha256)}"`);
    });

    it.each([
      ['photo.jpg', 'image/jpeg', SAMPLES.jpeg],
      ['loop.gif', 'image/gif', SAMPLES.gif],
      ['render.webp', 'image/webp', SAMPLES.webp],
      ['spec.pdf', 'application/pdf', SAMPLES.pdf],
    ])('accepts %s as %s by its content', async (name, type, body) => {
      const response = await upload(manager, file(name, body));

      expect(response.status).toBe(201);
      expect(response.json()).toMatchObject({ fileName: name, contentType: type });
    });

    it('lets admins upload and lists a task’s attachments oldest first, with pages', async () => {
      const task = await newTask('Listing');
      const first = await upload(admin, file('one.pdf', SAMPLES.pdf), task);
      const second = await upload(designer, file('two.gif', SAMPLES.gif), task);
      expect([first.status, second.status]).toEqual([201, 201]);

      const page = await testApp.http
        .get(`/v1/tasks/${task}/attachments?limit=1`)
        .set('Authorization', bearer(viewer));
      expect(page.status).toBe(200);
      expect((page.body.data as { id: string }[]).map((entry) => entry.id)).toEqual([
        first.json().id,
      ]);
      const next = await testApp.http
        .get(`/v1/tasks/${task}/attachments?limit=1&cursor=${String(page.body.nextCursor)}`)
        .set('Authorization', bearer(viewer));
      expect((next.body.data as { id: string }[]).map((entry) => entry.id)).toEqual([
        second.json().id,
      ]);
      expect(next.body.nextCursor).toBeNull();
    });

    it('appends the detected extension to names', async () => {
      const renamed = await upload(designer, file('cat.html', SAMPLES.png));
      expect(renamed.json().fileName).toBe('cat.html.png');

      const unicode = await upload(designer, file('résumé <v2>: final?.pdf', SAMPLES.pdf));
      expect(unicode.status).toBe(201);
      expect(unicode.json().fileName).toBe('résumé _v2__ final_.pdf');
      const download = await testApp.http
        .get(`/v1/attachments/${String(unicode.json().id)}`)
        .set('Authorization', bearer(designer));
      expect(download.headers['content-disposition']).toBe(
        'attachment; filename="r?sum? _v2__ final_.pdf"; ' +
          "filename*=UTF-8''r%C3%A9sum%C3%A9%20_v2__%20final_.pdf",
      );
    });
  });

  describe('ranges', () => {
    let id: string;
    const size = SAMPLES.pdf.length;

    beforeAll(async () => {
      id = String((await upload(designer, file('ranged.pdf', SAMPLES.pdf))).json().id);
    });

    const get = (headers: Record<string, string>) => {
      const request = testApp.http
        .get(`/v1/attachments/${id}`)
        .set('Authorization', bearer(developer))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      for (const [name, value] of Object.entries(headers)) {
        void request.set(name, value);
      }
      return request;
    };

    it.each([
      ['bytes=0-3', 0, 3],
      ['bytes=5-', 5, size - 1],
      ['bytes=-6', size - 6, size - 1],
      [`bytes=10-${size + 50}`, 10, size - 1],
    ])('answers %s with 206 and exactly those bytes', async (range, start, end) => {
      const response = await get({ Range: range });

      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
      expect(response.headers['content-length']).toBe(String(end - start + 1));
      expect((response.body as Buffer).toString()).toBe(
        SAMPLES.pdf.subarray(start, end + 1).toString(),
      );
    });

    it('answers a suffix longer than the file with the whole file', async () => {
      const response = await get({ Range: `bytes=-${size + 100}` });

      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(`bytes 0-${size - 1}/${size}`);
      expect((response.body as Buffer).length).toBe(size);
    });

    it('answers a range past the end with 416 and the size', async () => {
      const response = await get({ Range: `bytes=${size}-` });

      expect(response.status).toBe(416);
      expect(response.headers['content-range']).toBe(`bytes */${size}`);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it.each([
      ['a malformed range', { Range: 'bytes=abc' }],
      ['several ranges', { Range: 'bytes=0-1,5-6' }],
      ['another unit', { Range: 'items=0-1' }],
      ['a stale If-Range', { Range: 'bytes=0-1', 'If-Range': '"stale"' }],
    ])('sends the whole file for %s', async (_case, headers) => {
      const response = await get(headers);

      expect(response.status).toBe(200);
      expect((response.body as Buffer).length).toBe(size);
    });

    it('answers 304 when the ETag still matches', async () => {
      const first = await get({});
      const etag = String(first.headers.etag);

      expect((await get({ 'If-None-Match': etag })).status).toBe(304);
      expect((await get({ 'If-None-Match': `W/${etag}` })).status).toBe(304);
      expect((await get({ 'If-None-Match': '*' })).status).toBe(304);
      expect((await get({ 'If-None-Match': '"other"' })).status).toBe(200);
    });

    it('answers 404 problem+json when the bytes vanished after the lookup', async () => {
      const created = await upload(designer, file('vanishing.pdf', SAMPLES.pdf));
      const record = await database()
        .collection('attachments')
        .findOne({ publicId: created.json().id });
      await database().collection('attachments.files').deleteOne({ _id: record!.fileId });
      await database().collection('attachments.chunks').deleteMany({ files_id: record!.fileId });

      const response = await testApp.http
        .get(`/v1/attachments/${String(created.json().id)}`)
        .set('Authorization', bearer(designer));

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['content-disposition']).toBeUndefined();
    });
  });

  describe('content checks', () => {
    it.each([
      ['page.html', 'text/html', SAMPLES.html],
      ['icon.svg', 'image/svg+xml', SAMPLES.svg],
      ['run.sh', 'text/x-shellscript', SAMPLES.script],
      ['tool.exe', 'application/octet-stream', SAMPLES.elf],
      ['bundle.zip', 'application/zip', SAMPLES.zip],
      ['innocent.png', 'image/png', SAMPLES.html],
    ])('refuses %s sent as %s with 415 and stores nothing', async (name, type, body) => {
      const before = await gridFs();
      const response = await upload(designer, file(name, body, type));

      expect(response.status).toBe(415);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await gridFs()).toEqual(before);
    });
  });

  describe('bad requests', () => {
    it.each<[string, Part[]]>([
      ['a path in the name', file('../../etc/passwd', SAMPLES.png)],
      ['a Windows path in the name', file('..\\..\\boot.ini', SAMPLES.png)],
      ['a name of 10,000 characters', file(`${'a'.repeat(10_000)}.png`, SAMPLES.png)],
      ['a name of 256 bytes', file(`${'é'.repeat(126)}.png`, SAMPLES.png)],
      ['a control character in the name', file('bell\u0007.png', SAMPLES.png)],
      ['a right-to-left override in the name', file('gnp\u202e.exe', SAMPLES.png)],
      ['an empty name', file('', SAMPLES.png)],
      ['a zero-byte file', file('empty.png', Buffer.alloc(0))],
      ['no file field', [{ name: 'note', body: Buffer.from('hello') }]],
      ['the file in another field', [{ name: 'upload', fileName: 'a.png', body: SAMPLES.png }]],
      [
        'two files',
        [
          { name: 'file', fileName: 'a.png', body: SAMPLES.png },
          { name: 'file', fileName: 'b.png', body: SAMPLES.png },
        ],
      ],
      [
        'a file and a field',
        [
          { name: 'file', fileName: 'a.png', body: SAMPLES.png },
          { name: 'note', body: Buffer.from('hello') },
        ],
      ],
    ])('answers %s with 400 and stores nothing', async (_case, parts) => {
      const before = await gridFs();
      const count = await database().collection('attachments').countDocuments();

      const response = await upload(designer, parts);

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await gridFs()).toEqual(before);
      expect(await database().collection('attachments').countDocuments()).toBe(count);
    });

    it('answers a multipart body without a boundary with 400', async () => {
      const response = await testApp.http
        .post(`/v1/tasks/${taskId}/attachments`)
        .set('Authorization', bearer(designer))
        .set('Content-Type', 'multipart/form-data')
        .send('--x\r\n');

      expect(response.status).toBe(400);
    });

    it('answers a JSON body on the upload route with 400', async () => {
      const response = await testApp.http
        .post(`/v1/tasks/${taskId}/attachments`)
        .set('Authorization', bearer(designer))
        .send({ file: 'not a file' });

      expect(response.status).toBe(400);
    });

    it('answers multipart sent to a JSON route with 415', async () => {
      const response = await sendMultipart(port, '/v1/projects', file('a.png', SAMPLES.png), {
        token: token(manager),
      });

      expect(response.status).toBe(415);
    });

    it('answers a body that ends before its closing boundary with 400', async () => {
      const before = await gridFs();
      const body = Buffer.concat([
        Buffer.from(
          '--XBOUND\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n' +
            'Content-Type: image/png\r\n\r\n',
        ),
        SAMPLES.png,
        Buffer.from('\r\n'),
      ]);
      const response = await testApp.http
        .post(`/v1/tasks/${taskId}/attachments`)
        .set('Authorization', bearer(designer))
        .set('Content-Type', 'multipart/form-data; boundary=XBOUND')
        .send(body);

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await gridFs()).toEqual(before);
      const alive = await testApp.http.get('/health/live');
      expect(alive.status).toBe(200);
    });

    it('leaves nothing behind when the client hangs up halfway', async () => {
      const before = await gridFs();
      await sendMultipart(
        port,
        `/v1/tasks/${taskId}/attachments`,
        file('cut.pdf', {
          size: 2 * MIB,
          head: PDF_HEAD,
        }),
        { token: token(designer), cutAfter: MIB },
      );

      await expect(
        waitFor(async () => JSON.stringify(await gridFs()) === JSON.stringify(before)),
      ).resolves.toBe(true);
    });
  });

  describe('size limit', () => {
    it('streams in a file of exactly 10 MiB', async () => {
      const response = await upload(designer, file('big.pdf', { size: LIMIT, head: PDF_HEAD }));

      expect(response.status).toBe(201);
      expect(response.json()).toMatchObject({ size: LIMIT, contentType: 'application/pdf' });
      expect((await gridFs()).orphans).toBe(0);
    });

    it('answers one byte over 10 MiB with 413 and leaves no chunks', async () => {
      const before = await gridFs();
      const response = await upload(designer, file('big.pdf', { size: LIMIT + 1, head: PDF_HEAD }));

      expect(response.status).toBe(413);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await gridFs()).toEqual(before);
    });

    it('rejects an oversized Content-Length early', async () => {
      const response = await sendMultipart(
        port,
        `/v1/tasks/${taskId}/attachments`,
        file('huge.pdf', { size: 11 * MIB, head: PDF_HEAD }),
        { token: token(designer), declaredLength: 11 * MIB + 200 },
      );

      expect(response.status).toBe(413);
    });
  });

  describe('access', () => {
    it.each([
      ['developer', () => developer],
      ['qa', () => qa],
      ['viewer', () => viewer],
    ])('refuses uploads from a %s with 403', async (_role, user) => {
      const response = await upload(user(), file('a.png', SAMPLES.png));

      expect(response.status).toBe(403);
    });

    it('hides the task and its files from designers outside the project', async () => {
      const created = await upload(designer, file('secret.png', SAMPLES.png));

      expect((await upload(outsider, file('a.png', SAMPLES.png))).status).toBe(404);
      const download = await testApp.http
        .get(`/v1/attachments/${String(created.json().id)}`)
        .set('Authorization', bearer(outsider));
      expect(download.status).toBe(404);
    });

    it('answers anonymous uploads with 401 and unknown ids with 404', async () => {
      const anonymous = await sendMultipart(
        port,
        `/v1/tasks/${taskId}/attachments`,
        file('a.png', SAMPLES.png),
      );
      expect(anonymous.status).toBe(401);

      expect((await upload(designer, file('a.png', SAMPLES.png), 'tsk_nope')).status).toBe(404);
      const unknown = await testApp.http
        .get('/v1/attachments/att_00000000000000000000')
        .set('Authorization', bearer(designer));
      expect(unknown.status).toBe(404);
      const malformed = await testApp.http
        .get('/v1/attachments/../../etc/passwd')
        .set('Authorization', bearer(designer));
      expect(malformed.status).toBe(404);
    });

    it('lets only admins delete an attachment, and removes its bytes', async () => {
      const created = await upload(designer, file('doomed.gif', SAMPLES.gif));
      const id = String(created.json().id);
      const before = await gridFs();

      const byUploader = await testApp.http
        .delete(`/v1/attachments/${id}`)
        .set('Authorization', bearer(designer));
      expect(byUploader.status).toBe(403);
      const byAdmin = await testApp.http
        .delete(`/v1/attachments/${id}`)
        .set('Authorization', bearer(admin));
      expect(byAdmin.status).toBe(204);

      const after = await gridFs();
      expect(after.files).toBe(before.files - 1);
      expect(after.orphans).toBe(0);
      const gone = await testApp.http
        .get(`/v1/attachments/${id}`)
        .set('Authorization', bearer(admin));
      expect(gone.status).toBe(404);
    });

    it('removes every file of a deleted task', async () => {
      const task = await newTask('Short-lived');
      const kept = await gridFs();
      const first = await upload(designer, file('a.png', SAMPLES.png), task);
      await upload(designer, file('b.pdf', { size: 600 * 1024, head: PDF_HEAD }), task);

      const deleted = await testApp.http
        .delete(`/v1/tasks/${task}`)
        .set('Authorization', bearer(designer));
      expect(deleted.status).toBe(204);

      expect(await gridFs()).toEqual(kept);
      const download = await testApp.http
        .get(`/v1/attachments/${String(first.json().id)}`)
        .set('Authorization', bearer(designer));
      expect(download.status).toBe(404);
    });

    it('stores nothing when the task is deleted during the upload', async () => {
      const task = await newTask('Deleted mid-upload');
      const before = await gridFs();
      let deleted = false;

      const response = await sendMultipart(
        port,
        `/v1/tasks/${task}/attachments`,
        file('late.pdf', { size: 2 * MIB, head: PDF_HEAD }),
        {
          token: token(designer),
          onProgress: async (written) => {
            if (!deleted && written > MIB) {
              deleted = true;
              const removed = await testApp.http
                .delete(`/v1/tasks/${task}`)
                .set('Authorization', bearer(admin));
              expect(removed.status).toBe(204);
            }
          },
        },
      );

      expect(response.status).toBe(404);
      expect(await gridFs()).toEqual(before);
      expect(await database().collection('attachments').countDocuments({ taskId: task })).toBe(0);
    });

    it('refuses uploads to an archived project with 409', async () => {
      const project = await testApp.http
        .post('/v1/projects')
        .set('Authorization', bearer(manager))
        .send({ key: 'ARCH', name: 'Archived' });
      const archivedProject = project.body.id as string;
      const task = await testApp.http
        .post(`/v1/projects/${archivedProject}/tasks`)
        .set('Authorization', bearer(manager))
        .send({ title: 'Frozen', priority: 'low' });
      await testApp.http
        .delete(`/v1/projects/${archivedProject}`)
        .set('Authorization', bearer(admin));

      const response = await upload(manager, file('a.png', SAMPLES.png), task.body.id as string);
      expect(response.status).toBe(409);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays a repeated upload once stored', async () => {
      const key = { 'Idempotency-Key': 'upload-1' };
      const first = await upload(designer, file('same.png', SAMPLES.png), taskId, key);
      const before = await gridFs();
      const again = await upload(designer, file('same.png', SAMPLES.png), taskId, key);

      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json().id).toBe(first.json().id);
      expect(await gridFs()).toEqual(before);
    });

    it('answers the same key with another file with 422 and stores nothing', async () => {
      const key = { 'Idempotency-Key': 'upload-2' };
      await upload(designer, file('one.png', SAMPLES.png), taskId, key);
      const before = await gridFs();
      const other = await upload(designer, file('one.png', SAMPLES.gif), taskId, key);

      expect(other.status).toBe(422);
      expect(await gridFs()).toEqual(before);
    });

    it('tells a corrected name from the name it became', async () => {
      const key = { 'Idempotency-Key': 'upload-3' };
      const first = await upload(designer, file('plain.png', SAMPLES.png), taskId, key);
      const renamed = await upload(designer, file('plain', SAMPLES.png), taskId, key);

      expect(first.status).toBe(201);
      expect(renamed.status).toBe(422);
    });

    it('refuses a malformed key before reading the file', async () => {
      const response = await upload(designer, file('a.png', SAMPLES.png), taskId, {
        'Idempotency-Key': 'bad key!',
      });

      expect(response.status).toBe(400);
    });
  });
});
