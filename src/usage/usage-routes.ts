import { Router } from 'express';
import { usageParamsSchema } from '../api/agent-schemas';
import { callerOf, mayAccess } from '../api/caller';
import { HttpError } from '../api/http-error';
import { parseOrThrow } from '../api/validate';
import type { UsageView } from './usage-view';

/**
 * `GET /users/:user_id/usage`. With API keys only the key's own user (or an admin) may read it;
 * another user's usage answers 404, like every object the caller may not see.
 */
export function usageRoutes(view: UsageView): Router {
  const router = Router();
  router.get('/users/:user_id/usage', async (req, res) => {
    const { user_id: userId } = parseOrThrow(usageParamsSchema, req.params);
    if (!mayAccess(callerOf(res), userId)) throw HttpError.notFound(`Usage of ${userId}`);
    res.json(await view.getUsage(userId));
  });
  return router;
}
