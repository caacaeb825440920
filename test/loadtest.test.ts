/**
 * The load generator against a real stack (in-process API and workers on the shared test
 * Temporal, fake Claude over HTTP): a short open-loop run finishes with exact accounting and
 * writes its JSON and HTML reports; the CLI validates its flags by name.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildReport,
  loadtestOptions,
  parseLoadtestArgs,
  runLoadtest,
  writeReport,
} from '../src/loadtest';
import { killAllSpawned, spawnEntryPoint } from './helpers/processes';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
let tmp: string;

beforeAll(async () => {
  // The per-caller rate limit would refuse part of a load test from one address.
  stack = await startTestStack({ env: { RATE_LIMIT_PER_KEY_RPS: '0' } });
  tmp = mkdtempSync(path.join(tmpdir(), 'agent-fleet-loadtest-'));
});

afterAll(async () => {
  killAllSpawned();
  await stack.close();
  rmSync(tmp, { recursive: true, force: true });
});

it('accounts for every request: sent = accepted + refused, accepted = completed, none lost', async () => {
  const run = await runLoadtest(
    loadtestOptions({
      url: stack.apiUrl,
      rate: 10,
      durationS: 2,
      latencyMs: 100,
      priorityMix: { high: 1, normal: 1 },
      messageMix: { arith: 3, echo: 1 },
      pollIntervalMs: 200,
      drainTimeoutS: 60,
    }),
  );
  const report = buildReport(run);
  const c = report.counts;
  expect(c.sent).toBe(20);
  expect(c.sent).toBe(c.accepted + c.refused);
  expect(c.accepted).toBe(c.completed);
  expect(c.lost).toBe(0);
  expect(c.wrongAnswers).toBe(0);
  expect(report.latencyMs.accept.count).toBe(c.accepted);
  expect(report.latencyMs.endToEnd.count).toBe(c.completed);
  expect(report.latencyMs.queueWait.count).toBe(c.completed);
  // Every arithmetic job was checked against its expected answer.
  const arithmetic = run.records.filter((r) => r.expected !== undefined);
  expect(arithmetic.length).toBeGreaterThan(0);
  expect(arithmetic.every((r) => r.correct === true)).toBe(true);
  // Each job reached the model once, under its own key.
  expect(stack.fake.calls().filter((call) => call.key.startsWith(`${run.runId}-`))).toHaveLength(
    20,
  );
  const totals = report.timeline.reduce((sum, p) => sum + p.completed, 0);
  expect(totals).toBe(c.completed);

  const files = await writeReport(report, path.join(tmp, 'report'));
  const json = JSON.parse(readFileSync(files.json, 'utf8')) as { counts: { sent: number } };
  expect(json.counts.sent).toBe(20);
  const html = readFileSync(files.html, 'utf8');
  expect(html).toContain('<svg');
  expect(html).toContain('Backlog over time');
  expect(html).not.toMatch(/<script|(src|href)="https?:/);
});

it('the CLI runs end to end and writes both files', async () => {
  const out = path.join(tmp, 'cli');
  const cli = spawnEntryPoint(
    'loadtest',
    [
      '--url',
      stack.apiUrl,
      '--rate',
      '5',
      '--duration',
      '1',
      '--poll-interval',
      '200',
      '--out',
      out,
    ],
    { ...process.env },
  );
  const exit = await cli.exited();
  expect(cli.output()).toMatch(/sent 5 = accepted 5 \+ refused 0/);
  expect(exit.code).toBe(0);
  expect(readFileSync(`${out}.html`, 'utf8')).toContain('<svg');
});

it('names the flag in argument errors and refuses non-loopback targets', () => {
  expect(() => parseLoadtestArgs(['--rate', 'fast'], {})).toThrow(/--rate/);
  expect(() => parseLoadtestArgs(['--priority-mix', 'urgent=1'], {})).toThrow(/--priority-mix/);
  expect(() => parseLoadtestArgs(['--url', 'http://example.com'], {})).toThrow(/--url.*loopback/);
  expect(parseLoadtestArgs([], { LOADTEST_RATE: '7' }).rate).toBe(7);
});
