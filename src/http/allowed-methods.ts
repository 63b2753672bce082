import type { RequestHandler, Router } from 'express';
import { problem } from './problem';

/** The parts of express's router (router@2) read here: each route layer, its matcher and its methods. */
interface RouteLayer {
  readonly route?: { _methods(): string[] };
  match(path: string): boolean;
}

/** Every method the routers answer at `path`, HEAD with GET, and OPTIONS. */
export function allowedMethods(routers: readonly Router[], path: string): string[] {
  const methods = new Set<string>();
  for (const router of routers) {
    for (const layer of router.stack as unknown as RouteLayer[]) {
      if (layer.route && layer.match(path)) for (const method of layer.route._methods()) methods.add(method);
    }
  }
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}

/**
 * Answers what the routers leave unanswered at a path they know: OPTIONS
 * with the complete `Allow` (express alone lists only the first router's
 * methods), and a method they do not handle with 405 and `Allow`. Place the
 * OPTIONS answer before the routers and the 405 after them.
 */
export function methodRoutes(routers: readonly Router[]): { options: RequestHandler; notAllowed: RequestHandler } {
  return {
    options: (req, res, next) => {
      if (req.method !== 'OPTIONS') return next();
      const allow = allowedMethods(routers, req.path);
      if (allow.length === 0) return next();
      res.setHeader('Allow', allow.join(', '));
      res.status(204).end();
    },
    notAllowed: (req, res, next) => {
      const allow = allowedMethods(routers, req.path);
      if (allow.length === 0) return next();
      res.setHeader('Allow', allow.join(', '));
      next(
        problem(
          405,
          'method-not-allowed',
          'Method not allowed',
          `${req.method} is not allowed on ${req.originalUrl.split('?')[0]}; use ${allow.join(', ')}`,
        ),
      );
    },
  };
}
