/** The job's cost cap as a model-call activity receives it (agent jobs with `max_cost_usd`). */
export interface CostCapInput {
  /** The job's `max_cost_usd`. */
  maxUsd: number;
  /** What the job's earlier model calls cost, priced by the workers' price table. */
  spentUsd: number;
}

/** `stop_reason` of an agent job that stopped before a call that could exceed its cost cap. */
export const COST_CAP_STOP_REASON = 'cost_cap';
