/**
 * What a workflow history costs in Temporal's own units: events, workflow tasks, billable actions
 * by Temporal Cloud's published list (docs.temporal.io/cloud/actions), and the visibility writes
 * the history implies. Actions that never appear in a history (heartbeats, queries, rejected
 * updates) come from the server's metrics instead (see server-metrics.ts).
 */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Counts of one history (or a sum of several). */
export interface HistoryCost {
  events: number;
  workflowTasks: number;
  /** Billable actions visible in the history, by kind (see {@link ACTION_KINDS}). */
  actions: Record<ActionKind, number>;
  /** Visibility records written: start, close, search-attribute upserts and memo changes. */
  visibilityWrites: number;
}

/** Action kinds of Temporal Cloud's list that a history shows. */
export const ACTION_KINDS = [
  'workflowStarted',
  'activityAttempts',
  'localActivityTasks',
  'signals',
  'updates',
  'timers',
  'searchAttributeUpserts',
  'childStarts',
  'optionsUpdated',
] as const;

/** One action kind. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** An all-zero cost. */
export function emptyCost(): HistoryCost {
  return {
    events: 0,
    workflowTasks: 0,
    actions: Object.fromEntries(ACTION_KINDS.map((k) => [k, 0])) as Record<ActionKind, number>,
    visibilityWrites: 0,
  };
}

/** Adds `b` into `a`. */
export function addCost(a: HistoryCost, b: HistoryCost): void {
  a.events += b.events;
  a.workflowTasks += b.workflowTasks;
  a.visibilityWrites += b.visibilityWrites;
  for (const k of ACTION_KINDS) a.actions[k] += b.actions[k];
}

/** Sum of a cost's actions. */
export function totalActions(cost: HistoryCost): number {
  return ACTION_KINDS.reduce((sum, k) => sum + cost.actions[k], 0);
}

/** Marker names the SDKs give local-activity results (TypeScript/Core, Go/Java). */
const LOCAL_ACTIVITY_MARKERS = new Set(['core_local_activity', 'LocalActivity']);

/** Epoch ms of an event's time. */
export function eventTimeMs(event: HistoryEvent): number {
  const t = event.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/**
 * Cost of the events of one history for which `include(event)` holds (e.g. those inside a time
 * window, for long-lived workflows such as a usage ledger shared by many jobs).
 *
 * Counting rules, from Temporal Cloud's actions page:
 * - workflow started (client start, continue-as-new's new run): 1 each; a Signal-With-Start
 *   that started the workflow is one action in total, so its first signal (event 2, recorded with
 *   the start) is not counted again;
 * - start child workflow: 2 for each initiation the parent records ("start" and "execution",
 *   whether or not the child then starts), so a child's own start event is not counted again;
 * - activity started or retried: each attempt (the started event records the last attempt);
 * - local activities: all markers of one workflow task are one action;
 * - signals, updates (accepted; rejected ones leave no event), timers, workflow-options updates:
 *   1 each; search-attribute upserts: 1 each unless they only set `TemporalChangeVersion`.
 *
 * Memo changes (`WorkflowPropertiesModified`) are not on the published list, though the server's
 * own `action` counter meters them; the bench shows that counter beside this count.
 */
export function historyCost(
  events: readonly HistoryEvent[],
  include: (event: HistoryEvent) => boolean = () => true,
): HistoryCost {
  const cost = emptyCost();
  const localActivityTasks = new Set<string>();
  const startedBySignalWithStart =
    events[0]?.workflowExecutionStartedEventAttributes !== undefined &&
    events[0]?.workflowExecutionStartedEventAttributes !== null &&
    Boolean(events[1]?.workflowExecutionSignaledEventAttributes);
  for (const [index, e] of events.entries()) {
    if (!include(e)) continue;
    cost.events += 1;
    const a = cost.actions;
    if (e.workflowTaskStartedEventAttributes) cost.workflowTasks += 1;
    if (e.workflowExecutionStartedEventAttributes) {
      if (!e.workflowExecutionStartedEventAttributes.parentWorkflowExecution)
        a.workflowStarted += 1;
      cost.visibilityWrites += 1;
    }
    if (e.workflowExecutionSignaledEventAttributes && !(startedBySignalWithStart && index === 1))
      a.signals += 1;
    if (e.activityTaskStartedEventAttributes)
      a.activityAttempts += Math.max(1, e.activityTaskStartedEventAttributes.attempt ?? 1);
    if (e.markerRecordedEventAttributes) {
      const m = e.markerRecordedEventAttributes;
      if (LOCAL_ACTIVITY_MARKERS.has(m.markerName ?? ''))
        localActivityTasks.add(String(m.workflowTaskCompletedEventId ?? index));
    }
    if (e.workflowExecutionUpdateAcceptedEventAttributes) a.updates += 1;
    if (e.timerStartedEventAttributes) a.timers += 1;
    if (e.upsertWorkflowSearchAttributesEventAttributes) {
      cost.visibilityWrites += 1;
      const fields = Object.keys(
        e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {},
      );
      if (fields.some((f) => f !== 'TemporalChangeVersion')) a.searchAttributeUpserts += 1;
    }
    if (e.workflowPropertiesModifiedEventAttributes) cost.visibilityWrites += 1;
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) a.childStarts += 2;
    if (e.workflowExecutionOptionsUpdatedEventAttributes) a.optionsUpdated += 1;
    if (
      e.workflowExecutionCompletedEventAttributes ||
      e.workflowExecutionFailedEventAttributes ||
      e.workflowExecutionTimedOutEventAttributes ||
      e.workflowExecutionCanceledEventAttributes ||
      e.workflowExecutionTerminatedEventAttributes ||
      e.workflowExecutionContinuedAsNewEventAttributes
    )
      cost.visibilityWrites += 1;
  }
  cost.actions.localActivityTasks = localActivityTasks.size;
  return cost;
}
