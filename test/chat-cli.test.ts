/** `npm run chat`: the terminal client submits, follows the job and prints answer and usage. */
import { killAllSpawned, spawnEntryPoint } from './helpers/processes';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  killAllSpawned();
  await stack.close();
});

it('prints the answer on stdout and the usage on stderr', async () => {
  const chat = spawnEntryPoint('chat', ['--user', 'cli-test', 'What is 25 * 17?'], {
    ...process.env,
    API_URL: stack.apiUrl,
  });
  const exit = await chat.exited();
  const output = chat.output();
  expect(exit.code).toBe(0);
  expect(output).toMatch(/job [0-9a-f-]{36} queued/);
  expect(output).toContain('25 * 17 = 425');
  expect(output).toMatch(/usage: \d+ input \+ \d+ output tokens/);
});

it('shows a failed job and exits 1', async () => {
  const chat = spawnEntryPoint('chat', ['bad request [[fake fail=400]]'], {
    ...process.env,
    API_URL: stack.apiUrl,
  });
  const exit = await chat.exited();
  expect(exit.code).toBe(1);
  expect(chat.output()).toMatch(/job failed: \S+/);
});

it('names the bad flag', async () => {
  const chat = spawnEntryPoint('chat', ['--priority', 'urgent', 'hi'], {
    ...process.env,
    API_URL: stack.apiUrl,
  });
  expect((await chat.exited()).code).toBe(1);
  expect(chat.output()).toMatch(/--priority/);
});
