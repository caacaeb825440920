/** The shapes of the public API answers the console reads (see /openapi.json). */

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface ModelCallStep {
  type: 'model_call';
  call: number;
  text: string;
  model: string;
  stop_reason: string | null;
  usage: Usage;
  cost_usd?: number;
  attempt: number;
  duration_ms: number;
}

export interface ToolCallStep {
  type: 'tool_call';
  call: number;
  tool_use_id: string;
  name: string;
  input: unknown;
  output: string;
  is_error: boolean;
  duration_ms: number;
}

/** A tool call waiting for a person (the approvals API). */
export interface PendingApproval {
  tool_use_id: string;
  tool: string;
  input: unknown;
  requested_at: string;
  expires_at?: string;
}

export interface JobView {
  job_id: string;
  user_id: string;
  status: string;
  response?: string;
  error?: { type: string; message: string };
  usage?: Usage;
  model?: string;
  attempts: number;
  priority: number;
  submitted_at: string;
  started_at?: string;
  completed_at?: string;
  truncated?: boolean;
  model_fallback?: boolean;
  stop_reason?: string | null;
  cost_usd?: number;
  conversation_id?: string;
  turn?: number;
  steps?: (ModelCallStep | ToolCallStep)[];
  pending_approvals?: PendingApproval[];
  lane?: string;
}

export interface Accepted {
  job_id: string;
  status: string;
  submitted_at: string;
}

export interface TurnView {
  turn: number;
  job_id: string;
  status: string;
  message: string;
  response?: string;
  error?: { type: string; message: string };
  usage?: Usage;
  cost_usd?: number;
  tool_calls?: number;
  submitted_at: string;
  completed_at?: string;
}

export interface ConversationView {
  conversation_id: string;
  user_id: string;
  status: string;
  created_at: string;
  usage: Usage;
  cost_usd: number;
  turns: TurnView[];
}

export interface QueueView {
  name: string;
  type: string;
  backlog_count: number;
  backlog_age_seconds: number;
  dispatch_rate: number;
  add_rate: number;
  pollers: number;
}

export interface QueuesView {
  sampled_at: string;
  task_queues: QueueView[];
  admission: {
    backlog: number;
    limits: Record<string, number>;
    admitting: Record<string, boolean>;
    user_max_active_jobs: number;
    start_limit: { limit: number; in_flight: number; min_rtt_ms: number | null; refusals: number };
  };
  limits: Record<string, number>;
}

export interface UsageView {
  user_id: string;
  jobs: number;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced_models?: boolean;
  by_model: Record<
    string,
    { calls: number; input_tokens: number; output_tokens: number; cost_usd?: number }
  >;
  today: { date: string; jobs: number; tokens: number; budget?: number; remaining?: number };
}

export interface ApprovalsView {
  jobs: {
    job_id: string;
    user_id: string;
    conversation_id?: string;
    pending_approvals: PendingApproval[];
  }[];
}
