/** Every workflow the workers register. Bundled for the deterministic sandbox. */
export { chatWorkflow } from './chat-workflow';
export { claudeRateGovernorWorkflow } from './claude-rate-governor-workflow';
export { agentWorkflow } from './agent-workflow';
export { conversationWorkflow } from './conversation-workflow';
export { usageWorkflow } from './usage-workflow';
export { webhookDeliveryWorkflow } from './webhook-delivery-workflow';
