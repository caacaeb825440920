import { Router } from 'express';
import type { AgentService } from '../agent-service';
import { conversationParamsSchema, conversationQuerySchema } from '../agent-schemas';
import { actingUser, callerOf } from '../caller';
import { HttpError } from '../http-error';
import { parseOrThrow } from '../validate';

/**
 * `GET /conversations/:conversation_id[?user_id=]` (the usage route is in src/usage).
 *
 * With API keys the user is the key's (another `user_id` is a 403; admins may name any user); in
 * open mode the query names it. Ownership also holds by construction: a conversation's workflow
 * id contains its owner's id, so a user can only ever reach their own conversations.
 */
export function conversationRoutes(agents: AgentService): Router {
  const router = Router();
  router.get('/conversations/:conversation_id', async (req, res) => {
    const { conversation_id: conversationId } = parseOrThrow(conversationParamsSchema, req.params);
    const { user_id: named } = parseOrThrow(conversationQuerySchema, {
      user_id: req.query.user_id,
    });
    const userId = actingUser(callerOf(res), named);
    const view = await agents.getConversation(userId, conversationId);
    if (!view) throw HttpError.notFound(`Conversation ${conversationId}`);
    res.json(view);
  });
  return router;
}
