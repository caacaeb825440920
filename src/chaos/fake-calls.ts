/** Reads the fake model's call log over HTTP (`GET /_fake/calls`). */
import type { FakeCall } from '../fake-claude';

/** Calls whose conversation key starts with `keyPrefix` (one load run's jobs). */
export async function fetchFakeCalls(fakeUrl: string, keyPrefix: string): Promise<FakeCall[]> {
  const res = await fetch(`${fakeUrl}/_fake/calls`);
  if (!res.ok) throw new Error(`GET ${fakeUrl}/_fake/calls answered ${res.status}`);
  const { calls } = (await res.json()) as { calls: FakeCall[] };
  return calls.filter((call) => call.key.startsWith(keyPrefix));
}

/** Calls grouped by key, each group in arrival order. */
export function callsByKey(calls: readonly FakeCall[]): Map<string, FakeCall[]> {
  const out = new Map<string, FakeCall[]>();
  for (const call of calls) {
    const list = out.get(call.key);
    if (list) list.push(call);
    else out.set(call.key, [call]);
  }
  return out;
}
