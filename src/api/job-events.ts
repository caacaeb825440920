import type { Response } from 'express';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { decodeRawPayload } from '../security/raw-payloads';
import { callWithin, deadlineIn } from './request-deadline';
import { attemptStreamUrl } from '../streaming/worker-identity';
import { createApprovalEventTracker } from './approval-events';
import { relayLiveText, type LiveTextRelay } from './live-text-relay';
import type { JobView } from './schemas';
import { isFinalStatus } from './wait-for-job';

/** Position in a job's text: model call index and characters of that call already sent. */
export interface StreamPosition {
  call: number;
  offset: number;
}

/**
 * Event ids are positions, `<call>.<offset>` (deltas) or `<call>.<offset>.<kind>` (status and
 * done), so any API replica can resume any stream from `Last-Event-ID` with no server-side
 * session: the text before the position is skipped, everything after is sent.
 */
export function parseEventId(id: string | undefined): StreamPosition {
  const match = id ? /^(\d+)\.(\d+)/.exec(id) : null;
  return match ? { call: Number(match[1]), offset: Number(match[2]) } : { call: 0, offset: 0 };
}

/** Dependencies of {@link streamJobEvents}. */
export interface JobEventsDeps {
  client: Client;
  config: AppConfig;
  findJob(jobId: string): Promise<JobView | undefined>;
}

/** The model-call activities; both publish live text (a plain chat job's one call is call 0). */
const MODEL_CALL_TYPES: ReadonlySet<string> = new Set(['callClaude', 'callClaudeAgent']);

/**
 * Where the running attempt of model call `call` serves its live text: on the stream server named
 * by the identity of the worker that started the attempt (recorded by the server, see
 * src/streaming/worker-identity.ts), at the attempt's number. Attempts started by older workers,
 * whose identity names no stream server, announced the URL in their heartbeat details instead.
 */
async function liveStreamUrl(
  deps: JobEventsDeps,
  jobId: string,
  call: number,
): Promise<string | undefined> {
  try {
    const description = await callWithin(
      deps.client,
      deadlineIn(deps.config.http.temporalRpcTimeoutMs),
      () => deps.client.workflow.getHandle(jobId).describe(),
    );
    for (const pending of description.raw.pendingActivities ?? []) {
      if (!MODEL_CALL_TYPES.has(pending.activityType?.name ?? '')) continue;
      const payload = pending.heartbeatDetails?.payloads?.[0];
      // Through the client's data converter: heartbeat details are encrypted like any payload.
      const details = payload
        ? await decodeRawPayload<{ call?: number; streamUrl?: string }>(deps.client, payload)
        : undefined;
      // A call that has heartbeated says which call it is: skip another call's attempt.
      if (details?.call !== undefined && details.call !== call) continue;
      const url = attemptStreamUrl(pending.lastWorkerIdentity, jobId, call, pending.attempt ?? 1);
      if (url) return url;
      if (details?.streamUrl) return details.streamUrl;
    }
  } catch {
    // Not started yet, or Temporal busy: the next tick tries again.
  }
  return undefined;
}

/**
 * Serves `GET /chat/:job_id/events`: `status` events when the job's status changes, `delta`
 * events with text as it is generated, `done` with the final job. Durable progress (status,
 * finished model calls) comes from the workflow's state, read every SSE_POLL_INTERVAL_MS; text
 * of the call in progress is relayed directly from the activity worker generating it, found
 * through the worker identity the server recorded for the attempt. Nothing here writes to
 * Temporal.
 *
 * @returns false when the job does not exist (nothing has been written yet).
 */
export async function streamJobEvents(
  deps: JobEventsDeps,
  jobId: string,
  from: StreamPosition,
  res: Response,
): Promise<boolean> {
  let view = await deps.findJob(jobId);
  if (!view) return false;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  const pos = { ...from };
  const send = (event: string, id: string, data: unknown) => {
    if (!closed) res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  res.write('retry: 1000\n\n');
  let lastStatus: string | undefined;
  let live: (LiveTextRelay & { call: number }) | undefined;
  const approvalEvents = createApprovalEventTracker();

  const sendText = (call: number, offset: number, text: string) => {
    if (call !== pos.call) return;
    // Drop what the client already has (overlap after a resume or a reconnect to the worker).
    const skip = pos.offset - offset;
    if (skip >= text.length) return;
    const fresh = skip > 0 ? text.slice(skip) : text;
    pos.offset = Math.max(pos.offset, offset) + fresh.length;
    send('delta', `${call}.${pos.offset}`, { call, text: fresh });
  };

  try {
    while (!closed) {
      if (view.status !== lastStatus) {
        lastStatus = view.status;
        send('status', `${pos.call}.${pos.offset}.${view.status}`, { status: view.status });
      }
      for (const { event, data } of approvalEvents(view)) {
        send(event, `${pos.call}.${pos.offset}.approval`, data);
      }
      // Model calls the workflow has recorded: durable text, complete.
      const calls = (view.steps ?? []).filter((s) => s.type === 'model_call');
      if (calls.length === 0 && !view.steps && isFinalStatus(view.status) && view.response) {
        // A plain chat job has one model call (call 0) and no steps: its durable reply completes
        // whatever the live relay already sent.
        calls.push({ type: 'model_call', call: 0, text: view.response } as (typeof calls)[number]);
      }
      for (const step of calls) {
        if (step.type !== 'model_call' || step.call < pos.call) continue;
        if (live && live.call <= step.call) {
          live.stop();
          live = undefined;
        }
        if (step.call > pos.call) pos.call = step.call;
        if (step.text.length > pos.offset)
          sendText(step.call, pos.offset, step.text.slice(pos.offset));
        pos.call = step.call + 1;
        pos.offset = 0;
      }
      if (isFinalStatus(view.status)) {
        send('done', `${pos.call}.${pos.offset}.done`, view);
        break;
      }
      if (!live) {
        const url = await liveStreamUrl(deps, jobId, pos.call);
        if (url) {
          const call = pos.call;
          const relay = {
            ...relayLiveText(
              url,
              pos.offset,
              (o, t) => sendText(call, o, t),
              deps.config.agent.streamSecret,
            ),
            call,
          };
          live = relay;
          // An attempt that dies mid-stream is retried with a new stream URL: look it up again.
          void relay.done.then(() => {
            if (live === relay) live = undefined;
          });
        }
      }
      // While text is flowing, the relay is the fast path; the durable state is re-read when it
      // ends, or at the poll interval otherwise.
      const tick = new Promise((resolve) =>
        setTimeout(resolve, deps.config.agent.ssePollIntervalMs),
      );
      const current = live;
      await (current ? Promise.race([current.done.then(() => tick), tick]) : tick);
      if (closed) break;
      view = (await deps.findJob(jobId)) ?? view;
    }
  } finally {
    live?.stop();
    if (!closed) res.end();
  }
  return true;
}
