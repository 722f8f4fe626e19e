import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import {
  createTempDir,
  type ServiceProcess,
  type SmtpSink,
  startServiceProcess,
  startSmtpSink,
  type TempDir,
  type TestApp,
} from '@codexflow/testing';

import { inviteUser } from './support/admin.js';
import { signInAdminWithMfa } from './support/mfa.js';
import { sendMultipart } from './support/uploads.js';

const ADMIN = { email: 'memory.admin@example.com', password: 'bootstrap admin passphrase 9' };
const MIB = 1024 * 1024;
const FILE_SIZE = 10 * MIB;
// The service under test takes files four times the default limit, to show growth does not follow size.
const LARGE_FILE_SIZE = 40 * MIB;
const PDF_HEAD = Buffer.from('%PDF-1.7\n');

/** Resident memory of a process, from the kernel's own accounting. */
function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (kib === null) {
    throw new Error(`no VmRSS in /proc/${pid}/status`);
  }
  return Number(kib[1]) * 1024;
}

/**
 * The built service, as `npm start` runs it, receives a 10 MiB upload while
 * its resident memory is sampled. A service that held the file in memory
 * would grow by at least the file's size; a streaming one by far less.
 */
describe('attachment upload memory', () => {
  let sink: SmtpSink;
  let dataDir: TempDir;
  let service: ServiceProcess | undefined;
  let designerToken: string;
  let uploadPath: string;

  const upload = (size: number, onProgress?: (written: number) => void) =>
    sendMultipart(
      service!.port,
      uploadPath,
      [{ name: 'file', fileName: 'big.pdf', body: { size, head: PDF_HEAD } }],
      { token: designerToken, onProgress },
    );

  beforeAll(async () => {
    sink = await startSmtpSink();
    dataDir = createTempDir();
    service = await startServiceProcess({
      DATA_DIR: dataDir.path,
      SMTP_URL: sink.url,
      ATTACHMENT_SIZE_LIMIT: String(LARGE_FILE_SIZE),
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    });
    const remote = { http: request(`http://127.0.0.1:${service.port}`) } as unknown as TestApp;
    const admin = await signInAdminWithMfa(remote, sink, ADMIN.email, ADMIN.password);
    const designer = await inviteUser(remote, sink, admin, 'designer');
    designerToken = designer.accessToken;

    const project = await remote.http
      .post('/v1/projects')
      .set('Authorization', `Bearer ${admin}`)
      .send({ key: 'MEM', name: 'Memory' });
    await remote.http
      .post(`/v1/projects/${String(project.body.id)}/members`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ userId: designer.id });
    const task = await remote.http
      .post(`/v1/projects/${String(project.body.id)}/tasks`)
      .set('Authorization', `Bearer ${designerToken}`)
      .send({ title: 'Large files', priority: 'low', type: 'design' });
    uploadPath = `/v1/tasks/${String(task.body.id)}/attachments`;
  }, 120_000);

  afterAll(async () => {
    if (service !== undefined) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    dataDir.remove();
    await sink.close();
  });

  /** Uploads `size` bytes and returns the peak growth of resident memory while it streamed. */
  async function measuredUpload(size: number): Promise<number> {
    const pid = service!.child.pid!;
    const before = residentBytes(pid);
    let peak = before;
    const response = await upload(size, () => {
      peak = Math.max(peak, residentBytes(pid));
    });
    peak = Math.max(peak, residentBytes(pid));
    expect(response.status).toBe(201);
    process.stdout.write(
      `${size / MIB} MiB upload: resident ${(before / MIB).toFixed(1)} MiB before, ` +
        `peak ${(peak / MIB).toFixed(1)} MiB, growth ${((peak - before) / MIB).toFixed(1)} MiB\n`,
    );
    return peak - before;
  }

  it('grows by less than the file size, and not with the file size', async () => {
    // Warm up with files of the measured size, so code paths, pools, the GridFS
    // indexes and the heap's own size have settled before measuring.
    for (let round = 0; round < 3; round += 1) {
      expect((await upload(FILE_SIZE)).status).toBe(201);
    }

    const tenMiB = await measuredUpload(FILE_SIZE);
    const fortyMiB = await measuredUpload(LARGE_FILE_SIZE);

    expect(tenMiB).toBeLessThan(FILE_SIZE / 2);
    // Buffering would add at least the file; streaming stays at what the collector lets pile up.
    expect(fortyMiB).toBeLessThan(LARGE_FILE_SIZE / 4);
  });
});
