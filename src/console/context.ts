/** What every view gets from the shell. */
export interface ViewContext {
  /** `open`: no API keys configured (development); `keyed`: requests carry the stored key. */
  mode: 'open' | 'keyed';
  /** The element the view renders into. */
  root: HTMLElement;
  /** Goes to another view (a `#/...` hash). */
  navigate(hash: string): void;
}

/** Stops a view's timers and streams when the page moves to another view. */
export type Cleanup = () => void;

/** A view: renders into `ctx.root`, given the route's parameters. */
export type View = (ctx: ViewContext, params: string[]) => Cleanup | void;

const UI_STORAGE = 'agent-fleet.temporal-ui';
const NAMESPACE_STORAGE = 'agent-fleet.temporal-namespace';

/**
 * Base URL of the Temporal Web UI. The public API does not expose it, so it is a console setting
 * (kept in localStorage), defaulting to the dev server's UI port (TEMPORAL_UI_PORT, 8233) on the
 * host serving the console — what `npm start` runs.
 */
export function temporalUi(): { url: string; namespace: string } {
  return {
    url: localStorage.getItem(UI_STORAGE) ?? `${location.protocol}//${location.hostname}:8233`,
    namespace: localStorage.getItem(NAMESPACE_STORAGE) ?? 'default',
  };
}

/** Saves the Temporal Web UI settings (empty = back to the default). */
export function setTemporalUi(url: string, namespace: string): void {
  if (url) localStorage.setItem(UI_STORAGE, url.replace(/\/+$/, ''));
  else localStorage.removeItem(UI_STORAGE);
  if (namespace) localStorage.setItem(NAMESPACE_STORAGE, namespace);
  else localStorage.removeItem(NAMESPACE_STORAGE);
}

/** The job's workflow page in the Temporal Web UI (a job id is its workflow id). */
export function temporalUiLink(jobId: string): string {
  const { url, namespace } = temporalUi();
  return `${url}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(jobId)}`;
}

/** A ready-made curl command; the key is a shell variable, never written into the page. */
export function curl(ctx: ViewContext, method: string, path: string, body?: unknown): string {
  const parts = [`curl -s`];
  if (method !== 'GET') parts.push(`-X ${method}`);
  parts.push(`'${location.origin}${path}'`);
  if (ctx.mode === 'keyed') parts.push(`-H "Authorization: Bearer $AGENT_FLEET_API_KEY"`);
  if (body !== undefined) {
    const text = JSON.stringify(body).replace(/'/g, `'\\''`);
    parts.push(`-H 'Content-Type: application/json' -d '${text}'`);
  }
  return parts.join(' ');
}
