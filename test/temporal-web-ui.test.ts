/**
 * The Temporal Web UI, driven by a real browser (playwright-core with Debian's chromium; no
 * downloaded browser): an operator finds a finished job by its id and by the AgentFleetUserId
 * search attribute. The shared test server is headless, so this file starts its own dev server
 * with the UI on, and saves a screenshot as an artifact in test/.tmp/ (with
 * UPDATE_README_SCREENSHOT=1 also the README's docs/images/temporal-ui-jobs.png).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SEARCH_ATTRIBUTES } from '../src/shared/constants';
import { startDevServer, type DevServerHandle } from '../src/temporal/dev-server';
import { getFreePort } from '../src/temporal/free-port';
import { ensureTemporalBinary } from '../src/temporal/temporal-binary';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';
import { TEST_TEMPORAL_ENV_VAR, testTemporal } from './helpers/temporal';

const ROOT = path.resolve(__dirname, '..');
const ARTIFACT_DIR = path.join(ROOT, 'test', '.tmp');
const README_SCREENSHOT = path.join(ROOT, 'docs', 'images', 'temporal-ui-jobs.png');

/** Flags for Debian's chromium on a machine with no outside network (see the machine notes). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server: DevServerHandle;
let stack: TestStack;
let browser: Browser;
let tmpDir: string;
let uiUrl: string;
let job: JobBody;
const userId = `ui-operator-demo-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-fleet-web-ui-'));
  const binaryPath =
    testTemporal().binaryPath ??
    (await ensureTemporalBinary({ projectRoot: ROOT, env: process.env, log: () => undefined }));
  server = await startDevServer({
    binaryPath,
    port: await getFreePort(),
    uiPort: await getFreePort(),
    dbFilename: path.join(tmpDir, 'temporal.sqlite'),
    reuseExisting: false,
    log: () => undefined,
  });
  if (!server.uiUrl) throw new Error('the dev server started without its Web UI');
  uiUrl = server.uiUrl;
  // The stack helpers read the server from this variable: point this file's stack at ours.
  process.env[TEST_TEMPORAL_ENV_VAR] = JSON.stringify({
    address: server.address,
    namespace: server.namespace,
  });
  stack = await startTestStack();
  const submitted = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: userId,
    message: 'What is 25 * 17?',
    priority: 'high',
  });
  expect(submitted.status).toBe(202);
  job = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${submitted.body.job_id}`, isFinished);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await server?.stop();
  if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
});

/** Opens the workflow list filtered by a visibility query, reloading until `text` shows. */
async function listWorkflows(page: Page, query: string, text: string): Promise<void> {
  const url = `${uiUrl}/namespaces/${server.namespace}/workflows?query=${encodeURIComponent(query)}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.goto(url, { waitUntil: 'networkidle' });
    try {
      // Visibility is eventually consistent: a just-finished job can take a moment to list.
      await page.getByText(text, { exact: false }).first().waitFor({ timeout: 5_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

describe('Temporal Web UI', () => {
  it('the job completed', () => {
    expect(job.status).toBe('completed');
    expect(job.response).toBe('25 * 17 = 425');
  });

  it('finds the job by its id', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 700 } });
    await listWorkflows(page, `WorkflowId="${job.job_id}"`, job.job_id);
    const row = page.locator('tr, [role="row"]', { hasText: job.job_id });
    await expect(row.first().textContent()).resolves.toMatch(/Completed/i);
    await page.close();
  });

  it('finds the job by the AgentFleetUserId search attribute and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 700 } });
    const query = `${SEARCH_ATTRIBUTES.userId.name}="${userId}"`;
    await listWorkflows(page, query, job.job_id);
    const body = await page.locator('body').innerText();
    expect(body).toContain(job.job_id);
    expect(body).toContain('chatWorkflow');
    await fs.mkdir(ARTIFACT_DIR, { recursive: true });
    const png = await page.screenshot({ fullPage: false });
    await fs.writeFile(path.join(ARTIFACT_DIR, 'temporal-ui-jobs.png'), png);
    // The README's copy is refreshed on request only, so a test run never dirties the checkout.
    if (process.env.UPDATE_README_SCREENSHOT === '1') {
      await fs.mkdir(path.dirname(README_SCREENSHOT), { recursive: true });
      await fs.writeFile(README_SCREENSHOT, png);
    }
    expect(png.length).toBeGreaterThan(10_000);
    await page.close();
  });
});
