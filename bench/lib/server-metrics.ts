/**
 * The Temporal server's own Prometheus counters, read before and after a window: requests by
 * operation (heartbeats and queries never reach a history), the server's `action` counter (its
 * own estimate of Temporal Cloud actions, metered like Cloud since server 1.22.3) and visibility
 * persistence writes.
 */

/** One sample: metric name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (counters and gauges; comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: match[1]!, labels, value: Number(match[4]) });
  }
  return out;
}

/** Reads a `/metrics` endpoint. */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return parsePrometheus(await res.text());
}

/** Sum of `name` over samples whose labels match `where` (a value or a predicate per label). */
export function sumOf(
  samples: readonly Sample[],
  name: string,
  where: Record<string, string | ((value: string) => boolean)> = {},
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    const ok = Object.entries(where).every(([k, want]) => {
      const v = s.labels[k] ?? '';
      return typeof want === 'string' ? v === want : want(v);
    });
    if (ok) sum += s.value;
  }
  return sum;
}

/** Visibility persistence operations that write (the rest are reads: list, count, get). */
export const VISIBILITY_WRITE_OPERATIONS = new Set([
  'RecordWorkflowExecutionStarted',
  'RecordWorkflowExecutionClosed',
  'UpsertWorkflowExecution',
  'DeleteWorkflowExecution',
]);

/** Server-side counts of one window in one namespace. */
export interface ServerCounts {
  /** RecordActivityTaskHeartbeat(+ById) requests at the frontend: each is an action. */
  heartbeats: number;
  /** QueryWorkflow requests at the frontend: each is an action. */
  queries: number;
  /** UpdateWorkflowExecution requests (accepted or rejected; both are actions). */
  updateRequests: number;
  /** DescribeWorkflowExecution requests (not actions, but server work). */
  describes: number;
  /** The server's `action` counter (frontend), by action type. */
  actions: Record<string, number>;
  actionsTotal: number;
  /** Visibility persistence writes by operation (all namespaces: the metric has no namespace). */
  visibilityWrites: Record<string, number>;
  visibilityWritesTotal: number;
}

/** Counts between two scrapes of the same server, for `namespace`. */
export function countsBetween(
  before: readonly Sample[],
  after: readonly Sample[],
  namespace: string,
): ServerCounts {
  const delta = (name: string, where: Parameters<typeof sumOf>[2]) =>
    Math.max(0, sumOf(after, name, where) - sumOf(before, name, where));
  const frontend = (operation: string) =>
    delta('service_requests', { service_name: 'frontend', namespace, operation });
  const actions: Record<string, number> = {};
  const types = new Set(
    after.filter((s) => s.name === 'action').map((s) => s.labels.action_type ?? ''),
  );
  for (const t of types) {
    const d = delta('action', { service_name: 'frontend', namespace, action_type: t });
    if (d > 0) actions[t] = d;
  }
  const visibilityWrites: Record<string, number> = {};
  for (const op of VISIBILITY_WRITE_OPERATIONS) {
    const d = delta('visibility_persistence_requests', { operation: op });
    if (d > 0) visibilityWrites[op] = d;
  }
  return {
    heartbeats:
      frontend('RecordActivityTaskHeartbeat') + frontend('RecordActivityTaskHeartbeatById'),
    queries: frontend('QueryWorkflow'),
    updateRequests: frontend('UpdateWorkflowExecution'),
    describes: frontend('DescribeWorkflowExecution'),
    actions,
    actionsTotal: Object.values(actions).reduce((a, b) => a + b, 0),
    visibilityWrites,
    visibilityWritesTotal: Object.values(visibilityWrites).reduce((a, b) => a + b, 0),
  };
}
