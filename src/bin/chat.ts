/**
 * `npm run chat -- "What is 25 * 17?"`: submit one chat job, follow it live (the
 * `GET /chat/:id/events` stream when the API has it, polling otherwise), print the answer and its
 * usage. Status lines go to stderr and the answer to stdout, so `npm run -s chat -- "…" > out.txt`
 * captures just the answer.
 */
import { chatArgsSchema, parseChatArgs, type ChatOptions } from '../chat-cli/options';
import { readSse } from '../streaming/sse-reader';
import { flagsFromSchema, helpRequested, type CommandUsage } from '../runtime/cli-args';

const USAGE: CommandUsage = {
  synopsis: 'npm run chat -- [flags] "message"',
  summary:
    'Submits one chat job to a running API, follows it live and prints the answer (stdout) and ' +
    'its status and usage (stderr).',
  flags: flagsFromSchema(
    chatArgsSchema,
    {
      url: 'the API (else API_URL, else http://127.0.0.1:8000)',
      user: 'user_id to submit as',
      priority: 'high|medium|normal (or 1|2|3)',
      timeout: 'seconds to wait for the answer',
      'poll-interval': 'ms between status polls when not streaming',
      'no-stream': 'poll GET /chat/:id instead of following the event stream',
    },
    { envPrefix: 'CHAT', booleans: ['no-stream'] },
  ),
  example: 'npm run chat -- --priority normal "What is 25 * 17?"',
};

interface JobView {
  job_id: string;
  status: string;
  response?: string;
  error?: { type: string; message: string };
  usage?: { input_tokens: number; output_tokens: number };
  model?: string;
  attempts?: number;
  submitted_at?: string;
  started_at?: string;
  completed_at?: string;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const status = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJob(options: ChatOptions, jobId: string): Promise<JobView> {
  const res = await fetch(`${options.apiUrl}/chat/${jobId}`);
  if (!res.ok) throw new Error(`GET /chat/${jobId} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobView;
}

/** Follows the SSE stream; returns false when the API has no such endpoint. */
async function followEvents(
  options: ChatOptions,
  jobId: string,
  deadline: number,
  streamed: { text: string },
): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
  try {
    const res = await fetch(`${options.apiUrl}/chat/${jobId}/events`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (
      !res.ok ||
      !res.body ||
      !(res.headers.get('content-type') ?? '').includes('text/event-stream')
    ) {
      await res.body?.cancel();
      return false;
    }
    let lastStatus = '';
    for await (const message of readSse(res.body)) {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(message.data) as Record<string, unknown>;
      } catch {
        data = { text: message.data };
      }
      const delta = [data.delta, data.text].find((v): v is string => typeof v === 'string');
      if (delta !== undefined && !['status', 'done', 'end'].includes(message.event)) {
        if (streamed.text === '') status('answer (streaming):');
        process.stdout.write(delta);
        streamed.text += delta;
      }
      const s = typeof data.status === 'string' ? data.status : undefined;
      if (s && s !== lastStatus) {
        lastStatus = s;
        if (streamed.text === '') status(`status: ${s}`);
      }
      if ((s && FINAL.has(s)) || message.event === 'done' || message.event === 'end') break;
    }
    if (streamed.text !== '') process.stdout.write('\n');
    return true;
  } catch (err) {
    if (controller.signal.aborted) return true;
    status(`event stream interrupted (${(err as Error).message}); polling instead`);
    return false;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function main(): Promise<void> {
  if (helpRequested(USAGE)) return;
  const options = parseChatArgs(process.argv.slice(2), process.env);
  const started = Date.now();
  const res = await fetch(`${options.apiUrl}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user_id: options.userId,
      message: options.message,
      priority: options.priority,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status !== 202 && res.status !== 200) {
    const details = Array.isArray(body.details)
      ? (body.details as Array<{ field: string; message: string }>)
          .map((d) => ` ${d.field}: ${d.message}`)
          .join(';')
      : '';
    const retry = res.headers.get('retry-after');
    throw new Error(
      `the API refused the job: ${res.status} ${typeof body.error === 'string' ? body.error : ''} ${typeof body.message === 'string' ? body.message : ''}${details}` +
        (retry ? ` (retry after ${retry} s)` : ''),
    );
  }
  const jobId = String(body.job_id);
  status(
    `job ${jobId} ${String(body.status)} (user ${options.userId}, priority ${options.priority})`,
  );

  const deadline = started + options.timeoutMs;
  const streamed = { text: '' };
  if (!options.noStream) await followEvents(options, jobId, deadline, streamed);
  let job = await getJob(options, jobId);
  let last = '';
  while (!FINAL.has(job.status) && Date.now() < deadline) {
    const line = `status: ${job.status}${job.attempts ? ` (attempt ${job.attempts})` : ''}${job.error ? `, last error ${job.error.type}` : ''}`;
    if (line !== last) status(line);
    last = line;
    await sleep(options.pollIntervalMs);
    job = await getJob(options, jobId);
  }
  if (!FINAL.has(job.status))
    throw new Error(`job ${jobId} still ${job.status} after ${options.timeoutMs / 1000} s`);

  const seconds = (
    (Date.parse(job.completed_at ?? '') - Date.parse(job.submitted_at ?? '')) /
    1000
  ).toFixed(2);
  if (job.status === 'completed') {
    if (streamed.text === '') process.stdout.write(`${job.response ?? ''}\n`);
    const usage = job.usage
      ? `${job.usage.input_tokens} input + ${job.usage.output_tokens} output tokens`
      : 'no usage reported';
    status(
      `usage: ${usage} · model ${job.model ?? '?'} · ${job.attempts ?? '?'} attempt(s) · ${seconds} s`,
    );
    return;
  }
  status(
    `job ${job.status}: ${job.error ? `${job.error.type}: ${job.error.message}` : 'no error given'}`,
  );
  process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`chat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
