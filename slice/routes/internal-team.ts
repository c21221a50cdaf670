// PUT /internal/team: the gateway pushes the account's members and team settings after any change
// and whenever it sees the slice running. Outside /api, so the gateway's proxy can never relay a
// browser to it, and 'system' only: a request carrying a member header is refused.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { MEMBER_ROLES } from '../../lib/acting-member.ts';
import { AppError } from '../../lib/errors.ts';
import { syncTeam } from '../store/team.ts';

const MemberInput = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9]{1,19}$', description: 'gateway.members.id' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.Union(MEMBER_ROLES.map((r) => Type.Literal(r))),
    available: Type.Boolean(),
  },
  { additionalProperties: false },
);

const internalTeam: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/internal/team',
    {
      config: { minRole: 'system', scope: 'session' },
      schema: {
        body: Type.Object(
          {
            members: Type.Array(MemberInput, { maxItems: 1000 }),
            settings: Type.Object({ roundRobin: Type.Boolean(), agentsSeeOwnChatsOnly: Type.Boolean() }, { additionalProperties: false }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { members, settings } = req.body;
      const ids = new Set(members.map((m) => m.id));
      if (ids.size !== members.length) throw new AppError('INVALID_ARGUMENT', 'body/members names a member id twice');
      const { store } = app;
      await store.change(async (trx) => ({ result: undefined, chatIds: await syncTeam(trx, members, settings) }));
      await store.team.load(store.db);
      return reply.status(204).send();
    },
  );
};

export default internalTeam;
