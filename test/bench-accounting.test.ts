/**
 * The bench's accounting rules (bench/lib): medians of rounds, billable actions counted from a
 * history by Temporal Cloud's published list, and server counters read between two scrapes.
 */
import type { temporal } from '@temporalio/proto';
import { historyCost, totalActions } from '../bench/lib/history-cost';
import { countsBetween, parsePrometheus } from '../bench/lib/server-metrics';
import { median } from '../bench/lib/stats';

type Event = temporal.api.history.v1.IHistoryEvent;

/** An event from plain numbers (the proto types want Long for ids and times). */
const ev = (fields: unknown): Event => fields as Event;

describe('median', () => {
  it('is the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([10, 40])).toBe(25);
    expect(median([4, 1, 3, 100])).toBe(3.5);
    expect(median([])).toBeNaN();
  });
});

describe('historyCost', () => {
  it('counts a Signal-With-Start that started the workflow as one action', () => {
    const events = [
      ev({ workflowExecutionStartedEventAttributes: {} }),
      ev({ workflowExecutionSignaledEventAttributes: {} }),
      ev({ workflowTaskScheduledEventAttributes: {} }),
      ev({ workflowTaskStartedEventAttributes: {} }),
      ev({ workflowTaskCompletedEventAttributes: {} }),
      ev({ workflowExecutionSignaledEventAttributes: {} }),
    ];
    const cost = historyCost(events);
    expect(cost.actions.workflowStarted).toBe(1);
    expect(cost.actions.signals).toBe(1);
    expect(cost.workflowTasks).toBe(1);
    expect(cost.events).toBe(6);
  });

  it('counts every activity attempt, local activities once per workflow task, child starts twice', () => {
    const marker = (markerName: string) =>
      ev({ markerRecordedEventAttributes: { markerName, workflowTaskCompletedEventId: 9 } });
    const events = [
      ev({ workflowExecutionStartedEventAttributes: { parentWorkflowExecution: {} } }),
      ev({ activityTaskScheduledEventAttributes: {} }),
      ev({ activityTaskStartedEventAttributes: { attempt: 3 } }),
      marker('core_local_activity'),
      marker('core_local_activity'),
      marker('core_patch'),
      ev({ startChildWorkflowExecutionInitiatedEventAttributes: {} }),
      ev({ timerStartedEventAttributes: {} }),
      ev({
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: { indexedFields: { TemporalChangeVersion: {} } },
        },
      }),
      ev({ workflowExecutionCompletedEventAttributes: {} }),
    ];
    const cost = historyCost(events);
    // A child's own start is billed with its parent's initiation (2), not again here.
    expect(cost.actions.workflowStarted).toBe(0);
    expect(cost.actions.activityAttempts).toBe(3);
    expect(cost.actions.localActivityTasks).toBe(1);
    expect(cost.actions.childStarts).toBe(2);
    expect(cost.actions.timers).toBe(1);
    expect(cost.actions.searchAttributeUpserts).toBe(0);
    expect(totalActions(cost)).toBe(7);
    // Start, the upsert and the close each write a visibility record.
    expect(cost.visibilityWrites).toBe(3);
  });

  it('counts only the events a filter keeps (a shared workflow inside one window)', () => {
    const events = [
      ev({ eventTime: { seconds: 100 }, workflowExecutionSignaledEventAttributes: {} }),
      ev({ eventTime: { seconds: 200 }, workflowExecutionSignaledEventAttributes: {} }),
    ];
    const cost = historyCost(events, (e) => Number(e.eventTime?.seconds) < 150);
    expect(cost.events).toBe(1);
    expect(cost.actions.signals).toBe(1);
  });
});

describe('server counters', () => {
  const scrapeText = (heartbeats: number, queries: number, writes: number) =>
    [
      '# HELP service_requests requests',
      `service_requests{namespace="default",operation="RecordActivityTaskHeartbeat",service_name="frontend"} ${heartbeats}`,
      `service_requests{namespace="default",operation="QueryWorkflow",service_name="frontend"} ${queries}`,
      `service_requests{namespace="other",operation="QueryWorkflow",service_name="frontend"} 99`,
      `action{action_type="grpc_StartWorkflowExecution",namespace="default",operation="StartWorkflowExecution",service_name="frontend"} ${queries * 2}`,
      `visibility_persistence_requests{operation="RecordWorkflowExecutionStarted",service_name="history"} ${writes}`,
      `visibility_persistence_requests{operation="ListWorkflowExecutions",service_name="frontend"} 50`,
    ].join('\n');

  it("counts one namespace's heartbeats, queries, actions and visibility writes between scrapes", () => {
    const counts = countsBetween(
      parsePrometheus(scrapeText(10, 1, 5)),
      parsePrometheus(scrapeText(14, 3, 9)),
      'default',
    );
    expect(counts.heartbeats).toBe(4);
    expect(counts.queries).toBe(2);
    expect(counts.actions).toEqual({ grpc_StartWorkflowExecution: 4 });
    expect(counts.visibilityWritesTotal).toBe(4);
  });
});
