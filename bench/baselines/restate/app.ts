/**
 * The REST contract on Restate: POST /chat sends the chat workflow's `run` through the server's
 * ingress (workflow key = job id; Restate has no priority, so the level is only stored); GET asks
 * the workflow's shared `status` handler and, while the run has not begun, the ingress whether
 * the workflow exists at all.
 */
import type express from 'express';
import { createContractApp, type ChatJobInput, type JobView } from '../contract';
import type { ChatState } from './chat-workflow';
import { CHAT_WORKFLOW, type RestateSettings } from './config';

async function ingress(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  return res;
}

/** The contract view of the workflow's state. */
export function restateJobView(id: string, state: ChatState, running: boolean): JobView {
  const { input, result, error } = state;
  const status: JobView['status'] = result
    ? 'completed'
    : error
      ? 'failed'
      : running
        ? 'processing'
        : 'queued';
  return {
    job_id: id,
    ...(input ? { user_id: input.user_id } : {}),
    status,
    ...(result ? { response: result.text, usage: result.usage, model: result.model } : {}),
    ...(error ? { error: { type: 'failed', message: error } } : {}),
    attempts: result?.attempts ?? 1,
    ...(input ? { priority: input.priority, submitted_at: input.submitted_at } : {}),
    ...(result ? { started_at: result.started_at, completed_at: result.finished_at } : {}),
  };
}

/** The express app of the baseline API. */
export function createRestateApp(settings: RestateSettings): express.Express {
  const base = settings.RESTATE_INGRESS_URL.replace(/\/$/, '');
  return createContractApp('restate', {
    async submit(id, input: ChatJobInput) {
      const res = await ingress(`${base}/${CHAT_WORKFLOW}/${id}/run/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`ingress answered ${res.status}`);
    },
    async lookup(id) {
      const res = await ingress(`${base}/${CHAT_WORKFLOW}/${id}/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: 'null',
      });
      if (!res.ok) {
        await res.arrayBuffer();
        throw new Error(`ingress answered ${res.status}`);
      }
      const state = (await res.json()) as ChatState;
      if (state.input) return restateJobView(id, state, true);
      // The run has not begun (or there is no such workflow): the output endpoint tells which.
      const out = await ingress(`${base}/restate/workflow/${CHAT_WORKFLOW}/${id}/output`);
      await out.arrayBuffer();
      if (out.status === 404) return undefined;
      return restateJobView(id, state, false);
    },
    async ready() {
      const res = await ingress(`${base}/restate/health`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`ingress answered ${res.status}`);
    },
  });
}
