// The one wording of a key's refusal, for both programs (the gateway for its own routes, the slice
// for the ones it answers): what the route needs and what the key holds, so a caller can fix it.
import { keyMayCall, type ApiScope, type RouteScope } from './api-scopes.ts';
import { AppError } from './errors.ts';

/** The error for a key holding `granted` that calls `route` (e.g. "POST /api/x"), or null when it may. */
export function scopeRefusal(route: string, needed: RouteScope, granted: readonly ApiScope[]): AppError | null {
  if (keyMayCall(granted, needed)) return null;
  const details = { needed, scopes: [...granted] };
  if (needed === 'session') {
    return new AppError('SESSION_REQUIRED', `${route} is for a person signed in, not an API key (this key has ${granted.join(', ')})`, { details });
  }
  return new AppError('SCOPE_REQUIRED', `${route} needs an API key with the ${needed} scope (this key has ${granted.join(', ')})`, { details });
}
