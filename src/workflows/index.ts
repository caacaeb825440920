/** Every workflow the workers register. Bundled for the deterministic sandbox. */
export { chatWorkflow } from './chat-workflow';
