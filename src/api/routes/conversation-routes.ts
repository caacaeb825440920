import { Router } from 'express';
import type { AppConfig } from '../../config';
import type { ConversationService } from '../conversation-service';
import { conversationParamsSchema, conversationQuerySchema } from '../agent-schemas';
import { actingUser, callerOf } from '../caller';
import { HttpError } from '../http-error';
import { deadlineIn } from '../request-deadline';
import { parseOrThrow } from '../validate';

/**
 * `GET /conversations/:conversation_id[?user_id=]` (the usage route is in src/usage).
 *
 * With API keys the user is the key's (another `user_id` is a 403; admins may name any user); in
 * open mode the query names it. Ownership also holds by construction: a conversation's workflow
 * id contains its owner's id, so a user can only ever reach their own conversations.
 */
export function conversationRoutes(deps: {
  conversations: ConversationService;
  config: AppConfig;
}): Router {
  const router = Router();
  /** One deadline per request, shared by all its Temporal calls. */
  const requestDeadline = () => deadlineIn(deps.config.http.temporalRpcTimeoutMs);
  router.get('/conversations/:conversation_id', async (req, res) => {
    const { conversation_id: conversationId } = parseOrThrow(conversationParamsSchema, req.params);
    const { user_id: named } = parseOrThrow(conversationQuerySchema, {
      user_id: req.query.user_id,
    });
    const userId = actingUser(callerOf(res), named);
    const view = await deps.conversations.getConversation(
      userId,
      conversationId,
      requestDeadline(),
    );
    if (!view) throw HttpError.notFound(`Conversation ${conversationId}`);
    res.json(view);
  });
  return router;
}
