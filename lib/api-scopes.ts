// What a caller with an API key may do (issue 18). A key carries scopes; every HTTP route of both
// programs declares the scope a key needs to call it (`config.scope`), beside the route, and one
// hook per program enforces it (the gateway for its own routes, the slice for the ones it answers,
// from the signed acting-member header). A session (a person in a browser) is not limited by
// scopes: roles (lib/acting-member.ts) limit it.
//
// - `read`: GET what the account's data holds (chats, messages, contacts, labels, media, events);
// - `send`: send messages and reactions (what reaches a customer's phone);
// - `manage`: change the CRM's data and the account's integrations (labels, notes, stages,
//   contacts, assignment, webhooks);
// - `session`: no key may call it: what concerns people, money or the account itself (login,
//   passwords, second factor, sessions, team and invitations, billing, account settings and
//   deletion, API keys themselves, WhatsApp linking and unlinking);
// - `public`: no credentials at all (health, login, register, the Stripe webhook, the API's own
//   description).
// Scopes do not imply each other: a key that sends and reads asks for both.

export const API_SCOPES = ['read', 'send', 'manage'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
export type RouteScope = ApiScope | 'session' | 'public';
export const ROUTE_SCOPES: readonly RouteScope[] = [...API_SCOPES, 'session', 'public'];

export function isApiScope(value: unknown): value is ApiScope {
  return value === 'read' || value === 'send' || value === 'manage';
}

/** Whether a key holding `granted` may call a route that declares `needed`. */
export function keyMayCall(granted: readonly ApiScope[], needed: RouteScope): boolean {
  if (needed === 'public') return true;
  if (needed === 'session') return false;
  return granted.includes(needed);
}

/** The header a key comes in: `Authorization: Bearer qk_…`. */
export const API_KEY_PREFIX = 'qk_';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What an API key needs to call this route (see lib/api-scopes.ts). */
    scope?: RouteScope;
  }
}
