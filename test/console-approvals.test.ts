/**
 * The console's approvals inbox in a real browser (playwright-core with Debian's chromium)
 * against the real stack: one tool call approved, another denied with a reason.
 *
 * Pending: written against the approvals API contract of the agent-control issue
 * (`require_approval` on POST /chat, `GET /approvals`, `POST /chat/:job_id/approvals`, status
 * `awaiting_approval`, `pending_approvals` on the job). Rename to console-approvals.test.ts once
 * that API is merged.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  screenshot,
  watchedPage,
  type WatchedPage,
} from './helpers/console-browser';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
let browser: Browser;
let handle: WatchedPage;
const user = `console-approver-${randomBytes(3).toString('hex')}`;

interface ToolStep {
  type: string;
  name?: string;
  is_error?: boolean;
}

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Submits an agent job whose calculator call waits for a person. */
async function submitGuarded(message: string): Promise<string> {
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: user,
    message,
    tools: true,
    require_approval: ['calculator'],
  });
  expect(res.status).toBe(202);
  await pollUntil<JobBody>(
    `${stack.apiUrl}/chat/${res.body.job_id}`,
    (job) => job.status === 'awaiting_approval',
    60_000,
  );
  return res.body.job_id;
}

function card(page: Page, jobId: string) {
  return page.locator(`article.approval-job[data-job-id="${jobId}"]`);
}

it('approves one tool call and denies another from the approvals inbox', async () => {
  const approved = await submitGuarded('What is 12 * 12?');
  const denied = await submitGuarded('What is 7 * 8?');
  handle = await watchedPage(browser);
  const { page } = handle;
  await page.goto(`${stack.apiUrl}/#/new`);
  await page.getByText('Open development mode').waitFor();
  await page.getByLabel('Acting as user').fill(user);
  await page.goto(`${stack.apiUrl}/#/approvals`);

  // Both jobs wait, each with its calculator call and that call's input.
  await card(page, approved).waitFor({ timeout: 60_000 });
  await card(page, denied).waitFor({ timeout: 60_000 });
  await expect(card(page, approved).innerText()).resolves.toContain('calculator');
  await expect(card(page, approved).locator('pre.json').innerText()).resolves.toContain('12');
  await screenshot(page, 'approvals');

  await card(page, approved).getByRole('button', { name: 'Approve' }).click();
  await card(page, denied)
    .getByLabel(/Reason/)
    .fill('not today');
  await card(page, denied).getByRole('button', { name: 'Deny' }).click();
  // Decided calls leave the inbox.
  await card(page, approved).waitFor({ state: 'detached', timeout: 60_000 });
  await card(page, denied).waitFor({ state: 'detached', timeout: 60_000 });

  const a = await pollUntil<JobBody & { steps?: ToolStep[] }>(
    `${stack.apiUrl}/chat/${approved}`,
    isFinished,
    60_000,
  );
  expect(a.status).toBe('completed');
  expect(a.response).toContain('144');
  const d = await pollUntil<JobBody & { steps?: ToolStep[] }>(
    `${stack.apiUrl}/chat/${denied}`,
    isFinished,
    60_000,
  );
  // The denied call never ran: no successful calculator step.
  expect(
    (d.steps ?? []).some((s) => s.type === 'tool_call' && s.name === 'calculator' && !s.is_error),
  ).toBe(false);

  // The approved job's page shows the finished tool call.
  await page.goto(`${stack.apiUrl}/#/jobs/${encodeURIComponent(approved)}`);
  await page.locator('#job-steps .step.tool').first().waitFor({ timeout: 60_000 });
  await handle.context.close();
  expect(handle.problems).toEqual([]);
});
