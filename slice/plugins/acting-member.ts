// Who acts on this request, as the gateway says in the signed x-queunir-member header (see
// lib/acting-member.ts), and whether their role may use the route. No header: the token holder
// itself (the gateway's own calls, the supervisor), the system, with every right. A header that
// does not verify is refused outright: acting on it as the system would hand a forger full rights.
//
// Every route declares `config: { minRole }`: a member role, or 'system' for routes no member may
// reach even through the gateway (PUT /internal/team). /api routes that declare none are 'agent';
// the web app's static files are 'agent' too; any other route that declares none is a mistake,
// refused when the route is registered.
//
// Every route also declares `config: { scope }` (lib/api-scopes.ts); only the self-hosted web app's
// files default (to public), any other route without one is refused when registered. A header that says an API key acts (its `k` and `s`)
// is held to it: a key without the scope gets SCOPE_REQUIRED, and SESSION_REQUIRED on routes
// that are a person's (`session`). A session's header is not limited by scopes.
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { ACTING_MEMBER_HEADER, roleAtLeast, verifyActingMember, type ActingMember, type MemberRole } from '../../lib/acting-member.ts';
import { AppError } from '../../lib/errors.ts';
import { ROUTE_SCOPES, type RouteScope } from '../../lib/api-scopes.ts';
import { scopeRefusal } from '../../lib/scope-check.ts';
import { renameMember } from '../store/team.ts';
import { API_PATH } from './auth.ts';
import type { ChatScope } from '../store/visibility.ts';

export type MinRole = MemberRole | 'system';

declare module 'fastify' {
  interface FastifyContextConfig {
    minRole?: MinRole;
  }
  interface FastifyRequest {
    /** null: the system (no header) */
    actingMember: ActingMember | null;
    /** The chats this request may see (null: all). */
    chatScope: ChatScope;
  }
  interface FastifyInstance {
    /** Every route with its declared role, in registration order (HEAD twins left out). */
    routeRoles(): { method: string; url: string; minRole: MinRole; scope: RouteScope }[];
  }
}

function minRoleOf(url: string, config: { minRole?: MinRole } | undefined): MinRole | undefined {
  if (config?.minRole) return config.minRole;
  // The self-hosted web app's files hold no data; the slice's own other routes must say.
  return url.startsWith('/api/') || !(API_PATH.test(url) || url.startsWith('/internal/')) ? 'agent' : undefined;
}

/** A route's declared scope; the self-hosted web app's files (not the API, not /internal/) are public. */
function scopeOf(url: string, config: { scope?: RouteScope } | undefined): RouteScope | undefined {
  if (config?.scope) return config.scope;
  return url.startsWith('/api/') || API_PATH.test(url) || url.startsWith('/internal/') ? undefined : 'public';
}

const actingMember: FastifyPluginAsync<{ token: string }> = async (app, opts) => {
  const declared: { method: string; url: string; minRole: MinRole; scope: RouteScope }[] = [];
  app.decorate('routeRoles', () => declared.map((r) => ({ ...r })));
  app.decorateRequest('actingMember', null);
  app.decorateRequest('chatScope', null);

  app.addHook('onRoute', (route) => {
    const minRole = minRoleOf(route.url, route.config as { minRole?: MinRole } | undefined);
    if (minRole === undefined) throw new Error(`route ${route.url} declares no config.minRole`);
    const scope = scopeOf(route.url, route.config as { scope?: RouteScope } | undefined);
    if (scope === undefined || !ROUTE_SCOPES.includes(scope)) throw new Error(`route ${route.url} declares no config.scope (one of ${ROUTE_SCOPES.join(', ')})`);
    route.config = { ...(route.config as object), minRole, scope } as typeof route.config;
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== 'HEAD') declared.push({ method, url: route.url, minRole, scope });
    }
  });

  // onRequest, after the bearer token's check (registered before this plugin) and before the body
  // is read: a member without the right learns nothing of what the route expects.
  app.addHook('onRequest', async (req) => {
    const raw = req.headers[ACTING_MEMBER_HEADER];
    let member: ActingMember | null = null;
    if (raw !== undefined) {
      member = typeof raw === 'string' ? verifyActingMember(raw, opts.token) : null;
      if (member === null) throw new AppError('ACTING_MEMBER_INVALID', `the ${ACTING_MEMBER_HEADER} header does not verify`);
    }
    req.actingMember = member;
    const config = req.routeOptions.url === undefined ? undefined : (req.routeOptions.config as { minRole?: MinRole; scope?: RouteScope });
    const needed = config?.minRole;
    if (member?.apiKey && config?.scope !== undefined) {
      const refused = scopeRefusal(`${req.method} ${req.routeOptions.url}`, config.scope, member.apiKey.scopes);
      if (refused) throw refused;
    }
    if (member !== null && needed !== undefined) {
      if (needed === 'system') throw new AppError('ROLE_REQUIRED', `${req.method} ${req.routeOptions.url} is not for members`);
      if (!roleAtLeast(member.role, needed)) throw new AppError('ROLE_REQUIRED', `${req.method} ${req.routeOptions.url} needs the role ${needed} (you are ${member.role})`);
    }
    const team = app.store.team;
    req.chatScope = team.scopeOf(member);
    // The header carries the name the gateway knows now; the stored one (shown as assignee) follows.
    const known = member ? team.members.get(member.id) : undefined;
    if (member && known && known.name !== member.name) {
      known.name = member.name;
      await app.store.change(async (trx) => ({ result: await renameMember(trx, member.id, member.name) }));
    }
  });
};

export default fp(actingMember, { name: 'slice-acting-member', fastify: '5.x', dependencies: ['slice-auth', 'slice-context'] });
