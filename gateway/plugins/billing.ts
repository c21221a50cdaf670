// Billing is a later issue (Stripe Checkout, Customer Portal, webhook). Until then: with no
// STRIPE_SECRET_KEY every account is active; with one, the subscription row says.
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    billing: {
      enabled: boolean;
      planStatus(userId: string): Promise<string>;
    };
  }
}

export default fp(
  async (app) => {
    const enabled = Boolean(app.config.STRIPE_SECRET_KEY);
    app.decorate('billing', {
      enabled,
      async planStatus(userId: string) {
        if (!enabled) return 'active';
        const row = await app.db.selectFrom('subscriptions').select('status').where('user_id', '=', userId).executeTakeFirst();
        return row?.status ?? 'none';
      },
    });
  },
  { name: 'billing', dependencies: ['db'] },
);
