import { Router } from 'express';
import { ROLES } from '../../ports/authenticator';
import { principalOf } from '../authorization';
import { NoQuerySchema, parseWith } from '../request-parsing';

/**
 * GET /whoami: who the caller is and which roles it has, so a client (the
 * console) shows only what the caller may do. The server still checks every
 * call: hiding a button is a courtesy, not the control.
 */
export function whoamiRoutes(authentication: boolean): Router {
  const router = Router();
  router.get('/whoami', (req, res) => {
    parseWith(NoQuerySchema, req.query);
    const principal = principalOf(req);
    res
      .setHeader('Cache-Control', 'no-store')
      .json(
        authentication && principal
          ? { authentication: 'on', name: principal.name, roles: principal.roles }
          : { authentication: 'off', name: null, roles: [...ROLES] },
      );
  });
  return router;
}
